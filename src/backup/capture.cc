#include "backup/capture.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "backup/mongo_dump.h"
#include "backup/postgres_cluster.h"
#include "blob/blob_config.h"
#include "core/file_util.h"
#include "operational/sqlite/pitr_journal.h"
#include "systore/reference_store.h"
#include "timeseries/delta_log.h"
#include "timeseries/wal.h"

namespace systore::backup {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

int64_t MtimeNs(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

CapturedFile FromLive(const std::string& root, const std::string& rel, FileKind kind) {
  CapturedFile f;
  f.meta.path = rel;
  f.meta.kind = kind;
  f.source = root + "/" + rel;
  std::error_code ec;
  f.meta.size = static_cast<int64_t>(fs::file_size(f.source, ec));
  f.meta.mtime_ns = MtimeNs(f.source);
  return f;
}

// A copy the backup made of an operational store (in the scratch directory).
CapturedFile FromScratch(const std::string& src, const std::string& rel) {
  CapturedFile f;
  f.meta.path = rel;
  f.meta.kind = FileKind::kOperational;
  f.source = src;
  std::error_code ec;
  f.meta.size = static_cast<int64_t>(fs::file_size(src, ec));
  return f;
}

CapturedFile FromBytes(const std::string& rel, FileKind kind, std::string bytes) {
  CapturedFile f;
  f.meta.path = rel;
  f.meta.kind = kind;
  f.meta.size = static_cast<int64_t>(bytes.size());
  f.content = std::move(bytes);
  return f;
}


Status CaptureDataset(const std::string& root, const std::string& dataset, const std::set<int64_t>& pinned,
                      Capture* cap) {
  const std::string dir = root + "/" + dataset;
  // The WAL first, then the log: a flush in between leaves its rows in the version read
  // below, and replay skips the records that version covers (docs/backup-and-recovery.md).
  ManifestDataset md;
  if (auto names = ListDirectory(dir + "/_wal"); names.ok()) {
    std::sort(names->begin(), names->end());
    for (const auto& n : *names) {
      if (!ParseWalSegmentName(n)) continue;
      auto bytes = ReadFileToString(dir + "/_wal/" + n);
      if (!bytes.ok()) {
        if (bytes.status().IsNotFound()) continue;  // flushed and deleted meanwhile
        return bytes.status();
      }
      // Preallocated (8 MiB of zeros): keep the records and the header that ends them.
      bytes->resize(static_cast<size_t>(WalWrittenLength(*bytes)));
      cap->files.push_back(FromBytes(dataset + "/_wal/" + n, FileKind::kTsWal, std::move(*bytes)));
      ++md.wal_segments;
    }
  }
  DeltaLog log(dir);
  DatasetState state;
  SYSTORE_RETURN_NOT_OK(log.Refresh(&state).WithContext("backing up dataset " + dataset));
  md.version = state.version;
  md.wal_flushed_seq = state.wal_flushed_seq;
  for (int64_t v = 0; v <= state.version; ++v)
    cap->files.push_back(
        FromLive(root, dataset + "/_delta_log/" + DeltaLog::CommitFileName(v), FileKind::kTsLog));
  if (auto names = ListDirectory(dir + "/_systore"); names.ok()) {
    for (const auto& n : *names) {
      // checkpoint-<20 digits>.json at or below the captured version
      if (n.rfind("checkpoint-", 0) != 0 || n.size() != 11 + kDeltaVersionDigits + 5) continue;
      if (std::stoll(n.substr(11, kDeltaVersionDigits)) > state.version) continue;
      cap->files.push_back(FromLive(root, dataset + "/_systore/" + n, FileKind::kTsCheckpoint));
    }
  }
  // Data files of the version, and of older versions named snapshots pin.
  std::set<std::string> data;
  auto add_files = [&](const DatasetState& s) {
    for (const auto& [key, files] : s.files)
      for (const auto& f : files) data.insert(f.path);
  };
  add_files(state);
  for (int64_t v : pinned) {
    if (v >= state.version || v < 0) continue;
    DatasetState old;
    if (log.Refresh(&old, v).ok()) add_files(old);
  }
  for (const auto& p : data) {
    CapturedFile f = FromLive(root, dataset + "/" + p, FileKind::kTsData);
    if (!PathExists(f.source))
      return Status::NotFound("data file " + f.source + " of dataset " + dataset + " version " +
                              std::to_string(state.version) + " is missing from the live root");
    cap->files.push_back(std::move(f));
  }
  cap->manifest.datasets[dataset] = md;
  return Status::OK();
}

// Versions pinned by named snapshots (<root>/_snapshots/<name>.json), per dataset.
std::map<std::string, std::set<int64_t>> SnapshotPins(const std::string& root) {
  std::map<std::string, std::set<int64_t>> out;
  auto names = ListDirectory(root + "/_snapshots");
  if (!names.ok()) return out;
  for (const auto& n : *names) {
    auto text = ReadFileToString(root + "/_snapshots/" + n);
    if (!text.ok()) continue;
    json j = json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("datasets") || !j["datasets"].is_object()) continue;
    for (const auto& [d, v] : j["datasets"].items())
      if (v.is_number_integer()) out[d].insert(v.get<int64_t>());
  }
  return out;
}

Status CaptureReference(const std::string& root, Capture* cap) {
  if (!PathExists(root + "/reference/changelog.jsonl")) return Status::OK();
  ReferenceStoreOptions o;
  o.root = root;
  o.create_if_missing = false;
  SYSTORE_ASSIGN_OR_RAISE(auto store, ReferenceStore::Open(o));
  SYSTORE_RETURN_NOT_OK(store->Refresh());
  auto snap = store->Current();
  SYSTORE_ASSIGN_OR_RAISE(std::string log, ReadFileToString(root + "/reference/changelog.jsonl"));
  // Exactly the lines of the captured version (a later commit may have appended more).
  size_t end = 0;
  std::string last_line;
  for (int64_t v = 0; v < snap->version(); ++v) {
    size_t nl = log.find('\n', end);
    if (nl == std::string::npos)
      return Status::Corruption("reference change log has fewer than " + std::to_string(snap->version()) + " lines");
    last_line = log.substr(end, nl - end);
    end = nl + 1;
  }
  log.resize(end);
  cap->manifest.reference.version = snap->version();
  cap->manifest.reference.head_time = snap->time();
  if (!last_line.empty()) {
    json j = json::parse(last_line, nullptr, false);
    if (j.is_object()) cap->manifest.reference.head_hash = j.value("hash", "");
  }
  cap->files.push_back(FromBytes("reference/changelog.jsonl", FileKind::kReferenceLog, std::move(log)));
  for (const auto& t : snap->tables())
    cap->files.push_back(FromBytes("reference/" + t->name() + ".csv", FileKind::kReferenceTable, t->ToCsv()));
  return Status::OK();
}

// systore.yaml, quality.json, the quarantine, snapshots, reports: everything else under
// the root that is not a store's own file, a lock, a cache or a temporary.
Status CaptureOthers(const std::string& root, const std::set<std::string>& skip_files, Capture* cap) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string rel = fs::relative(it->path(), root).generic_string();
    if (it->is_directory(ec)) {
      const bool top = rel.find('/') == std::string::npos;
      if ((top && (rel == "reference" || rel == "cache")) || PathExists(it->path().string() + "/_delta_log"))
        it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    if (name == "LOCK" || name.find(".tmp") != std::string::npos || skip_files.count(rel)) continue;
    const FileKind kind = (rel == "systore.yaml" || rel == "quality.json") ? FileKind::kConfig : FileKind::kOther;
    auto bytes = ReadFileToString(it->path().string());
    if (!bytes.ok()) {
      if (bytes.status().IsNotFound()) continue;
      return bytes.status();
    }
    cap->files.push_back(FromBytes(rel, kind, std::move(*bytes)));
  }
  if (ec) return Status::IOError("walking " + root + ": " + ec.message());
  return Status::OK();
}

}  // namespace

std::vector<std::string> FindDatasets(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    const std::string name = it->path().filename().string();
    if (name.rfind("key=", 0) == 0 || name[0] == '_' || name[0] == '.') {
      if (name == "_delta_log") out.push_back(fs::relative(it->path().parent_path(), root).generic_string());
      it.disable_recursion_pending();
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<OperationalLocation> LocateOperational(const std::string& root) {
  std::string text;
  if (auto t = ReadFileToString(root + "/systore.yaml"); t.ok()) text = std::move(*t);
  SYSTORE_ASSIGN_OR_RAISE(auto config, blob_internal::LoadBlobConfig(root, text, root + "/systore.yaml"));
  OperationalLocation loc;
  for (const auto& [name, s] : config.stores) {
    if (s.kind != StoreKind::kOperational || name != "operational") continue;
    if (s.uri.rfind("postgresql:", 0) == 0 || s.uri.rfind("postgres:", 0) == 0) {
      loc.backend = "postgresql";
      loc.uri = s.uri;
      loc.relative = "operational/postgresql";
      continue;
    }
    if (s.uri.rfind("mongodb:", 0) == 0 || s.uri.rfind("mongodb+srv:", 0) == 0) {
      loc.backend = "mongodb";
      loc.uri = s.uri;
      loc.relative = "operational/mongodb";
      continue;
    }
    if (s.uri.rfind("sqlite:", 0) != 0)
      return Status::InvalidArgument("operational store URI '" + s.uri + "': unknown scheme");
    std::string path = s.uri.substr(7);
    if (path.rfind("//", 0) == 0) path = path.substr(2);
    loc.backend = "sqlite";
    loc.path = fs::absolute(path).lexically_normal().string();
    const std::string rel = fs::path(loc.path).lexically_relative(fs::absolute(root).lexically_normal()).generic_string();
    loc.relative = (!rel.empty() && rel.rfind("..", 0) != 0) ? rel : "operational/ops.sqlite";
  }
  return loc;
}

Result<Capture> CaptureRoot(const std::string& root, const std::string& scratch_dir) {
  if (!fs::is_directory(root)) return Status::NotFound("store root " + root + " is not a directory");
  Capture cap;
  cap.manifest.root = root;
  cap.manifest.started_at = Now();
  SYSTORE_ASSIGN_OR_RAISE(OperationalLocation op, LocateOperational(root));

  // Operational data: one consistent copy of the store, and its position in its own log.
  ManifestOperational& mo = cap.manifest.operational;
  if (op.backend == "postgresql") {
    // A base backup of the running server: consistent by PostgreSQL's own recovery.
    SYSTORE_RETURN_NOT_OK(PgBaseBackup(op.uri, scratch_dir + "/postgresql", &mo.position));
    mo.database = DatabaseOfUri(op.uri);
    for (const char* name : {"base.tar", "pg_wal.tar", "backup_manifest"}) {
      const std::string src = scratch_dir + "/postgresql/pg/" + name;
      if (PathExists(src)) cap.files.push_back(FromScratch(src, op.relative + "/" + name));
    }
  } else if (op.backend == "mongodb") {
    SYSTORE_ASSIGN_OR_RAISE(auto files, MongoDump(op.uri, scratch_dir + "/mongodb"));
    mo.database = DatabaseOfUri(op.uri);
    for (const auto& name : files) cap.files.push_back(FromScratch(scratch_dir + "/mongodb/" + name, op.relative + "/" + name));
  } else if (op.backend == "sqlite" && PathExists(op.path)) {
    const std::string copy = scratch_dir + "/ops.sqlite";
    SYSTORE_RETURN_NOT_OK(operational::SqliteOnlineBackup(op.path, copy));
    SYSTORE_ASSIGN_OR_RAISE(auto head, operational::PitrJournalHead(copy));
    mo.journal_seq = head.seq;
    mo.journal_committed_at = head.committed_at;
    cap.files.push_back(FromScratch(copy, op.relative));
  }
  if (!cap.files.empty()) {
    mo.backend = op.backend;
    mo.path = op.relative;
  }
  std::set<std::string> skip;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    skip.insert(fs::path(op.backend != "sqlite" ? root + "/operational/ops.sqlite" : op.path)
                    .lexically_relative(fs::absolute(root).lexically_normal())
                    .generic_string() +
                suffix);
  }

  SYSTORE_RETURN_NOT_OK(CaptureReference(root, &cap));
  const auto pins = SnapshotPins(root);
  for (const auto& d : FindDatasets(root)) {
    static const std::set<int64_t> kNone;
    auto it = pins.find(d);
    SYSTORE_RETURN_NOT_OK(CaptureDataset(root, d, it == pins.end() ? kNone : it->second, &cap));
  }
  SYSTORE_RETURN_NOT_OK(CaptureOthers(root, skip, &cap));
  cap.manifest.captured_at = Now();
  return cap;
}

}  // namespace systore::backup
