// Business-day closes and pysystemtrade's mixed volatility on them: the first steps of
// every daily estimator (volatility, EWMAC, correlations, P&L marks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "systore/analytics.h"
#include "systore/result.h"

namespace arrow {
class Table;
}

namespace systore::analytics {

/// Days since the epoch, floored.
int64_t DayOf(int64_t t);
/// Monday = 0 ... Sunday = 6.
int Weekday(int64_t day);

/// One value per business day (00:00 UTC), first..last, NaN where a day had none.
struct DailySeries {
  std::vector<int64_t> ts;
  std::vector<double> price;
};

/// resample("1B").last() of the price column (VolatilityOptions::column rules).
Result<DailySeries> ToBusinessDays(const arrow::Table& table, const std::string& column);

/// pandas' ffill(): a NaN takes the last value before it.
void ForwardFill(std::vector<double>* x);

/// mixed_vol_calc over the daily differences of `price`; aligned with it.
std::vector<double> MixedVol(const std::vector<double>& price, const VolatilityOptions& options);

/// InvalidArgument naming the bad volatility option.
Status CheckVolatilityOptions(const VolatilityOptions& options);

}  // namespace systore::analytics
