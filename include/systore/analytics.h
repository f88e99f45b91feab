// Analytics: computations next to the data, written back as versioned time series.
//
// Two layers. The kernels (ComputeBars, AsofJoin, ComputeVolatility, ComputeEwmac) are
// pure functions over arrow::Table series (a "ts" column, timestamp[ns, UTC] or int64 ns,
// sorted, plus value columns). Analytics runs them over datasets of a TimeSeriesStore:
// it reads the source series in parallel, writes the results into an output dataset in
// one commit, and records in that commit's user metadata what each result was computed
// from (source dataset, the version that last changed each key, its row count and time
// range, the parameters). A series whose inputs and parameters are unchanged is skipped,
// so re-running creates no new version. Exact semantics: docs/analytics.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "systore/result.h"
#include "systore/time.h"

namespace arrow {
class Table;
}

namespace systore {

class OperationalStore;
class ReferenceStore;
class ReferenceTable;
class TimeSeriesStore;

/// Parses a bar interval: an integer and a unit, pandas style: "1s", "30s", "1min",
/// "5min", "1h", "4h", "1d" (also "T"/"m" for minutes, "H", "D", "ms", "us", "ns").
/// InvalidArgument naming `option` for "0s", "-1min", "abc".
Result<int64_t> ParseInterval(std::string_view text, std::string_view option = "--interval");

// ---------------------------------------------------------------------------------------
// Kernels

struct BarOptions {
  /// Bin width in ns (ParseInterval). Bins are left-closed [start, start + interval) and
  /// labelled by their left edge.
  int64_t interval = 60 * kNanosPerSecond;
  /// Bins are aligned to origin + k * interval. 0 = UTC midnight (pandas' default);
  /// a session start (e.g. 13:30 UTC) shifts every bin.
  int64_t origin = 0;
};

/// "13:30" as ns after midnight; InvalidArgument naming `what` when it is not HH:MM.
Result<int64_t> ParseTimeOfDay(std::string_view text, std::string_view what = "--origin");

/// The session start of `exchange` from the reference table `exchanges` (column
/// SessionStart, "HH:MM" UTC) as a BarOptions::origin. NotFound naming the exchange or
/// the missing value; InvalidArgument for a value that is not a time of day.
Result<int64_t> SessionOrigin(const ReferenceTable& exchanges, std::string_view exchange);

/// Resamples ticks (columns price, size) or bars (open, high, low, close, volume[,
/// count, vwap]; upper-case names accepted) into bars with columns open, high, low,
/// close, volume, count, vwap. Rows with a NaN price (NaN close for bars) are skipped;
/// a bin with no remaining rows produces no row. Timestamps must be non-decreasing.
/// InvalidArgument naming the missing column and the columns present.
Result<std::shared_ptr<arrow::Table>> ComputeBars(const arrow::Table& series, const BarOptions& options);

struct AsofOptions {
  /// Match only right rows with left.ts - right.ts <= tolerance (ns).
  std::optional<int64_t> tolerance;
  /// Match right rows at exactly left.ts (pandas' allow_exact_matches).
  bool allow_exact_matches = true;
  /// Optional column present in both tables: match only rows with equal values (string
  /// or int64), as merge_asof's `by`.
  std::string by;
  /// Suffix added to right column names that also exist on the left.
  std::string right_suffix = "_right";
};

/// For each left row, the last right row at or before its timestamp: the left table's
/// columns followed by the right's value columns (nulls where nothing matched).
/// pandas merge_asof(direction="backward") / DuckDB ASOF JOIN semantics. Both tables must
/// be sorted by ts (InvalidArgument naming the row otherwise).
Result<std::shared_ptr<arrow::Table>> AsofJoin(const arrow::Table& left, const arrow::Table& right,
                                               const AsofOptions& options = {});

/// pysystemtrade's default volatility (sysquant.estimators.vol.mixed_vol_calc with the
/// parameters of sysdata/config/defaults.yaml), applied as a system does it.
struct VolatilityOptions {
  /// Price column; "" picks the only double column, or price/CLOSE/FINAL/close.
  std::string column;
  int days = 35;            // EWM span of the fast vol
  int min_periods = 10;     // observations before the first value
  int slow_vol_years = 10;  // EWM span of the slow vol, in years of 256 business days
  double proportion_of_slow_vol = 0.3;
  double vol_abs_min = 1e-10;
  bool backfill = false;  // fill the start with the first value (pysystemtrade's backfill)
};

/// Business-day closes: the last non-NaN price of each Monday..Friday (weekend rows count
/// for the Friday before), every business day from the first to the last, NaN where a
/// day had none — pandas' resample("1B").last(). Column "price".
Result<std::shared_ptr<arrow::Table>> BusinessDayPrices(const arrow::Table& series, const std::string& column = "");

/// Volatility of daily price differences of the business-day closes: column "vol",
/// one row per business day from the first value on (leading NaNs are not returned).
Result<std::shared_ptr<arrow::Table>> ComputeVolatility(const arrow::Table& prices,
                                                        const VolatilityOptions& options = {});

struct EwmacRule {
  int fast = 16;
  int slow = 64;
  std::string Name() const { return "ewmac" + std::to_string(fast) + "_" + std::to_string(slow); }
};

struct ForecastOptions {
  /// The EWMAC rules of pysystemtrade's standard futures system (chapter 15 config).
  std::vector<EwmacRule> rules = {{2, 8}, {4, 16}, {8, 32}, {16, 64}, {32, 128}, {64, 256}};
  VolatilityOptions volatility;
};

/// Raw (unscaled, uncapped) EWMAC forecasts, as systems.provided.rules.ewmac.ewmac:
/// (EWMA(fast) - EWMA(slow)) of the business-day closes divided by their volatility
/// (forward-filled). One column per rule (EwmacRule::Name()), one row per business day
/// from the first defined value on.
Result<std::shared_ptr<arrow::Table>> ComputeEwmac(const arrow::Table& prices, const ForecastOptions& options = {});

/// A named series (an instrument's prices, ...).
struct NamedSeries {
  std::string name;
  std::shared_ptr<arrow::Table> table;
};

/// pysystemtrade's instrument correlation estimate (defaults.yaml
/// instrument_correlation_estimate: correlation_over_time_for_returns, frequency "W",
/// using_exponent, ew_lookback 25, min_periods 20, cleaning, floor_at_zero) over the
/// instruments' vol-normalised daily returns (rawdata.get_daily_vol_normalised_returns).
struct CorrelationOptions {
  VolatilityOptions volatility;  // for the normalising vol (and the price column)
  int ew_lookback = 25;          // EWM span, in weeks
  int min_periods = 20;          // weeks both series have a return
  bool cleaning = true;          // missing pairs: the average correlation, or offdiag
  double offdiag = 0.99;
  bool floor_at_zero = true;
};

/// One row per week (Sunday 00:00 UTC, pandas "W") from the first with any estimate:
/// the matrix pysystemtrade's estimator uses for a fit period ending after that week.
/// One column per pair "A:B" (upper triangle, input order); the diagonal is 1.
/// InvalidArgument for fewer than two series or a name containing ':'.
Result<std::shared_ptr<arrow::Table>> ComputeCorrelations(const std::vector<NamedSeries>& prices,
                                                          const CorrelationOptions& options = {});

/// Daily mark-to-market P&L from the trades ledger (fills) of the operational store.
/// Per (strategy, instrument) and business day d, in the instrument's currency:
///   Σ_contracts [ position(d-1) × (mark(d) - mark(d-1)) + Σ_fills on d qty × (mark(d) - fill price) ]
///   × Pointsize - commission,
/// where mark(d) is the contract's last close at or before the end of d in the multiple
/// prices (the PRICE/FORWARD/CARRY column whose *_CONTRACT names it), then × the FX
/// rate into the base currency (last fx/spot close of CCY+BASE, or 1/BASE+CCY).
struct PnlOptions {
  OperationalStore* operational = nullptr;  // the fills (not owned)
  ReferenceStore* reference = nullptr;      // "instruments": Pointsize, Currency (not owned)
  std::string prices = "prices/multiple";
  std::string fx = "fx/spot";
  std::string base_currency = "USD";
  /// Last day computed (any time of that UTC day); 0 = each instrument's last price.
  Timestamp until = 0;
  std::string strategy;  // "" = every strategy
};

// ---------------------------------------------------------------------------------------
// Over datasets

/// What one run read and wrote.
struct AnalyticsRun {
  std::string source;  // dataset read
  std::string output;  // dataset written
  int64_t series_read = 0;
  int64_t rows_read = 0;
  int64_t series_written = 0;
  int64_t series_unchanged = 0;  // inputs and parameters as recorded: not recomputed
  int64_t rows_written = 0;
  int64_t version = -1;  // the output commit; -1 when nothing changed
  double seconds = 0;
};

struct AnalyticsOptions {
  /// The store read and written (not owned; must outlive the Analytics).
  TimeSeriesStore* store = nullptr;
  /// Threads for per-series work (0 = number of cores).
  int threads = 0;
  /// Called as series complete: (done, total). From worker threads, serialised.
  std::function<void(int64_t done, int64_t total)> progress;
};

class Analytics {
 public:
  /// InvalidArgument when options.store is null.
  static Result<std::unique_ptr<Analytics>> Open(const AnalyticsOptions& options);
  ~Analytics();

  /// Bars of every key of `source` (or of `keys`) into `output` ("bars/1min/…"), same
  /// keys. Ticks are read one day partition at a time, so memory stays bounded. A key
  /// whose source only grew by appends since the recorded run is recomputed from the
  /// start of its last stored bar; otherwise the series is rewritten whole.
  Result<AnalyticsRun> Bars(const std::string& source, const std::string& output, const std::vector<std::string>& keys,
                            const BarOptions& options);
  /// Volatility per key into `output` (default analytics/volatility).
  Result<AnalyticsRun> Volatility(const std::string& source, const std::string& output,
                                  const std::vector<std::string>& keys, const VolatilityOptions& options = {});
  /// EWMAC forecasts per key into `output` (default analytics/forecasts), one series per
  /// instrument and rule, keyed "<instrument>/<rule>" with column "forecast".
  Result<AnalyticsRun> Forecasts(const std::string& source, const std::string& output,
                                 const std::vector<std::string>& keys, const ForecastOptions& options = {});
  /// Correlations of `keys` (all keys when empty; at least two) of `source` into
  /// `output` (default analytics/correlations), one series keyed `name`. Recomputed
  /// whole when any input series changed; skipped when none did.
  Result<AnalyticsRun> Correlations(const std::string& source, const std::string& output,
                                    const std::vector<std::string>& keys, const std::string& name = "portfolio",
                                    const CorrelationOptions& options = {});
  /// Daily P&L into `output` (default analytics/pnl): series "<strategy>/<instrument>"
  /// (columns position, pnl_local, commission, fx, pnl) and "<strategy>" (pnl: the
  /// base-currency total; the other columns NaN). Skipped when the fills, prices, FX and reference data are
  /// unchanged since the last run. Corruption when the positions rebuilt from the fills
  /// differ from the stored positions.
  Result<AnalyticsRun> Pnl(const std::string& output, const PnlOptions& options);
  /// The as-of join of two stored series (not stored).
  Result<std::shared_ptr<arrow::Table>> Asof(const std::string& left_dataset, const std::string& left_key,
                                             const std::string& right_dataset, const std::string& right_key,
                                             const AsofOptions& options = {});

 private:
  struct Impl;
  explicit Analytics(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace systore
