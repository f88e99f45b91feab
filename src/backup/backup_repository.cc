#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "backup/capture.h"
#include "backup/repository_impl.h"
#include "core/file_util.h"
#include "operational/sqlite/pitr_journal.h"
#include "timeseries/wal.h"
#include "systore/time.h"

namespace systore::backup {
namespace {
namespace fs = std::filesystem;

// Sortable and unique: 20261204T221530Z-3f9a1c.
std::string NewBackupId(Timestamp t) {
  std::time_t secs = static_cast<std::time_t>(t / kNanosPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf) + "-" + RandomHexId().substr(0, 6);
}

bool Immutable(FileKind k) { return k == FileKind::kTsData || k == FileKind::kTsLog || k == FileKind::kTsCheckpoint; }

// A scratch directory for the SQLite copy, removed when the backup ends.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    path = (fs::temp_directory_path() / ("systore-backup-" + RandomHexId())).string();
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Days since the epoch, ISO week and month of a time, for retention.
int64_t DayOf(Timestamp t) { return t / (86400 * kNanosPerSecond); }
int64_t WeekOf(Timestamp t) { return (DayOf(t) + 3) / 7; }  // weeks starting Monday (1970-01-01 was a Thursday)
int64_t MonthOf(Timestamp t) {
  std::time_t secs = static_cast<std::time_t>(t / kNanosPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

}  // namespace

Result<Manifest> RepositoryImpl::LoadManifest(const std::string& id) {
  const std::string key = std::string(kManifestDir) + "/" + id + ".json";
  auto text = storage_->Read(key);
  if (!text.ok()) {
    if (text.status().IsNotFound()) return Status::NotFound("backup " + id + " not found in " + uri_);
    return text.status();
  }
  SYSTORE_ASSIGN_OR_RAISE(Manifest m, ManifestFromJson(*text, storage_->Describe(key)));
  if (m.id != id) return Status::Corruption("manifest " + storage_->Describe(key) + " names backup " + m.id);
  return m;
}

Result<std::vector<Manifest>> RepositoryImpl::Manifests() {
  SYSTORE_ASSIGN_OR_RAISE(auto objects, storage_->List(kManifestDir));
  std::vector<std::string> ids;
  for (const auto& o : objects) {
    std::string name = o.key.substr(o.key.rfind('/') + 1);
    if (name.size() > 5 && name.substr(name.size() - 5) == ".json") ids.push_back(name.substr(0, name.size() - 5));
  }
  std::sort(ids.begin(), ids.end());
  std::vector<Manifest> out;
  for (const auto& id : ids) {
    SYSTORE_ASSIGN_OR_RAISE(Manifest m, LoadManifest(id));
    out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Manifest& a, const Manifest& b) { return a.captured_at < b.captured_at; });
  return out;
}

Result<std::string> RepositoryImpl::ReadChecked(const ManifestFile& file) {
  const std::string key = ObjectKey(file.sha256);
  auto bytes = storage_->Read(key);
  if (!bytes.ok()) {
    if (bytes.status().IsNotFound())
      return Status::NotFound("object " + storage_->Describe(key) + " of " + file.path + " is missing");
    return bytes.status().WithContext("reading the object of " + file.path);
  }
  if (static_cast<int64_t>(bytes->size()) != file.size) {
    return Status::Corruption(file.path + ": object " + storage_->Describe(key) + " has " +
                              std::to_string(bytes->size()) + " bytes, the manifest says " + std::to_string(file.size));
  }
  if (Sha256Hex(*bytes) != file.sha256)
    return Status::Corruption(file.path + ": object " + storage_->Describe(key) + " fails its SHA-256 check");
  return bytes;
}

Result<BackupInfo> RepositoryImpl::Create(const BackupCreateOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  if (options.tier != "local" && options.tier != "offsite")
    return Status::InvalidArgument("--tier must be local or offsite, not '" + options.tier + "'");
  const std::string root = fs::absolute(options.root).lexically_normal().string();
  ScratchDir scratch;
  SYSTORE_ASSIGN_OR_RAISE(Capture cap, CaptureRoot(root, scratch.path));
  Manifest& m = cap.manifest;
  m.id = NewBackupId(m.started_at);
  m.label = options.label;
  m.tier = options.tier;

  // What the repository already holds, and the hashes the last backup computed for
  // immutable files (same path, size and mtime: not read again).
  SYSTORE_ASSIGN_OR_RAISE(auto stored, storage_->List(kObjectDir));
  std::set<std::string> have;
  for (const auto& o : stored) have.insert(o.key.substr(o.key.rfind('/') + 1));
  std::unordered_map<std::string, const ManifestFile*> known;
  auto previous = Manifests();
  if (previous.ok() && !previous->empty()) {
    for (const auto& f : previous->back().files)
      if (Immutable(f.kind) && have.count(f.sha256)) known[f.path] = &f;
  }

  int64_t total = 0, done = 0;
  for (const auto& f : cap.files) total += f.meta.size;
  for (auto& f : cap.files) {
    auto k = known.find(f.meta.path);
    if (Immutable(f.meta.kind) && k != known.end() && k->second->size == f.meta.size &&
        k->second->mtime_ns == f.meta.mtime_ns && f.meta.mtime_ns != 0) {
      f.meta.sha256 = k->second->sha256;
    } else {
      std::string bytes;
      if (f.content) {
        bytes = std::move(*f.content);
        f.content.reset();
      } else {
        auto r = ReadFileToString(f.source);
        if (!r.ok()) {
          return r.status().WithContext("backing up " + f.meta.path +
                                        (f.meta.kind == FileKind::kTsData ? " (vacuumed during the backup? run it again)" : ""));
        }
        bytes = std::move(*r);
      }
      f.meta.size = static_cast<int64_t>(bytes.size());
      f.meta.sha256 = Sha256Hex(bytes);
      if (!have.count(f.meta.sha256)) {
        SYSTORE_RETURN_NOT_OK(storage_->Write(ObjectKey(f.meta.sha256), bytes));
        have.insert(f.meta.sha256);
        ++m.files_copied;
        m.bytes_copied += f.meta.size;
      }
    }
    done += f.meta.size;
    if (options.progress) options.progress(done, total);
    m.files.push_back(f.meta);
  }
  // A prune running meanwhile may have removed an object this backup reuses: check
  // before the manifest makes the backup listed.
  SYSTORE_ASSIGN_OR_RAISE(auto now_stored, storage_->List(kObjectDir));
  std::set<std::string> present;
  for (const auto& o : now_stored) present.insert(o.key.substr(o.key.rfind('/') + 1));
  for (const auto& f : m.files) {
    if (!present.count(f.sha256))
      return Status::Conflict("object of " + f.path + " disappeared during the backup (a concurrent prune?): "
                              "run the backup again");
  }
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Last: until the manifest exists, the backup is not listed (its objects are orphans
  // that the next backup reuses or prune removes).
  SYSTORE_RETURN_NOT_OK(storage_->Write(std::string(kManifestDir) + "/" + m.id + ".json", ManifestToJson(m)));
  return m.Info();
}

Result<std::vector<BackupInfo>> RepositoryImpl::List() {
  SYSTORE_ASSIGN_OR_RAISE(auto manifests, Manifests());
  std::vector<BackupInfo> out;
  for (const auto& m : manifests) out.push_back(m.Info());
  return out;
}

Result<BackupVerifyReport> RepositoryImpl::Verify(const std::string& id) {
  BackupVerifyReport report;
  std::vector<Manifest> manifests;
  if (id.empty()) {
    SYSTORE_ASSIGN_OR_RAISE(manifests, Manifests());
  } else {
    SYSTORE_ASSIGN_OR_RAISE(Manifest m, LoadManifest(id));
    manifests.push_back(std::move(m));
  }
  std::map<std::string, std::string> checked;  // sha -> problem ("" ok): an object shared by backups is read once
  for (const auto& m : manifests) {
    ++report.backups;
    for (const auto& f : m.files) {
      auto it = checked.find(f.sha256);
      if (it == checked.end()) {
        auto r = ReadChecked(f);
        it = checked.emplace(f.sha256, r.ok() ? "" : r.status().message()).first;
        report.bytes_checked += f.size;
      }
      ++report.files_checked;
      if (!it->second.empty()) report.problems.push_back({m.id, f.path, ObjectKey(f.sha256), it->second});
    }
  }
  return report;
}

Result<BackupPruneResult> RepositoryImpl::Prune(const BackupPruneOptions& options) {
  if (options.keep_daily < 0 || options.keep_weekly < 0 || options.keep_monthly < 0)
    return Status::InvalidArgument("--keep-daily/--keep-weekly/--keep-monthly must be >= 0");
  SYSTORE_ASSIGN_OR_RAISE(auto manifests, Manifests());
  BackupPruneResult result;
  // Newest first: the newest backup of each of the last N periods that have one.
  std::set<std::string> keep;
  auto apply = [&](int n, int64_t (*period)(Timestamp)) {
    std::set<int64_t> seen;
    for (auto it = manifests.rbegin(); it != manifests.rend() && static_cast<int>(seen.size()) <= n; ++it) {
      int64_t p = period(it->captured_at);
      if (seen.count(p)) continue;
      if (static_cast<int>(seen.size()) == n) break;
      seen.insert(p);
      keep.insert(it->id);
    }
  };
  apply(options.keep_daily, DayOf);
  apply(options.keep_weekly, WeekOf);
  apply(options.keep_monthly, MonthOf);
  std::set<std::string> needed;
  for (const auto& m : manifests) {
    if (keep.count(m.id)) {
      result.kept.push_back(m.id);
      for (const auto& f : m.files) needed.insert(f.sha256);
    } else {
      result.removed.push_back(m.id);
    }
  }
  if (!options.dry_run) {
    // Manifests first: a backup disappears whole before any object it used goes.
    for (const auto& id : result.removed)
      SYSTORE_RETURN_NOT_OK(storage_->Delete(std::string(kManifestDir) + "/" + id + ".json"));
  }
  std::set<std::string> listed;  // by any manifest, kept or removed
  for (const auto& m : manifests)
    for (const auto& f : m.files) listed.insert(f.sha256);
  SYSTORE_ASSIGN_OR_RAISE(auto objects, storage_->List(kObjectDir));
  const Timestamp grace_cut = Now() - options.orphan_grace_s * kNanosPerSecond;
  for (const auto& o : objects) {
    const std::string sha = o.key.substr(o.key.rfind('/') + 1);
    if (needed.count(sha)) continue;
    if (!listed.count(sha) && o.mtime_ns > grace_cut) {  // perhaps a running backup's
      ++result.orphans_kept;
      continue;
    }
    ++result.objects_removed;
    result.bytes_removed += o.size;
    if (!options.dry_run) SYSTORE_RETURN_NOT_OK(storage_->Delete(o.key));
  }
  if (!options.live_root.empty() && !options.dry_run) {
    const std::string live = fs::absolute(options.live_root).lexically_normal().string();
    SYSTORE_ASSIGN_OR_RAISE(OperationalLocation loc, LocateOperational(live));
    int64_t upto = -1;  // the oldest kept backup of this root bounds what PITR may need
    for (const auto& m : manifests) {
      if (!keep.count(m.id) || m.root != live || m.operational.backend != "sqlite") continue;
      upto = upto < 0 ? m.operational.journal_seq : std::min(upto, m.operational.journal_seq);
    }
    if (loc.backend == "sqlite" && upto > 0 && PathExists(loc.path)) {
      SYSTORE_ASSIGN_OR_RAISE(result.journal_entries_trimmed, operational::TrimPitrJournal(loc.path, upto));
    }
    // Archived WAL segments: one can go when every record in it is in the oldest kept
    // backup's version of the dataset (its last seq is below the next segment's first).
    std::map<std::string, uint64_t> bound;
    std::set<std::string> seen;
    for (const auto& m : manifests) {
      if (!keep.count(m.id) || m.root != live) continue;
      for (const auto& [d, ds] : m.datasets) {
        bound[d] = seen.insert(d).second ? ds.wal_flushed_seq : std::min(bound[d], ds.wal_flushed_seq);
      }
    }
    for (const auto& [d, b] : bound) {
      const std::string wal = live + "/" + d + "/_wal";
      auto first_seqs = [](const std::string& dir) {
        std::vector<std::pair<uint64_t, std::string>> out;
        if (auto names = ListDirectory(dir); names.ok())
          for (const auto& n : *names)
            if (uint64_t first; ParseWalSegmentName(n, &first)) out.emplace_back(first, n);
        std::sort(out.begin(), out.end());
        return out;
      };
      auto archived = first_seqs(wal + "/" + kWalArchiveDir);
      auto live_segments = first_seqs(wal);
      for (size_t i = 0; i < archived.size(); ++i) {
        const uint64_t next = i + 1 < archived.size() ? archived[i + 1].first
                              : live_segments.empty() ? 0 : live_segments.front().first;
        if (next == 0 || next - 1 > b) break;
        SYSTORE_RETURN_NOT_OK(RemoveFile(wal + "/" + kWalArchiveDir + "/" + archived[i].second));
        ++result.wal_segments_trimmed;
      }
    }
  }
  return result;
}

}  // namespace systore::backup

namespace systore {

Result<std::unique_ptr<BackupRepository>> BackupRepository::Open(const std::string& uri) {
  SYSTORE_ASSIGN_OR_RAISE(auto storage, backup::RepositoryStorage::Open(uri));
  // Shown in messages: without the query, which may hold credentials.
  return std::unique_ptr<BackupRepository>(new backup::RepositoryImpl(uri.substr(0, uri.find('?')), std::move(storage)));
}

bool RestoreReport::consistent() const {
  for (const auto& c : checks)
    if (c.rfind("ok", 0) != 0) return false;
  return true;
}

}  // namespace systore
