// As-of join (docs/analytics.md#as-of-join): merge_asof(direction="backward") semantics.
#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <string_view>
#include <unordered_map>

#include "analytics/series_arrays.h"
#include "core/arrow_status_internal.h"
#include "systore/analytics.h"
#include "systore/timeseries_store.h"

namespace systore {

namespace {

/// Per-row values of the `by` column, as int64 or string views (into Arrow buffers).
struct ByColumn {
  bool is_string = false;
  std::vector<int64_t> ints;
  std::vector<std::string_view> strings;
};

Result<ByColumn> ReadBy(const arrow::Table& table, const std::string& name, const char* side) {
  int idx = table.schema()->GetFieldIndex(name);
  if (idx < 0) {
    return Status::InvalidArgument(std::string(side) + " table has no 'by' column '" + name +
                                   "'; it has: " + analytics::ColumnList(*table.schema()));
  }
  ByColumn out;
  auto col = table.column(idx);
  auto id = col->type()->id();
  if (id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING) {
    out.is_string = true;
    out.strings.reserve(col->length());
    for (const auto& chunk : col->chunks()) {
      if (id == arrow::Type::STRING) {
        const auto& a = static_cast<const arrow::StringArray&>(*chunk);
        for (int64_t i = 0; i < a.length(); ++i) out.strings.push_back(a.GetView(i));
      } else {
        const auto& a = static_cast<const arrow::LargeStringArray&>(*chunk);
        for (int64_t i = 0; i < a.length(); ++i) out.strings.push_back(a.GetView(i));
      }
    }
  } else if (arrow::is_integer(id)) {
    SYSTORE_ASSIGN_OR_RAISE_ARROW(arrow::Datum d, arrow::compute::Cast(col, arrow::int64()), "by column");
    for (const auto& chunk : d.chunked_array()->chunks()) {
      const int64_t* v = chunk->data()->GetValues<int64_t>(1);
      out.ints.insert(out.ints.end(), v, v + chunk->length());
    }
  } else {
    return Status::InvalidArgument("'by' column '" + name + "' is " + col->type()->ToString() +
                                   "; use a string or integer column");
  }
  return out;
}

Status CheckSorted(const std::vector<int64_t>& ts, const char* side) {
  int64_t row = analytics::FirstUnsortedRow(ts);
  if (row < 0) return Status::OK();
  return Status::InvalidArgument(std::string(side) + " table row " + std::to_string(row) + ": timestamp " +
                                 FormatTimestamp(ts[row]) + " is before the previous row's " +
                                 FormatTimestamp(ts[row - 1]) + " (as-of joins need rows sorted by time)");
}

}  // namespace

Result<std::shared_ptr<arrow::Table>> AsofJoin(const arrow::Table& left, const arrow::Table& right,
                                               const AsofOptions& options) {
  if (options.tolerance && *options.tolerance < 0) return Status::InvalidArgument("tolerance must not be negative");
  SYSTORE_ASSIGN_OR_RAISE(auto lts, analytics::TimestampValues(left));
  SYSTORE_ASSIGN_OR_RAISE(auto rts, analytics::TimestampValues(right));
  SYSTORE_RETURN_NOT_OK(CheckSorted(lts, "left"));
  SYSTORE_RETURN_NOT_OK(CheckSorted(rts, "right"));
  const int64_t n = static_cast<int64_t>(lts.size());
  const int64_t m = static_cast<int64_t>(rts.size());
  const bool exact = options.allow_exact_matches;
  const int64_t tol = options.tolerance.value_or(INT64_MAX);

  // match[i]: the right row for left row i, or -1.
  std::vector<int64_t> match(n, -1);
  if (options.by.empty()) {
    int64_t j = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t t = lts[i];
      while (j < m && (exact ? rts[j] <= t : rts[j] < t)) ++j;
      if (j > 0 && t - rts[j - 1] <= tol) match[i] = j - 1;
    }
  } else {
    SYSTORE_ASSIGN_OR_RAISE(ByColumn lby, ReadBy(left, options.by, "left"));
    SYSTORE_ASSIGN_OR_RAISE(ByColumn rby, ReadBy(right, options.by, "right"));
    if (lby.is_string != rby.is_string) {
      return Status::InvalidArgument("'by' column '" + options.by +
                                     "' is a string on one side and an integer on the other");
    }
    std::unordered_map<std::string_view, int64_t> last_s;
    std::unordered_map<int64_t, int64_t> last_i;
    int64_t j = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t t = lts[i];
      for (; j < m && (exact ? rts[j] <= t : rts[j] < t); ++j) {
        if (rby.is_string) {
          last_s[rby.strings[j]] = j;
        } else {
          last_i[rby.ints[j]] = j;
        }
      }
      int64_t k = -1;
      if (lby.is_string) {
        auto it = last_s.find(lby.strings[i]);
        if (it != last_s.end()) k = it->second;
      } else {
        auto it = last_i.find(lby.ints[i]);
        if (it != last_i.end()) k = it->second;
      }
      if (k >= 0 && t - rts[k] <= tol) match[i] = k;
    }
  }

  // Right value columns gathered by Take (nulls where nothing matched).
  arrow::Int64Builder ib;
  SYSTORE_RETURN_NOT_OK_ARROW(ib.Reserve(n), "as-of join");
  for (int64_t i = 0; i < n; ++i) {
    if (match[i] < 0) {
      ib.UnsafeAppendNull();
    } else {
      ib.UnsafeAppend(match[i]);
    }
  }
  std::shared_ptr<arrow::Array> indices;
  SYSTORE_RETURN_NOT_OK_ARROW(ib.Finish(&indices), "as-of join");
  arrow::FieldVector fields = left.schema()->fields();
  arrow::ChunkedArrayVector columns = left.columns();
  const int right_ts = right.schema()->GetFieldIndex(kTimestampColumn);
  for (int c = 0; c < right.num_columns(); ++c) {
    const auto& f = right.schema()->field(c);
    if (c == right_ts || (right_ts < 0 && f->type()->id() == arrow::Type::TIMESTAMP)) continue;
    if (!options.by.empty() && f->name() == options.by) continue;
    std::string name = f->name();
    if (left.schema()->GetFieldIndex(name) >= 0) name += options.right_suffix;
    SYSTORE_ASSIGN_OR_RAISE_ARROW(arrow::Datum taken, arrow::compute::Take(right.column(c), indices),
                                  "as-of join column " + f->name());
    fields.push_back(arrow::field(name, f->type()));
    columns.push_back(taken.chunked_array());
  }
  return arrow::Table::Make(arrow::schema(fields), columns, n);
}

}  // namespace systore
