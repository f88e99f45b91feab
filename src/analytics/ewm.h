// Exponentially weighted moving statistics exactly as pandas computes them
// (pandas/_libs/window/aggregations.pyx: ewm, ewmcov), with adjust=True, so that results
// match pandas and pysystemtrade bit for bit or nearly.
#pragma once

#include <cstdint>
#include <vector>

namespace systore::analytics {

/// com (centre of mass) of an EWM with the given span: (span - 1) / 2.
inline double ComFromSpan(double span) { return (span - 1.0) / 2.0; }

/// Series.ewm(com=com, min_periods=min_periods).mean() (ignore_na=False); NaN inputs
/// carry the mean forward.
std::vector<double> EwmMean(const std::vector<double>& x, double com, int min_periods);

/// Series.ewm(com=com, min_periods=min_periods).std() (bias=False, ignore_na=False).
std::vector<double> EwmStd(const std::vector<double>& x, double com, int min_periods);

/// x.ewm(com=com, min_periods=min_periods, ignore_na=True).corr(y), as pandas'
/// pairwise DataFrame corr computes it: only rows where both are present count (nor do
/// the others age the weights); cov / sqrt(var_x * var_y), all with bias=True.
std::vector<double> EwmCorr(const std::vector<double>& x, const std::vector<double>& y, double com, int min_periods);

}  // namespace systore::analytics
