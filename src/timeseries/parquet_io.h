// Reading and writing the Parquet data files of a dataset.
//
// Files are sorted by ts and written with per-column encodings chosen for trading data:
// DELTA_BINARY_PACKED for timestamps (regular bar spacing packs to well under a byte per
// row), PLAIN for doubles (zstd then finds repeated tick-rounded prices), dictionary for
// strings (contract ids repeat), all compressed with zstd.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "systore/result.h"
#include "systore/timeseries_store.h"

namespace arrow {
class Table;
}

namespace systore {

/// Writes `table` (ts + value columns) to `path` and fsyncs it. Returns the file size.
Result<int64_t> WriteParquetFile(const std::string& path, const arrow::Table& table, const DatasetOptions& options);

/// Reads rows with start <= ts <= end of the named columns (all when `columns` is null)
/// from one file, skipping row groups whose ts statistics fall outside the range.
Result<std::shared_ptr<arrow::Table>> ReadParquetFile(const std::string& path, const std::vector<std::string>* columns,
                                                      Timestamp start, Timestamp end);

/// LRU cache of decoded data files. Data files are immutable once committed, so an entry
/// never goes stale; the path (which embeds a random id) is the cache key.
class FileCache {
 public:
  explicit FileCache(int64_t capacity_bytes) : capacity_(capacity_bytes) {}
  std::shared_ptr<arrow::Table> Get(const std::string& path);
  void Put(const std::string& path, std::shared_ptr<arrow::Table> table, int64_t bytes);
  int64_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::string path;
    std::shared_ptr<arrow::Table> table;
    int64_t bytes;
  };
  std::mutex mu_;
  int64_t capacity_;
  int64_t used_ = 0;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace systore
