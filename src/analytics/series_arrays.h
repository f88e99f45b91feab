// Plain arrays out of series tables, for kernels that loop over sorted timestamps.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "systore/result.h"

namespace arrow {
class Array;
class ChunkedArray;
class Schema;
class Table;
}  // namespace arrow

namespace systore::analytics {

/// The "ts" column (or the first timestamp column) as int64 ns since the epoch, whatever
/// its unit; InvalidArgument when there is none or it has nulls.
Result<std::vector<int64_t>> TimestampValues(const arrow::Table& table);

/// The ts column without a copy when it is one chunk (kept alive by the view).
class TimestampView {
 public:
  TimestampView() = default;
  TimestampView(TimestampView&&) = default;  // data_ stays valid: owned's buffer moves with it
  TimestampView& operator=(TimestampView&&) = default;
  TimestampView(const TimestampView&) = delete;  // would point into the other's `owned`
  TimestampView& operator=(const TimestampView&) = delete;
  const int64_t* begin() const { return data_; }
  const int64_t* end() const { return data_ + size_; }
  const int64_t* data() const { return data_; }
  int64_t size() const { return size_; }
  int64_t operator[](int64_t i) const { return data_[i]; }

 private:
  friend Result<TimestampView> TimestampsView(const arrow::Table& table);
  const int64_t* data_ = nullptr;
  int64_t size_ = 0;
  std::vector<int64_t> owned;                  // when the column has several chunks
  std::shared_ptr<arrow::ChunkedArray> keep;  // the column the view points into
};
Result<TimestampView> TimestampsView(const arrow::Table& table);

/// Index of the column named `name`, compared without case; -1 when absent.
int FindColumn(const arrow::Schema& schema, const std::string& name);

/// A numeric column as doubles, nulls as NaN. InvalidArgument for other types.
Result<std::vector<double>> DoubleValues(const arrow::Table& table, int column);

/// "a, b, c": the column names of a table, for error messages.
std::string ColumnList(const arrow::Schema& schema);

/// A table of ts (timestamp[ns, UTC]) plus double columns.
std::shared_ptr<arrow::Table> MakeDoubleTable(const std::vector<int64_t>& ts, const std::vector<std::string>& names,
                                              const std::vector<std::vector<double>>& columns);

/// Index of the first row whose timestamp is before the previous one, or -1.
int64_t FirstUnsortedRow(const std::vector<int64_t>& ts);
int64_t FirstUnsortedRow(const int64_t* ts, size_t n);

}  // namespace systore::analytics
