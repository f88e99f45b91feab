#include "cli_util.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/writer.h>

#include <unistd.h>

#include <cstdlib>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "systore/series_csv.h"

namespace systore::cli {

std::string ResolveRoot(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("SYSTORE_ROOT"); env && *env) return env;
  return "./systore-data";
}

namespace {
std::unique_ptr<DataBlob>& Stores() {
  static std::unique_ptr<DataBlob> blob;
  return blob;
}
}  // namespace

void ExitOnError(const Status& st) {
  if (st.ok()) return;
  std::cerr << "error: " << st.ToString() << std::endl;
  if (auto& blob = Stores()) (void)blob->CloseAll();  // what was acknowledged is durable; close cleanly
  std::exit(1);
}

DataBlob& StoresOrExit(const std::string& root, const std::string& actor) {
  auto& blob = Stores();
  if (!blob) {
    DataBlobOptions o;
    o.root = root;
    o.actor = actor;
    blob = ValueOrExit(DataBlob::Open(o));
  }
  return *blob;
}

TimeSeriesStore* TimeSeriesOrExit(const std::string& root) {
  return ValueOrExit(StoresOrExit(root).TimeSeriesStoreNamed("timeseries"));
}

ReferenceStore* ReferenceOrExit(const std::string& root) {
  return ValueOrExit(StoresOrExit(root).ReferenceStoreNamed("reference"));
}

void CloseStores() {
  auto& blob = Stores();
  if (!blob) return;
  Status st = blob->CloseAll();
  blob.reset();
  ExitOnError(st);
}

Timestamp ParseTimeArg(const std::string& text, Timestamp unbounded) {
  if (text.empty()) return unbounded;
  auto t = ParseTimestamp(text);
  ExitOnError(t.status());
  return *t;
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(total),
      tty_(::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::Advance(int64_t n) {
  done_ += n;
  Draw(false);
}

void ProgressBar::Finish() {
  // Off a terminal the 100% line may already be printed: print it once.
  bool printed = !tty_ && done_ >= total_ && last_decile_ == 10;
  done_ = total_;
  if (!printed) Draw(true);
  if (tty_) std::fprintf(stderr, "\n");
}

void ProgressBar::Draw(bool force) {
  if (total_ <= 0) return;
  int pct = static_cast<int>(100 * done_ / total_);
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    int width = 30, filled = width * pct / 100;
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %lld/%lld %.1fs", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), pct, static_cast<long long>(done_),
                 static_cast<long long>(total_), SecondsSince(start_));
  } else if (pct / 10 != last_decile_ || force) {
    last_decile_ = pct / 10;
    std::fprintf(stderr, "%s %3d%% (%lld/%lld, %.1fs)\n", label_.c_str(), pct, static_cast<long long>(done_),
                 static_cast<long long>(total_), SecondsSince(start_));
  }
}

void OutputTable(const std::shared_ptr<arrow::Table>& table, const DatasetOptions& opts, const std::string& format,
                 const std::string& output) {
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (format == "parquet") {
    if (output.empty()) ExitOnError(Status::InvalidArgument("--format parquet needs --output FILE"));
    // A plain Parquet file any reader opens (zstd, like the store's own files).
    auto file = arrow::io::FileOutputStream::Open(output);
    if (!file.ok()) ExitOnError(Status::IOError("cannot write " + output + ": " + file.status().message()));
    auto props = parquet::WriterProperties::Builder().compression(parquet::Compression::ZSTD)->build();
    arrow::Status st = parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *file, 1 << 20, props);
    if (st.ok()) st = (*file)->Close();
    if (!st.ok()) ExitOnError(Status::IOError("writing " + output + ": " + st.message()));
    std::cerr << "wrote " << table->num_rows() << " rows to " << output << std::endl;
    return;
  }
  if (!output.empty()) {
    file.open(output);
    if (!file) ExitOnError(Status::IOError("cannot write " + output));
    out = &file;
  }
  if (format == "json") {
    auto combined = ValueOrExit(Result<std::shared_ptr<arrow::Table>>(table->CombineChunks().ValueOrDie()));
    nlohmann::json rows = nlohmann::json::array();
    for (int64_t r = 0; r < combined->num_rows(); ++r) {
      nlohmann::json row;
      for (int c = 0; c < combined->num_columns(); ++c) {
        auto a = combined->column(c)->chunk(0);
        const std::string& name = combined->field(c)->name();
        if (a->IsNull(r)) {
          row[name] = nullptr;
        } else if (c == 0) {
          row[name] = FormatTimestamp(static_cast<const arrow::TimestampArray&>(*a).Value(r));
        } else if (a->type_id() == arrow::Type::DOUBLE) {
          double v = static_cast<const arrow::DoubleArray&>(*a).Value(r);
          if (std::isfinite(v))
            row[name] = v;
          else
            row[name] = std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
        } else if (a->type_id() == arrow::Type::INT64) {
          row[name] = static_cast<const arrow::Int64Array&>(*a).Value(r);
        } else {
          row[name] = std::string(static_cast<const arrow::StringArray&>(*a).GetView(r));
        }
      }
      rows.push_back(std::move(row));
    }
    *out << rows.dump(1) << "\n";
    return;
  }
  if (format != "csv") ExitOnError(Status::InvalidArgument("unknown --format '" + format + "'"));
  ExitOnError(WriteSeriesCsv(*table, opts.csv_index_name, opts.csv_aliases, *out));
}

}  // namespace systore::cli
