#include "reference/csv_io.h"

#include <arrow/api.h>
#include <arrow/csv/api.h>
#include <arrow/io/memory.h>

namespace systore::reference_internal {
namespace {

// Where each record starts (1-based line) and how many fields it has, honouring quotes,
// so errors can name lines even when a quoted value spans several. Empty lines are
// skipped, as Arrow's reader skips them.
struct RecordShape {
  int64_t line;
  size_t fields;
};

Result<std::vector<RecordShape>> ScanRecords(std::string_view text, const std::string& source) {
  std::vector<RecordShape> out;
  int64_t line = 1;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    if (text[i] == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (text[i] == '\r' && (i + 1 == n || text[i + 1] == '\n')) {
      ++i;
      continue;
    }
    RecordShape rec{line, 1};
    bool in_quotes = false;
    int64_t quote_line = line;
    for (; i < n; ++i) {
      char c = text[i];
      if (in_quotes) {
        if (c == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            ++i;
          } else {
            in_quotes = false;
          }
        } else if (c == '\n') {
          ++line;
        }
        continue;
      }
      if (c == '"') {
        in_quotes = true;
        quote_line = line;
      } else if (c == ',') {
        ++rec.fields;
      } else if (c == '\n') {
        break;
      }
    }
    if (in_quotes) {
      return Status::InvalidArgument(source + " line " + std::to_string(quote_line) +
                                     ": a quoted field is not closed before the end of the file");
    }
    out.push_back(rec);
  }
  return out;
}

bool NeedsQuotes(std::string_view s) { return s.find_first_of(",\"\r\n") != std::string_view::npos; }

void AppendField(std::string* out, std::string_view s) {
  if (!NeedsQuotes(s)) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

Result<ParsedCsv> ParseCsv(std::string_view text, const std::string& source) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xef\xbb\xbf") text.remove_prefix(3);  // UTF-8 BOM
  SYSTORE_ASSIGN_OR_RAISE(auto shapes, ScanRecords(text, source));
  if (shapes.empty()) return Status::InvalidArgument(source + " line 1: empty file, expected a header line");
  const size_t width = shapes[0].fields;
  for (size_t r = 1; r < shapes.size(); ++r) {
    if (shapes[r].fields != width) {
      return Status::InvalidArgument(source + " line " + std::to_string(shapes[r].line) + ": " +
                                     std::to_string(shapes[r].fields) + " fields, the header has " +
                                     std::to_string(width));
    }
  }

  auto buffer =
      std::make_shared<arrow::Buffer>(reinterpret_cast<const uint8_t*>(text.data()), static_cast<int64_t>(text.size()));
  auto input = std::make_shared<arrow::io::BufferReader>(buffer);
  auto read_opts = arrow::csv::ReadOptions::Defaults();
  read_opts.use_threads = false;
  read_opts.autogenerate_column_names = true;  // the header is read as a row of text
  auto parse_opts = arrow::csv::ParseOptions::Defaults();
  parse_opts.newlines_in_values = true;
  auto convert_opts = arrow::csv::ConvertOptions::Defaults();
  for (size_t c = 0; c < width; ++c) convert_opts.column_types["f" + std::to_string(c)] = arrow::utf8();
  convert_opts.strings_can_be_null = false;
  convert_opts.quoted_strings_can_be_null = false;
  auto reader =
      arrow::csv::TableReader::Make(arrow::io::default_io_context(), input, read_opts, parse_opts, convert_opts);
  if (!reader.ok()) return Status::InvalidArgument(source + ": " + reader.status().message());
  auto table = (*reader)->Read();
  if (!table.ok()) return Status::InvalidArgument(source + ": " + table.status().message());
  auto combined = (*table)->CombineChunks();
  if (!combined.ok()) return Status::InvalidArgument(source + ": " + combined.status().message());
  std::shared_ptr<arrow::Table> t = *combined;
  if (static_cast<size_t>(t->num_columns()) != width || static_cast<size_t>(t->num_rows()) != shapes.size()) {
    return Status::Internal(source + ": CSV reader returned " + std::to_string(t->num_rows()) + "x" +
                            std::to_string(t->num_columns()) + " cells, expected " + std::to_string(shapes.size()) +
                            "x" + std::to_string(width));
  }

  ParsedCsv out;
  const int64_t n = t->num_rows();
  std::vector<std::shared_ptr<arrow::StringArray>> cols;
  for (int c = 0; c < t->num_columns(); ++c) {
    if (t->column(c)->num_chunks() == 0) {
      cols.push_back(nullptr);
      continue;
    }
    cols.push_back(std::static_pointer_cast<arrow::StringArray>(t->column(c)->chunk(0)));
  }
  auto cell = [&](int64_t r, size_t c) {
    std::string s(cols[c]->GetView(r));
    if (c + 1 == width && !s.empty() && s.back() == '\r') s.pop_back();
    return s;
  };
  for (size_t c = 0; c < width; ++c) {
    std::string name = cell(0, c);
    if (name.empty()) {
      return Status::InvalidArgument(source + " line " + std::to_string(shapes[0].line) + ", column " +
                                     std::to_string(c + 1) + ": empty column name");
    }
    for (size_t j = 0; j < c; ++j) {
      if (out.columns[j] == name) {
        return Status::InvalidArgument(source + " line " + std::to_string(shapes[0].line) + ", column " +
                                       std::to_string(c + 1) + ": column '" + name + "' appears twice");
      }
    }
    out.columns.push_back(std::move(name));
  }
  out.rows.reserve(n - 1);
  out.lines.reserve(n - 1);
  for (int64_t r = 1; r < n; ++r) {
    std::vector<std::string> row;
    row.reserve(width);
    for (size_t c = 0; c < width; ++c) row.push_back(cell(r, c));
    out.rows.push_back(std::move(row));
    out.lines.push_back(shapes[r].line);
  }
  return out;
}

std::string WriteCsv(const std::vector<std::string>& columns, const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  auto line = [&](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) out.push_back(',');
      AppendField(&out, fields[i]);
    }
    out.push_back('\n');
  };
  line(columns);
  for (const auto& r : rows) line(r);
  return out;
}

}  // namespace systore::reference_internal
