// The dataset transaction log, following the Delta Lake protocol (reader v1, writer v2).
//
//   <dataset>/_delta_log/00000000000000000000.json   protocol + metaData (version 0)
//   <dataset>/_delta_log/00000000000000000001.json   add/remove/commitInfo (version 1)
//   ...
//
// Each file is one commit: newline-delimited JSON actions. A commit file is created with
// create-if-absent semantics (temp file + fsync + link), so exactly one writer wins a
// version and a crash before the link leaves the previous version intact. Data files are
// written and fsynced before their commit. See docs/formats/timeseries_table.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "systore/result.h"
#include "systore/timeseries_store.h"

namespace systore {

/// Number of digits in a commit file name; pinned by the Delta protocol.
inline constexpr int kDeltaVersionDigits = 20;
static_assert(kDeltaVersionDigits == 20, "Delta log file names have 20 digits");

/// Data files the lifecycle moved to the cold location live under this directory of the
/// dataset (a link to `<cold_root>/<dataset>`), at their old relative path.
inline constexpr const char* kColdDirectory = "_cold/";

/// A value column of a dataset schema.
struct SeriesColumnSpec {
  std::string name;
  std::string type;  // "double", "long" or "string"
  bool operator==(const SeriesColumnSpec&) const = default;
};

struct DatasetMeta {
  std::string table_id;
  DatasetOptions options;
  std::vector<SeriesColumnSpec> columns;  // value columns, in order (ts is implicit)
};

/// A live data file of a series.
struct DataFile {
  std::string path;  // relative to the dataset directory, as on disk
  std::string key;
  std::string partition;  // partition value ("2024"), "" when unpartitioned
  int64_t rows = 0;
  int64_t size = 0;
  Timestamp min_ts = 0;
  Timestamp max_ts = 0;
  int64_t modification_time_ms = 0;
};

/// The table as of one version: what readers need, built by replaying the log.
struct DatasetState {
  int64_t version = -1;          // -1: dataset does not exist
  std::string dir;               // the dataset directory (data file paths are relative to it)
  uint64_t wal_flushed_seq = 0;  // every write-ahead-log record <= this is in Parquet
  DatasetMeta meta;
  /// Live files per key, sorted by min_ts; files of one key never overlap in time.
  std::map<std::string, std::vector<DataFile>> files;
  /// Removed file path -> deletion time (ms), for vacuum.
  std::map<std::string, int64_t> tombstones;
};

/// One commit to write: files added and removed, plus what it did.
struct CommitPlan {
  std::string operation;  // WRITE, APPEND, MERGE, DELETE, DELETE_RANGE, CREATE
  std::vector<DataFile> adds;
  std::vector<DataFile> removes;
  std::vector<std::string> keys;
  int64_t rows_added = 0;
  int64_t rows_removed = 0;
  std::optional<DatasetMeta> new_meta;       // version 0 (and schema changes)
  const DatasetMeta* layout_meta = nullptr;  // current metadata (partition columns)
  uint64_t wal_flushed_seq = 0;              // set by a flush: log records up to here are in this commit
  std::string user_metadata;                 // commitInfo.userMetadata when not empty
};

class DeltaLog {
 public:
  explicit DeltaLog(std::string dataset_dir);

  const std::string& dataset_dir() const { return dir_; }
  std::string log_dir() const { return dir_ + "/_delta_log"; }
  static std::string CommitFileName(int64_t version);

  /// Brings `state` up to `max_version` (or the latest) by reading the commits after
  /// state->version. NotFound if the dataset has no log; Corruption naming the file and
  /// line for an unreadable commit.
  Status Refresh(DatasetState* state, std::optional<int64_t> max_version = std::nullopt) const;

  /// Every this many versions the writer saves the replayed state as a checkpoint, so that
  /// opening a dataset with a long history reads one file plus the commits after it.
  static constexpr int64_t kCheckpointInterval = 100;
  /// Writes `<dataset>/_systore/checkpoint-<version>.json` (systore's own; Delta readers
  /// ignore it and replay the JSON commits).
  Status WriteCheckpoint(const DatasetState& state) const;

  /// True if a commit newer than `version` exists (one stat call).
  bool HasNewerThan(int64_t version) const;

  /// Writes `plan` as version `version`. Conflict if that version already exists.
  Status Commit(int64_t version, const CommitPlan& plan) const;

  /// commitInfo of every commit, oldest first.
  Result<std::vector<VersionInfo>> History() const;

 private:
  Status ApplyCommit(int64_t version, const std::string& text, DatasetState* state) const;
  /// Loads the newest checkpoint at or below `max_version` into a fresh state, if any.
  Status LoadCheckpoint(DatasetState* state, std::optional<int64_t> max_version) const;

  std::string dir_;
};

}  // namespace systore
