// ReferenceTable: one reference-data table (instruments, roll configuration, holidays, ...)
// at one version, held in memory with a hash index on its key.
//
// A table is a list of named columns and a list of rows of text cells, in the order of the
// canonical CSV file (so the file diffs minimally in git). Typed columns (numbers,
// currencies, dates) are validated on every write; the cells stay text, so a value is
// returned exactly as it was written and unknown columns round-trip untouched.
//
// A ReferenceTable is immutable once built and safe to read from any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "systore/result.h"

namespace systore {

/// The type a column's cells must parse as. Cells are stored as text either way.
enum class ColumnType {
  kString,    // any text
  kNumber,    // a finite decimal number ("5000", "-0.25", "1e-3")
  kInteger,   // a whole number ("-5", "11")
  kCurrency,  // a currency code known to the store (see reference-data.md, "Currencies")
  kDate,      // a calendar date "YYYY-MM-DD"
};

/// Returns "string", "number", "integer", "currency" or "date".
std::string_view ColumnTypeName(ColumnType type);

/// A column a table knows about. Columns not listed in the schema are kept as strings.
struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kString;
  /// The CSV header must contain this column.
  bool required = false;
  /// An empty cell is allowed (key columns never allow it).
  bool nullable = true;
};

/// The schema of a built-in table: its name, its file and its typed columns.
struct TableSchema {
  /// Table name, e.g. "instruments".
  std::string name;
  /// The pysystemtrade csvconfig file it is imported from ("instrumentconfig.csv"), or "".
  std::string source_file;
  /// One line for `systore ref list`.
  std::string description;
  /// The first `key_columns` columns form the key (joined by '/' when more than one).
  int key_columns = 1;
  /// Typed columns; the first `key_columns` are the key, in file order.
  std::vector<ColumnSpec> columns;

  const ColumnSpec* Find(std::string_view column) const;
};

/// The built-in tables: instruments, roll_config, spread_costs, instrument_info,
/// holidays, exchanges, config. Table names outside this list are rejected.
const std::vector<TableSchema>& BuiltinReferenceSchemas();
/// The schema of a built-in table, or nullptr.
const TableSchema* FindReferenceSchema(std::string_view table);

class ReferenceTable {
 public:
  using Row = std::vector<std::string>;

  /// Builds a table; fails with InvalidArgument on a duplicate or empty key or a row whose
  /// width differs from the header. `source` names the file in error messages.
  static Result<std::shared_ptr<const ReferenceTable>> Make(std::string name, std::vector<std::string> columns,
                                                            std::vector<Row> rows, int key_columns = 1,
                                                            std::string_view source = {});

  const std::string& name() const { return name_; }
  const std::vector<std::string>& columns() const { return columns_; }
  int key_columns() const { return key_columns_; }
  size_t num_rows() const { return rows_.size(); }
  const std::vector<Row>& rows() const { return rows_; }
  const Row& row(size_t i) const { return rows_[i]; }

  /// The key of row `i` (the first column, or the key columns joined by '/').
  std::string KeyOf(size_t i) const;
  /// Index of a column, or -1.
  int ColumnIndex(std::string_view column) const;
  /// Index of the row with this key, or -1. O(1), no allocation.
  int64_t FindRow(std::string_view key) const;
  /// The row with this key, or nullptr. The pointer lives as long as the table.
  const Row* Find(std::string_view key) const;
  /// One cell, or nullopt when the key or the column does not exist. The view lives as
  /// long as the table.
  std::optional<std::string_view> Get(std::string_view key, std::string_view column) const;
  /// One cell parsed as a number: NotFound (key/column), InvalidArgument (empty or not
  /// a number).
  Result<double> GetNumber(std::string_view key, std::string_view column) const;

  /// The canonical CSV text: header, then one line per row, '\n' line ends, fields quoted
  /// per RFC 4180 only when they contain a comma, quote, CR or LF.
  std::string ToCsv() const;
  /// Lowercase hex SHA-256 of ToCsv().
  std::string ContentHash() const;

 private:
  ReferenceTable() = default;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::string name_;
  std::vector<std::string> columns_;
  std::vector<Row> rows_;
  int key_columns_ = 1;
  std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> index_;
};

}  // namespace systore
