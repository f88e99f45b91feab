// CSV in the form pysystemtrade writes it: the first column is a datetime index
// ("DATETIME,price", "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME", ...), the rest are values.
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "systore/result.h"

namespace arrow {
class Table;
}

namespace systore {

struct CsvReadOptions {
  /// What to do with repeated timestamps (pysystemtrade's own FX files have some).
  enum class Duplicates { kError, kKeepFirst, kKeepLast };
  Duplicates duplicates = Duplicates::kError;
  /// Column name -> "double", "long" or "string" (e.g. a dataset's stored schema).
  /// Columns not listed are inferred: names ending in _CONTRACT and columns whose first
  /// value is not a number are strings, the rest doubles (every value must then parse).
  std::map<std::string, std::string> column_types;
};

struct CsvSeries {
  std::shared_ptr<arrow::Table> table;  // "ts" + value columns, strictly increasing
  std::string index_name;               // the header of the first column, e.g. DATETIME
  int64_t duplicates_dropped = 0;
};

/// Reads a CSV file. Errors (InvalidArgument) name the file, line and column: missing
/// file, no value column, unparsable timestamp or number, timestamps out of order, and
/// duplicate timestamps under Duplicates::kError.
Result<CsvSeries> ReadSeriesCsv(const std::string& path, const CsvReadOptions& options = {});
/// Same, from bytes in memory; `source_name` is used in error messages.
Result<CsvSeries> ParseSeriesCsv(std::string_view content, const std::string& source_name,
                                 const CsvReadOptions& options = {});

/// Writes a series table as CSV with `index_name` as the first header. Doubles are printed
/// in their shortest form that parses back to the same double; nulls are empty fields.
/// `renames` maps stored column names to header names (e.g. CLOSE -> FINAL).
Status WriteSeriesCsv(const arrow::Table& table, const std::string& index_name,
                      const std::map<std::string, std::string>& renames, std::ostream& out);

}  // namespace systore
