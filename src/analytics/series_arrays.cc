#include "analytics/series_arrays.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <cctype>
#include <cmath>
#include <limits>

#include "core/arrow_status_internal.h"
#include "systore/timeseries_store.h"

namespace systore::analytics {

namespace {

bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

}  // namespace

int FindColumn(const arrow::Schema& schema, const std::string& name) {
  for (int i = 0; i < schema.num_fields(); ++i)
    if (schema.field(i)->name() == name) return i;
  for (int i = 0; i < schema.num_fields(); ++i)
    if (EqualsIgnoreCase(schema.field(i)->name(), name)) return i;
  return -1;
}

std::string ColumnList(const arrow::Schema& schema) {
  std::string out;
  for (int i = 0; i < schema.num_fields(); ++i) out += (i ? ", " : "") + schema.field(i)->name();
  return out.empty() ? "none" : out;
}

namespace {

/// The ts column (or the first timestamp column) as ns, null-free.
Result<std::shared_ptr<arrow::ChunkedArray>> TimestampColumn(const arrow::Table& table) {
  const arrow::Schema& schema = *table.schema();
  int idx = schema.GetFieldIndex(kTimestampColumn);
  if (idx < 0) {
    for (int i = 0; i < schema.num_fields(); ++i)
      if (schema.field(i)->type()->id() == arrow::Type::TIMESTAMP) {
        idx = i;
        break;
      }
  }
  if (idx < 0) {
    return Status::InvalidArgument("series has no 'ts' column (columns: " + ColumnList(schema) + ")");
  }
  std::shared_ptr<arrow::ChunkedArray> col = table.column(idx);
  const auto& type = *col->type();
  if (type.id() == arrow::Type::TIMESTAMP) {
    auto unit = static_cast<const arrow::TimestampType&>(type).unit();
    if (unit != arrow::TimeUnit::NANO) {
      arrow::compute::CastOptions opts = arrow::compute::CastOptions::Safe(arrow::timestamp(arrow::TimeUnit::NANO));
      SYSTORE_ASSIGN_OR_RAISE_ARROW(arrow::Datum d, arrow::compute::Cast(col, opts), "ts column");
      col = d.chunked_array();
    }
  } else if (type.id() != arrow::Type::INT64) {
    return Status::InvalidArgument("column '" + schema.field(idx)->name() + "' is " + type.ToString() +
                                   ", not a timestamp or int64 nanoseconds");
  }
  if (col->null_count() > 0) return Status::InvalidArgument("ts column has null timestamps");
  return col;
}

std::vector<int64_t> Copy(const arrow::ChunkedArray& col) {
  std::vector<int64_t> out;
  out.reserve(col.length());
  for (const auto& chunk : col.chunks()) {
    const int64_t* v = chunk->data()->GetValues<int64_t>(1);
    out.insert(out.end(), v, v + chunk->length());
  }
  return out;
}

}  // namespace

Result<std::vector<int64_t>> TimestampValues(const arrow::Table& table) {
  SYSTORE_ASSIGN_OR_RAISE(auto col, TimestampColumn(table));
  return Copy(*col);
}

Result<TimestampView> TimestampsView(const arrow::Table& table) {
  SYSTORE_ASSIGN_OR_RAISE(auto col, TimestampColumn(table));
  TimestampView v;
  if (col->num_chunks() == 1) {
    v.keep = col;
    v.data_ = col->chunk(0)->data()->GetValues<int64_t>(1);
  } else {
    v.owned = Copy(*col);
    v.data_ = v.owned.data();
  }
  v.size_ = col->length();
  return v;
}


Result<std::vector<double>> DoubleValues(const arrow::Table& table, int column) {
  std::shared_ptr<arrow::ChunkedArray> col = table.column(column);
  const std::string& name = table.schema()->field(column)->name();
  if (col->type()->id() != arrow::Type::DOUBLE) {
    if (!arrow::is_integer(col->type()->id()) && !arrow::is_floating(col->type()->id())) {
      return Status::InvalidArgument("column '" + name + "' is " + col->type()->ToString() + ", not numeric");
    }
    SYSTORE_ASSIGN_OR_RAISE_ARROW(arrow::Datum d, arrow::compute::Cast(col, arrow::float64()), "column " + name);
    col = d.chunked_array();
  }
  std::vector<double> out(col->length());
  int64_t at = 0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& chunk : col->chunks()) {
    const auto& a = static_cast<const arrow::DoubleArray&>(*chunk);
    const double* v = a.raw_values();
    if (a.null_count() == 0) {
      std::copy(v, v + a.length(), out.begin() + at);
    } else {
      for (int64_t i = 0; i < a.length(); ++i) out[at + i] = a.IsNull(i) ? nan : v[i];
    }
    at += a.length();
  }
  return out;
}

std::shared_ptr<arrow::Table> MakeDoubleTable(const std::vector<int64_t>& ts, const std::vector<std::string>& names,
                                              const std::vector<std::vector<double>>& columns) {
  arrow::FieldVector fields{arrow::field(kTimestampColumn, arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), false)};
  arrow::ArrayVector arrays;
  auto ts_buf = arrow::Buffer::FromVector(ts);
  arrays.push_back(std::make_shared<arrow::TimestampArray>(fields[0]->type(), ts.size(), ts_buf));
  for (size_t c = 0; c < columns.size(); ++c) {
    fields.push_back(arrow::field(names[c], arrow::float64()));
    arrays.push_back(std::make_shared<arrow::DoubleArray>(columns[c].size(), arrow::Buffer::FromVector(columns[c])));
  }
  return arrow::Table::Make(arrow::schema(fields), arrays, static_cast<int64_t>(ts.size()));
}

int64_t FirstUnsortedRow(const std::vector<int64_t>& ts) { return FirstUnsortedRow(ts.data(), ts.size()); }

int64_t FirstUnsortedRow(const int64_t* ts, size_t n) {
  for (size_t i = 1; i < n; ++i)
    if (ts[i] < ts[i - 1]) return static_cast<int64_t>(i);
  return -1;
}

}  // namespace systore::analytics
