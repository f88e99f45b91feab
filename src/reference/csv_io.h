// CSV reading (Arrow's CSV reader, every column as text) and canonical RFC 4180 writing
// for reference tables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "systore/result.h"

namespace systore::reference_internal {

struct ParsedCsv {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  /// 1-based line of each row in the source (rows may span lines inside quotes).
  std::vector<int64_t> lines;
};

/// Parses CSV text. Errors name `source`, the line and the column.
Result<ParsedCsv> ParseCsv(std::string_view text, const std::string& source);

/// Canonical form: '\n' line ends, a field quoted only when it holds , " CR or LF.
std::string WriteCsv(const std::vector<std::string>& columns, const std::vector<std::vector<std::string>>& rows);

}  // namespace systore::reference_internal
