// Bars from ticks or finer bars (docs/analytics.md#bars).
#include <arrow/api.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "analytics/bar_builder.h"
#include "analytics/series_arrays.h"
#include "core/parallel.h"
#include "systore/timeseries_store.h"

namespace systore::analytics {

int64_t BarBuilder::BinStart(int64_t t) const {
  const int64_t d = t - options_.origin;
  int64_t q = d / options_.interval;
  if (d % options_.interval < 0) --q;  // floor for times before the origin
  return options_.origin + q * options_.interval;
}

Status BarBuilder::AddTicks(const int64_t* ts, const double* price, const double* size, int64_t n) {
  if (n == 0) return Status::OK();
  if (rows_in_ == 0) first_ts_ = ts[0];
  const int64_t interval = options_.interval;
  // The bar being filled lives in locals; it is written back when its bin ends.
  bool have = !ts_.empty();
  int64_t start = have ? ts_.back() : 0;
  int64_t end = have ? start + interval : INT64_MIN;
  double o = have ? open_.back() : 0, h = have ? high_.back() : 0, l = have ? low_.back() : 0;
  double c = have ? close_.back() : 0, v = have ? volume_.back() : 0, pv = have ? pv_.back() : 0;
  int64_t cnt = have ? count_.back() : 0;
  int64_t prev = last_ts_;
  auto store = [&] {
    ts_.back() = start;
    open_.back() = o;
    high_.back() = h;
    low_.back() = l;
    close_.back() = c;
    volume_.back() = v;
    pv_.back() = pv;
    count_.back() = cnt;
  };
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = ts[i];
    if (t < prev) {
      if (have) store();
      return Status::InvalidArgument("row " + std::to_string(row_base_ + rows_in_ + i) + ": timestamp " +
                                     FormatTimestamp(t) + " is before the previous row's " + FormatTimestamp(prev) +
                                     " (bars need rows sorted by time)");
    }
    prev = t;
    const double p = price[i];
    if (std::isnan(p)) continue;  // a trade without a price is skipped, size included
    const double s = size ? size[i] : 0.0;
    if (t >= end) {
      if (have) store();
      start = BinStart(t);
      end = start + interval;
      ts_.push_back(start);
      open_.push_back(0);
      high_.push_back(0);
      low_.push_back(0);
      close_.push_back(0);
      volume_.push_back(0);
      pv_.push_back(0);
      count_.push_back(0);
      have = true;
      o = h = l = c = p;
      v = 0;
      pv = 0;
      cnt = 0;
    }
    if (p > h) h = p;
    if (p < l) l = p;
    c = p;
    if (!std::isnan(s)) {  // pandas' sum skips NaN
      v += s;
      pv += p * s;
    }
    ++cnt;
  }
  if (have) store();
  last_ts_ = prev;
  rows_in_ += n;
  return Status::OK();
}

Status BarBuilder::AddBars(const int64_t* ts, const double* open, const double* high, const double* low,
                           const double* close, const double* volume, const double* count, const double* vwap,
                           int64_t n) {
  if (rows_in_ == 0 && n > 0) first_ts_ = ts[0];
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = ts[i];
    if (t < last_ts_) {
      return Status::InvalidArgument("row " + std::to_string(row_base_ + rows_in_ + i) + ": timestamp " +
                                     FormatTimestamp(t) + " is before the previous row's " + FormatTimestamp(last_ts_) +
                                     " (bars need rows sorted by time)");
    }
    last_ts_ = t;
    const double c = close[i];
    if (std::isnan(c)) continue;
    const double o = std::isnan(open[i]) ? c : open[i];
    const double h = std::isnan(high[i]) ? std::max(o, c) : high[i];
    const double l = std::isnan(low[i]) ? std::min(o, c) : low[i];
    const double v = volume && !std::isnan(volume[i]) ? volume[i] : 0.0;
    const int64_t k = count && !std::isnan(count[i]) ? static_cast<int64_t>(count[i]) : 1;
    const double pv = vwap ? vwap[i] * v : std::numeric_limits<double>::quiet_NaN();
    const int64_t start = BinStart(t);
    if (ts_.empty() || ts_.back() != start) {
      ts_.push_back(start);
      open_.push_back(o);
      high_.push_back(h);
      low_.push_back(l);
      close_.push_back(c);
      volume_.push_back(v);
      pv_.push_back(v == 0 ? 0.0 : pv);
      count_.push_back(k);
      continue;
    }
    high_.back() = std::max(high_.back(), h);
    low_.back() = std::min(low_.back(), l);
    close_.back() = c;
    volume_.back() += v;
    if (v != 0) pv_.back() += pv;
    count_.back() += k;
  }
  rows_in_ += n;
  return Status::OK();
}

Status BarBuilder::AddTable(const arrow::Table& table) {
  const arrow::Schema& schema = *table.schema();
  SYSTORE_ASSIGN_OR_RAISE(std::vector<int64_t> ts, TimestampValues(table));
  auto column = [&](int idx) { return DoubleValues(table, idx); };
  const int price = FindColumn(schema, "price");
  int close = FindColumn(schema, "close");
  if (close < 0) close = FindColumn(schema, "FINAL");
  if (price >= 0) {
    SYSTORE_ASSIGN_OR_RAISE(auto p, column(price));
    const int size_idx = FindColumn(schema, "size");
    std::vector<double> s;
    if (size_idx >= 0) {
      SYSTORE_ASSIGN_OR_RAISE(s, column(size_idx));
    }
    return AddTicks(ts.data(), p.data(), size_idx >= 0 ? s.data() : nullptr, static_cast<int64_t>(ts.size()));
  }
  if (close < 0) {
    return Status::InvalidArgument("source has no 'price' column (ticks) and no 'close' column (bars); it has: " +
                                   ColumnList(schema));
  }
  std::vector<std::vector<double>> cols(7);
  const char* names[] = {"open", "high", "low", "close", "volume", "count", "vwap"};
  for (int k = 0; k < 7; ++k) {
    int idx = k == 3 ? close : FindColumn(schema, names[k]);
    if (idx < 0) {
      if (k < 3) {
        return Status::InvalidArgument(std::string("bars source has no '") + names[k] +
                                       "' column; it has: " + ColumnList(schema));
      }
      continue;
    }
    SYSTORE_ASSIGN_OR_RAISE(cols[k], column(idx));
  }
  auto ptr = [&](int k) { return cols[k].empty() && ts.size() > 0 ? nullptr : cols[k].data(); };
  return AddBars(ts.data(), cols[0].data(), cols[1].data(), cols[2].data(), cols[3].data(), ptr(4), ptr(5), ptr(6),
                 static_cast<int64_t>(ts.size()));
}

void BarBuilder::Append(BarBuilder&& next) {
  if (rows_in_ == 0) first_ts_ = next.first_ts_;
  rows_in_ += next.rows_in_;
  last_ts_ = std::max(last_ts_, next.last_ts_);
  if (next.ts_.empty()) return;
  size_t from = 0;
  if (!ts_.empty() && ts_.back() == next.ts_.front()) {
    high_.back() = std::max(high_.back(), next.high_[0]);
    low_.back() = std::min(low_.back(), next.low_[0]);
    close_.back() = next.close_[0];
    volume_.back() += next.volume_[0];
    pv_.back() += next.pv_[0];
    count_.back() += next.count_[0];
    from = 1;
  }
  auto tail = [from](auto& dst, auto& src) { dst.insert(dst.end(), src.begin() + from, src.end()); };
  tail(ts_, next.ts_);
  tail(open_, next.open_);
  tail(high_, next.high_);
  tail(low_, next.low_);
  tail(close_, next.close_);
  tail(volume_, next.volume_);
  tail(pv_, next.pv_);
  tail(count_, next.count_);
}

std::shared_ptr<arrow::Table> BarBuilder::ToTable() const {
  const int64_t n = static_cast<int64_t>(ts_.size());
  std::vector<double> vwap(n);
  for (int64_t i = 0; i < n; ++i) vwap[i] = pv_[i] / volume_[i];  // 0/0 = NaN, as pandas
  auto t = MakeDoubleTable(ts_, {"open", "high", "low", "close", "volume"}, {open_, high_, low_, close_, volume_});
  auto counts = std::make_shared<arrow::Int64Array>(n, arrow::Buffer::FromVector(count_));
  auto vw = std::make_shared<arrow::DoubleArray>(n, arrow::Buffer::FromVector(std::move(vwap)));
  t = t->AddColumn(6, arrow::field("count", arrow::int64()), std::make_shared<arrow::ChunkedArray>(counts))
          .ValueOrDie();
  t = t->AddColumn(7, arrow::field("vwap", arrow::float64()), std::make_shared<arrow::ChunkedArray>(vw)).ValueOrDie();
  return t;
}

}  // namespace systore::analytics

namespace systore {

Result<std::shared_ptr<arrow::Table>> ComputeBars(const arrow::Table& series, const BarOptions& options) {
  if (options.interval <= 0) return Status::InvalidArgument("interval must be positive");
  const int64_t n = series.num_rows();
  // Long series are split in two halves computed on both cores; bars combine exactly.
  constexpr int64_t kSplitRows = 4'000'000;
  const int parts = n >= kSplitRows ? 2 : 1;
  // The split falls on a bin boundary, so that no bin's sums are added in another order
  // than one pass would add them: results do not depend on the number of threads.
  std::vector<int64_t> bounds{0};
  int parts_found = 1;
  if (parts == 2) {
    const int64_t mid = n / 2;
    auto window = series.Slice(mid - 1, 1 << 16);
    SYSTORE_ASSIGN_OR_RAISE(auto ts, analytics::TimestampValues(*window));
    analytics::BarBuilder probe(options);
    for (size_t i = 1; i < ts.size(); ++i) {
      if (probe.BinOf(ts[i]) != probe.BinOf(ts[0])) {
        bounds.push_back(mid - 1 + static_cast<int64_t>(i));
        parts_found = 2;
        break;
      }
    }
  }
  bounds.push_back(n);
  const int parts_used = parts_found;
  std::vector<analytics::BarBuilder> builders;
  for (int p = 0; p < parts_used; ++p) builders.emplace_back(options, bounds[p]);
  SYSTORE_RETURN_NOT_OK(ParallelFor(parts_used, parts_used, [&](int p) {
    return builders[p].AddTable(*series.Slice(bounds[p], bounds[p + 1] - bounds[p]));
  }));
  for (int p = 1; p < parts_used; ++p) {
    // Each half checked its own order; the seam is checked here.
    if (builders[p].rows_in() > 0 && builders[0].last_ts() > builders[p].first_ts()) {
      return Status::InvalidArgument("row " + std::to_string(bounds[p]) + ": timestamp " +
                                     FormatTimestamp(builders[p].first_ts()) + " is before the previous row's " +
                                     FormatTimestamp(builders[0].last_ts()) + " (bars need rows sorted by time)");
    }
    builders[0].Append(std::move(builders[p]));
  }
  return builders[0].ToTable();
}

}  // namespace systore
