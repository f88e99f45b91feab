#include "analytics/ewm.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace systore::analytics {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> EwmMean(const std::vector<double>& x, double com, int min_periods) {
  const size_t n = x.size();
  std::vector<double> out(n);
  if (n == 0) return out;
  const int minp = std::max(min_periods, 1);
  const double alpha = 1. / (1. + com);
  const double old_wt_factor = 1. - alpha;
  const double new_wt = 1.;
  double weighted = x[0];
  int64_t nobs = weighted == weighted;
  out[0] = nobs >= minp ? weighted : kNaN;
  double old_wt = 1.;
  for (size_t i = 1; i < n; ++i) {
    const double cur = x[i];
    const bool is_observation = cur == cur;
    nobs += is_observation;
    if (weighted == weighted) {
      old_wt *= old_wt_factor;  // ignore_na=False: a missing value still ages the weights
      if (is_observation) {
        if (weighted != cur) {  // pandas: avoids numerical error on constant series
          weighted = old_wt * weighted + new_wt * cur;
          weighted /= (old_wt + new_wt);
        }
        old_wt += new_wt;
      }
    } else if (is_observation) {
      weighted = cur;
    }
    out[i] = nobs >= minp ? weighted : kNaN;
  }
  return out;
}

std::vector<double> EwmStd(const std::vector<double>& x, double com, int min_periods) {
  const size_t n = x.size();
  std::vector<double> out(n);
  if (n == 0) return out;
  const int minp = std::max(min_periods, 1);
  const double alpha = 1. / (1. + com);
  const double old_wt_factor = 1. - alpha;
  const double new_wt = 1.;
  double mean = x[0];
  bool is_observation = mean == mean;
  int64_t nobs = is_observation;
  if (!is_observation) mean = kNaN;
  out[0] = kNaN;  // bias=False: undefined for one observation
  double cov = 0., sum_wt = 1., sum_wt2 = 1., old_wt = 1.;
  for (size_t i = 1; i < n; ++i) {
    const double cur = x[i];
    is_observation = cur == cur;
    nobs += is_observation;
    if (mean == mean) {
      sum_wt *= old_wt_factor;
      sum_wt2 *= (old_wt_factor * old_wt_factor);
      old_wt *= old_wt_factor;
      if (is_observation) {
        const double old_mean = mean;
        if (mean != cur) mean = ((old_wt * old_mean) + (new_wt * cur)) / (old_wt + new_wt);
        cov = ((old_wt * (cov + ((old_mean - mean) * (old_mean - mean)))) + (new_wt * ((cur - mean) * (cur - mean)))) /
              (old_wt + new_wt);
        sum_wt += new_wt;
        sum_wt2 += (new_wt * new_wt);
        old_wt += new_wt;
      }
    } else if (is_observation) {
      mean = cur;
    }
    double var = kNaN;
    if (nobs >= minp) {
      const double numerator = sum_wt * sum_wt;
      const double denominator = numerator - sum_wt2;
      if (denominator > 0) var = (numerator / denominator) * cov;
    }
    // pandas' zsqrt: negative variances (rounding) give 0.
    out[i] = std::isnan(var) ? kNaN : (var < 0 ? 0.0 : std::sqrt(var));
  }
  return out;
}

namespace {

/// ewmcov(x, y) with adjust=True, ignore_na=True, bias=True, over rows where both are
/// present (pandas masks each with the other first).
std::vector<double> EwmCovBiased(const std::vector<double>& x, const std::vector<double>& y, double com,
                                 int min_periods) {
  const size_t n = x.size();
  std::vector<double> out(n, kNaN);
  if (n == 0) return out;
  const int minp = std::max(min_periods, 1);
  const double alpha = 1. / (1. + com);
  const double old_wt_factor = 1. - alpha;
  const double new_wt = 1.;
  double mean_x = x[0], mean_y = y[0];
  bool is_observation = mean_x == mean_x && mean_y == mean_y;
  int64_t nobs = is_observation;
  if (!is_observation) mean_x = mean_y = kNaN;
  out[0] = nobs >= minp ? 0. : kNaN;
  double cov = 0., old_wt = 1.;
  for (size_t i = 1; i < n; ++i) {
    const double cur_x = x[i], cur_y = y[i];
    is_observation = cur_x == cur_x && cur_y == cur_y;
    nobs += is_observation;
    if (mean_x == mean_x) {
      if (is_observation) {  // ignore_na=True: a missing row does not age the weights
        old_wt *= old_wt_factor;
        const double old_mean_x = mean_x, old_mean_y = mean_y;
        if (mean_x != cur_x) mean_x = ((old_wt * old_mean_x) + (new_wt * cur_x)) / (old_wt + new_wt);
        if (mean_y != cur_y) mean_y = ((old_wt * old_mean_y) + (new_wt * cur_y)) / (old_wt + new_wt);
        cov = ((old_wt * (cov + ((old_mean_x - mean_x) * (old_mean_y - mean_y)))) +
               (new_wt * ((cur_x - mean_x) * (cur_y - mean_y)))) /
              (old_wt + new_wt);
        old_wt += new_wt;
      }
    } else if (is_observation) {
      mean_x = cur_x;
      mean_y = cur_y;
    }
    out[i] = nobs >= minp ? cov : kNaN;
  }
  return out;
}

/// pandas' zsqrt: negative values (rounding) give 0.
double ZeroSqrt(double v) { return v < 0 ? 0.0 : std::sqrt(v); }

}  // namespace

std::vector<double> EwmCorr(const std::vector<double>& x, const std::vector<double>& y, double com,
                            int min_periods) {
  const size_t n = x.size();
  std::vector<double> mx(n), my(n);
  for (size_t i = 0; i < n; ++i) {  // prep_binary: X = x + 0 * y, Y = y + 0 * x
    mx[i] = x[i] + 0 * y[i];
    my[i] = y[i] + 0 * x[i];
  }
  std::vector<double> cov = EwmCovBiased(mx, my, com, min_periods);
  std::vector<double> vx = EwmCovBiased(mx, mx, com, min_periods);
  std::vector<double> vy = EwmCovBiased(my, my, com, min_periods);
  for (size_t i = 0; i < n; ++i) cov[i] = cov[i] / ZeroSqrt(vx[i] * vy[i]);
  return cov;
}

}  // namespace systore::analytics
