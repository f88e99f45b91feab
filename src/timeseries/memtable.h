// Memtable: rows that are durable in the write-ahead log but not yet in Parquet, per
// series key. Every row of a key's tail is newer than the key's last Parquet row (ticks:
// not older), so a read is "Parquet rows, then the tail". Internally synchronised.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "systore/time.h"

namespace arrow {
class Table;
}

namespace systore {

class Memtable {
 public:
  /// Adds rows (a canonical series table, newer than everything held for `key`; ticks:
  /// not older).
  void Add(const std::string& key, std::shared_ptr<arrow::Table> rows);
  /// The key's tail as one table, or null when there is none.
  std::shared_ptr<arrow::Table> Get(const std::string& key);
  /// Last timestamp held for `key`, if any.
  bool LastTimestamp(const std::string& key, Timestamp* ts);
  std::vector<std::string> Keys();
  int64_t rows();
  /// Wall-clock time of the first Add (0 when empty): drives age-based flushes.
  Timestamp first_add_time();
  /// Puts `older`'s rows in front of this memtable's (after a failed flush).
  void PrependFrom(Memtable& older);

 private:
  struct Tail {
    std::vector<std::shared_ptr<arrow::Table>> parts;
    std::shared_ptr<arrow::Table> combined;  // cache of parts, rebuilt after an Add
    int64_t rows = 0;
    Timestamp last = 0;
  };
  std::mutex mu_;
  std::map<std::string, Tail> tails_;
  std::atomic<int64_t> rows_{0};  // read without the lock on every append
  Timestamp first_add_time_ = 0;
};

}  // namespace systore
