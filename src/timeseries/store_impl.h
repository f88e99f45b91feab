// TimeSeriesStoreImpl: the local-disk implementation of TimeSeriesStore.
// store_open.cc: opening, datasets, snapshots, vacuum; store_write.cc: the write path;
// store_read.cc: the read path; store_wal.cc: WAL appends, flush, recovery.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "systore/timeseries_store.h"
#include "timeseries/delta_log.h"
#include "timeseries/memtable.h"
#include "timeseries/parquet_io.h"
#include "timeseries/wal.h"
#include "timeseries/writer_lock.h"

namespace systore {

class TimeSeriesStoreImpl final : public TimeSeriesStore {
 public:
  explicit TimeSeriesStoreImpl(TimeSeriesStoreOptions options);
  ~TimeSeriesStoreImpl() override;

  Status CreateDataset(const std::string& dataset, const DatasetOptions& options) override;
  Result<std::vector<std::string>> ListDatasets() override;
  Result<DatasetOptions> GetDatasetOptions(const std::string& dataset) override;

  Result<WriteResult> Write(const std::string& dataset, const std::string& key,
                            std::shared_ptr<arrow::Table> data) override;
  Result<WriteResult> Append(const std::string& dataset, const std::string& key,
                             std::shared_ptr<arrow::Table> data) override;
  Result<WriteResult> Merge(const std::string& dataset, const std::string& key, std::shared_ptr<arrow::Table> data,
                            MergeMode mode) override;
  Result<WriteResult> Delete(const std::string& dataset, const std::string& key) override;
  Result<WriteResult> DeleteRange(const std::string& dataset, const std::string& key, Timestamp start,
                                  Timestamp end) override;
  Result<std::vector<WriteResult>> Apply(const std::string& dataset, std::vector<SeriesUpdate> updates,
                                         const CommitOptions& options = {}) override;
  Status Flush(const std::string& dataset) override;
  Result<WriteResult> Compact(const std::string& dataset) override;
  std::vector<RecoveryReport> RecoveryReports() override;

  Result<std::shared_ptr<arrow::Table>> Read(const std::string& dataset, const std::string& key,
                                             const ReadOptions& options) override;
  Result<std::vector<std::shared_ptr<arrow::Table>>> ReadMany(const std::string& dataset,
                                                              const std::vector<std::string>& keys,
                                                              const ReadOptions& options) override;
  Result<std::shared_ptr<arrow::Table>> Latest(const std::string& dataset, const std::string& key, int64_t n,
                                               const ReadOptions& options) override;
  Result<std::vector<SeriesInfo>> List(const std::string& dataset, const std::string& prefix,
                                       const ReadOptions& options) override;
  Result<std::vector<VersionInfo>> Versions(const std::string& dataset, const std::string& key) override;
  TimeSeriesStats Stats() const override;
  int64_t ArchiveRetentionMs() const { return options_.wal.archive_retention_hours * 3'600'000; }
  Result<int64_t> CurrentVersion(const std::string& dataset) override;
  Result<std::shared_ptr<arrow::Table>> ReadMerged(const std::string& low_freq_dataset,
                                                   const std::string& high_freq_dataset, const std::string& key,
                                                   const ReadOptions& options) override;

  Status CreateSnapshot(const std::string& name) override;
  Result<std::vector<SnapshotInfo>> ListSnapshots() override;
  Status DeleteSnapshot(const std::string& name) override;
  Result<VacuumResult> Vacuum(const std::string& dataset, int64_t retention_ns, bool dry_run) override;

 private:
  struct Dataset {
    explicit Dataset(std::string name_, std::string dir) : name(std::move(name_)), log(std::move(dir)) {}
    const std::string name;
    DeltaLog log;
    std::mutex write_mu;                        // serialises this process's commits to the dataset
    std::mutex state_mu;                        // guards `state`, `mem`, `imm`
    std::shared_ptr<const DatasetState> state;  // latest known version (immutable)
    // Write-ahead-log tail: `imm` is being flushed, `mem` takes new appends. Rows of
    // imm precede rows of mem.
    std::shared_ptr<Memtable> mem = std::make_shared<Memtable>();
    std::shared_ptr<Memtable> imm;

    std::mutex flush_mu;               // one flush at a time
    std::mutex writer_mu;              // guards becoming the writer (lock + wal)
    std::unique_ptr<WriterLock> lock;  // held while this process writes the dataset
    std::unique_ptr<WalWriter> wal;
    std::atomic<bool> writing{false};  // this process is the writer (wal is open)
    std::once_flag recovery_once;
    std::mutex append_mu;                            // orders WAL enqueues with their last-timestamp checks
    std::map<std::string, Timestamp> last_accepted;  // per key, incl. not-yet-durable appends
    std::mutex pending_mu;
    std::map<uint64_t, std::pair<std::string, std::shared_ptr<arrow::Table>>> pending;  // seq -> rows
  };

  /// What a current read sees: a version plus the WAL tail on top of it.
  struct View {
    std::shared_ptr<const DatasetState> state;
    std::shared_ptr<Memtable> imm, mem;  // null for as-of / snapshot reads
  };

  static Status ValidateDatasetName(const std::string& dataset);
  Result<Dataset*> GetDataset(const std::string& dataset);
  /// Latest committed state; NotFound if the dataset does not exist yet.
  Result<std::shared_ptr<const DatasetState>> LatestState(Dataset* ds);
  /// State for a read: latest, a version, or a snapshot's version.
  Result<std::shared_ptr<const DatasetState>> StateForRead(const std::string& dataset, const ReadOptions& options);
  Result<std::shared_ptr<arrow::Table>> ReadFiles(const DatasetState& state, const std::vector<DataFile>& files,
                                                  const std::vector<std::string>& columns, Timestamp start,
                                                  Timestamp end, bool fill_cache = true);
  Result<std::shared_ptr<arrow::Table>> ReadFile(const DatasetState& state, const DataFile& file,
                                                 const std::vector<std::string>& columns, Timestamp start,
                                                 Timestamp end, bool fill_cache = true);
  Result<std::vector<WriteResult>> ApplyOnce(Dataset* ds, const std::string& dataset,
                                             std::vector<SeriesUpdate>& updates, const std::string& operation,
                                             uint64_t wal_seq, const std::string& user_metadata);
  /// Apply without flushing the WAL tail first (the flush itself uses it).
  Result<std::vector<WriteResult>> ApplyCommitted(Dataset* ds, std::vector<SeriesUpdate> updates,
                                                  const std::string& operation, uint64_t wal_seq,
                                                  const std::string& user_metadata = "");
  Result<View> ViewForRead(const std::string& dataset, const ReadOptions& options);
  /// The key's rows in the view's WAL tail (imm then mem), or null.
  Result<std::shared_ptr<arrow::Table>> TailOf(const View& view, const std::string& key);
  /// Makes this process the dataset's writer: lock, replay a dead writer's log, open the log.
  Status EnsureWriter(Dataset* ds);
  /// Replays the log into `ds->mem` (caller holds the lock); returns the next sequence.
  Result<uint64_t> ReplayWal(Dataset* ds);
  Status FlushDataset(Dataset* ds, bool append_mu_held);
  /// A dataset left with log segments by a dead writer gets them replayed and flushed.
  void RecoverIfAbandoned(Dataset* ds);
  Result<WriteResult> AppendThroughWal(Dataset* ds, const std::string& key, std::shared_ptr<arrow::Table> data);
  void FlushLoop();
  Result<std::map<std::string, int64_t>> SnapshotVersions(const std::string& dataset);

  TimeSeriesStoreOptions options_;
  FileCache cache_;
  std::atomic<int64_t> cold_files_read_{0}, cold_rows_read_{0};
  std::mutex datasets_mu_;
  std::map<std::string, std::unique_ptr<Dataset>> datasets_;

  std::mutex reports_mu_;
  std::vector<RecoveryReport> reports_;
  std::mutex flush_loop_mu_;
  std::condition_variable flush_loop_cv_;
  bool stopping_ = false;
  std::thread flush_thread_;
};

}  // namespace systore
