// As-of join (docs/analytics.md#as-of-join): merge_asof(direction="backward") semantics.
#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "analytics/series_arrays.h"
#include "core/arrow_status_internal.h"
#include "core/parallel.h"
#include "systore/analytics.h"
#include "systore/timeseries_store.h"

namespace systore {

namespace {

/// Per-row values of the `by` column, as int64 or string views (into Arrow buffers);
/// `null[i]` marks a row without a value, which matches nothing (as merge_asof).
struct ByColumn {
  bool is_string = false;
  std::vector<int64_t> ints;
  std::vector<std::string_view> strings;
  std::vector<bool> null;
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
      for (int64_t i = 0; i < chunk->length(); ++i) out.null.push_back(chunk->IsNull(i));
    }
  } else if (arrow::is_integer(id)) {
    SYSTORE_ASSIGN_OR_RAISE_ARROW(arrow::Datum d, arrow::compute::Cast(col, arrow::int64()), "by column");
    for (const auto& chunk : d.chunked_array()->chunks()) {
      const int64_t* v = chunk->data()->GetValues<int64_t>(1);
      out.ints.insert(out.ints.end(), v, v + chunk->length());
      for (int64_t i = 0; i < chunk->length(); ++i) out.null.push_back(chunk->IsNull(i));
    }
  } else {
    return Status::InvalidArgument("'by' column '" + name + "' is " + col->type()->ToString() +
                                   "; use a string or integer column");
  }
  return out;
}

Status CheckSorted(const analytics::TimestampView& ts, const char* side) {
  int64_t row = analytics::FirstUnsortedRow(ts.data(), static_cast<size_t>(ts.size()));
  if (row < 0) return Status::OK();
  return Status::InvalidArgument(std::string(side) + " table row " + std::to_string(row) + ": timestamp " +
                                 FormatTimestamp(ts[row]) + " is before the previous row's " +
                                 FormatTimestamp(ts[row - 1]) + " (as-of joins need rows sorted by time)");
}

/// Left rows per parallel task: big enough that the split costs nothing.
constexpr int64_t kRowsPerTask = 1 << 20;

int Tasks(int64_t n) { return static_cast<int>(std::max<int64_t>(1, (n + kRowsPerTask - 1) / kRowsPerTask)); }

/// Right rows gathered by `match` (-1: null) for 8-byte fixed-width columns (double,
/// int64, timestamp), in parallel; other types go through Arrow's Take.
Result<std::shared_ptr<arrow::ChunkedArray>> Gather(const std::shared_ptr<arrow::ChunkedArray>& col,
                                                    const int64_t* match, int64_t n,
                                                    const std::shared_ptr<arrow::Array>& indices) {
  const auto id = col->type()->id();
  const bool fixed8 = id == arrow::Type::DOUBLE || id == arrow::Type::INT64 || id == arrow::Type::TIMESTAMP;
  if (!fixed8) {
    SYSTORE_ASSIGN_OR_RAISE_ARROW(arrow::Datum taken, arrow::compute::Take(col, indices), "as-of join");
    return taken.chunked_array();
  }
  std::shared_ptr<arrow::Array> src;
  if (col->num_chunks() == 0 || col->length() == 0) {  // nothing to match: all null
    SYSTORE_ASSIGN_OR_RAISE_ARROW(auto nulls, arrow::MakeArrayOfNull(col->type(), n), "as-of join");
    return std::make_shared<arrow::ChunkedArray>(nulls);
  }
  if (col->num_chunks() == 1) {
    src = col->chunk(0);
  } else {
    SYSTORE_ASSIGN_OR_RAISE_ARROW(src, arrow::Concatenate(col->chunks()), "as-of join");
  }
  const int64_t* values = src->data()->GetValues<int64_t>(1);  // 8-byte values, bit-copied
  const uint8_t* src_valid = src->null_count() > 0 ? src->data()->buffers[0]->data() : nullptr;
  const int64_t src_offset = src->offset();
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto out, arrow::AllocateBuffer(n * 8), "as-of join");
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto valid, arrow::AllocateBitmap(n), "as-of join");
  auto* dst = reinterpret_cast<int64_t*>(out->mutable_data());
  uint8_t* bits = valid->mutable_data();
  std::vector<int64_t> nulls(Tasks(n), 0);
  // Tasks cover whole bitmap bytes (kRowsPerTask is a multiple of 8).
  SYSTORE_RETURN_NOT_OK(ParallelFor(Tasks(n), 0, [&](int task) {
    const int64_t lo = task * kRowsPerTask, hi = std::min(n, lo + kRowsPerTask);
    int64_t count = 0;
    for (int64_t i = lo; i < hi; ++i) {
      const int64_t k = match[i];
      const bool ok = k >= 0 && (!src_valid || arrow::bit_util::GetBit(src_valid, src_offset + k));
      dst[i] = ok ? values[k] : 0;
      arrow::bit_util::SetBitTo(bits, i, ok);
      count += !ok;
    }
    nulls[task] = count;
    return Status::OK();
  }));
  int64_t null_count = 0;
  for (int64_t c : nulls) null_count += c;
  auto data = arrow::ArrayData::Make(col->type(), n,
                                     {null_count > 0 ? std::shared_ptr<arrow::Buffer>(std::move(valid)) : nullptr,
                                      std::shared_ptr<arrow::Buffer>(std::move(out))},
                                     null_count);
  return std::make_shared<arrow::ChunkedArray>(arrow::MakeArray(data));
}

}  // namespace

Result<std::shared_ptr<arrow::Table>> AsofJoin(const arrow::Table& left, const arrow::Table& right,
                                               const AsofOptions& options) {
  if (options.tolerance && *options.tolerance < 0) return Status::InvalidArgument("tolerance must not be negative");
  SYSTORE_ASSIGN_OR_RAISE(auto lts, analytics::TimestampsView(left));
  SYSTORE_ASSIGN_OR_RAISE(auto rts, analytics::TimestampsView(right));
  SYSTORE_RETURN_NOT_OK(CheckSorted(lts, "left"));
  SYSTORE_RETURN_NOT_OK(CheckSorted(rts, "right"));
  const int64_t n = static_cast<int64_t>(lts.size());
  const int64_t m = static_cast<int64_t>(rts.size());
  const bool exact = options.allow_exact_matches;
  const int64_t tol = options.tolerance.value_or(INT64_MAX);

  // match[i]: the right row for left row i, or -1. Not zero-filled: every entry is
  // written below (a fresh 80 MB per 10M rows costs more than the join).
  std::unique_ptr<int64_t[]> match(new int64_t[std::max<int64_t>(n, 1)]);
  if (options.by.empty() && n > 0) {
    // Ranges of left rows on both cores; each starts its right cursor by binary search.
    SYSTORE_RETURN_NOT_OK(ParallelFor(Tasks(n), 0, [&](int task) {
      const int64_t lo = task * kRowsPerTask, hi = std::min(n, lo + kRowsPerTask);
      const int64_t t0 = lts[lo];
      int64_t j = exact ? std::upper_bound(rts.begin(), rts.end(), t0) - rts.begin()
                        : std::lower_bound(rts.begin(), rts.end(), t0) - rts.begin();
      for (int64_t i = lo; i < hi; ++i) {
        const int64_t t = lts[i];
        while (j < m && (exact ? rts[j] <= t : rts[j] < t)) ++j;
        match[i] = j > 0 && t - rts[j - 1] <= tol ? j - 1 : -1;
      }
      return Status::OK();
    }));
  } else if (!options.by.empty()) {
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
        if (rby.null[j]) continue;
        if (rby.is_string) {
          last_s[rby.strings[j]] = j;
        } else {
          last_i[rby.ints[j]] = j;
        }
      }
      int64_t k = -1;
      if (lby.null[i]) {
        // no key: no match
      } else if (lby.is_string) {
        auto it = last_s.find(lby.strings[i]);
        if (it != last_s.end()) k = it->second;
      } else {
        auto it = last_i.find(lby.ints[i]);
        if (it != last_i.end()) k = it->second;
      }
      match[i] = k >= 0 && t - rts[k] <= tol ? k : -1;
    }
  }

  // Right value columns gathered (nulls where nothing matched); Take's indices are built
  // only when a column needs it.
  std::shared_ptr<arrow::Array> indices;
  auto take_indices = [&]() -> Result<std::shared_ptr<arrow::Array>> {
    if (indices) return indices;
    arrow::Int64Builder ib;
    SYSTORE_RETURN_NOT_OK_ARROW(ib.Reserve(n), "as-of join");
    for (int64_t i = 0; i < n; ++i) {
      if (match[i] < 0) {
        ib.UnsafeAppendNull();
      } else {
        ib.UnsafeAppend(match[i]);
      }
    }
    SYSTORE_RETURN_NOT_OK_ARROW(ib.Finish(&indices), "as-of join");
    return indices;
  };
  arrow::FieldVector fields = left.schema()->fields();
  arrow::ChunkedArrayVector columns = left.columns();
  const int right_ts = right.schema()->GetFieldIndex(kTimestampColumn);
  for (int c = 0; c < right.num_columns(); ++c) {
    const auto& f = right.schema()->field(c);
    if (c == right_ts || (right_ts < 0 && f->type()->id() == arrow::Type::TIMESTAMP)) continue;
    if (!options.by.empty() && f->name() == options.by) continue;
    std::string name = f->name();
    if (left.schema()->GetFieldIndex(name) >= 0) name += options.right_suffix;
    const auto tid = f->type()->id();
    std::shared_ptr<arrow::Array> idx;
    if (tid != arrow::Type::DOUBLE && tid != arrow::Type::INT64 && tid != arrow::Type::TIMESTAMP) {
      SYSTORE_ASSIGN_OR_RAISE(idx, take_indices());
    }
    auto taken = Gather(right.column(c), match.get(), n, idx);
    if (!taken.ok()) return taken.status().WithContext("column '" + f->name() + "'");
    fields.push_back(arrow::field(name, f->type()));
    columns.push_back(*taken);
  }
  return arrow::Table::Make(arrow::schema(fields), columns, n);
}

}  // namespace systore
