// pysystemtrade's instrument correlation estimate (sysquant.estimators.
// correlation_over_time_for_returns with defaults.yaml's instrument_correlation_estimate),
// evaluated at every week instead of once a year (docs/analytics.md#correlations).
#include <arrow/api.h>

#include <cmath>
#include <limits>

#include "analytics/daily_prices.h"
#include "analytics/ewm.h"
#include "analytics/series_arrays.h"
#include "systore/analytics.h"

namespace systore {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// rawdata.get_daily_vol_normalised_returns: daily price difference / vol.shift(1).
struct NormalisedReturns {
  std::vector<int64_t> days;  // epoch days (business days)
  std::vector<double> returns;
};

Result<NormalisedReturns> Normalised(const arrow::Table& prices, const VolatilityOptions& o) {
  SYSTORE_ASSIGN_OR_RAISE(analytics::DailySeries d, analytics::ToBusinessDays(prices, o.column));
  NormalisedReturns out;
  if (d.ts.empty()) return out;
  for (int64_t t : d.ts) out.days.push_back(analytics::DayOf(t));
  std::vector<double> vol = analytics::MixedVol(d.price, o);
  out.returns.assign(d.price.size(), kNaN);
  for (size_t i = 1; i < d.price.size(); ++i) out.returns[i] = (d.price[i] - d.price[i - 1]) / vol[i - 1];
  return out;
}

/// Sunday ending the week of `day` (pandas "W" = "W-SUN": right-closed, right-labelled).
int64_t WeekEnd(int64_t day) { return day + (6 - analytics::Weekday(day)); }

}  // namespace

Result<std::shared_ptr<arrow::Table>> ComputeCorrelations(const std::vector<NamedSeries>& prices,
                                                          const CorrelationOptions& options) {
  SYSTORE_RETURN_NOT_OK(analytics::CheckVolatilityOptions(options.volatility));
  if (prices.size() < 2) return Status::InvalidArgument("correlations need at least two series");
  if (options.ew_lookback < 1) return Status::InvalidArgument("ew_lookback must be >= 1");
  if (options.min_periods < 0) return Status::InvalidArgument("correlation min_periods must be >= 0");
  for (const auto& p : prices) {
    if (p.name.find(':') != std::string::npos) {
      return Status::InvalidArgument("series name '" + p.name + "' contains ':', the pair separator");
    }
  }
  const size_t n = prices.size();
  std::vector<NormalisedReturns> daily(n);
  for (size_t i = 0; i < n; ++i) {
    auto r = Normalised(*prices[i].table, options.volatility);
    if (!r.ok()) return r.status().WithContext("series '" + prices[i].name + "'");
    daily[i] = std::move(*r);
  }
  // The frame pysystemtrade builds: the union of the instruments' business days; per
  // column cumsum (NaN skipped) then ffill, the last value of each week, its diff. A week
  // without any row in the union has no value in any column.
  int64_t first = std::numeric_limits<int64_t>::max(), max_day = std::numeric_limits<int64_t>::min();
  for (const auto& d : daily) {
    if (d.days.empty()) continue;
    first = std::min(first, d.days.front());
    max_day = std::max(max_day, d.days.back());
  }
  if (first > max_day) return analytics::MakeDoubleTable({}, {}, {});
  const int64_t first_week = WeekEnd(first);
  const int64_t weeks = (WeekEnd(max_day) - first_week) / 7 + 1;
  // Weekly index values per column, and whether the week has any row at all.
  std::vector<std::vector<double>> index(n, std::vector<double>(weeks, kNaN));
  std::vector<bool> week_has_rows(weeks, false);
  for (size_t i = 0; i < n; ++i) {
    const auto& d = daily[i];
    if (d.returns.empty()) continue;
    double sum = 0;
    bool started = false;
    for (size_t k = 0; k < d.returns.size(); ++k) {
      const int64_t day = d.days[k];
      if (!std::isnan(d.returns[k])) {
        sum += d.returns[k];
        started = true;
      }
      const int64_t w = (WeekEnd(day) - first_week) / 7;
      week_has_rows[w] = true;
      if (started) index[i][w] = sum;  // the last day of the week wins
    }
  }
  // After its last day a column keeps its last value (ffill over the union's rows).
  for (size_t i = 0; i < n; ++i) {
    double carried = kNaN;
    for (int64_t w = 0; w < weeks; ++w) {
      if (!week_has_rows[w]) continue;
      if (std::isnan(index[i][w])) {
        index[i][w] = carried;
      } else {
        carried = index[i][w];
      }
    }
  }
  // Weekly returns: diff over the resampled rows (a week without rows is NaN everywhere).
  std::vector<std::vector<double>> weekly(n, std::vector<double>(weeks, kNaN));
  for (size_t i = 0; i < n; ++i)
    for (int64_t w = 1; w < weeks; ++w)
      if (week_has_rows[w] && week_has_rows[w - 1]) weekly[i][w] = index[i][w] - index[i][w - 1];

  const double com = analytics::ComFromSpan(options.ew_lookback);
  // Raw EWM correlations of every pair (and of each column with itself, as pandas does).
  std::vector<std::vector<std::vector<double>>> raw(n, std::vector<std::vector<double>>(n));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i; j < n; ++j) raw[i][j] = analytics::EwmCorr(weekly[i], weekly[j], com, options.min_periods);

  // One row per week from the first with any value: the matrix pysystemtrade would use
  // for a fit period ending just after that week (last_valid_cor_matrix_for_date), cleaned
  // and floored as correlation_estimator does.
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) names.push_back(prices[i].name + ":" + prices[j].name);
  std::vector<std::vector<double>> cols(names.size());
  std::vector<int64_t> ts;
  std::vector<bool> has_data(n, false);  // must_haves: any weekly return so far
  std::vector<double> m(n * n);
  bool any_yet = false;
  for (int64_t w = 0; w < weeks; ++w) {
    for (size_t i = 0; i < n; ++i)
      if (!std::isnan(weekly[i][w])) has_data[i] = true;
    bool any = false, all = true;
    double sum = 0;
    int64_t count = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i; j < n; ++j) {
        const double v = raw[i][j][w];
        m[i * n + j] = m[j * n + i] = v;
        if (std::isnan(v)) {
          all = false;
        } else {
          any = true;
          if (i != j) {
            sum += 2 * v;
            count += 2;
          }
        }
      }
    if (!any && !any_yet) continue;
    any_yet = true;
    if (options.cleaning && !all) {
      const double avg = count > 0 ? sum / static_cast<double>(count) : kNaN;
      for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) {
          double& v = m[i * n + j];
          if (i == j) {
            v = 1.0;
          } else if (!any) {
            v = options.offdiag;  // nothing at all: the boring matrix
          } else if (std::isnan(v)) {
            v = has_data[i] && has_data[j] ? avg : options.offdiag;
          }
        }
    }
    if (options.floor_at_zero)
      for (double& v : m)
        if (v < 0) v = 0;
    ts.push_back((first_week + w * 7) * kNanosPerDay);
    size_t c = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j) cols[c++].push_back(m[i * n + j]);
  }
  return analytics::MakeDoubleTable(ts, names, cols);
}

}  // namespace systore
