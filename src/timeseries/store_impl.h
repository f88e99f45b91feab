// TimeSeriesStoreImpl: the local-disk implementation of TimeSeriesStore.
// store_open.cc: opening, datasets, snapshots, vacuum; store_write.cc: the write path;
// store_read.cc: the read path.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "systore/timeseries_store.h"
#include "timeseries/delta_log.h"
#include "timeseries/parquet_io.h"

namespace systore {

class TimeSeriesStoreImpl final : public TimeSeriesStore {
 public:
  explicit TimeSeriesStoreImpl(TimeSeriesStoreOptions options);

  Status CreateDataset(const std::string& dataset, const DatasetOptions& options) override;
  Result<std::vector<std::string>> ListDatasets() override;
  Result<DatasetOptions> GetDatasetOptions(const std::string& dataset) override;

  Result<WriteResult> Write(const std::string& dataset, const std::string& key,
                            std::shared_ptr<arrow::Table> data) override;
  Result<WriteResult> Append(const std::string& dataset, const std::string& key,
                             std::shared_ptr<arrow::Table> data) override;
  Result<WriteResult> Merge(const std::string& dataset, const std::string& key,
                            std::shared_ptr<arrow::Table> data, MergeMode mode) override;
  Result<WriteResult> Delete(const std::string& dataset, const std::string& key) override;
  Result<WriteResult> DeleteRange(const std::string& dataset, const std::string& key,
                                  Timestamp start, Timestamp end) override;
  Result<std::vector<WriteResult>> Apply(const std::string& dataset,
                                         std::vector<SeriesUpdate> updates) override;

  Result<std::shared_ptr<arrow::Table>> Read(const std::string& dataset, const std::string& key,
                                             const ReadOptions& options) override;
  Result<std::vector<std::shared_ptr<arrow::Table>>> ReadMany(
      const std::string& dataset, const std::vector<std::string>& keys,
      const ReadOptions& options) override;
  Result<std::shared_ptr<arrow::Table>> Latest(const std::string& dataset, const std::string& key,
                                               int64_t n, const ReadOptions& options) override;
  Result<std::vector<SeriesInfo>> List(const std::string& dataset, const std::string& prefix,
                                       const ReadOptions& options) override;
  Result<std::vector<VersionInfo>> Versions(const std::string& dataset,
                                            const std::string& key) override;
  Result<int64_t> CurrentVersion(const std::string& dataset) override;
  Result<std::shared_ptr<arrow::Table>> ReadMerged(const std::string& low_freq_dataset,
                                                   const std::string& high_freq_dataset,
                                                   const std::string& key,
                                                   const ReadOptions& options) override;

  Status CreateSnapshot(const std::string& name) override;
  Result<std::vector<SnapshotInfo>> ListSnapshots() override;
  Status DeleteSnapshot(const std::string& name) override;
  Result<VacuumResult> Vacuum(const std::string& dataset, int64_t retention_ns,
                              bool dry_run) override;

 private:
  struct Dataset {
    explicit Dataset(std::string dir) : log(std::move(dir)) {}
    DeltaLog log;
    std::mutex write_mu;  // serialises this process's commits to the dataset
    std::mutex state_mu;  // guards `state`
    std::shared_ptr<const DatasetState> state;  // latest known version (immutable)
  };

  static Status ValidateDatasetName(const std::string& dataset);
  Result<Dataset*> GetDataset(const std::string& dataset);
  /// Latest committed state; NotFound if the dataset does not exist yet.
  Result<std::shared_ptr<const DatasetState>> LatestState(Dataset* ds);
  /// State for a read: latest, a version, or a snapshot's version.
  Result<std::shared_ptr<const DatasetState>> StateForRead(const std::string& dataset,
                                                           const ReadOptions& options);
  Result<std::shared_ptr<arrow::Table>> ReadFiles(const DatasetState& state,
                                                  const std::vector<DataFile>& files,
                                                  const std::vector<std::string>& columns,
                                                  Timestamp start, Timestamp end);
  Result<std::shared_ptr<arrow::Table>> ReadFile(const DatasetState& state, const DataFile& file,
                                                 const std::vector<std::string>& columns,
                                                 Timestamp start, Timestamp end);
  Result<std::vector<WriteResult>> ApplyOnce(Dataset* ds, const std::string& dataset,
                                             std::vector<SeriesUpdate>& updates,
                                             const std::string& operation);
  Result<std::map<std::string, int64_t>> SnapshotVersions(const std::string& dataset);

  TimeSeriesStoreOptions options_;
  FileCache cache_;
  std::mutex datasets_mu_;
  std::map<std::string, std::unique_ptr<Dataset>> datasets_;
};

}  // namespace systore
