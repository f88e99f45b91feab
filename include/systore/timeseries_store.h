// TimeSeriesStore: versioned time series in partitioned Parquet with a Delta Lake log.
//
// A store root holds datasets ("prices/adjusted", "fx/spot", ...); a dataset holds
// series, each named by a key ("SOFR", "SOFR/20250300", "GBPUSD"). A dataset is one
// Delta Lake table on disk (see docs/formats/timeseries_table.md): Hive-style partitions
// key=K/year=Y (or month/day), zstd Parquet files sorted by timestamp, and a transaction
// log `_delta_log/NNNNNNNNNNNNNNNNNNNN.json` where every write is one commit = one version.
//
// Series data is exchanged as arrow::Table: a timestamp column named "ts"
// (timestamp[ns, UTC] or int64 nanoseconds) plus value columns. Values round-trip bit for
// bit. Timestamps inside one write must be strictly increasing (tick datasets:
// non-decreasing, equal ones kept in arrival order).
//
// Thread-safety: one TimeSeriesStore may be used from many threads. One process writes a
// dataset at a time: the first write takes `<dataset>/_wal/LOCK` (flock) and another
// writer gets Unavailable naming the holder's pid. Readers (any number, any process)
// always see a whole version; rows appended through the write-ahead log are visible to
// the writing process at once and to other processes after the next flush.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "systore/result.h"
#include "systore/status.h"
#include "systore/time.h"

namespace arrow {
class Table;
}

namespace systore {

/// What kind of rows a dataset holds; fixes the required columns.
enum class SeriesKind {
  kGeneric,  // any named double/int64/string columns (adjusted, multiple, FX prices, analytics)
  kOhlcv,    // OPEN, HIGH, LOW, CLOSE, VOLUME (pysystemtrade's FINAL is accepted for CLOSE)
  kTicks,    // price, size
};

/// How a dataset's files are partitioned below key=K.
enum class PartitionGranularity { kNone, kYear, kMonth, kDay };

struct DatasetOptions {
  /// Row shape; required columns are checked on every write.
  SeriesKind kind = SeriesKind::kGeneric;
  /// Daily data by year, intraday by month, ticks by day keeps files neither tiny nor huge.
  PartitionGranularity partition = PartitionGranularity::kYear;
  /// zstd level for data files (1..22). Higher compresses better and writes slower;
  /// On real adjusted prices: 9 -> 85.0% smaller than raw 8-byte columns, 15 -> 86.0%
  /// at ~4x the write time (docs/benchmarks.md).
  int zstd_level = 9;
  /// Codec of data files: zstd (at zstd_level), or lz4 (LZ4_RAW: ~30% larger, decodes
  /// ~2.5x faster; the default of tick datasets, which bars read in bulk).
  enum class Compression { kZstd, kLz4 };
  Compression compression = Compression::kZstd;
  /// A write into a partition holding fewer rows than this rewrites the partition as one
  /// file instead of adding a small file beside it (copy-on-write compaction).
  int64_t rewrite_partition_below_rows = 200'000;
  /// Rows per Parquet row group in large files.
  int64_t row_group_rows = 1 << 20;
  /// Header of the timestamp column in CSV exports (pysystemtrade writes DATETIME).
  std::string csv_index_name = "DATETIME";
  /// Stored column name -> CSV header on export, so a file imported with pysystemtrade's
  /// FINAL exports with FINAL again (stored as CLOSE).
  std::map<std::string, std::string> csv_aliases;

  /// Defaults by dataset name: names containing "tick" get kTicks, partitioned by day,
  /// lz4 (bulk volume, read whole by bars); "hourly", "intraday" or "minute" get kMonth; "contract"
  /// datasets are kOhlcv; "adjusted", "multiple" and "fx" series (read whole by
  /// backtests, a few MB each at most) get kNone; everything else kGeneric by year.
  static DatasetOptions ForName(const std::string& dataset);
};

struct TimeSeriesStoreOptions {
  /// Directory holding the datasets. Created when create_if_missing.
  std::string root;
  bool create_if_missing = true;
  /// Threads used by ReadMany (0 = number of cores).
  int read_threads = 0;
  /// Budget of the in-process cache of decoded immutable data files (0 disables it).
  int64_t file_cache_bytes = 256ll << 20;

  /// The write-ahead log that makes Append cheap and durable (docs/formats/wal.md).
  struct Wal {
    /// When false, Append writes Parquet and commits directly, like Write/Merge.
    bool enabled = true;
    /// A dataset's in-memory tail is written to Parquet (one commit) when it holds this
    /// many rows...
    int64_t flush_rows = 100'000;
    /// ...or when its oldest row has waited this long.
    int64_t flush_age_ms = 5'000;
    /// Size of each preallocated log segment.
    int64_t segment_bytes = 8ll << 20;
    /// Flush tails when the store is destroyed. Only recovery tests turn this off.
    bool flush_on_close = true;
    /// Keep flushed segments (cut to their records) in `_wal/archive/`: a point-in-time
    /// recovery replays the rows appended up to the time even when they were flushed
    /// after it. `systore backup prune --trim-journal` removes what kept backups cover;
    /// segments older than archive_retention_hours go on their own (so a root that is
    /// never backed up does not grow without end). 0 hours: no archive.
    int64_t archive_retention_hours = 7 * 24;
  } wal;
};

/// What opening a dataset's write-ahead log after a crash found.
struct RecoveryReport {
  std::string dataset;
  int64_t records_replayed = 0;
  int64_t rows_replayed = 0;
  int64_t bytes_cut = 0;   // bytes of a torn/corrupt tail that were discarded
  std::string cut_reason;  // file, offset and why; empty when the log ended cleanly
};

/// How Merge treats incoming rows relative to what is stored.
enum class MergeMode {
  kNewerOnly,  // add only rows after the last stored timestamp (pysystemtrade's default)
  kFillGaps,   // add rows at timestamps not stored yet; stored rows win on overlap
  kOverwrite,  // add new rows and replace stored rows at overlapping timestamps
};

/// What a write did. A duplicate is an incoming row identical to the stored row at its
/// timestamp; a conflict is an incoming row that differs from the stored row there
/// (replaced under kOverwrite, kept out otherwise); "ignored" rows are older than the
/// last stored row under kNewerOnly and were not stored.
struct WriteResult {
  int64_t version = -1;  // the dataset version the commit created (-1: nothing to commit)
  int64_t rows_added = 0;
  int64_t rows_duplicate = 0;
  int64_t rows_conflicting = 0;
  int64_t rows_ignored = 0;
  int64_t rows_removed = 0;
};

struct ReadOptions {
  /// Inclusive time range.
  Timestamp start = kMinTimestamp;
  Timestamp end = kMaxTimestamp;
  /// Value columns to return (ts is always returned); empty means all.
  std::vector<std::string> columns;
  /// Read the dataset as it was at this version.
  std::optional<int64_t> as_of_version;
  /// Read the dataset as pinned by this named snapshot (see CreateSnapshot).
  std::optional<std::string> snapshot;
  /// Keep the decoded files in the file cache (LevelDB's fill_cache). Bulk scans (bars
  /// over every tick) turn it off: the cache would only evict what other reads reuse.
  bool fill_cache = true;
};

struct SeriesInfo {
  std::string key;
  int64_t rows = 0;
  Timestamp first = 0;
  Timestamp last = 0;
  int64_t files = 0;
  int64_t bytes = 0;
};

struct VersionInfo {
  int64_t version = 0;
  Timestamp committed_at = 0;
  std::string operation;  // WRITE, APPEND, MERGE, DELETE, DELETE_RANGE, CREATE
  std::vector<std::string> keys;
  int64_t rows_added = 0;
  int64_t rows_removed = 0;
  /// The commit's user metadata (CommitOptions::user_metadata), "" when none.
  std::string user_metadata;
};

/// Options of one commit made by Apply.
struct CommitOptions {
  /// Free text stored with the commit as Delta Lake's commitInfo.userMetadata and returned
  /// by Versions(). The analytics engine records there what a result was computed from.
  std::string user_metadata;
};

struct SnapshotInfo {
  std::string name;
  Timestamp created_at = 0;
  std::vector<std::pair<std::string, int64_t>> dataset_versions;
};

struct VacuumResult {
  int64_t files_deleted = 0;
  int64_t bytes_deleted = 0;
  int64_t files_kept_for_retention = 0;
};

/// One series change inside an atomic multi-series commit (Apply).
struct SeriesUpdate {
  /// kMoveToCold: every data file of the key whose rows all end at or before `end` moves
  /// under the dataset's `_cold/` directory (a link to the cold location that `systore
  /// lifecycle run` sets up); reads see the same rows, older versions read until vacuum.
  enum class Op { kWrite, kAppend, kMerge, kDelete, kDeleteRange, kCompact, kMoveToCold };
  Op op = Op::kWrite;  // (kCompact is internal: Compact())
  std::string key;
  std::shared_ptr<arrow::Table> data;  // kWrite/kAppend/kMerge
  MergeMode merge_mode = MergeMode::kNewerOnly;
  Timestamp start = kMinTimestamp;  // kDeleteRange, inclusive
  Timestamp end = kMaxTimestamp;    // kDeleteRange, kMoveToCold
};

/// Counters of one store handle since it was opened.
struct TimeSeriesStats {
  int64_t cold_files_read = 0;  // data files read from the cold location (lifecycle)
  int64_t cold_rows_read = 0;
};

class TimeSeriesStore {
 public:
  /// Opens (or creates) the store at options.root. Errors: IOError when the root cannot
  /// be created or read; InvalidArgument for an empty root.
  static Result<std::unique_ptr<TimeSeriesStore>> Open(const TimeSeriesStoreOptions& options);
  virtual ~TimeSeriesStore() = default;

  /// Creates a dataset with explicit options. Writing to an unknown dataset creates it
  /// with DatasetOptions::ForName. AlreadyExists when it exists with other options.
  virtual Status CreateDataset(const std::string& dataset, const DatasetOptions& options) = 0;
  /// Datasets under the root, sorted.
  virtual Result<std::vector<std::string>> ListDatasets() = 0;
  virtual Result<DatasetOptions> GetDatasetOptions(const std::string& dataset) = 0;

  /// Replaces the whole series with `data` (one commit).
  virtual Result<WriteResult> Write(const std::string& dataset, const std::string& key,
                                    std::shared_ptr<arrow::Table> data) = 0;
  /// Adds rows strictly after the last stored timestamp; InvalidArgument otherwise
  /// (nothing is written). With the write-ahead log (default), the rows are durable in
  /// the log (fsynced, shared with concurrent appenders) and visible to this process's
  /// readers when the call returns; they reach Parquet at the next flush, and the result's
  /// version is -1. The first write to a new dataset always goes to Parquet.
  virtual Result<WriteResult> Append(const std::string& dataset, const std::string& key,
                                     std::shared_ptr<arrow::Table> data) = 0;
  /// Merges rows per `mode`, reporting added/duplicate/conflicting/ignored counts.
  virtual Result<WriteResult> Merge(const std::string& dataset, const std::string& key,
                                    std::shared_ptr<arrow::Table> data, MergeMode mode) = 0;
  /// Removes a series (its history stays readable by version until vacuumed).
  virtual Result<WriteResult> Delete(const std::string& dataset, const std::string& key) = 0;
  /// Removes the rows with start <= ts <= end.
  virtual Result<WriteResult> DeleteRange(const std::string& dataset, const std::string& key, Timestamp start,
                                          Timestamp end) = 0;
  /// Writes the dataset's in-memory tail (rows appended through the write-ahead log) to
  /// Parquet in one commit and truncates the log. Readers in other processes see rows
  /// only once flushed. Also recovers a dead writer's log. Unavailable if another
  /// process is the dataset's writer.
  virtual Status Flush(const std::string& dataset) = 0;
  /// Rewrites every partition that has more than one file as a single file (one commit).
  /// Replaced files stay for readers of older versions until Vacuum removes them.
  virtual Result<WriteResult> Compact(const std::string& dataset) = 0;
  /// Reports of write-ahead-log recoveries this store performed, oldest first.
  virtual std::vector<RecoveryReport> RecoveryReports() = 0;
  /// Applies several updates to one dataset in a single commit: all or nothing.
  /// Each key may appear at most once. A commit that would change nothing is not made.
  virtual Result<std::vector<WriteResult>> Apply(const std::string& dataset, std::vector<SeriesUpdate> updates,
                                                 const CommitOptions& options = {}) = 0;

  /// Reads a series, sorted by ts. NotFound when the series does not exist (at that version).
  virtual Result<std::shared_ptr<arrow::Table>> Read(const std::string& dataset, const std::string& key,
                                                     const ReadOptions& options = {}) = 0;
  /// Reads many series in parallel; results are in the order of `keys`.
  virtual Result<std::vector<std::shared_ptr<arrow::Table>>> ReadMany(const std::string& dataset,
                                                                      const std::vector<std::string>& keys,
                                                                      const ReadOptions& options = {}) = 0;
  /// The last `n` rows (fewer if the series is shorter), within options' time range.
  virtual Result<std::shared_ptr<arrow::Table>> Latest(const std::string& dataset, const std::string& key, int64_t n,
                                                       const ReadOptions& options = {}) = 0;
  /// Series whose key starts with `prefix`, sorted by key.
  virtual Result<std::vector<SeriesInfo>> List(const std::string& dataset, const std::string& prefix = "",
                                               const ReadOptions& options = {}) = 0;
  /// Commits of the dataset, oldest first; only those touching `key` when it is not empty.
  virtual Result<std::vector<VersionInfo>> Versions(const std::string& dataset, const std::string& key = "") = 0;
  /// pysystemtrade's merged per-contract prices: the higher-frequency series where it
  /// exists, the lower-frequency one before it. Returns the rows of `low_freq_dataset`
  /// (e.g. daily closes at 23:00) strictly before the first row of `high_freq_dataset`
  /// (e.g. hourly bars), followed by all of the latter. Either may be missing, not both.
  virtual Result<std::shared_ptr<arrow::Table>> ReadMerged(const std::string& low_freq_dataset,
                                                           const std::string& high_freq_dataset, const std::string& key,
                                                           const ReadOptions& options = {}) = 0;
  /// Current version of a dataset.
  virtual Result<int64_t> CurrentVersion(const std::string& dataset) = 0;
  virtual TimeSeriesStats Stats() const = 0;

  /// Pins the current version of every dataset under `name`. AlreadyExists if taken.
  virtual Status CreateSnapshot(const std::string& name) = 0;
  virtual Result<std::vector<SnapshotInfo>> ListSnapshots() = 0;
  virtual Status DeleteSnapshot(const std::string& name) = 0;

  /// Deletes data files no longer referenced by the current version or by a snapshot,
  /// once they have been unreferenced for at least `retention` ns (and orphan files left
  /// by interrupted writes older than that). Reads of versions older than the retention
  /// may then fail with NotFound.
  virtual Result<VacuumResult> Vacuum(const std::string& dataset, int64_t retention_ns, bool dry_run = false) = 0;
};

/// Canonical name of the timestamp column in every series table.
inline constexpr const char* kTimestampColumn = "ts";

}  // namespace systore
