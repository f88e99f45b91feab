// pysystemtrade's estimators: business-day closes, mixed_vol_calc, ewmac
// (docs/analytics.md#volatility). Each step follows pysystemtrade's pandas code.
#include <arrow/api.h>

#include <cmath>
#include <limits>

#include "analytics/daily_prices.h"
#include "analytics/ewm.h"
#include "analytics/series_arrays.h"
#include "systore/analytics.h"
#include "systore/timeseries_store.h"

namespace systore {

namespace analytics {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kBusinessDaysInYear = 256;  // syscore.dateutils.BUSINESS_DAYS_IN_YEAR

int64_t DayOf(int64_t t) {
  int64_t d = t / kNanosPerDay;
  if (t % kNanosPerDay < 0) --d;
  return d;
}

// 1970-01-01 was a Thursday.
int Weekday(int64_t day) { return static_cast<int>(((day + 3) % 7 + 7) % 7); }

namespace {

Result<int> PriceColumn(const arrow::Table& table, const std::string& wanted) {
  const arrow::Schema& schema = *table.schema();
  if (!wanted.empty()) {
    int idx = FindColumn(schema, wanted);
    if (idx < 0) {
      return Status::InvalidArgument("source has no column '" + wanted + "'; it has: " + ColumnList(schema));
    }
    return idx;
  }
  for (const char* name : {"price", "close", "FINAL"}) {
    int idx = FindColumn(schema, name);
    if (idx >= 0) return idx;
  }
  int found = -1;
  for (int i = 0; i < schema.num_fields(); ++i) {
    if (schema.field(i)->name() == kTimestampColumn) continue;
    if (schema.field(i)->type()->id() != arrow::Type::DOUBLE) continue;
    if (found >= 0) {
      return Status::InvalidArgument("source has several price columns (" + ColumnList(schema) +
                                     "); name one (--column)");
    }
    found = i;
  }
  if (found < 0) {
    return Status::InvalidArgument(
        "source has no price column (price, close, FINAL or a single double column); it has: " +
        ColumnList(schema));
  }
  return found;
}

}  // namespace

// Weekend rows fall in the Friday before.
Result<DailySeries> ToBusinessDays(const arrow::Table& table, const std::string& column) {
  SYSTORE_ASSIGN_OR_RAISE(int col, PriceColumn(table, column));
  SYSTORE_ASSIGN_OR_RAISE(auto ts, TimestampValues(table));
  int64_t bad = FirstUnsortedRow(ts);
  if (bad >= 0) {
    return Status::InvalidArgument("row " + std::to_string(bad) + ": timestamp " + FormatTimestamp(ts[bad]) +
                                   " is before the previous row's (prices must be sorted by time)");
  }
  SYSTORE_ASSIGN_OR_RAISE(auto px, DoubleValues(table, col));
  DailySeries out;
  if (ts.empty()) return out;
  auto business_day = [](int64_t t) {
    int64_t d = DayOf(t);
    int wd = Weekday(d);
    return wd >= 5 ? d - (wd - 4) : d;
  };
  const int64_t first = business_day(ts.front());
  const int64_t last = business_day(ts.back());
  // Business days first..last: 5 per full week.
  for (int64_t d = first; d <= last; ++d) {
    if (Weekday(d) >= 5) continue;
    out.ts.push_back(d * kNanosPerDay);
  }
  out.price.assign(out.ts.size(), kNaN);
  size_t pos = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const int64_t at = business_day(ts[i]) * kNanosPerDay;
    while (out.ts[pos] < at) ++pos;
    if (!std::isnan(px[i])) out.price[pos] = px[i];  // last() skips NaN
  }
  return out;
}

void ForwardFill(std::vector<double>* x) {
  double last = kNaN;
  for (auto& v : *x) {
    if (std::isnan(v)) {
      v = last;
    } else {
      last = v;
    }
  }
}

std::vector<double> MixedVol(const std::vector<double>& price, const VolatilityOptions& o) {
  const size_t n = price.size();
  std::vector<double> returns(n, kNaN);
  for (size_t i = 1; i < n; ++i) returns[i] = price[i] - price[i - 1];
  std::vector<double> vol = EwmStd(returns, ComFromSpan(o.days), o.min_periods);
  const double slow_vol_days = static_cast<double>(o.slow_vol_years * kBusinessDaysInYear);
  std::vector<double> long_vol = EwmMean(vol, ComFromSpan(slow_vol_days), 0);
  const double p = o.proportion_of_slow_vol;
  for (size_t i = 0; i < n; ++i) {
    double v = long_vol[i] * p + vol[i] * (1 - p);
    if (v < o.vol_abs_min) v = o.vol_abs_min;  // apply_min_vol (NaN stays NaN)
    vol[i] = v;
  }
  if (o.backfill) {  // ffill, then bfill the start
    ForwardFill(&vol);
    double first = kNaN;
    for (double v : vol)
      if (!std::isnan(v)) {
        first = v;
        break;
      }
    for (auto& v : vol) {
      if (!std::isnan(v)) break;
      v = first;
    }
  }
  return vol;
}

Status CheckVolatilityOptions(const VolatilityOptions& o) {
  if (o.days < 1) return Status::InvalidArgument("volatility days must be >= 1, got " + std::to_string(o.days));
  if (o.min_periods < 0) return Status::InvalidArgument("volatility min_periods must be >= 0");
  if (o.slow_vol_years < 1) return Status::InvalidArgument("slow_vol_years must be >= 1");
  if (!(o.proportion_of_slow_vol >= 0 && o.proportion_of_slow_vol <= 1)) {
    return Status::InvalidArgument("proportion_of_slow_vol must be within [0, 1]");
  }
  return Status::OK();
}

}  // namespace analytics

namespace {

using analytics::DailySeries;

/// Rows from the first position where any column is defined.
std::shared_ptr<arrow::Table> FromFirstValue(const std::vector<int64_t>& ts, const std::vector<std::string>& names,
                                             std::vector<std::vector<double>> cols) {
  size_t start = ts.size();
  for (const auto& c : cols)
    for (size_t i = 0; i < c.size() && i < start; ++i)
      if (!std::isnan(c[i])) {
        start = i;
        break;
      }
  std::vector<int64_t> t(ts.begin() + start, ts.end());
  for (auto& c : cols) c.erase(c.begin(), c.begin() + start);
  return analytics::MakeDoubleTable(t, names, cols);
}

}  // namespace

Result<std::shared_ptr<arrow::Table>> BusinessDayPrices(const arrow::Table& series, const std::string& column) {
  SYSTORE_ASSIGN_OR_RAISE(DailySeries d, analytics::ToBusinessDays(series, column));
  return analytics::MakeDoubleTable(d.ts, {"price"}, {d.price});
}

Result<std::shared_ptr<arrow::Table>> ComputeVolatility(const arrow::Table& prices, const VolatilityOptions& options) {
  SYSTORE_RETURN_NOT_OK(analytics::CheckVolatilityOptions(options));
  SYSTORE_ASSIGN_OR_RAISE(DailySeries d, analytics::ToBusinessDays(prices, options.column));
  return FromFirstValue(d.ts, {"vol"}, {analytics::MixedVol(d.price, options)});
}

Result<std::shared_ptr<arrow::Table>> ComputeEwmac(const arrow::Table& prices, const ForecastOptions& options) {
  SYSTORE_RETURN_NOT_OK(analytics::CheckVolatilityOptions(options.volatility));
  if (options.rules.empty()) return Status::InvalidArgument("no EWMAC rules given");
  for (const auto& r : options.rules) {
    if (r.fast < 1 || r.slow <= r.fast) {
      return Status::InvalidArgument("EWMAC rule " + r.Name() + ": need 1 <= fast < slow");
    }
  }
  SYSTORE_ASSIGN_OR_RAISE(DailySeries d, analytics::ToBusinessDays(prices, options.volatility.column));
  std::vector<double> vol = analytics::MixedVol(d.price, options.volatility);
  analytics::ForwardFill(&vol);  // vol.ffill()
  std::vector<std::string> names;
  std::vector<std::vector<double>> cols;
  for (const auto& r : options.rules) {
    std::vector<double> fast = analytics::EwmMean(d.price, analytics::ComFromSpan(r.fast), 1);
    std::vector<double> slow = analytics::EwmMean(d.price, analytics::ComFromSpan(r.slow), 1);
    for (size_t i = 0; i < fast.size(); ++i) fast[i] = (fast[i] - slow[i]) / vol[i];
    names.push_back(r.Name());
    cols.push_back(std::move(fast));
  }
  return FromFirstValue(d.ts, names, std::move(cols));
}

}  // namespace systore
