#include "pipeline/raw_csv.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>

#include "core/arrow_status_internal.h"
#include "core/file_util.h"
#include "core/number_text.h"

namespace systore::pipeline_internal {

namespace {

std::vector<std::string_view> Split(std::string_view line, char delim) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t c = line.find(delim, start);
    if (c == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, c - start));
    start = c + 1;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

std::string Excerpt(std::string_view s) {
  if (s.size() <= 80) return std::string(s);
  return std::string(s.substr(0, 80)) + "... (" + std::to_string(s.size()) + " bytes)";
}

Finding ParseFinding(Severity sev, const std::string& source, int64_t line, std::string msg) {
  Finding f;
  f.severity = sev;
  f.rule = sev == Severity::kCritical ? "schema" : "parse";
  f.row = -1;
  f.source = line > 0 ? source + ":" + std::to_string(line) : source;
  f.message = std::move(msg);
  return f;
}

std::string StoredName(const ColumnMapping& m, const std::string& name) {
  auto it = m.rename.find(name);
  return it == m.rename.end() ? name : it->second;
}

}  // namespace

Result<RawCsvResult> ParseRawCsv(std::string_view content, const std::string& source, const ColumnMapping& mapping,
                                 int64_t max_line_bytes) {
  RawCsvResult res;
  auto ts_type = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  auto finish_empty = [&]() -> Result<RawCsvResult> {
    arrow::TimestampBuilder tb(ts_type, arrow::default_memory_pool());
    std::shared_ptr<arrow::Array> a;
    SYSTORE_RETURN_NOT_OK_ARROW(tb.Finish(&a), source);
    res.table = arrow::Table::Make(arrow::schema({arrow::field("ts", ts_type)}), {a});
    return std::move(res);
  };
  // Lines (without their '\n').
  size_t pos = 0;
  int64_t line_no = 0;
  auto next_line = [&](std::string_view* line) -> bool {
    if (pos >= content.size()) return false;
    size_t nl = content.find('\n', pos);
    if (nl == std::string_view::npos) nl = content.size();
    *line = content.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    return true;
  };
  std::string_view header;
  bool got = false;
  while (next_line(&header)) {
    if (!Trim(header).empty()) {
      got = true;
      break;
    }
  }
  if (!got) {
    res.findings.push_back(ParseFinding(Severity::kCritical, source, 0, "empty file: no header and no rows"));
    return finish_empty();
  }
  if (static_cast<int64_t>(header.size()) > max_line_bytes) {
    res.findings.push_back(ParseFinding(
        Severity::kCritical, source, line_no,
        "header line of " + std::to_string(header.size()) + " bytes exceeds " + std::to_string(max_line_bytes)));
    return finish_empty();
  }
  std::vector<std::string> names;
  for (auto f : Split(Trim(header), ',')) names.emplace_back(Trim(f));
  if (names.size() < 2) {
    std::string hint;
    if (header.find(';') != std::string_view::npos)
      hint = " (found ';': wrong delimiter, expected ',')";
    else if (header.find('\t') != std::string_view::npos)
      hint = " (found a tab: wrong delimiter, expected ',')";
    res.findings.push_back(ParseFinding(Severity::kCritical, source, line_no,
                                        "no value column in header '" + Excerpt(header) + "'" + hint));
    return finish_empty();
  }
  res.index_name = names[0];
  int ts_col = 0;
  if (!mapping.timestamp_column.empty()) {
    auto it = std::find(names.begin(), names.end(), mapping.timestamp_column);
    if (it == names.end()) {
      res.findings.push_back(ParseFinding(Severity::kCritical, source, line_no,
                                          "timestamp column '" + mapping.timestamp_column + "' not in header"));
      return finish_empty();
    }
    ts_col = static_cast<int>(it - names.begin());
  }
  struct Col {
    int src;
    std::string name;
    bool is_string;
    arrow::DoubleBuilder d;
    arrow::StringBuilder s;
  };
  std::vector<std::unique_ptr<Col>> cols;
  for (int i = 0; i < static_cast<int>(names.size()); ++i) {
    if (i == ts_col) continue;
    std::string stored = StoredName(mapping, names[i]);
    if (!mapping.columns.empty() &&
        std::find(mapping.columns.begin(), mapping.columns.end(), stored) == mapping.columns.end())
      continue;
    auto c = std::make_unique<Col>();
    c->src = i;
    c->name = stored;
    c->is_string =
        (stored.size() >= 9 && stored.compare(stored.size() - 9, 9, "_CONTRACT") == 0) ||
        std::find(mapping.string_columns.begin(), mapping.string_columns.end(), stored) != mapping.string_columns.end();
    cols.push_back(std::move(c));
  }
  arrow::TimestampBuilder tb(ts_type, arrow::default_memory_pool());
  SYSTORE_RETURN_NOT_OK_ARROW(tb.Reserve(static_cast<int64_t>(content.size() / 32)), source);
  for (auto& c : cols)
    if (!c->is_string) SYSTORE_RETURN_NOT_OK_ARROW(c->d.Reserve(static_cast<int64_t>(content.size() / 32)), source);
  std::vector<double> dv(cols.size());
  std::vector<std::string_view> fields;
  std::string_view line;
  while (next_line(&line)) {
    if (static_cast<int64_t>(line.size()) > max_line_bytes) {
      res.findings.push_back(ParseFinding(
          Severity::kError, source, line_no,
          "line of " + std::to_string(line.size()) + " bytes exceeds the limit of " + std::to_string(max_line_bytes)));
      res.bad_lines.push_back("line " + std::to_string(line_no) + ": " + std::string(line));
      continue;
    }
    std::string_view t = Trim(line);
    if (t.empty()) continue;  // blank lines carry no data
    fields = Split(t, ',');
    auto bad = [&](std::string msg) {
      res.findings.push_back(ParseFinding(Severity::kError, source, line_no, std::move(msg)));
      res.bad_lines.push_back("line " + std::to_string(line_no) + ": " + std::string(line));
    };
    if (fields.size() != names.size()) {
      bad(std::to_string(fields.size()) + " fields, expected " + std::to_string(names.size()) +
          (fields.size() < names.size() ? " (truncated line?)" : "") + ": '" + Excerpt(t) + "'");
      continue;
    }
    auto ts = ParseTimestamp(Trim(fields[ts_col]));
    if (!ts.ok()) {
      bad("column " + names[ts_col] + ": bad timestamp '" + Excerpt(fields[ts_col]) + "'");
      continue;
    }
    bool ok = true;
    for (size_t c = 0; c < cols.size(); ++c) {
      if (cols[c]->is_string) continue;
      std::string_view f = Trim(fields[cols[c]->src]);
      if (f.empty()) {
        dv[c] = NAN;  // marker; appended as null below
        continue;
      }
      if (!ParseDouble(f, &dv[c])) {
        bad("column " + names[cols[c]->src] + ": '" + Excerpt(f) + "' is not a number");
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    SYSTORE_RETURN_NOT_OK_ARROW(tb.Append(*ts), source);
    for (size_t c = 0; c < cols.size(); ++c) {
      std::string_view f = Trim(fields[cols[c]->src]);
      if (cols[c]->is_string) {
        SYSTORE_RETURN_NOT_OK_ARROW(f.empty() ? cols[c]->s.AppendNull() : cols[c]->s.Append(f), source);
      } else if (f.empty()) {
        SYSTORE_RETURN_NOT_OK_ARROW(cols[c]->d.AppendNull(), source);
      } else {
        SYSTORE_RETURN_NOT_OK_ARROW(cols[c]->d.Append(dv[c]), source);
      }
    }
    res.source_lines.push_back(line_no);
  }
  std::vector<std::shared_ptr<arrow::Field>> fieldv = {arrow::field("ts", ts_type)};
  std::vector<std::shared_ptr<arrow::Array>> arrays(1);
  SYSTORE_RETURN_NOT_OK_ARROW(tb.Finish(&arrays[0]), source);
  for (auto& c : cols) {
    std::shared_ptr<arrow::Array> a;
    if (c->is_string) {
      SYSTORE_RETURN_NOT_OK_ARROW(c->s.Finish(&a), source);
    } else {
      SYSTORE_RETURN_NOT_OK_ARROW(c->d.Finish(&a), source);
    }
    fieldv.push_back(arrow::field(c->name, a->type()));
    arrays.push_back(a);
  }
  res.table = arrow::Table::Make(arrow::schema(fieldv), arrays);
  return std::move(res);
}

Result<RawCsvResult> ReadRawCsv(const std::string& path, const ColumnMapping& mapping, int64_t max_line_bytes) {
  SYSTORE_ASSIGN_OR_RAISE(std::string content, ReadFileToString(path));
  return ParseRawCsv(content, std::filesystem::path(path).filename().string(), mapping, max_line_bytes);
}

Result<RawCsvResult> ReadParquetDrop(const std::string& path, const ColumnMapping& mapping) {
  std::string source = std::filesystem::path(path).filename().string();
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto in, arrow::io::ReadableFile::Open(path), path);
  auto r = parquet::arrow::OpenFile(in, arrow::default_memory_pool());
  RawCsvResult res;
  auto critical = [&](std::string msg) -> Result<RawCsvResult> {
    Finding f;
    f.severity = Severity::kCritical;
    f.rule = "schema";
    f.source = source;
    f.message = std::move(msg);
    res.findings.push_back(f);
    auto ts_type = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
    arrow::TimestampBuilder tb(ts_type, arrow::default_memory_pool());
    std::shared_ptr<arrow::Array> a;
    SYSTORE_RETURN_NOT_OK_ARROW(tb.Finish(&a), source);
    res.table = arrow::Table::Make(arrow::schema({arrow::field("ts", ts_type)}), {a});
    return std::move(res);
  };
  if (!r.ok()) return critical("not a Parquet file: " + r.status().message());
  std::shared_ptr<arrow::Table> t;
  auto st = (*r)->ReadTable(&t);
  if (!st.ok()) return critical("unreadable Parquet: " + st.message());
  SYSTORE_ASSIGN_OR_RAISE_ARROW(t, t->CombineChunks(), path);
  int ts_col = -1;
  for (int i = 0; i < t->num_columns(); ++i) {
    const auto& f = t->field(i);
    if (mapping.timestamp_column.empty() ? f->type()->id() == arrow::Type::TIMESTAMP
                                         : f->name() == mapping.timestamp_column) {
      ts_col = i;
      break;
    }
  }
  if (ts_col < 0)
    return critical("no timestamp column" +
                    (mapping.timestamp_column.empty() ? "" : " '" + mapping.timestamp_column + "'"));
  auto tsa = t->column(ts_col)->chunk(0);
  if (tsa->type()->id() != arrow::Type::TIMESTAMP && tsa->type()->id() != arrow::Type::INT64) {
    return critical("timestamp column has type " + tsa->type()->ToString());
  }
  if (tsa->null_count() > 0) return critical(std::to_string(tsa->null_count()) + " null timestamps");
  // Convert the timestamp unit to nanoseconds.
  std::shared_ptr<arrow::Array> ts_ns;
  {
    int64_t mult = 1;
    if (tsa->type()->id() == arrow::Type::TIMESTAMP) {
      switch (static_cast<const arrow::TimestampType&>(*tsa->type()).unit()) {
        case arrow::TimeUnit::SECOND:
          mult = kNanosPerSecond;
          break;
        case arrow::TimeUnit::MILLI:
          mult = 1'000'000;
          break;
        case arrow::TimeUnit::MICRO:
          mult = 1'000;
          break;
        case arrow::TimeUnit::NANO:
          mult = 1;
          break;
      }
    }
    arrow::TimestampBuilder tb(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), arrow::default_memory_pool());
    const int64_t* raw = tsa->data()->GetValues<int64_t>(1);
    for (int64_t i = 0; i < tsa->length(); ++i) {
      SYSTORE_RETURN_NOT_OK_ARROW(tb.Append(raw[i] * mult), path);
      res.source_lines.push_back(i + 1);  // 1-based row number in the file
    }
    SYSTORE_RETURN_NOT_OK_ARROW(tb.Finish(&ts_ns), path);
  }
  std::vector<std::shared_ptr<arrow::Field>> fields = {arrow::field("ts", ts_ns->type())};
  std::vector<std::shared_ptr<arrow::Array>> arrays = {ts_ns};
  for (int i = 0; i < t->num_columns(); ++i) {
    if (i == ts_col || t->field(i)->name().rfind("__index_level_", 0) == 0) continue;
    std::string stored = StoredName(mapping, t->field(i)->name());
    if (!mapping.columns.empty() &&
        std::find(mapping.columns.begin(), mapping.columns.end(), stored) == mapping.columns.end())
      continue;
    auto a = t->column(i)->chunk(0);
    fields.push_back(arrow::field(stored, a->type()));
    arrays.push_back(a);
  }
  res.index_name = "DATETIME";
  res.table = arrow::Table::Make(arrow::schema(fields), arrays);
  return std::move(res);
}

}  // namespace systore::pipeline_internal
