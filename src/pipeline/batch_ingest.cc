// Batch ingest: parse in parallel, cut to the rows not stored yet, validate through the
// gate with the stored tail as the seam, one commit per dataset.
#include "systore/batch_ingest.h"

#include <arrow/api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>

#include "core/arrow_status_internal.h"
#include "core/parallel.h"
#include "pipeline/raw_csv.h"
#include "quality/finding_json_internal.h"
#include "systore/quality_gate.h"
#include "systore/reference_store.h"

namespace systore {

namespace fs = std::filesystem;
using pipeline_internal::RawCsvResult;

int64_t IngestSummary::rows_added() const {
  int64_t n = 0;
  for (const auto& d : datasets) n += d.rows_added;
  return n;
}
int64_t IngestSummary::rows_quarantined() const {
  int64_t n = 0;
  for (const auto& d : datasets) n += d.rows_quarantined;
  return n;
}
std::map<std::string, int64_t> IngestSummary::findings_by_rule() const {
  std::map<std::string, int64_t> out;
  for (const auto& d : datasets)
    for (const auto& [r, n] : d.findings_by_rule) out[r] += n;
  return out;
}

namespace {

struct Folder {
  const char* folder;
  const char* dataset;
  bool contract_keys;  // SOFR_20240300 -> SOFR/20240300
};
const Folder kFolders[] = {
    {"adjusted_prices_csv", "prices/adjusted", false},
    {"multiple_prices_csv", "prices/multiple", false},
    {"fx_prices_csv", "fx/spot", false},
    {"contract_prices_csv", "prices/contract_daily", true},
    {"futures_contract_prices_csv", "prices/contract_daily", true},
    {"contract_prices_hourly_csv", "prices/contract_hourly", true},
};

// Files, with directories expanded to their .csv and .parquet files (only those of
// `format` when one is given), sorted by name.
std::vector<std::string> ExpandPaths(const std::vector<std::string>& paths, const std::string& format = "") {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(p)) {
        std::string ext = e.path().extension().string();
        bool known = format.empty() ? ext == ".csv" || ext == ".parquet" : ext == "." + format;
        if (e.is_regular_file() && known) found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(p);
    }
  }
  return out;
}

std::string KeyFor(const std::string& path, bool contract_keys, const ColumnMapping& m) {
  if (!m.key.empty()) return m.key;
  std::string stem = fs::path(path).stem().string();
  if (contract_keys) {
    size_t u = stem.rfind('_');
    if (u != std::string::npos && u + 1 < stem.size() &&
        std::all_of(stem.begin() + u + 1, stem.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      stem[u] = '/';
    }
  }
  return stem;
}

// Rows of `t` with ts > after (t may be unsorted). Returns the row indices kept.
std::vector<int64_t> RowsAfter(const arrow::Table& t, Timestamp after) {
  std::vector<int64_t> keep;
  if (t.num_rows() == 0) return keep;
  const int64_t* ts = t.column(0)->chunk(0)->data()->GetValues<int64_t>(1);
  for (int64_t i = 0; i < t.num_rows(); ++i)
    if (ts[i] > after) keep.push_back(i);
  return keep;
}

Result<std::shared_ptr<arrow::Table>> Take(const std::shared_ptr<arrow::Table>& t, const std::vector<int64_t>& rows) {
  std::vector<std::shared_ptr<arrow::Array>> cols;
  for (int c = 0; c < t->num_columns(); ++c) {
    auto a = t->column(c)->chunk(0);
    std::unique_ptr<arrow::ArrayBuilder> b;
    SYSTORE_RETURN_NOT_OK_ARROW(arrow::MakeBuilder(arrow::default_memory_pool(), a->type(), &b), "take");
    SYSTORE_RETURN_NOT_OK_ARROW(b->Reserve(static_cast<int64_t>(rows.size())), "take");
    for (int64_t r : rows) SYSTORE_RETURN_NOT_OK_ARROW(b->AppendArraySlice(*a->data(), r, 1), "take");
    std::shared_ptr<arrow::Array> out;
    SYSTORE_RETURN_NOT_OK_ARROW(b->Finish(&out), "take");
    cols.push_back(out);
  }
  return arrow::Table::Make(t->schema(), cols);
}

class BatchIngestImpl : public BatchIngest {
 public:
  explicit BatchIngestImpl(BatchIngestOptions o) : options_(std::move(o)) {}

  Status Init() {
    if (options_.store != nullptr) {
      store_ = options_.store;
    } else {
      TimeSeriesStoreOptions so;
      so.root = options_.root;
      SYSTORE_ASSIGN_OR_RAISE(owned_store_, TimeSeriesStore::Open(so));
      store_ = owned_store_.get();
    }
    QualityGateOptions go;
    go.root = options_.root;
    go.enabled = options_.validate;
    go.now = options_.now;
    go.actor = options_.actor;
    SYSTORE_ASSIGN_OR_RAISE(gate_, QualityGate::Open(go));
    return Status::OK();
  }

  TimeSeriesStore* store() override { return store_; }
  QualityGate* gate() override { return gate_.get(); }

  Result<IngestSummary> ImportPysystemtrade(const std::string& dir) override {
    auto t0 = std::chrono::steady_clock::now();
    IngestSummary sum;
    total_ = CountPysystemtradeFiles(dir);
    done_ = 0;
    bool any = false;
    if (fs::is_directory(dir + "/csvconfig")) {
      any = true;
      ReferenceStoreOptions ro;
      ro.root = options_.root;
      SYSTORE_ASSIGN_OR_RAISE(auto ref, ReferenceStore::Open(ro));
      auto v = ref->ImportFolder(dir + "/csvconfig", {options_.actor, "systore ingest pysystemtrade " + dir});
      if (v.ok())
        sum.reference_version = *v;
      else
        sum.reference_error = v.status().ToString();
      Progress(1);
    }
    for (const auto& f : kFolders) {
      std::string sub = dir + "/" + f.folder;
      if (!fs::is_directory(sub)) continue;
      any = true;
      SYSTORE_ASSIGN_OR_RAISE(auto d,
                              ImportDataset(f.dataset, FileInputs(ExpandPaths({sub}), ColumnMapping{}, f.contract_keys),
                                            ColumnMapping{}, ImportMode{}));
      sum.datasets.push_back(std::move(d));
    }
    if (!any) {
      return Status::InvalidArgument(dir +
                                     ": no pysystemtrade data (adjusted_prices_csv, multiple_prices_csv, "
                                     "fx_prices_csv, contract_prices_csv, csvconfig)");
    }
    sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return sum;
  }

  Result<DatasetIngestSummary> ImportFiles(const std::string& dataset, const std::vector<std::string>& paths,
                                           const ColumnMapping& mapping, const ImportMode& mode) override {
    if (!mapping.format.empty() && mapping.format != "csv" && mapping.format != "parquet") {
      return Status::InvalidArgument("unknown input format '" + mapping.format + "' (csv or parquet)");
    }
    auto files = ExpandPaths(paths, mapping.format);
    if (files.empty()) return Status::InvalidArgument("no input files");
    if (!mapping.key.empty() && files.size() > 1) {
      return Status::InvalidArgument("mapping key names one series but " + std::to_string(files.size()) +
                                     " files were given");
    }
    total_ = static_cast<int64_t>(files.size());
    done_ = 0;
    return ImportDataset(dataset, FileInputs(files, mapping, false), mapping, mode);
  }

  Result<DatasetIngestSummary> ImportTables(const std::string& dataset, const std::vector<TableInput>& tables,
                                            const ImportMode& mode) override {
    if (tables.empty()) return Status::InvalidArgument("no tables to ingest");
    std::vector<SeriesInput> inputs;
    for (const auto& t : tables) {
      if (t.key.empty()) return Status::InvalidArgument(dataset + ": a table without a key");
      if (!t.data || t.data->num_columns() < 2) {
        return Status::InvalidArgument(dataset + " " + t.key + ": a table needs a timestamp column and a value column");
      }
      SeriesInput in;
      in.key = t.key;
      in.table = t.data;
      in.source = t.source.empty() ? t.key : t.source;
      inputs.push_back(std::move(in));
    }
    total_ = static_cast<int64_t>(inputs.size());
    done_ = 0;
    return ImportDataset(dataset, std::move(inputs), ColumnMapping{}, mode);
  }

 private:
  void Progress(int64_t n) {
    std::lock_guard<std::mutex> lock(progress_mu_);
    done_ += n;
    if (options_.progress) options_.progress(done_, total_);
  }

  // One series to import: a file to read, or a table given by the caller.
  struct SeriesInput {
    std::string path;  // "" for a table
    std::string key;
    std::shared_ptr<arrow::Table> table;
    std::string source;  // name in findings and quarantine entries
  };

  static std::vector<SeriesInput> FileInputs(const std::vector<std::string>& files, const ColumnMapping& mapping,
                                             bool contract_keys) {
    std::vector<SeriesInput> out;
    for (const auto& f : files) {
      SeriesInput in;
      in.path = f;
      in.key = KeyFor(f, contract_keys, mapping);
      in.source = fs::path(f).filename().string();
      out.push_back(std::move(in));
    }
    return out;
  }

  // A caller's table as the reader would have produced it: one chunk, row numbers as
  // "lines" (1-based) so findings name the row.
  static Result<RawCsvResult> TableAsRaw(const std::shared_ptr<arrow::Table>& t) {
    RawCsvResult raw;
    SYSTORE_ASSIGN_OR_RAISE_ARROW(raw.table, t->CombineChunks(), "combining the table's chunks");
    raw.index_name = raw.table->schema()->field(0)->name();
    raw.source_lines.resize(static_cast<size_t>(raw.table->num_rows()));
    for (int64_t i = 0; i < raw.table->num_rows(); ++i) raw.source_lines[static_cast<size_t>(i)] = i + 1;
    return raw;
  }

  struct FileWork {
    std::string path, key, source;
    RawCsvResult raw;
    std::shared_ptr<arrow::Table> history;
    int64_t already_stored = 0;
    int64_t already_quarantined = 0;
    GateResult gate;
  };

  Result<DatasetIngestSummary> ImportDataset(const std::string& dataset, std::vector<SeriesInput> inputs,
                                             const ColumnMapping& mapping, const ImportMode& mode) {
    auto t0 = std::chrono::steady_clock::now();
    DatasetIngestSummary sum;
    sum.dataset = dataset;
    sum.files = static_cast<int64_t>(inputs.size());
    std::vector<FileWork> work(inputs.size());
    std::map<std::string, int> seen_keys;
    for (size_t i = 0; i < inputs.size(); ++i) {
      work[i].path = inputs[i].path;
      work[i].key = inputs[i].key;
      work[i].source = inputs[i].source;
      if (seen_keys.count(work[i].key)) {
        return Status::InvalidArgument(inputs[i].source + ": key " + work[i].key + " already comes from " +
                                       inputs[seen_keys[work[i].key]].source);
      }
      seen_keys[work[i].key] = static_cast<int>(i);
    }
    std::optional<DatasetOptions> dopts;
    if (auto o = store_->GetDatasetOptions(dataset); o.ok()) dopts = *o;
    // A new dataset is validated as what it will be created as.
    DatasetOptions create = DatasetOptions::ForName(dataset);
    if (mode.kind) {
      create.kind = *mode.kind;
      if (create.kind == SeriesKind::kTicks) create.compression = DatasetOptions::Compression::kLz4;  // as by name
    }
    if (mode.partition) create.partition = *mode.partition;
    // Rows already decided against (pending or dropped quarantine entries): skipped when
    // identical, so that a re-run is a no-op.
    SYSTORE_ASSIGN_OR_RAISE(auto kept, gate_->quarantine()->KeptRows(dataset));
    std::map<std::string, SeriesInfo> stored;
    std::shared_ptr<arrow::Schema> stored_schema;
    if (dopts) {
      SYSTORE_ASSIGN_OR_RAISE(auto list, store_->List(dataset));
      for (auto& s : list) stored[s.key] = s;
      if (!list.empty()) {
        SYSTORE_ASSIGN_OR_RAISE(auto none, store_->Latest(dataset, list.front().key, 0));
        stored_schema = none->schema();
      }
    }
    SYSTORE_RETURN_NOT_OK(ParallelFor(static_cast<int>(work.size()), options_.threads, [&](int i) -> Status {
      FileWork& w = work[i];
      bool parquet =
          mapping.format == "parquet" || (mapping.format.empty() && fs::path(w.path).extension() == ".parquet");
      if (w.path.empty()) {
        SYSTORE_ASSIGN_OR_RAISE(w.raw, TableAsRaw(inputs[i].table));
      } else if (parquet) {
        SYSTORE_ASSIGN_OR_RAISE(w.raw, pipeline_internal::ReadParquetDrop(w.path, mapping));
      } else {
        SYSTORE_ASSIGN_OR_RAISE(w.raw, pipeline_internal::ReadRawCsv(w.path, mapping, options_.max_line_bytes));
      }
      IngestBatch b;
      b.dataset = dataset;
      b.key = w.key;
      b.data = w.raw.table;
      b.source = w.source;
      b.source_lines = w.raw.source_lines;
      b.parse_findings = w.raw.findings;
      b.raw_lines = w.raw.bad_lines;
      for (auto& f : b.parse_findings) f.dataset = dataset, f.key = w.key;
      b.dataset_options = dopts ? *dopts : create;
      b.duplicates = mode.duplicates;
      b.stored_schema = stored_schema;
      auto it = stored.find(w.key);
      bool has_stored = it != stored.end() && it->second.rows > 0;
      std::vector<int64_t> keep;  // rows of b.data handed to the gate
      const int64_t* ts = b.data->num_rows() ? b.data->column(0)->chunk(0)->data()->GetValues<int64_t>(1) : nullptr;
      if (mode.newer_only() && has_stored) {
        keep = RowsAfter(*b.data, it->second.last);  // the rest is already imported
        w.already_stored = b.data->num_rows() - static_cast<int64_t>(keep.size());
      } else {
        keep.resize(static_cast<size_t>(b.data->num_rows()));
        for (int64_t r = 0; r < b.data->num_rows(); ++r) keep[static_cast<size_t>(r)] = r;
      }
      // Rows identical to rows already decided against stay in the quarantine.
      if (auto kit = kept.find(w.key); kit != kept.end()) {
        std::vector<int64_t> fresh;
        for (int64_t r : keep) {
          bool seen = false;
          auto [lo, hi] = kit->second.equal_range(ts[r]);
          if (lo != hi) {
            std::string text = RowText(*b.data, r);
            for (auto x = lo; x != hi && !seen; ++x) seen = x->second == text;
          }
          if (seen)
            ++w.already_quarantined;
          else
            fresh.push_back(r);
        }
        keep = std::move(fresh);
      }
      if (static_cast<int64_t>(keep.size()) < b.data->num_rows()) {
        SYSTORE_ASSIGN_OR_RAISE(b.data, Take(b.data, keep));
        std::vector<int64_t> lines;
        for (int64_t r : keep) lines.push_back(b.source_lines[r]);
        b.source_lines = std::move(lines);
      }
      // The seam: the stored rows before the first new row. A replace starts a new
      // history, so it has none (judged as a first import).
      if (b.data->num_rows() > 0 && has_stored && mode.op != SeriesUpdate::Op::kWrite) {
        ReadOptions before;
        if (!mode.newer_only()) {
          const int64_t* nts = b.data->column(0)->chunk(0)->data()->GetValues<int64_t>(1);
          before.end = *std::min_element(nts, nts + b.data->num_rows()) - 1;
        }
        SYSTORE_ASSIGN_OR_RAISE(b.history,
                                store_->Latest(dataset, w.key, std::max<int64_t>(1, options_.history_rows), before));
      }
      if (b.data->num_rows() == 0 && b.parse_findings.empty()) {
        w.gate.accepted = b.data;
      } else {
        SYSTORE_ASSIGN_OR_RAISE(w.gate, gate_->Process(b));
      }
      Progress(1);
      return Status::OK();
    }));

    // One commit for the dataset: every series' accepted rows, merged newer-only.
    std::vector<SeriesUpdate> updates;
    for (auto& w : work) {
      sum.rows_read += w.raw.table->num_rows();
      sum.rows_already_stored += w.already_stored;
      sum.rows_already_quarantined += w.already_quarantined;
      sum.rows_quarantined += static_cast<int64_t>(w.gate.quarantined_rows.size());
      for (const auto& f : w.gate.findings) {
        ++sum.findings_by_rule[f.rule];
        if (f.severity >= Severity::kError) sum.serious_findings.push_back(f);
      }
      if (w.gate.decision == GateDecision::kRejected) sum.rejected.push_back(w.key + ": " + w.gate.reason);
      if (w.gate.accepted && w.gate.accepted->num_rows() > 0) {
        SeriesUpdate u;
        u.op = mode.op;
        u.merge_mode = mode.merge_mode;
        u.key = w.key;
        u.data = w.gate.accepted;
        updates.push_back(std::move(u));
      }
    }
    sum.series = static_cast<int64_t>(updates.size());
    if (!updates.empty()) {
      if (!dopts) {
        DatasetOptions o = create;
        for (auto& w : work) {
          if (!w.raw.index_name.empty()) {
            o.csv_index_name = w.raw.index_name;
            break;
          }
        }
        if (o.kind == SeriesKind::kOhlcv && updates[0].data->schema()->GetFieldIndex("FINAL") >= 0)
          o.csv_aliases["CLOSE"] = "FINAL";
        Status st = store_->CreateDataset(dataset, o);
        if (!st.ok() && st.code() != StatusCode::kAlreadyExists) return st;
      }
      SYSTORE_ASSIGN_OR_RAISE(auto results, store_->Apply(dataset, std::move(updates)));
      for (const auto& r : results) {
        sum.rows_added += r.rows_added;
        sum.rows_unchanged += r.rows_duplicate;
        sum.rows_conflicting += r.rows_conflicting;
        sum.rows_already_stored += r.rows_ignored;
        sum.rows_removed += r.rows_removed;
        if (r.version >= 0) sum.version = r.version;
      }
    }
    sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return sum;
  }

  BatchIngestOptions options_;
  std::unique_ptr<TimeSeriesStore> owned_store_;
  TimeSeriesStore* store_ = nullptr;
  std::unique_ptr<QualityGate> gate_;
  std::mutex progress_mu_;
  int64_t done_ = 0, total_ = 0;
};

}  // namespace

int64_t BatchIngest::CountPysystemtradeFiles(const std::string& dir) {
  int64_t n = fs::is_directory(dir + "/csvconfig") ? 1 : 0;
  for (const auto& f : kFolders) {
    std::string sub = dir + "/" + f.folder;
    if (fs::is_directory(sub)) n += static_cast<int64_t>(ExpandPaths({sub}).size());
  }
  return n;
}

Result<std::unique_ptr<BatchIngest>> BatchIngest::Open(const BatchIngestOptions& options) {
  if (options.root.empty()) return Status::InvalidArgument("batch ingest needs a store root");
  auto b = std::make_unique<BatchIngestImpl>(options);
  SYSTORE_RETURN_NOT_OK(b->Init());
  return std::unique_ptr<BatchIngest>(std::move(b));
}

}  // namespace systore
