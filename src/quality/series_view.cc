#include "quality/series_view_internal.h"

#include <arrow/compute/api.h>

#include <algorithm>
#include <cctype>

#include "core/arrow_status_internal.h"

namespace systore {
void EnsureArrowCompute();  // timeseries/series_table.h (not included: its ColumnSpec clashes)
}

namespace systore::quality_internal {

namespace {
std::string Lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}
}  // namespace

Result<SeriesView> SeriesView::Make(const std::shared_ptr<arrow::Table>& table) {
  SeriesView v;
  if (!table) return v;
  SYSTORE_ASSIGN_OR_RAISE_ARROW(v.table_, table->CombineChunks(), "combine chunks");
  if (v.table_->num_columns() == 0) return Status::InvalidArgument("table has no columns");
  const auto& f0 = v.table_->field(0);
  if (f0->name() != "ts") return Status::InvalidArgument("first column must be 'ts', got '" + f0->name() + "'");
  if (f0->type()->id() != arrow::Type::TIMESTAMP && f0->type()->id() != arrow::Type::INT64) {
    return Status::InvalidArgument("column ts must be timestamp or int64, got " + f0->type()->ToString());
  }
  int64_t n = v.table_->num_rows();
  if (n > 0) {
    auto arr = v.table_->column(0)->chunk(0);
    if (arr->null_count() > 0) return Status::InvalidArgument("column ts has null values");
    v.ts_ = std::span<const Timestamp>(arr->data()->GetValues<int64_t>(1), static_cast<size_t>(n));
  }
  for (int c = 1; c < v.table_->num_columns(); ++c) {
    v.names_.push_back(v.table_->field(c)->name());
    auto col = v.table_->column(c);
    std::shared_ptr<arrow::Array> arr;
    if (col->num_chunks() == 0) {
      SYSTORE_ASSIGN_OR_RAISE_ARROW(arr, arrow::MakeEmptyArray(col->type()), "empty array");
    } else {
      arr = col->chunk(0);
    }
    v.arrays_.push_back(arr);
  }
  return v;
}

std::vector<int64_t> SeriesView::TimeOrder() const {
  std::vector<int64_t> order(ts_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  if (!std::is_sorted(ts_.begin(), ts_.end())) {
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ts_[a] < ts_[b]; });
  }
  return order;
}

int SeriesView::Find(const std::string& name) const {
  for (int c = 0; c < num_columns(); ++c)
    if (names_[c] == name) return c;
  return -1;
}

int SeriesView::FindAnyCase(const std::vector<std::string>& names) const {
  for (const auto& want : names) {
    std::string lw = Lower(want);
    for (int c = 0; c < num_columns(); ++c)
      if (Lower(names_[c]) == lw) return c;
  }
  return -1;
}

bool SeriesView::IsNumeric(int c) const {
  auto id = arrays_[c]->type_id();
  return id == arrow::Type::DOUBLE || id == arrow::Type::FLOAT || id == arrow::Type::INT64 || id == arrow::Type::INT32;
}

bool SeriesView::IsInteger(int c) const {
  auto id = arrays_[c]->type_id();
  return id == arrow::Type::INT64 || id == arrow::Type::INT32;
}

double SeriesView::Value(int c, int64_t row) const {
  const auto& a = *arrays_[c];
  if (a.IsNull(row)) return std::numeric_limits<double>::quiet_NaN();
  switch (a.type_id()) {
    case arrow::Type::DOUBLE:
      return static_cast<const arrow::DoubleArray&>(a).Value(row);
    case arrow::Type::FLOAT:
      return static_cast<const arrow::FloatArray&>(a).Value(row);
    case arrow::Type::INT64:
      return static_cast<double>(static_cast<const arrow::Int64Array&>(a).Value(row));
    case arrow::Type::INT32:
      return static_cast<const arrow::Int32Array&>(a).Value(row);
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

Result<std::shared_ptr<arrow::Table>> TakeRows(const std::shared_ptr<arrow::Table>& table,
                                               const std::vector<int64_t>& indices) {
  EnsureArrowCompute();
  arrow::Int64Builder b;
  SYSTORE_RETURN_NOT_OK_ARROW(b.AppendValues(indices), "take indices");
  std::shared_ptr<arrow::Array> idx;
  SYSTORE_RETURN_NOT_OK_ARROW(b.Finish(&idx), "take indices");
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto datum, arrow::compute::Take(table, idx), "take rows");
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto combined, datum.table()->CombineChunks(), "combine chunks");
  return combined;
}

}  // namespace systore::quality_internal
