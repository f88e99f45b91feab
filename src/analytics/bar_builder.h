// BarBuilder: OHLCV bars accumulated from ticks or finer bars, one pass over sorted
// timestamps. Partial results of adjacent row ranges combine exactly (Append), which is
// how a long series is split across threads and streamed partition by partition.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "systore/analytics.h"
#include "systore/status.h"

namespace systore::analytics {

class BarBuilder {
 public:
  /// `row_base` is the row number of the first row added, for error messages.
  explicit BarBuilder(const BarOptions& options, int64_t row_base = 0) : options_(options), row_base_(row_base) {}

  /// Adds a table of ticks (price[, size]) or bars (open, high, low, close[, volume,
  /// count, vwap]); its rows must not be before the rows added so far.
  Status AddTable(const arrow::Table& table);
  /// Adds the bars of the range that follows this builder's (a bin may straddle both).
  void Append(BarBuilder&& next);
  /// Label of the last (possibly still growing) bar, or INT64_MIN when empty.
  int64_t last_label() const { return ts_.empty() ? INT64_MIN : ts_.back(); }
  int64_t rows_in() const { return rows_in_; }
  int64_t first_ts() const { return first_ts_; }
  int64_t last_ts() const { return last_ts_; }
  int64_t size() const { return static_cast<int64_t>(ts_.size()); }
  /// Columns ts, open, high, low, close, volume, count (int64), vwap.
  std::shared_ptr<arrow::Table> ToTable() const;

  /// Left edge of the bin holding `t`.
  int64_t BinOf(int64_t t) const { return BinStart(t); }

  /// Low-level entry points (n rows; size may be null).
  Status AddTicks(const int64_t* ts, const double* price, const double* size, int64_t n);
  Status AddBars(const int64_t* ts, const double* open, const double* high, const double* low, const double* close,
                 const double* volume, const double* count, const double* vwap, int64_t n);

 private:
  int64_t BinStart(int64_t t) const;

  BarOptions options_;
  int64_t row_base_ = 0;
  int64_t first_ts_ = INT64_MAX;
  int64_t last_ts_ = INT64_MIN;
  int64_t rows_in_ = 0;
  std::vector<int64_t> ts_;
  std::vector<double> open_, high_, low_, close_, volume_, pv_;
  std::vector<int64_t> count_;
};

}  // namespace systore::analytics
