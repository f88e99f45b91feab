#include "systore/reference_table.h"

#include "core/file_util.h"
#include "reference/csv_io.h"
#include "reference/validate.h"

namespace systore {
namespace {

ColumnSpec Col(std::string name, ColumnType type, bool required, bool nullable = true) {
  return ColumnSpec{std::move(name), type, required, nullable};
}

std::vector<TableSchema> MakeSchemas() {
  using T = ColumnType;
  std::vector<TableSchema> s;
  // pysystemtrade's csvconfig files: every column the file has today is required, as
  // pysystemtrade itself reads them all.
  s.push_back({"instruments",
               "instrumentconfig.csv",
               "instrument definitions and trading costs",
               1,
               {Col("Instrument", T::kString, true, false), Col("Description", T::kString, true),
                Col("Pointsize", T::kNumber, true, false), Col("Currency", T::kCurrency, true, false),
                Col("AssetClass", T::kString, true), Col("PerBlock", T::kNumber, true, false),
                Col("Percentage", T::kNumber, true, false), Col("PerTrade", T::kNumber, true, false),
                Col("Region", T::kString, true)}});
  s.push_back({"roll_config",
               "rollconfig.csv",
               "roll cycles and offsets",
               1,
               {Col("Instrument", T::kString, true, false), Col("HoldRollCycle", T::kString, true, false),
                Col("RollOffsetDays", T::kInteger, true, false), Col("CarryOffset", T::kInteger, true, false),
                Col("PricedRollCycle", T::kString, true, false), Col("ExpiryOffset", T::kInteger, true, false)}});
  s.push_back({"spread_costs",
               "spreadcosts.csv",
               "bid/ask spread cost per instrument",
               1,
               {Col("Instrument", T::kString, true, false), Col("SpreadCost", T::kNumber, true, false)}});
  s.push_back(
      {"instrument_info",
       "moreinstrumentinfo.csv",
       "asset class hierarchy and descriptions",
       1,
       {Col("Instrument", T::kString, true, false), Col("AssetClass", T::kString, true),
        Col("SubClass", T::kString, false), Col("SubSubClass", T::kString, false), Col("Style", T::kString, false),
        Col("Country", T::kString, false), Col("Duration", T::kNumber, false), Col("Description", T::kString, false)}});
  s.push_back(
      {"holidays",
       "holidays.csv",
       "non-business days per calendar (key Calendar/Date)",
       2,
       {Col("Calendar", T::kString, true, false), Col("Date", T::kDate, true, false), Col("Name", T::kString, false)}});
  s.push_back(
      {"exchanges",
       "exchanges.csv",
       "exchanges and their holiday calendars",
       1,
       {Col("Exchange", T::kString, true, false), Col("Name", T::kString, false), Col("Calendar", T::kString, false),
        Col("Timezone", T::kString, false), Col("Currency", T::kCurrency, false), Col("Country", T::kString, false),
        // "HH:MM" UTC: where the trading day starts (bars can be aligned to it).
        Col("SessionStart", T::kString, false)}});
  s.push_back({"config",
               "config.csv",
               "free key/value configuration",
               1,
               {Col("Key", T::kString, true, false), Col("Value", T::kString, true)}});
  return s;
}

}  // namespace

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "string";
    case ColumnType::kNumber:
      return "number";
    case ColumnType::kInteger:
      return "integer";
    case ColumnType::kCurrency:
      return "currency";
    case ColumnType::kDate:
      return "date";
  }
  return "?";
}

const ColumnSpec* TableSchema::Find(std::string_view column) const {
  for (const auto& c : columns)
    if (c.name == column) return &c;
  return nullptr;
}

const std::vector<TableSchema>& BuiltinReferenceSchemas() {
  static const std::vector<TableSchema> kSchemas = MakeSchemas();
  return kSchemas;
}

const TableSchema* FindReferenceSchema(std::string_view table) {
  for (const auto& s : BuiltinReferenceSchemas())
    if (s.name == table) return &s;
  return nullptr;
}

Result<std::shared_ptr<const ReferenceTable>> ReferenceTable::Make(std::string name, std::vector<std::string> columns,
                                                                   std::vector<Row> rows, int key_columns,
                                                                   std::string_view source) {
  std::string where = source.empty() ? name + ".csv" : std::string(source);
  if (key_columns < 1 || columns.size() < static_cast<size_t>(key_columns)) {
    return Status::InvalidArgument(where + ": needs at least " + std::to_string(key_columns) + " key column(s)");
  }
  std::shared_ptr<ReferenceTable> t(new ReferenceTable());
  t->name_ = std::move(name);
  t->columns_ = std::move(columns);
  t->rows_ = std::move(rows);
  t->key_columns_ = key_columns;
  t->index_.reserve(t->rows_.size());
  for (size_t i = 0; i < t->rows_.size(); ++i) {
    const Row& r = t->rows_[i];
    std::string line = "line " + std::to_string(i + 2);
    if (r.size() != t->columns_.size()) {
      return Status::InvalidArgument(where + " " + line + ": " + std::to_string(r.size()) + " fields, the header has " +
                                     std::to_string(t->columns_.size()));
    }
    for (int k = 0; k < key_columns; ++k) {
      if (r[k].empty()) {
        return Status::InvalidArgument(where + " " + line + ", column '" + t->columns_[k] + "': empty key");
      }
    }
    auto [it, inserted] = t->index_.emplace(t->KeyOf(i), static_cast<int64_t>(i));
    if (!inserted) {
      return Status::InvalidArgument(where + " " + line + ", column '" + t->columns_[0] + "': duplicate key '" +
                                     it->first + "' (first on line " + std::to_string(it->second + 2) + ")");
    }
  }
  return std::shared_ptr<const ReferenceTable>(std::move(t));
}

std::string ReferenceTable::KeyOf(size_t i) const {
  const Row& r = rows_[i];
  if (key_columns_ == 1) return r[0];
  std::string k = r[0];
  for (int c = 1; c < key_columns_; ++c) k += "/" + r[c];
  return k;
}

int ReferenceTable::ColumnIndex(std::string_view column) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i] == column) return static_cast<int>(i);
  return -1;
}

int64_t ReferenceTable::FindRow(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? -1 : it->second;
}

const ReferenceTable::Row* ReferenceTable::Find(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &rows_[it->second];
}

std::optional<std::string_view> ReferenceTable::Get(std::string_view key, std::string_view column) const {
  const Row* r = Find(key);
  if (!r) return std::nullopt;
  int c = ColumnIndex(column);
  if (c < 0) return std::nullopt;
  return std::string_view((*r)[c]);
}

Result<double> ReferenceTable::GetNumber(std::string_view key, std::string_view column) const {
  const Row* r = Find(key);
  if (!r) return Status::NotFound("table '" + name_ + "': no row with key '" + std::string(key) + "'");
  int c = ColumnIndex(column);
  if (c < 0) return Status::NotFound("table '" + name_ + "': no column '" + std::string(column) + "'");
  double d;
  if (!reference_internal::ParseNumber((*r)[c], &d)) {
    return Status::InvalidArgument("table '" + name_ + "', key '" + std::string(key) + "', column '" +
                                   std::string(column) + "': not a number: '" + (*r)[c] + "'");
  }
  return d;
}

std::string ReferenceTable::ToCsv() const { return reference_internal::WriteCsv(columns_, rows_); }

std::string ReferenceTable::ContentHash() const { return Sha256Hex(ToCsv()); }

}  // namespace systore
