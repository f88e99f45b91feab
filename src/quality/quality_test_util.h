// Small builders for quality and pipeline tests.
#pragma once

#include <arrow/api.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/test_util_internal.h"  // TempDir
#include "systore/time.h"

namespace systore::testing {

inline Timestamp Day(int y, unsigned m, unsigned d, int hour = 23) {
  return FromCivilDate(y, m, d) + hour * 3600 * kNanosPerSecond;
}

/// ts + one double column per name, rows given as (ts, values...).
inline std::shared_ptr<arrow::Table> MakeTable(const std::vector<std::string>& names, const std::vector<Timestamp>& ts,
                                               const std::vector<std::vector<double>>& cols) {
  arrow::TimestampBuilder tb(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), arrow::default_memory_pool());
  (void)tb.AppendValues(ts);
  std::vector<std::shared_ptr<arrow::Field>> fields = {arrow::field("ts", tb.type())};
  std::vector<std::shared_ptr<arrow::Array>> arrays = {tb.Finish().ValueOrDie()};
  for (size_t c = 0; c < names.size(); ++c) {
    arrow::DoubleBuilder b;
    (void)b.AppendValues(cols[c]);
    fields.push_back(arrow::field(names[c], arrow::float64()));
    arrays.push_back(b.Finish().ValueOrDie());
  }
  return arrow::Table::Make(arrow::schema(fields), arrays);
}

inline std::shared_ptr<arrow::Table> PriceTable(const std::vector<Timestamp>& ts, const std::vector<double>& p) {
  return MakeTable({"price"}, ts, {p});
}

/// Weekday daily closes (23:00) from `first`, n rows, random-walk prices.
inline std::shared_ptr<arrow::Table> WeekdayWalk(Timestamp first_day, int n, double start, uint64_t seed,
                                                 std::vector<Timestamp>* ts_out = nullptr,
                                                 std::vector<double>* p_out = nullptr) {
  std::vector<Timestamp> ts;
  std::vector<double> p;
  uint64_t s = seed;
  double x = start;
  for (Timestamp d = first_day; static_cast<int>(ts.size()) < n; d += kNanosPerDay) {
    int weekday = static_cast<int>(((d / kNanosPerDay) % 7 + 7 + 3) % 7);
    if (weekday >= 5) continue;
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    double u = static_cast<double>(s >> 11) / static_cast<double>(1ull << 53) - 0.5;
    x += u;  // changes uniform in [-0.5, 0.5]
    ts.push_back(d);
    p.push_back(x);
  }
  if (ts_out) *ts_out = ts;
  if (p_out) *p_out = p;
  return PriceTable(ts, p);
}

}  // namespace systore::testing
