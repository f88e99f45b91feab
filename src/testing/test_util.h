// Series tables for tests and benchmarks (MakeSeries, Days, Doubles, Times) and TempDir.
#pragma once

#include <arrow/api.h>

#include <filesystem>
#include <string>
#include <vector>

#include "systore/time.h"
#include "core/file_util.h"
#include "core/test_util_internal.h"

namespace systore::testing {

/// A table with ts (timestamp[ns, UTC]) and one double column per name.
inline std::shared_ptr<arrow::Table> MakeSeries(const std::vector<Timestamp>& ts,
                                                const std::vector<std::pair<std::string, std::vector<double>>>& cols) {
  arrow::TimestampBuilder tb(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), arrow::default_memory_pool());
  (void)tb.AppendValues(ts);
  std::vector<std::shared_ptr<arrow::Field>> fields{arrow::field("ts", tb.type())};
  std::vector<std::shared_ptr<arrow::Array>> arrays{tb.Finish().ValueOrDie()};
  for (const auto& [name, values] : cols) {
    arrow::DoubleBuilder b;
    (void)b.AppendValues(values);
    fields.push_back(arrow::field(name, arrow::float64()));
    arrays.push_back(b.Finish().ValueOrDie());
  }
  return arrow::Table::Make(arrow::schema(fields), arrays);
}

/// Daily timestamps at 23:00 starting at `first_day` (a date string).
inline std::vector<Timestamp> Days(const std::string& first_day, int n) {
  Timestamp t0 = *ParseTimestamp(first_day) + 23 * 3600 * kNanosPerSecond;
  std::vector<Timestamp> out;
  for (int i = 0; i < n; ++i) out.push_back(t0 + i * kNanosPerDay);
  return out;
}

inline std::vector<double> Doubles(const arrow::Table& t, const std::string& column) {
  std::vector<double> out;
  auto col = t.GetColumnByName(column);
  for (const auto& chunk : col->chunks()) {
    auto a = std::static_pointer_cast<arrow::DoubleArray>(chunk);
    for (int64_t i = 0; i < a->length(); ++i) out.push_back(a->Value(i));
  }
  return out;
}

inline std::vector<Timestamp> Times(const arrow::Table& t) {
  std::vector<Timestamp> out;
  for (const auto& chunk : t.column(0)->chunks()) {
    auto a = std::static_pointer_cast<arrow::TimestampArray>(chunk);
    for (int64_t i = 0; i < a->length(); ++i) out.push_back(a->Value(i));
  }
  return out;
}

}  // namespace systore::testing
