// Plain arrays out of series tables, for kernels that loop over sorted timestamps.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "systore/result.h"

namespace arrow {
class Array;
class Schema;
class Table;
}  // namespace arrow

namespace systore::analytics {

/// The "ts" column (or the first timestamp column) as int64 ns since the epoch, whatever
/// its unit; InvalidArgument when there is none or it has nulls.
Result<std::vector<int64_t>> TimestampValues(const arrow::Table& table);

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

}  // namespace systore::analytics
