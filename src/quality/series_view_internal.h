// SeriesView: flat, read-only access to a series table (ts + value columns) for the
// validators, without repeating Arrow casts in each of them.
#pragma once

#include <arrow/api.h>

#include <cmath>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "systore/result.h"
#include "systore/time.h"

namespace systore::quality_internal {

class SeriesView {
 public:
  /// Empty view for a null table.
  static Result<SeriesView> Make(const std::shared_ptr<arrow::Table>& table);

  int64_t num_rows() const { return static_cast<int64_t>(ts_.size()); }
  /// The timestamps (a view into the table, which the view keeps alive).
  std::span<const Timestamp> ts() const { return ts_; }
  /// Row indices in time order (stable); the identity, without sorting, when sorted.
  std::vector<int64_t> TimeOrder() const;
  const std::vector<std::string>& names() const { return names_; }
  int num_columns() const { return static_cast<int>(names_.size()); }
  /// Index of a value column (case-sensitive), or -1.
  int Find(const std::string& name) const;
  /// Index of the first column matching any name, case-insensitive, or -1.
  int FindAnyCase(const std::vector<std::string>& names) const;
  bool IsNumeric(int c) const;
  bool IsInteger(int c) const;
  arrow::Type::type type(int c) const { return arrays_[c]->type_id(); }
  bool IsNull(int c, int64_t row) const { return arrays_[c]->IsNull(row); }
  /// Numeric value (NaN for null or non-numeric).
  double Value(int c, int64_t row) const;
  std::shared_ptr<arrow::Table> table() const { return table_; }

 private:
  std::shared_ptr<arrow::Table> table_;
  std::span<const Timestamp> ts_;
  std::vector<std::string> names_;
  std::vector<std::shared_ptr<arrow::Array>> arrays_;
};

/// Rows of `table` at `indices` (in that order), one chunk.
Result<std::shared_ptr<arrow::Table>> TakeRows(const std::shared_ptr<arrow::Table>& table,
                                               const std::vector<int64_t>& indices);

}  // namespace systore::quality_internal

namespace systore {
/// Column classification shared by validators: price columns are double columns named
/// price, open, high, low, close, final, carry, forward, bid, ask, mid (any case).
bool IsPriceColumnName(const std::string& name);
}  // namespace systore
