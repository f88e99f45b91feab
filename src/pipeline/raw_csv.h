// RawCsv: a lenient reader for ingest. Unlike ReadSeriesCsv (which stops at the first
// problem), it reads every line it can, keeps rows in file order (unsorted rows and
// repeated timestamps are the validators' business) and turns each line it cannot read
// into a finding naming the file, line, column and value, keeping the line's text.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "systore/batch_ingest.h"
#include "systore/quality.h"
#include "systore/result.h"

namespace arrow {
class Table;
}

namespace systore::pipeline_internal {

struct RawCsvResult {
  /// ts + value columns in file order; rows that could not be read are absent.
  std::shared_ptr<arrow::Table> table;
  std::string index_name;             // header of the first column
  std::vector<int64_t> source_lines;  // 1-based line of each row
  /// One finding per unreadable line (rule "parse", severity error) and per file-level
  /// problem (empty file, no value column: severity critical). Row is -1.
  std::vector<Finding> findings;
  /// "line N: <text>" of each unreadable line, kept whole.
  std::vector<std::string> bad_lines;
};

/// Parses CSV content. `source` is the file name used in findings. Only an I/O problem is
/// an error; everything about the content is a finding.
Result<RawCsvResult> ParseRawCsv(std::string_view content, const std::string& source, const ColumnMapping& mapping,
                                 int64_t max_line_bytes);
Result<RawCsvResult> ReadRawCsv(const std::string& path, const ColumnMapping& mapping, int64_t max_line_bytes);

/// Reads a Parquet file and applies the mapping (timestamp column, renames, columns).
Result<RawCsvResult> ReadParquetDrop(const std::string& path, const ColumnMapping& mapping);

}  // namespace systore::pipeline_internal
