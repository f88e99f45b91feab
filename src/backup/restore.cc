// Restore of a backup, and point-in-time recovery: the newest backup captured at or
// before the time, rolled forward with the live root's logs (Delta commits, the SQLite
// journal, the reference change log), then checked.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "backup/capture.h"
#include "backup/mongo_dump.h"
#include "backup/postgres_cluster.h"
#include "backup/repository_impl.h"
#include "core/file_util.h"
#include "operational/sqlite/pitr_journal.h"
#include "systore/operational_store.h"
#include "systore/reference_store.h"
#include "systore/timeseries_store.h"
#include "timeseries/delta_log.h"
#include "timeseries/wal.h"
#include <arrow/table.h>

namespace systore::backup {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

Status WriteRestored(const std::string& path, std::string_view bytes) {
  SYSTORE_RETURN_NOT_OK(CreateDirectories(fs::path(path).parent_path().string()));
  return WriteFileDurably(path, bytes);
}

Status CopyLive(const std::string& from, const std::string& to) {
  SYSTORE_ASSIGN_OR_RAISE(std::string bytes, ReadFileToString(from));
  return WriteRestored(to, bytes);
}

// Removes the staging directory unless the restore succeeded.
struct Staging {
  std::string path;
  bool keep = false;
  ~Staging() {
    if (keep || path.empty()) return;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Rolls one dataset of the restored root to its last version committed at or before t,
// taking the commits and data files the backup lacks from the live root.
Status RollDataset(const std::string& live, const std::string& staged, const std::string& dataset,
                   const Manifest& m, Timestamp t, RestoreReport* report) {
  const std::string live_dir = live + "/" + dataset, dir = staged + "/" + dataset;
  int64_t backed_up = -1;
  if (auto it = m.datasets.find(dataset); it != m.datasets.end()) backed_up = it->second.version;
  int64_t target = backed_up;
  if (PathExists(live_dir + "/_delta_log")) {
    SYSTORE_ASSIGN_OR_RAISE(auto history, DeltaLog(live_dir).History());
    target = -1;
    for (const auto& v : history)
      if (v.committed_at <= t) target = std::max(target, v.version);
    if (target < backed_up) {
      // The backup captured a commit made after t (within its capture window): drop it.
      for (int64_t v = target + 1; v <= backed_up; ++v)
        (void)RemoveFile(dir + "/_delta_log/" + DeltaLog::CommitFileName(v));
      if (auto names = ListDirectory(dir + "/_systore"); names.ok()) {
        for (const auto& n : *names)
          if (n.rfind("checkpoint-", 0) == 0 && std::stoll(n.substr(11, kDeltaVersionDigits)) > target)
            (void)RemoveFile(dir + "/_systore/" + n);
      }
    }
    for (int64_t v = std::max<int64_t>(backed_up + 1, 0); v <= target; ++v) {
      const std::string name = "/_delta_log/" + DeltaLog::CommitFileName(v);
      SYSTORE_RETURN_NOT_OK(CopyLive(live_dir + name, dir + name).WithContext("rolling " + dataset + " forward"));
    }
  }
  if (target < 0) {
    std::error_code ec;
    fs::remove_all(dir, ec);  // the dataset did not exist yet at t
    report->lines.push_back("timeseries " + dataset + ": did not exist at that time");
    return Status::OK();
  }
  DatasetState state;
  SYSTORE_RETURN_NOT_OK(DeltaLog(dir).Refresh(&state, target).WithContext("restored dataset " + dataset));
  int64_t copied = 0;
  for (const auto& [key, files] : state.files) {
    for (const auto& f : files) {
      const std::string path = dir + "/" + f.path;
      if (PathExists(path)) continue;
      const std::string src = live_dir + "/" + f.path;
      if (!PathExists(src)) {
        return Status::NotFound("data file " + f.path + " of " + dataset + " version " + std::to_string(target) +
                                " is in neither the backup nor the live root (vacuumed): cannot recover to that time");
      }
      SYSTORE_RETURN_NOT_OK(CopyLive(src, path));
      ++copied;
    }
  }
  // Rows appended through the WAL up to t and not in that version: the records after its
  // walSeq, from the backed-up segments and the live root's log and archive (flushed
  // segments are archived), appended at or before t. Replay runs when the root opens.
  std::map<uint64_t, WalRecord> records;
  auto collect = [&](const std::string& wal_dir, bool from_backup) -> Status {
    // A concurrent flush may archive a segment while it is read: read again.
    Result<WalReadResult> read = ReadWal(wal_dir);
    for (int attempt = 0; !read.ok() && read.status().IsNotFound() && attempt < 10; ++attempt) read = ReadWal(wal_dir);
    if (!read.ok()) return read.status().WithContext("reading the write-ahead log of " + dataset + " for the recovery");
    for (auto& r : read->records) {
      if (r.seq <= state.wal_flushed_seq) continue;
      const Timestamp at = WalPayloadAppendedAt(r.payload);
      if (at == 0 ? !from_backup : at > t) continue;  // records without a time: only the backup's (taken before t)
      records.emplace(r.seq, std::move(r));
    }
    return Status::OK();
  };
  SYSTORE_RETURN_NOT_OK(collect(dir + "/_wal", true));
  // The live log before its archive: a segment archived in between is then read in the
  // archive (the other order could miss it in both).
  SYSTORE_RETURN_NOT_OK(collect(live_dir + "/_wal", false));
  SYSTORE_RETURN_NOT_OK(collect(live_dir + "/_wal/" + kWalArchiveDir, false));
  if (auto names = ListDirectory(dir + "/_wal"); names.ok())
    for (const auto& n : *names)
      if (ParseWalSegmentName(n)) SYSTORE_RETURN_NOT_OK(RemoveFile(dir + "/_wal/" + n));
  if (!records.empty()) {
    std::vector<WalRecord> ordered;
    for (auto& [seq, r] : records) ordered.push_back(std::move(r));
    SYSTORE_RETURN_NOT_OK(CreateDirectories(dir + "/_wal"));
    SYSTORE_RETURN_NOT_OK(WriteWalSegment(dir + "/_wal/" + WalSegmentName(ordered.front().seq), ordered));
  }
  report->lines.push_back("timeseries " + dataset + ": version " + std::to_string(target) + " (backup had " +
                          std::to_string(backed_up) + ", " + std::to_string(copied) + " files from the live root)" +
                          (records.empty() ? "" : ", " + std::to_string(records.size()) + " WAL records appended by then"));
  return Status::OK();
}

// The reference store at t: the live change log cut at t (it must continue the backup's
// chain), and the tables as of that version.
Status RollReference(const std::string& live, const std::string& staged, const Manifest& m, Timestamp t,
                     RestoreReport* report) {
  const std::string live_log = live + "/reference/changelog.jsonl";
  if (!PathExists(live_log)) {
    report->lines.push_back("reference: version " + std::to_string(m.reference.version) +
                            " (from the backup; the live root has no change log)");
    return Status::OK();
  }
  SYSTORE_ASSIGN_OR_RAISE(std::string text, ReadFileToString(live_log));
  std::string kept;
  int64_t version = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a torn last line was never committed
    json j = json::parse(text.substr(pos, nl - pos), nullptr, false);
    if (!j.is_object()) return Status::Corruption(live_log + " line " + std::to_string(version + 1) + " is not JSON");
    if (j.value("time_ns", int64_t{0}) > t) break;
    ++version;
    if (version == m.reference.version && j.value("hash", "") != m.reference.head_hash) {
      return Status::Corruption("the live reference change log does not continue the backup's: version " +
                                std::to_string(version) + " has hash " + j.value("hash", "") + ", the backup " +
                                m.reference.head_hash);
    }
    kept.append(text, pos, nl + 1 - pos);
    pos = nl + 1;
  }
  if (version < m.reference.version) {
    // t falls inside the backup's capture window: cut the backup's own log.
    version = std::min(version, m.reference.version);
  }
  const std::string dir = staged + "/reference";
  ReferenceStoreOptions o;
  o.root = live;
  o.create_if_missing = false;
  SYSTORE_ASSIGN_OR_RAISE(auto live_store, ReferenceStore::Open(o));
  if (auto names = ListDirectory(dir); names.ok())
    for (const auto& n : *names)
      if (n.size() > 4 && n.substr(n.size() - 4) == ".csv") (void)RemoveFile(dir + "/" + n);
  if (version > 0) {
    SYSTORE_ASSIGN_OR_RAISE(auto snap, live_store->AsOfVersion(version));
    for (const auto& table : snap->tables()) SYSTORE_RETURN_NOT_OK(WriteRestored(dir + "/" + table->name() + ".csv", table->ToCsv()));
  }
  SYSTORE_RETURN_NOT_OK(WriteRestored(dir + "/changelog.jsonl", kept));
  report->lines.push_back("reference: version " + std::to_string(version) + " (backup had " +
                          std::to_string(m.reference.version) + ")");
  return Status::OK();
}

// Opens the restored root's stores, replays backed-up WAL tails into Parquet, and checks
// that the stores agree: every series reads, positions reconcile with fills, the
// reference chain verifies.
void CheckRestored(const std::string& staged, const Manifest& m, const std::string& mongo_uri, RestoreReport* report) {
  auto check = [&](const Status& st, const std::string& ok_text) {
    report->checks.push_back(st.ok() ? "ok: " + ok_text : "FAILED: " + st.ToString());
  };
  {
    TimeSeriesStoreOptions o;
    o.root = staged;
    o.create_if_missing = false;
    auto store = TimeSeriesStore::Open(o);
    Status st = store.status();
    int64_t series = 0, rows = 0, datasets = 0;
    if (st.ok()) {
      auto names = (*store)->ListDatasets();
      st = names.status();
      for (size_t i = 0; st.ok() && names.ok() && i < names->size(); ++i) {
        const std::string& d = (*names)[i];
        st = (*store)->Flush(d);  // replays the backed-up write-ahead log, if any
        if (!st.ok()) break;
        auto list = (*store)->List(d);
        if (!(st = list.status()).ok()) break;
        std::vector<std::string> keys;
        for (const auto& s : *list) keys.push_back(s.key);
        ReadOptions ro;
        ro.fill_cache = false;
        auto tables = (*store)->ReadMany(d, keys, ro);
        if (!(st = tables.status()).ok()) break;
        for (const auto& t : *tables) rows += t->num_rows();
        series += static_cast<int64_t>(keys.size());
        ++datasets;
      }
      for (const auto& r : (*store)->RecoveryReports())
        report->lines.push_back("timeseries " + r.dataset + ": replayed " + std::to_string(r.rows_replayed) +
                                " rows from the backed-up write-ahead log");
    }
    check(st, "every series reads (" + std::to_string(datasets) + " datasets, " + std::to_string(series) + " series, " +
                  std::to_string(rows) + " rows)");
  }
  if (!m.operational.backend.empty()) {
    int64_t checked = 0;
    std::string positions;
    auto reconcile = [&](const std::string& uri) -> Status {
      OperationalStoreOptions o;
      o.uri = uri;
      SYSTORE_ASSIGN_OR_RAISE(auto store, OperationalStore::Open(o));
      return store->Read([&](Transaction& txn) -> Status {
        SYSTORE_ASSIGN_OR_RAISE(auto rec, txn.Reconcile());
        checked = rec.positions_checked;
        if (!rec.ok())
          return Status::Corruption(std::to_string(rec.differences.size()) + " positions do not reconcile with the fills");
        SYSTORE_ASSIGN_OR_RAISE(auto pos, txn.StrategyPositions());
        for (const auto& p : pos)
          positions += " " + p.strategy + "/" + p.instrument + "=" + std::to_string(p.position);
        return Status::OK();
      });
    };
    Status st;
    if (m.operational.backend == "postgresql") {
      st = WithPgCluster(staged + "/operational/pgdata", m.operational.database, reconcile);
    } else if (m.operational.backend == "mongodb") {
      st = mongo_uri.empty() ? Status::OK() : reconcile(mongo_uri);
    } else {
      st = reconcile("sqlite://" + staged + "/" + m.operational.path);
    }
    if (m.operational.backend == "mongodb" && mongo_uri.empty())
      report->checks.push_back("ok: MongoDB dump restored as files in " + m.operational.path +
                               " (not loaded: give --ops-uri to load and check it)");
    else
      check(st, "positions reconcile with fills (" + std::to_string(checked) + " positions)");
    if (st.ok()) report->lines.push_back("operational positions:" + (positions.empty() ? std::string(" none") : positions));
  }
  if (PathExists(staged + "/reference/changelog.jsonl")) {
    ReferenceStoreOptions o;
    o.root = staged;
    o.create_if_missing = false;
    auto store = ReferenceStore::Open(o);
    Status st = store.status();
    std::string head;
    if (st.ok()) {
      auto v = (*store)->Verify();
      st = v.status();
      if (st.ok() && !v->ok)
        st = Status::Corruption("reference change log: " + (v->problems.empty() ? std::string("fails") : v->problems[0]));
      if (st.ok()) head = v->head_hash;
      auto edits = (*store)->DetectHandEdits();
      if (st.ok() && edits.ok() && !edits->empty())
        st = Status::Corruption("reference table " + (*edits)[0].file + " does not match its log (" + (*edits)[0].kind + ")");
    }
    check(st, "reference change log verifies (head " + head.substr(0, 12) + ")");
  }
}

// Process control of the live root during a restore: every process whose control is GO
// is told to STOP; the restore waits until none runs; the controls go back at the end.
class ProcessPause {
 public:
  Status Stop(const std::string& live, int64_t timeout_ms, RestoreReport* report) {
    SYSTORE_ASSIGN_OR_RAISE(OperationalLocation loc, LocateOperational(live));
    if (loc.backend.empty() || (loc.backend == "sqlite" && !PathExists(loc.path))) return Status::OK();
    OperationalStoreOptions o;
    o.uri = loc.backend == "sqlite" ? "sqlite://" + loc.path : loc.uri;
    o.actor = "systore restore";
    SYSTORE_ASSIGN_OR_RAISE(store_, OperationalStore::Open(o));
    SYSTORE_ASSIGN_OR_RAISE(auto procs, store_->Processes());
    std::string names;
    for (const auto& p : procs) {
      if (p.control != ControlStatus::kGo) continue;
      SYSTORE_RETURN_NOT_OK(SetControl(p.name, ControlStatus::kStop));
      stopped_.push_back(p.name);
      names += (names.empty() ? "" : ", ") + p.name;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      SYSTORE_ASSIGN_OR_RAISE(procs, store_->Processes());
      std::string running;
      for (const auto& p : procs)
        if (p.running && p.pid > 0 && ::kill(static_cast<pid_t>(p.pid), 0) == 0)
          running += (running.empty() ? "" : ", ") + p.name + " (pid " + std::to_string(p.pid) + ")";
      if (running.empty()) break;
      if (std::chrono::steady_clock::now() > deadline)
        return Status::Unavailable("processes still running " + std::to_string(timeout_ms / 1000) +
                                   " s after being told to stop: " + running);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!names.empty()) report->lines.push_back("process control: stopped " + names + " for the restore");
    return Status::OK();
  }
  ~ProcessPause() {
    for (const auto& name : stopped_) (void)SetControl(name, ControlStatus::kGo);
  }

 private:
  Status SetControl(const std::string& name, ControlStatus c) {
    return store_->Transact([&](Transaction& txn) { return txn.SetProcessControl(name, c); });
  }
  std::unique_ptr<OperationalStore> store_;
  std::vector<std::string> stopped_;
};

}  // namespace

Result<RestoreReport> RepositoryImpl::Restore(const RestoreOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  if (options.target.empty()) return Status::InvalidArgument("restore needs a target directory (--to DIR)");
  if (options.time && !options.backup_id.empty())
    return Status::InvalidArgument("give a backup id or a time, not both");
  if (!options.time && options.backup_id.empty()) return Status::InvalidArgument("give a backup id or --time");
  const fs::path target = fs::absolute(options.target).lexically_normal();
  std::error_code ec;
  if (fs::exists(target, ec) && (!fs::is_directory(target, ec) || !fs::is_empty(target, ec))) {
    return Status::InvalidArgument("restore target " + target.string() +
                                   " is not empty: restore into an empty or new directory (a live root is never "
                                   "written)");
  }
  std::string live;
  if (options.time) {
    if (options.live_root.empty())
      return Status::InvalidArgument("--time needs the live root (--root) whose logs roll the backup forward");
    live = fs::absolute(options.live_root).lexically_normal().string();
    if (!fs::is_directory(live)) return Status::NotFound("live root " + live + " is not a directory");
    const std::string rel = target.lexically_relative(live).generic_string();
    if (rel.empty() || rel == "." || rel.rfind("..", 0) != 0)
      return Status::InvalidArgument("the restore target " + target.string() + " is inside the live root " + live);
  }

  Manifest m;
  RestoreReport report;
  ProcessPause pause;
  if (options.stop_processes) {
    if (options.live_root.empty()) return Status::InvalidArgument("stopping processes needs the live root (--root)");
    SYSTORE_RETURN_NOT_OK(pause.Stop(fs::absolute(options.live_root).lexically_normal().string(),
                                     options.stop_timeout_ms, &report));
  }
  if (options.time) {
    SYSTORE_ASSIGN_OR_RAISE(auto manifests, Manifests());
    const Manifest* best = nullptr;
    for (const auto& c : manifests)  // a backup of another root cannot be rolled forward with this one's logs
      if (c.captured_at <= *options.time && c.root == live) best = &c;
    if (!best) {
      return Status::NotFound("no backup of " + live + " in " + uri_ + " was captured at or before " +
                              FormatTimestamp(*options.time) +
                              (manifests.empty() ? std::string(" (the repository has none)")
                                                 : " (the first was captured at " +
                                                       FormatTimestamp(manifests.front().captured_at) + ")"));
    }
    m = *best;
    report.target_time = options.time;
  } else {
    SYSTORE_ASSIGN_OR_RAISE(m, LoadManifest(options.backup_id));
  }
  report.backup_id = m.id;

  Staging staging;
  staging.path = (target.parent_path() / ("." + target.filename().string() + ".restoring-" + RandomHexId().substr(0, 8))).string();
  SYSTORE_RETURN_NOT_OK(CreateDirectories(staging.path));
  int64_t total = m.TotalBytes(), done = 0;
  for (const auto& f : m.files) {
    SYSTORE_ASSIGN_OR_RAISE(std::string bytes, ReadChecked(f));
    SYSTORE_RETURN_NOT_OK(WriteRestored(staging.path + "/" + f.path, bytes));
    done += f.size;
    ++report.files;
    if (options.progress) options.progress(done, total);
  }
  report.bytes = done;
  report.checks.push_back("ok: " + std::to_string(report.files) + " files match their SHA-256 (" +
                          std::to_string(report.bytes) + " bytes)");
  if (m.operational.backend == "mongodb") {
    if (options.time)
      return Status::NotImplemented(
          "point-in-time recovery of the MongoDB operational store is not supported: restore a backup by id");
    if (!options.operational_uri.empty()) {
      SYSTORE_ASSIGN_OR_RAISE(int64_t docs, MongoLoad(staging.path + "/" + m.operational.path, options.operational_uri));
      report.lines.push_back("operational: MongoDB dump loaded into " + options.operational_uri + " (" +
                             std::to_string(docs) + " documents)");
    }
  }
  if (m.operational.backend == "postgresql") {
    // The base backup becomes a cluster directory; with a time, it recovers from the
    // server's WAL archive up to it when it first starts (in the checks below).
    SYSTORE_RETURN_NOT_OK(PreparePgCluster(staging.path + "/" + m.operational.path, staging.path + "/operational/pgdata",
                                           options.time, options.postgres_wal_archive));
    report.lines.push_back("operational: PostgreSQL base backup (start LSN " + m.operational.position + ") unpacked into " +
                           target.string() + "/operational/pgdata" +
                           (options.time ? ", recovered from the WAL archive to the time" : "") +
                           "; start it with pg_ctl -D and point systore.yaml's operational uri at it");
  }

  if (options.time) {
    const Timestamp t = *options.time;
    std::set<std::string> datasets;
    for (const auto& [d, _] : m.datasets) datasets.insert(d);
    for (const auto& d : FindDatasets(live)) datasets.insert(d);
    for (const auto& d : datasets) SYSTORE_RETURN_NOT_OK(RollDataset(live, staging.path, d, m, t, &report));
    if (m.operational.backend == "sqlite") {
      SYSTORE_ASSIGN_OR_RAISE(OperationalLocation loc, LocateOperational(live));
      if (loc.backend != "sqlite" || !PathExists(loc.path))
        return Status::NotFound("the live root " + live + " has no SQLite operational database to roll the backup's "
                                "forward (its systore.yaml names '" + loc.backend + "' at '" + loc.path + "')");
      {
        SYSTORE_ASSIGN_OR_RAISE(auto replay, operational::ReplayPitrJournal(staging.path + "/" + m.operational.path,
                                                                            loc.path, t));
        report.lines.push_back("operational: " + std::to_string(replay.entries) + " journal entries after the backup's " +
                               std::to_string(m.operational.journal_seq) + " (now at " +
                               std::to_string(replay.last.seq) + ")");
      }
    }
    SYSTORE_RETURN_NOT_OK(RollReference(live, staging.path, m, t, &report));
  } else {
    for (const auto& [d, ds] : m.datasets)
      report.lines.push_back("timeseries " + d + ": version " + std::to_string(ds.version));
    if (m.operational.backend == "sqlite")
      report.lines.push_back("operational: sqlite copy at journal entry " + std::to_string(m.operational.journal_seq));
    report.lines.push_back("reference: version " + std::to_string(m.reference.version));
  }

  CheckRestored(staging.path, m, options.operational_uri, &report);
  if (!report.consistent()) {
    std::string first;
    for (const auto& c : report.checks)
      if (c.rfind("ok", 0) != 0 && first.empty()) first = c;
    return Status::Corruption("restored root fails its checks, nothing was left at " + target.string() + ": " + first);
  }
  // Only a restore that passed its checks appears at the target.
  if (fs::exists(target, ec)) fs::remove(target, ec);
  fs::rename(staging.path, target, ec);
  if (ec) return Status::IOError("moving the restored root to " + target.string() + ": " + ec.message());
  staging.keep = true;
  (void)FsyncPath(target.parent_path().string());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace systore::backup
