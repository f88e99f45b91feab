// Exponentially weighted moving statistics exactly as pandas computes them
// (pandas/_libs/window/aggregations.pyx: ewm, ewmcov), with adjust=True and
// ignore_na=False, so that results match pandas and pysystemtrade bit for bit or nearly.
#pragma once

#include <cstdint>
#include <vector>

namespace systore::analytics {

/// com (centre of mass) of an EWM with the given span: (span - 1) / 2.
inline double ComFromSpan(double span) { return (span - 1.0) / 2.0; }

/// Series.ewm(com=com, min_periods=min_periods).mean(); NaN inputs carry the mean forward.
std::vector<double> EwmMean(const std::vector<double>& x, double com, int min_periods);

/// Series.ewm(com=com, min_periods=min_periods).std() (bias=False).
std::vector<double> EwmStd(const std::vector<double>& x, double com, int min_periods);

}  // namespace systore::analytics
