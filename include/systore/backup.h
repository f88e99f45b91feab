// Backups, restores and point-in-time recovery of a whole store root: time series,
// operational and reference data (and the root's configuration) in one manifest.
//
//   auto repo = BackupRepository::Open("/backups/systore");       // or "s3://bucket/prefix"
//   auto info = (*repo)->Create({.root = "/data/systore", .label = "eod"});
//   auto report = (*repo)->Verify();                               // every checksum
//   (*repo)->Restore({.backup_id = info->id, .target = "/restore/x"});
//   (*repo)->Restore({.time = t, .live_root = "/data/systore", .target = "/restore/y"});
//
// A repository is content-addressed: objects/<sha256[0:2]>/<sha256> hold file contents,
// backups/<id>.json the manifests (docs/formats/backup_manifest.md), written last so a
// half-written backup is never listed. See docs/backup-and-recovery.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "systore/result.h"
#include "systore/time.h"

namespace systore {

/// Called with (bytes done, bytes in total) while a backup or restore copies data.
using BackupProgress = std::function<void(int64_t done, int64_t total)>;

struct BackupCreateOptions {
  /// The live store root to back up (its systore.yaml says where the operational store is).
  std::string root;
  /// Free text kept in the manifest (`backup list` shows it).
  std::string label;
  /// "local" or "offsite": recorded in the manifest (the repository URI decides where).
  std::string tier = "local";
  BackupProgress progress;
};

/// One backup, as its manifest records it.
struct BackupInfo {
  std::string id;
  std::string label;
  std::string tier;
  /// When the capture started and when every store had been captured: the restored state
  /// is each store as of a moment in [started_at, captured_at].
  Timestamp started_at = 0;
  Timestamp captured_at = 0;
  int64_t files = 0;  // files the backup restores
  int64_t bytes = 0;
  /// What this backup added to the repository (files already there are not copied again).
  int64_t files_copied = 0;
  int64_t bytes_copied = 0;
  int64_t datasets = 0;
  double seconds = 0;
};

struct BackupProblem {
  std::string backup_id;
  std::string path;    // the file in the backed-up root ("" for the manifest itself)
  std::string object;  // the repository object
  std::string problem;
};

struct BackupVerifyReport {
  int64_t backups = 0;
  int64_t files_checked = 0;
  int64_t bytes_checked = 0;
  std::vector<BackupProblem> problems;
  bool ok() const { return problems.empty(); }
};

struct BackupPruneOptions {
  /// Keep the newest backup of each of the last N days / ISO weeks / months (UTC) that
  /// have one (grandfather-father-son). A backup kept by any rule stays.
  int keep_daily = 7;
  int keep_weekly = 4;
  int keep_monthly = 12;
  bool dry_run = false;
  /// Objects no backup lists are removed only when older than this: a backup running
  /// meanwhile has uploaded objects its manifest does not list yet.
  int64_t orphan_grace_s = 6 * 3600;
  /// When set: also trim that live root's SQLite point-in-time journal and its datasets'
  /// archived WAL segments of what the oldest kept backup of it already contains (a
  /// point-in-time recovery needs only what follows a backup).
  std::string live_root;
};

struct BackupPruneResult {
  std::vector<std::string> kept;
  std::vector<std::string> removed;
  int64_t objects_removed = 0;  // objects no kept backup needs (orphans of killed backups too)
  int64_t bytes_removed = 0;
  int64_t orphans_kept = 0;  // unlisted objects younger than orphan_grace_s
  int64_t journal_entries_trimmed = 0;
  int64_t wal_segments_trimmed = 0;  // archived WAL segments of the live root's datasets
};

struct RestoreOptions {
  /// Restore this backup ...
  std::string backup_id;
  /// ... or every store as it was at this instant (UTC ns): the newest backup captured at
  /// or before it, rolled forward with the logs the live root has kept since.
  std::optional<Timestamp> time;
  /// The live root whose logs roll a backup forward (needed with `time`; never written).
  std::string live_root;
  /// An empty (or missing) directory; a non-empty one is refused.
  std::string target;
  /// PostgreSQL operational store, with `time`: the directory the server's
  /// archive_command copies WAL segments into (replayed up to `time`).
  std::string postgres_wal_archive;
  /// MongoDB operational store: load the backed-up dump into this empty database (a
  /// mongodb:// URI) and check it there; without it the dump is restored as files.
  std::string operational_uri;
  /// With live_root: tell the live root's trading processes to stop first (process
  /// control STOP), wait until none is running (or its pid is gone), and give each its
  /// control back when the restore ends.
  bool stop_processes = false;
  int64_t stop_timeout_ms = 60'000;
  BackupProgress progress;
};

struct RestoreReport {
  std::string backup_id;
  std::optional<Timestamp> target_time;
  int64_t files = 0;
  int64_t bytes = 0;
  /// Per store: what was restored and to which version ("prices/adjusted: version 12").
  std::vector<std::string> lines;
  /// Consistency checks run on the restored root, each "ok: ..." or "FAILED: ...".
  std::vector<std::string> checks;
  double seconds = 0;
  bool consistent() const;
};

class BackupRepository {
 public:
  /// A directory (created when missing) or s3://bucket/prefix (Arrow's S3 filesystem; the
  /// endpoint and credentials come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
  /// AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP or the URI's query options).
  static Result<std::unique_ptr<BackupRepository>> Open(const std::string& uri);
  virtual ~BackupRepository() = default;

  virtual const std::string& uri() const = 0;
  /// Backs up every store of options.root at one consistent point while writers run.
  virtual Result<BackupInfo> Create(const BackupCreateOptions& options) = 0;
  /// Complete backups, oldest first.
  virtual Result<std::vector<BackupInfo>> List() = 0;
  /// Reads every object of one backup (all when id is empty) and checks size and SHA-256.
  virtual Result<BackupVerifyReport> Verify(const std::string& id = "") = 0;
  /// Removes backups no rule keeps, then every object no remaining backup needs.
  virtual Result<BackupPruneResult> Prune(const BackupPruneOptions& options) = 0;
  /// Restores a backup, or the state at a time, into an empty directory, then checks it.
  virtual Result<RestoreReport> Restore(const RestoreOptions& options) = 0;
};

}  // namespace systore
