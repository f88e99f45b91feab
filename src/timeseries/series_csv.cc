#include "systore/series_csv.h"

#include <arrow/api.h>
#include <arrow/csv/api.h>
#include <arrow/io/memory.h>

#include <charconv>
#include <cmath>

#include "core/arrow_status_internal.h"
#include "core/file_util.h"
#include "core/number_text.h"
#include "systore/time.h"
#include "timeseries/series_table.h"

namespace systore {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '"' || s.front() == '\xef' || s.front() == '\xbb' || s.front() == '\xbf')) {
    s.remove_prefix(1);  // also a UTF-8 byte-order mark
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

Result<CsvSeries> ReadSeriesCsv(const std::string& path, const CsvReadOptions& options) {
  auto content = ReadFileToString(path);
  if (!content.ok()) {
    if (content.status().IsNotFound()) return Status::InvalidArgument("file not found: " + path);
    return content.status();
  }
  return ParseSeriesCsv(*content, path, options);
}

Result<CsvSeries> ParseSeriesCsv(std::string_view content, const std::string& source_name,
                                 const CsvReadOptions& options) {
  auto err = [&](const std::string& msg) { return Status::InvalidArgument(source_name + ": " + msg); };
  // Header: read it ourselves so every column can be parsed as text and converted with
  // line-accurate errors.
  size_t eol = content.find('\n');
  std::string_view header_line = content.substr(0, eol);
  if (Trim(header_line).empty()) return err("line 1: empty file or missing header");
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    size_t comma = header_line.find(',', start);
    names.push_back(
        Trim(header_line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (names.size() < 2) {
    return err("line 1: expected a datetime column and at least one value column, got header '" +
               std::string(Trim(header_line)) + "'");
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) return err("line 1, column " + std::to_string(i + 1) + ": empty column name");
    for (size_t j = 0; j < i; ++j)
      if (names[j] == names[i]) return err("line 1: column '" + names[i] + "' appears twice");
  }

  auto buffer = std::make_shared<arrow::Buffer>(reinterpret_cast<const uint8_t*>(content.data()),
                                                static_cast<int64_t>(content.size()));
  auto input = std::make_shared<arrow::io::BufferReader>(buffer);
  auto read_opts = arrow::csv::ReadOptions::Defaults();
  read_opts.use_threads = false;
  read_opts.column_names = names;
  read_opts.skip_rows = 1;
  auto parse_opts = arrow::csv::ParseOptions::Defaults();
  auto convert_opts = arrow::csv::ConvertOptions::Defaults();
  for (const auto& n : names) convert_opts.column_types[n] = arrow::utf8();
  convert_opts.strings_can_be_null = false;
  std::shared_ptr<arrow::Table> raw;
  {
    auto reader =
        arrow::csv::TableReader::Make(arrow::io::default_io_context(), input, read_opts, parse_opts, convert_opts);
    if (!reader.ok()) return err(reader.status().message());
    auto t = (*reader)->Read();
    if (!t.ok()) return err(t.status().message());
    SYSTORE_ASSIGN_OR_RAISE_ARROW(raw, (*t)->CombineChunks(), source_name);
  }
  const int64_t n = raw->num_rows();
  auto text = [&](int col) { return std::static_pointer_cast<arrow::StringArray>(raw->column(col)->chunk(0)); };
  auto line_of = [](int64_t row) { return std::to_string(row + 2); };

  // Timestamps, order and duplicates.
  auto idx = text(0);
  std::vector<Timestamp> ts(n);
  for (int64_t r = 0; r < n; ++r) {
    auto t = ParseTimestamp(idx->GetView(r));
    if (!t.ok()) return err("line " + line_of(r) + ", column '" + names[0] + "': " + t.status().message());
    ts[r] = *t;
  }
  std::vector<int64_t> keep;  // row indices kept, in order
  keep.reserve(n);
  int64_t dropped = 0;
  for (int64_t r = 0; r < n; ++r) {
    if (!keep.empty()) {
      int64_t prev = keep.back();
      if (ts[r] < ts[prev]) {
        return err("line " + line_of(r) + ", column '" + names[0] + "': timestamp " + FormatTimestamp(ts[r]) +
                   " is before the previous row's " + FormatTimestamp(ts[prev]) + " (line " + line_of(prev) +
                   "); rows must be in time order");
      }
      if (ts[r] == ts[prev]) {
        switch (options.duplicates) {
          case CsvReadOptions::Duplicates::kError:
            return err("line " + line_of(r) + ", column '" + names[0] + "': duplicate timestamp " +
                       FormatTimestamp(ts[r]) + " (also on line " + line_of(prev) +
                       "); choose a duplicates policy (keep-first or keep-last) to resolve");
          case CsvReadOptions::Duplicates::kKeepFirst:
            ++dropped;
            continue;
          case CsvReadOptions::Duplicates::kKeepLast:
            ++dropped;
            keep.back() = r;
            continue;
        }
      }
    }
    keep.push_back(r);
  }

  std::vector<std::shared_ptr<arrow::Field>> fields{arrow::field(kTimestampColumn, TimestampType(), false)};
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  {
    arrow::TimestampBuilder b(TimestampType(), arrow::default_memory_pool());
    SYSTORE_RETURN_NOT_OK_ARROW(b.Reserve(static_cast<int64_t>(keep.size())), source_name);
    for (int64_t r : keep) b.UnsafeAppend(ts[r]);
    SYSTORE_ASSIGN_OR_RAISE_ARROW(auto a, b.Finish(), source_name);
    arrays.push_back(a);
  }
  for (size_t c = 1; c < names.size(); ++c) {
    auto col = text(static_cast<int>(c));
    std::string type;
    auto it = options.column_types.find(names[c]);
    if (it != options.column_types.end()) {
      type = it->second;
    } else if (names[c].size() >= 9 && names[c].compare(names[c].size() - 9, 9, "_CONTRACT") == 0) {
      type = "string";
    } else {
      type = "double";
      for (int64_t r = 0; r < n; ++r) {
        std::string_view v = col->GetView(r);
        if (Trim(v).empty()) continue;
        double d;
        if (!ParseDouble(v, &d)) type = "string";
        break;
      }
    }
    if (type == "double") {
      arrow::DoubleBuilder b;
      SYSTORE_RETURN_NOT_OK_ARROW(b.Reserve(static_cast<int64_t>(keep.size())), source_name);
      for (int64_t r : keep) {
        std::string_view v = col->GetView(r);
        double d;
        if (Trim(v).empty()) {
          b.UnsafeAppendNull();
        } else if (ParseDouble(v, &d)) {
          b.UnsafeAppend(d);
        } else {
          return err("line " + line_of(r) + ", column '" + names[c] + "': not a number: '" + std::string(v) + "'");
        }
      }
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto a, b.Finish(), source_name);
      arrays.push_back(a);
      fields.push_back(arrow::field(names[c], arrow::float64()));
    } else if (type == "long") {
      arrow::Int64Builder b;
      for (int64_t r : keep) {
        std::string_view v = col->GetView(r);
        int64_t x;
        if (Trim(v).empty()) {
          SYSTORE_RETURN_NOT_OK_ARROW(b.AppendNull(), source_name);
        } else if (ParseInt64(v, &x)) {
          SYSTORE_RETURN_NOT_OK_ARROW(b.Append(x), source_name);
        } else {
          return err("line " + line_of(r) + ", column '" + names[c] + "': not an integer: '" + std::string(v) + "'");
        }
      }
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto a, b.Finish(), source_name);
      arrays.push_back(a);
      fields.push_back(arrow::field(names[c], arrow::int64()));
    } else {
      arrow::StringBuilder b;
      for (int64_t r : keep) {
        std::string_view v = col->GetView(r);
        if (v.empty()) {
          SYSTORE_RETURN_NOT_OK_ARROW(b.AppendNull(), source_name);
        } else {
          SYSTORE_RETURN_NOT_OK_ARROW(b.Append(v), source_name);
        }
      }
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto a, b.Finish(), source_name);
      arrays.push_back(a);
      fields.push_back(arrow::field(names[c], arrow::utf8()));
    }
  }
  CsvSeries out;
  out.table = arrow::Table::Make(arrow::schema(fields), arrays, static_cast<int64_t>(keep.size()));
  out.index_name = names[0];
  out.duplicates_dropped = dropped;
  return out;
}

Status WriteSeriesCsv(const arrow::Table& table, const std::string& index_name,
                      const std::map<std::string, std::string>& renames, std::ostream& out) {
  out << index_name;
  for (int c = 1; c < table.num_columns(); ++c) {
    const std::string& name = table.field(c)->name();
    auto it = renames.find(name);
    out << ',' << (it == renames.end() ? name : it->second);
  }
  out << '\n';
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto combined, table.CombineChunks(), "csv");
  std::vector<Timestamp> ts = TimestampsOf(*combined);
  std::vector<std::shared_ptr<arrow::Array>> cols;
  for (int c = 0; c < combined->num_columns(); ++c) {
    cols.push_back(combined->column(c)->num_chunks() ? combined->column(c)->chunk(0) : nullptr);
  }
  std::string line;
  for (int64_t r = 0; r < combined->num_rows(); ++r) {
    line = FormatTimestamp(ts[r]);
    for (int c = 1; c < combined->num_columns(); ++c) {
      line += ',';
      const auto& a = cols[c];
      if (a->IsNull(r)) continue;
      switch (a->type_id()) {
        case arrow::Type::DOUBLE:
          line += FormatDouble(static_cast<const arrow::DoubleArray&>(*a).Value(r));
          break;
        case arrow::Type::INT64:
          line += std::to_string(static_cast<const arrow::Int64Array&>(*a).Value(r));
          break;
        case arrow::Type::STRING: {
          std::string_view v = static_cast<const arrow::StringArray&>(*a).GetView(r);
          if (v.find_first_of(",\"\n") != std::string_view::npos) {
            line += '"';
            for (char ch : v) {
              if (ch == '"') line += '"';
              line += ch;
            }
            line += '"';
          } else {
            line += v;
          }
          break;
        }
        default:
          return Status::NotImplemented("CSV output of column type " + a->type()->ToString());
      }
    }
    line += '\n';
    out << line;
  }
  if (!out) return Status::IOError("CSV write failed");
  return Status::OK();
}

}  // namespace systore
