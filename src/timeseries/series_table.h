// Series tables in memory: the canonical shape (ts first, timestamp[ns, UTC], strictly
// increasing, value columns in dataset order) and the operations writes are built from.
#pragma once

#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "systore/result.h"
#include "systore/timeseries_store.h"
#include "timeseries/delta_log.h"

namespace arrow {
class DataType;
class Schema;
class Table;
}  // namespace arrow

namespace systore {

/// timestamp[ns, tz=UTC].
std::shared_ptr<arrow::DataType> TimestampType();

/// Initialises Arrow's compute module once per process.
void EnsureArrowCompute();

/// Arrow schema of a dataset's files: ts then the value columns.
std::shared_ptr<arrow::Schema> SeriesSchema(const std::vector<SeriesColumnSpec>& columns);

/// Brings a caller's table into canonical shape. `columns` is the dataset's schema, or
/// empty for a new dataset, in which case it is filled from the table. Errors name the
/// row and column (InvalidArgument): missing/extra columns, wrong types, null or
/// non-increasing timestamps (ticks: decreasing; equal ones are kept in order).
Result<std::shared_ptr<arrow::Table>> NormalizeSeries(std::shared_ptr<arrow::Table> table, SeriesKind kind,
                                                      std::vector<SeriesColumnSpec>* columns);

/// Rows with start <= ts <= end of a ts-sorted table (zero-copy slice).
Result<std::shared_ptr<arrow::Table>> SliceByTime(const std::shared_ptr<arrow::Table>& table, Timestamp start,
                                                  Timestamp end);

/// Timestamps of a canonical table, copied out of its chunks.
std::vector<Timestamp> TimestampsOf(const arrow::Table& table);

/// Concatenates tables with the same schema (or returns an empty table of `schema`).
Result<std::shared_ptr<arrow::Table>> ConcatTables(const std::vector<std::shared_ptr<arrow::Table>>& tables,
                                                   const std::shared_ptr<arrow::Schema>& schema);

/// Merges `incoming` into `existing` (both canonical, same schema) per `mode`, counting
/// added/duplicate/conflicting/ignored rows (see WriteResult). Ticks (equal timestamps
/// allowed) merge per timestamp group; see MergeTicks in series_table.cc. For ticks under
/// kOverwrite, `replace_range` is the whole incoming time range (the incoming table may
/// be one partition's part of it); default: incoming's own first..last.
struct MergeOutcome {
  std::shared_ptr<arrow::Table> table;
  int64_t added = 0, duplicate = 0, conflicting = 0, ignored = 0;
};
Result<MergeOutcome> MergeSeries(const std::shared_ptr<arrow::Table>& existing,
                                 const std::shared_ptr<arrow::Table>& incoming, MergeMode mode,
                                 SeriesKind kind = SeriesKind::kGeneric,
                                 std::optional<std::pair<Timestamp, Timestamp>> replace_range = std::nullopt);

/// Keeps rows outside [start, end].
Result<std::shared_ptr<arrow::Table>> RemoveTimeRange(const std::shared_ptr<arrow::Table>& table, Timestamp start,
                                                      Timestamp end);

/// Selects ts plus `columns` (all when empty). InvalidArgument naming an unknown column.
Result<std::shared_ptr<arrow::Table>> ProjectColumns(const std::shared_ptr<arrow::Table>& table,
                                                     const std::vector<std::string>& columns);

}  // namespace systore
