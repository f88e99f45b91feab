#include "timeseries/series_table.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/compute/initialize.h>

#include <algorithm>
#include <mutex>

#include "core/arrow_status_internal.h"

namespace systore {
namespace {

const std::vector<std::string>& RequiredColumns(SeriesKind kind) {
  static const std::vector<std::string> kNone;
  static const std::vector<std::string> kOhlcv = {"OPEN", "HIGH", "LOW", "CLOSE", "VOLUME"};
  static const std::vector<std::string> kTicks = {"price", "size"};
  switch (kind) {
    case SeriesKind::kOhlcv:
      return kOhlcv;
    case SeriesKind::kTicks:
      return kTicks;
    case SeriesKind::kGeneric:
      break;
  }
  return kNone;
}

std::shared_ptr<arrow::DataType> ArrowTypeOf(const std::string& type) {
  if (type == "double") return arrow::float64();
  if (type == "long") return arrow::int64();
  return arrow::utf8();
}

Result<std::string> SpecTypeOf(const arrow::DataType& t, const std::string& column) {
  switch (t.id()) {
    case arrow::Type::DOUBLE:
    case arrow::Type::FLOAT:
      return std::string("double");
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
      return std::string("long");
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::DICTIONARY:
      return std::string("string");
    default:
      return Status::InvalidArgument("column '" + column + "' has unsupported type " + t.ToString() +
                                     " (use double, integer or string)");
  }
}

Result<std::shared_ptr<arrow::ChunkedArray>> CastColumn(const std::shared_ptr<arrow::ChunkedArray>& col,
                                                        const std::shared_ptr<arrow::DataType>& to,
                                                        const std::string& name) {
  if (col->type()->Equals(*to)) return col;
  EnsureArrowCompute();
  arrow::compute::CastOptions opts = arrow::compute::CastOptions::Safe(to);
  SYSTORE_ASSIGN_OR_RAISE_ARROW(arrow::Datum d, arrow::compute::Cast(arrow::Datum(col), opts), "column '" + name + "'");
  return d.chunked_array();
}

bool RowsEqual(const std::vector<std::shared_ptr<arrow::Array>>& a, int64_t i,
               const std::vector<std::shared_ptr<arrow::Array>>& b, int64_t j) {
  static const arrow::EqualOptions kOpts = arrow::EqualOptions::Defaults().nans_equal(true);
  for (size_t c = 1; c < a.size(); ++c) {  // column 0 is ts, equal by construction
    if (!a[c]->RangeEquals(i, i + 1, j, *b[c], kOpts)) return false;
  }
  return true;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> CombinedColumns(const arrow::Table& t) {
  std::vector<std::shared_ptr<arrow::Array>> out;
  for (const auto& col : t.columns()) {
    if (col->num_chunks() == 1) {
      out.push_back(col->chunk(0));
    } else {
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto arr, arrow::Concatenate(col->chunks()), "combine");
      out.push_back(arr);
    }
  }
  return out;
}

}  // namespace

std::shared_ptr<arrow::DataType> TimestampType() {
  static auto t = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  return t;
}

void EnsureArrowCompute() {
  static std::once_flag once;
  std::call_once(once, [] { (void)arrow::compute::Initialize(); });
}

std::shared_ptr<arrow::Schema> SeriesSchema(const std::vector<SeriesColumnSpec>& columns) {
  std::vector<std::shared_ptr<arrow::Field>> fields;
  fields.push_back(arrow::field(kTimestampColumn, TimestampType(), false));
  for (const auto& c : columns) fields.push_back(arrow::field(c.name, ArrowTypeOf(c.type)));
  return arrow::schema(fields);
}

std::vector<Timestamp> TimestampsOf(const arrow::Table& table) {
  std::vector<Timestamp> out;
  out.reserve(table.num_rows());
  for (const auto& chunk : table.column(0)->chunks()) {
    const int64_t* v = chunk->data()->GetValues<int64_t>(1);  // timestamps are int64 (offset applied)
    out.insert(out.end(), v, v + chunk->length());
  }
  return out;
}

Result<std::shared_ptr<arrow::Table>> NormalizeSeries(std::shared_ptr<arrow::Table> table, SeriesKind kind,
                                                      std::vector<SeriesColumnSpec>* columns) {
  if (!table) return Status::InvalidArgument("no data (null table)");
  auto schema = table->schema();
  int ts_idx = schema->GetFieldIndex(kTimestampColumn);
  if (ts_idx < 0 && schema->num_fields() > 0 && schema->field(0)->type()->id() == arrow::Type::TIMESTAMP) {
    ts_idx = 0;
  }
  if (ts_idx < 0) {
    return Status::InvalidArgument("series has no '" + std::string(kTimestampColumn) +
                                   "' column (columns: " + schema->ToString() + ")");
  }
  // Timestamps: any unit or int64 nanoseconds -> timestamp[ns, UTC].
  auto ts_col = table->column(ts_idx);
  std::shared_ptr<arrow::ChunkedArray> ts_ns;
  if (ts_col->type()->id() == arrow::Type::INT64) {
    SYSTORE_ASSIGN_OR_RAISE_ARROW(ts_ns, ts_col->View(TimestampType()), "ts");
  } else if (ts_col->type()->id() == arrow::Type::TIMESTAMP) {
    auto unit = static_cast<const arrow::TimestampType&>(*ts_col->type()).unit();
    if (unit == arrow::TimeUnit::NANO) {
      SYSTORE_ASSIGN_OR_RAISE_ARROW(ts_ns, ts_col->View(TimestampType()), "ts");
    } else {
      SYSTORE_ASSIGN_OR_RAISE(ts_ns, CastColumn(ts_col, TimestampType(), kTimestampColumn));
    }
  } else {
    return Status::InvalidArgument("column 'ts' must be a timestamp or int64 nanoseconds, not " +
                                   ts_col->type()->ToString());
  }
  if (ts_ns->null_count() > 0) {
    int64_t row = 0;
    for (const auto& chunk : ts_ns->chunks()) {
      for (int64_t i = 0; i < chunk->length(); ++i, ++row) {
        if (chunk->IsNull(i)) return Status::InvalidArgument("row " + std::to_string(row + 1) + ": missing timestamp");
      }
    }
  }

  // Value columns by name (pysystemtrade's FINAL is CLOSE for OHLCV).
  std::vector<std::pair<std::string, std::shared_ptr<arrow::ChunkedArray>>> values;
  for (int i = 0; i < schema->num_fields(); ++i) {
    if (i == ts_idx) continue;
    std::string name = schema->field(i)->name();
    if (kind == SeriesKind::kOhlcv && name == "FINAL") name = "CLOSE";
    for (const auto& [n, c] : values) {
      if (n == name) return Status::InvalidArgument("column '" + name + "' appears twice");
    }
    values.emplace_back(name, table->column(i));
  }
  for (const auto& req : RequiredColumns(kind)) {
    bool found = std::any_of(values.begin(), values.end(), [&](const auto& v) { return v.first == req; });
    if (!found) {
      return Status::InvalidArgument("missing required column '" + req + "' for " +
                                     (kind == SeriesKind::kOhlcv ? "OHLCV bars" : "ticks"));
    }
  }
  if (columns->empty()) {
    for (const auto& [name, col] : values) {
      SYSTORE_ASSIGN_OR_RAISE(std::string t, SpecTypeOf(*col->type(), name));
      // Integer prices are still prices: OHLCV and tick numbers are stored as doubles.
      if (t == "long" && kind != SeriesKind::kGeneric) t = "double";
      columns->push_back({name, t});
    }
  }
  std::vector<std::shared_ptr<arrow::ChunkedArray>> out_cols{ts_ns};
  for (const auto& spec : *columns) {
    auto it = std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == spec.name; });
    if (it == values.end()) {
      return Status::InvalidArgument("missing column '" + spec.name + "' (the dataset stores " +
                                     SeriesSchema(*columns)->ToString() + ")");
    }
    SYSTORE_ASSIGN_OR_RAISE(std::string have, SpecTypeOf(*it->second->type(), spec.name));
    if (have == "string" && spec.type != "string") {
      return Status::InvalidArgument("column '" + spec.name + "' holds strings but the dataset stores " + spec.type);
    }
    SYSTORE_ASSIGN_OR_RAISE(auto cast, CastColumn(it->second, ArrowTypeOf(spec.type), spec.name));
    out_cols.push_back(cast);
  }
  if (values.size() > columns->size()) {
    for (const auto& [name, col] : values) {
      bool known = std::any_of(columns->begin(), columns->end(), [&](const auto& c) { return c.name == name; });
      if (!known) {
        return Status::InvalidArgument("unexpected column '" + name + "' (the dataset stores " +
                                       SeriesSchema(*columns)->ToString() + ")");
      }
    }
  }
  auto out = arrow::Table::Make(SeriesSchema(*columns), out_cols, table->num_rows());

  // Strictly increasing timestamps; ticks: non-decreasing (several trades stamped with
  // one time are data, in arrival order).
  const bool ticks = kind == SeriesKind::kTicks;
  std::vector<Timestamp> ts = TimestampsOf(*out);
  for (size_t i = 1; i < ts.size(); ++i) {
    if (ts[i] < ts[i - 1] || (!ticks && ts[i] == ts[i - 1])) {
      return Status::InvalidArgument("row " + std::to_string(i + 1) + ": timestamp " + FormatTimestamp(ts[i]) +
                                     (ts[i] == ts[i - 1]
                                          ? " duplicates the previous row"
                                          : " is before the previous row's " + FormatTimestamp(ts[i - 1])) +
                                     (ticks ? " (ticks must be in time order)"
                                            : " (rows must be strictly increasing in time)"));
    }
  }
  return out;
}

Result<std::shared_ptr<arrow::Table>> SliceByTime(const std::shared_ptr<arrow::Table>& table, Timestamp start,
                                                  Timestamp end) {
  std::vector<Timestamp> ts = TimestampsOf(*table);
  auto lo = std::lower_bound(ts.begin(), ts.end(), start) - ts.begin();
  auto hi = std::upper_bound(ts.begin(), ts.end(), end) - ts.begin();
  if (lo == 0 && hi == static_cast<int64_t>(ts.size())) return table;
  return table->Slice(lo, std::max<int64_t>(0, hi - lo));
}

Result<std::shared_ptr<arrow::Table>> ConcatTables(const std::vector<std::shared_ptr<arrow::Table>>& tables,
                                                   const std::shared_ptr<arrow::Schema>& schema) {
  if (tables.empty()) {
    SYSTORE_ASSIGN_OR_RAISE_ARROW(auto t, arrow::Table::MakeEmpty(schema), "empty table");
    return t;
  }
  if (tables.size() == 1) return tables[0];
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto t, arrow::ConcatenateTables(tables), "concatenate");
  return t;
}

namespace {

Result<std::shared_ptr<arrow::Table>> TakeRows(const std::shared_ptr<arrow::Table>& existing,
                                               const std::shared_ptr<arrow::Table>& incoming,
                                               const std::vector<int64_t>& take) {
  EnsureArrowCompute();
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto both, arrow::ConcatenateTables({existing, incoming}), "merge");
  arrow::Int64Builder b;
  SYSTORE_RETURN_NOT_OK_ARROW(b.AppendValues(take), "merge");
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto idx, b.Finish(), "merge");
  SYSTORE_ASSIGN_OR_RAISE_ARROW(arrow::Datum d, arrow::compute::Take(arrow::Datum(both), arrow::Datum(idx)), "merge");
  return d.table();
}

/// Ticks: the rows at one timestamp are one unit, in arrival order. Overwrite replaces
/// the stored rows within [first, last] of the incoming ones; fill-gaps and newer-only
/// add the incoming timestamps that have no stored rows (newer-only: only after the
/// last stored one); a group at a stored timestamp counts as duplicate when it equals the
/// stored group row for row, else as conflicting.
Result<MergeOutcome> MergeTicks(const std::shared_ptr<arrow::Table>& existing,
                                const std::shared_ptr<arrow::Table>& incoming, MergeMode mode,
                                std::optional<std::pair<Timestamp, Timestamp>> replace_range) {
  MergeOutcome out;
  std::vector<Timestamp> e = TimestampsOf(*existing), n = TimestampsOf(*incoming);
  SYSTORE_ASSIGN_OR_RAISE(auto ecols, CombinedColumns(*existing));
  SYSTORE_ASSIGN_OR_RAISE(auto ncols, CombinedColumns(*incoming));
  const int64_t ne = static_cast<int64_t>(e.size());
  auto same_rows = [&](int64_t e0, int64_t n0, int64_t count) {
    for (int64_t k = 0; k < count; ++k)
      if (!RowsEqual(ecols, e0 + k, ncols, n0 + k)) return false;
    return true;
  };
  std::vector<int64_t> take;
  take.reserve(e.size() + n.size());
  if (mode == MergeMode::kOverwrite) {
    const Timestamp from = replace_range ? replace_range->first : n.front();
    const Timestamp to = replace_range ? replace_range->second : n.back();
    const int64_t lo = std::lower_bound(e.begin(), e.end(), from) - e.begin();
    const int64_t hi = std::upper_bound(e.begin(), e.end(), to) - e.begin();
    const int64_t nn = static_cast<int64_t>(n.size());
    if (hi - lo == nn && same_rows(lo, 0, nn)) {
      out.duplicate = nn;
      out.table = existing;
      return out;
    }
    for (int64_t i = 0; i < lo; ++i) take.push_back(i);
    for (int64_t j = 0; j < nn; ++j) take.push_back(ne + j);
    for (int64_t i = hi; i < ne; ++i) take.push_back(i);
    out.added = nn;
    out.conflicting = hi - lo;  // stored rows replaced
    SYSTORE_ASSIGN_OR_RAISE(out.table, TakeRows(existing, incoming, take));
    return out;
  }
  const Timestamp last = e.empty() ? kMinTimestamp : e.back();
  size_t i = 0, j = 0;
  while (i < e.size() || j < n.size()) {
    if (j == n.size() || (i < e.size() && e[i] < n[j])) {
      take.push_back(static_cast<int64_t>(i++));
      continue;
    }
    size_t j_end = j;
    while (j_end < n.size() && n[j_end] == n[j]) ++j_end;
    const int64_t group = static_cast<int64_t>(j_end - j);
    if (i < e.size() && e[i] == n[j]) {  // a stored group at this timestamp: kept as stored
      size_t i_end = i;
      while (i_end < e.size() && e[i_end] == e[i]) ++i_end;
      const bool same = static_cast<int64_t>(i_end - i) == group && same_rows(i, j, group);
      (same ? out.duplicate : out.conflicting) += group;
      for (; i < i_end; ++i) take.push_back(static_cast<int64_t>(i));
    } else if (mode == MergeMode::kNewerOnly && n[j] <= last) {
      out.ignored += group;
    } else {
      for (size_t k = j; k < j_end; ++k) take.push_back(ne + static_cast<int64_t>(k));
      out.added += group;
    }
    j = j_end;
  }
  if (out.added == 0) {
    out.table = existing;
    return out;
  }
  SYSTORE_ASSIGN_OR_RAISE(out.table, TakeRows(existing, incoming, take));
  return out;
}

}  // namespace

Result<MergeOutcome> MergeSeries(const std::shared_ptr<arrow::Table>& existing,
                                 const std::shared_ptr<arrow::Table>& incoming, MergeMode mode, SeriesKind kind,
                                 std::optional<std::pair<Timestamp, Timestamp>> replace_range) {
  if (kind == SeriesKind::kTicks && incoming->num_rows() > 0) return MergeTicks(existing, incoming, mode, replace_range);
  MergeOutcome out;
  std::vector<Timestamp> e = TimestampsOf(*existing), n = TimestampsOf(*incoming);
  SYSTORE_ASSIGN_OR_RAISE(auto ecols, CombinedColumns(*existing));
  SYSTORE_ASSIGN_OR_RAISE(auto ncols, CombinedColumns(*incoming));
  const Timestamp last = e.empty() ? kMinTimestamp : e.back();
  const int64_t ne = static_cast<int64_t>(e.size());
  // Indices into the concatenation [existing; incoming].
  std::vector<int64_t> take;
  take.reserve(e.size() + n.size());
  size_t i = 0, j = 0;
  while (i < e.size() || j < n.size()) {
    if (j == n.size() || (i < e.size() && e[i] < n[j])) {
      take.push_back(static_cast<int64_t>(i++));
    } else if (i == e.size() || n[j] < e[i]) {
      if (mode == MergeMode::kNewerOnly && n[j] <= last) {
        ++out.ignored;
      } else {
        take.push_back(ne + static_cast<int64_t>(j));
        ++out.added;
      }
      ++j;
    } else {  // same timestamp
      if (RowsEqual(ecols, static_cast<int64_t>(i), ncols, static_cast<int64_t>(j))) {
        ++out.duplicate;
        take.push_back(static_cast<int64_t>(i));
      } else {
        ++out.conflicting;
        take.push_back(mode == MergeMode::kOverwrite ? ne + static_cast<int64_t>(j) : static_cast<int64_t>(i));
      }
      ++i;
      ++j;
    }
  }
  if (out.added == 0 && (mode != MergeMode::kOverwrite || out.conflicting == 0)) {
    out.table = existing;
    return out;
  }
  SYSTORE_ASSIGN_OR_RAISE(out.table, TakeRows(existing, incoming, take));
  return out;
}

Result<std::shared_ptr<arrow::Table>> RemoveTimeRange(const std::shared_ptr<arrow::Table>& table, Timestamp start,
                                                      Timestamp end) {
  std::vector<Timestamp> ts = TimestampsOf(*table);
  auto lo = std::lower_bound(ts.begin(), ts.end(), start) - ts.begin();
  auto hi = std::upper_bound(ts.begin(), ts.end(), end) - ts.begin();
  std::vector<std::shared_ptr<arrow::Table>> parts;
  if (lo > 0) parts.push_back(table->Slice(0, lo));
  if (hi < static_cast<int64_t>(ts.size())) parts.push_back(table->Slice(hi));
  return ConcatTables(parts, table->schema());
}

Result<std::shared_ptr<arrow::Table>> ProjectColumns(const std::shared_ptr<arrow::Table>& table,
                                                     const std::vector<std::string>& columns) {
  if (columns.empty()) return table;
  std::vector<int> idx{0};
  for (const auto& c : columns) {
    if (c == kTimestampColumn) continue;
    int i = table->schema()->GetFieldIndex(c);
    if (i < 0) {
      return Status::InvalidArgument("no column '" + c + "' (columns: " + table->schema()->ToString() + ")");
    }
    idx.push_back(i);
  }
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto t, table->SelectColumns(idx), "project");
  return t;
}

}  // namespace systore
