// Analytics over datasets: read sources in parallel, compute, write one commit with the
// lineage of every series it changed (docs/analytics.md#lineage).
#include <arrow/api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "analytics/bar_builder.h"
#include "analytics/pnl.h"
#include "analytics/series_arrays.h"
#include "core/parallel.h"
#include "systore/analytics.h"
#include "systore/timeseries_store.h"

namespace systore {

using json = nlohmann::json;

namespace {

constexpr const char* kLineageField = "systore.analytics";

/// What a stored result was computed from, per source key.
struct Fingerprint {
  int64_t source_version = -1;  // last source commit touching the key
  int64_t rows = 0;
  Timestamp first = 0;
  Timestamp last = 0;
  bool operator==(const Fingerprint&) const = default;
};

json ToJson(const Fingerprint& f) {
  return {{"source_version", f.source_version}, {"rows", f.rows}, {"first", f.first}, {"last", f.last}};
}

struct Recorded {
  std::string params;  // canonical JSON text of the parameters
  Fingerprint fingerprint;
  int64_t output_version = -1;
};

/// The newest lineage record of each source key in `output`'s commits for `operation`.
Result<std::map<std::string, Recorded>> ReadLineage(TimeSeriesStore& store, const std::string& output,
                                                    const std::string& operation, const std::string& source) {
  std::map<std::string, Recorded> out;
  auto versions = store.Versions(output);
  if (!versions.ok()) {
    if (versions.status().IsNotFound()) return out;
    return versions.status();
  }
  for (auto it = versions->rbegin(); it != versions->rend(); ++it) {
    if (it->user_metadata.empty()) continue;
    json meta = json::parse(it->user_metadata, nullptr, /*allow_exceptions=*/false);
    if (!meta.is_object() || !meta.contains(kLineageField)) continue;
    const json& l = (*meta.find(kLineageField));
    if (l.value("operation", "") != operation || l.value("source", "") != source) continue;
    if (!l.contains("series") || !l["series"].is_object()) continue;
    for (const auto& [key, s] : l["series"].items()) {
      if (out.count(key)) continue;
      Recorded r;
      r.params = l.value("params", json::object()).dump();
      r.fingerprint.source_version = s.value("source_version", int64_t{-1});
      r.fingerprint.rows = s.value("rows", int64_t{0});
      r.fingerprint.first = s.value("first", int64_t{0});
      r.fingerprint.last = s.value("last", int64_t{0});
      r.output_version = it->version;
      out[key] = r;
    }
  }
  return out;
}

/// The source's commits per key, oldest first: the last one gives the version that last
/// changed a key; their operations tell whether it only grew by appends since a run.
struct SourceHistory {
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> commits;  // key -> (version, operation)

  int64_t LastVersion(const std::string& key) const {
    auto it = commits.find(key);
    return it == commits.end() ? -1 : it->second.back().first;
  }
  bool OnlyAppendsSince(const std::string& key, int64_t version) const {
    auto it = commits.find(key);
    if (it == commits.end()) return true;
    for (const auto& [v, op] : it->second)
      if (v > version && op != "APPEND") return false;
    return true;
  }
};

Result<SourceHistory> ReadSourceHistory(TimeSeriesStore& store, const std::string& dataset) {
  SYSTORE_ASSIGN_OR_RAISE(auto versions, store.Versions(dataset));
  SourceHistory h;
  for (const auto& v : versions)
    for (const auto& k : v.keys) h.commits[k].emplace_back(v.version, v.operation);
  return h;
}

/// One output series of a computation.
struct Output {
  std::string key;
  std::shared_ptr<arrow::Table> table;
  bool merge = false;  // overwrite/add rows from the table's first timestamp on, keep earlier rows
};

struct Work {
  std::string key;
  SeriesInfo info;
  Fingerprint fingerprint;
  std::optional<Recorded> recorded;  // set when the previous run's record may be extended
};

/// For operations whose result depends on every input series together (correlations):
/// turns the per-key outputs into the outputs written. With it, a run recomputes every
/// key when any changed.
using Combine = std::function<Status(std::vector<std::vector<Output>>*)>;

}  // namespace

struct Analytics::Impl {
  AnalyticsOptions options;

  TimeSeriesStore& store() { return *options.store; }

  /// Shared by every operation: validation, skip-if-unchanged, parallel compute, one commit.
  Result<AnalyticsRun> Run(const std::string& operation, const std::string& source, const std::string& output,
                           const std::vector<std::string>& keys, const json& params,
                           const DatasetOptions& output_options,
                           const std::function<Status(const Work&, std::vector<Output>*, int64_t*)>& compute,
                           bool incremental_appends, const Combine& combine = nullptr);
  /// Writes `updates` into `output` (created with `output_options` when missing) in one
  /// commit carrying `lineage`; returns the version.
  Result<int64_t> Commit(const std::string& output, const DatasetOptions& output_options,
                         std::vector<SeriesUpdate> updates, const json& lineage);
};

Analytics::Analytics(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Analytics::~Analytics() = default;

Result<std::unique_ptr<Analytics>> Analytics::Open(const AnalyticsOptions& options) {
  if (!options.store) return Status::InvalidArgument("AnalyticsOptions.store is null");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  return std::unique_ptr<Analytics>(new Analytics(std::move(impl)));
}

Result<AnalyticsRun> Analytics::Impl::Run(
    const std::string& operation, const std::string& source, const std::string& output,
    const std::vector<std::string>& keys, const json& params, const DatasetOptions& output_options,
    const std::function<Status(const Work&, std::vector<Output>*, int64_t*)>& compute, bool incremental_appends,
    const Combine& combine) {
  const auto t0 = std::chrono::steady_clock::now();
  if (output.empty()) return Status::InvalidArgument("no output dataset given (--out)");
  if (output == source) return Status::InvalidArgument("output dataset '" + output + "' is the source dataset");
  SYSTORE_ASSIGN_OR_RAISE(auto datasets, store().ListDatasets());
  if (std::find(datasets.begin(), datasets.end(), source) == datasets.end()) {
    return Status::NotFound("dataset '" + source + "' does not exist");
  }
  SYSTORE_ASSIGN_OR_RAISE(auto infos, store().List(source));
  std::map<std::string, SeriesInfo> by_key;
  for (auto& i : infos) by_key[i.key] = i;
  std::vector<std::string> wanted = keys;
  if (wanted.empty()) {
    for (const auto& [k, _] : by_key) wanted.push_back(k);
  }
  for (const auto& k : wanted) {
    if (!by_key.count(k)) return Status::NotFound("series '" + k + "' not found in dataset '" + source + "'");
  }
  SYSTORE_ASSIGN_OR_RAISE(SourceHistory history, ReadSourceHistory(store(), source));
  SYSTORE_ASSIGN_OR_RAISE(auto lineage, ReadLineage(store(), output, operation, source));
  const std::string params_text = params.dump();

  AnalyticsRun run;
  run.source = source;
  run.output = output;
  std::vector<Work> work;
  for (const auto& k : wanted) {
    Work w;
    w.key = k;
    w.info = by_key[k];
    w.fingerprint = {history.LastVersion(k), w.info.rows, w.info.first, w.info.last};
    auto rec = lineage.find(k);
    if (rec != lineage.end() && rec->second.params == params_text) {
      if (rec->second.fingerprint == w.fingerprint) {
        ++run.series_unchanged;
        continue;
      }
      if (incremental_appends && rec->second.fingerprint.first == w.fingerprint.first &&
          w.fingerprint.rows >= rec->second.fingerprint.rows &&
          history.OnlyAppendsSince(k, rec->second.fingerprint.source_version)) {
        w.recorded = rec->second;
      }
    }
    work.push_back(std::move(w));
  }
  if (combine && !work.empty() && run.series_unchanged > 0) {  // one changed: all again
    run.series_unchanged = 0;
    work.clear();
    for (const auto& k : wanted) {
      Work w;
      w.key = k;
      w.info = by_key[k];
      w.fingerprint = {history.LastVersion(k), w.info.rows, w.info.first, w.info.last};
      work.push_back(std::move(w));
    }
  }

  // Compute in parallel; progress per finished series.
  std::vector<std::vector<Output>> outputs(work.size());
  std::vector<int64_t> rows_read(work.size(), 0);
  std::mutex progress_mu;
  int64_t done = 0;
  SYSTORE_RETURN_NOT_OK(ParallelFor(static_cast<int>(work.size()), options.threads, [&](int i) -> Status {
    SYSTORE_RETURN_NOT_OK(compute(work[i], &outputs[i], &rows_read[i])
                              .WithContext("dataset '" + source + "', key '" + work[i].key + "'"));
    if (options.progress) {
      std::lock_guard<std::mutex> l(progress_mu);
      options.progress(++done, static_cast<int64_t>(work.size()));
    }
    return Status::OK();
  }));

  json series = json::object();
  for (size_t i = 0; i < work.size(); ++i) {
    run.series_read += 1;
    run.rows_read += rows_read[i];
    series[work[i].key] = ToJson(work[i].fingerprint);
  }
  if (combine && !work.empty()) SYSTORE_RETURN_NOT_OK(combine(&outputs));

  // One commit: every changed output series and the lineage of its source keys.
  std::vector<SeriesUpdate> updates;
  for (auto& per_key : outputs) {
    for (auto& o : per_key) {
      SeriesUpdate u;
      u.key = o.key;
      u.op = o.merge ? SeriesUpdate::Op::kMerge : SeriesUpdate::Op::kWrite;
      u.merge_mode = MergeMode::kOverwrite;
      run.rows_written += o.table->num_rows();
      u.data = std::move(o.table);
      updates.push_back(std::move(u));
      ++run.series_written;
    }
  }
  if (!updates.empty()) {
    json lineage = {{"operation", operation}, {"source", source}, {"params", params}, {"series", series}};
    SYSTORE_ASSIGN_OR_RAISE(run.version, Commit(output, output_options, std::move(updates), lineage));
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

Result<int64_t> Analytics::Impl::Commit(const std::string& output, const DatasetOptions& output_options,
                                       std::vector<SeriesUpdate> updates, const json& lineage) {
  auto existing = store().GetDatasetOptions(output);
  if (!existing.ok()) {
    if (!existing.status().IsNotFound()) return existing.status();
    Status st = store().CreateDataset(output, output_options);
    if (!st.ok() && st.code() != StatusCode::kAlreadyExists) return st;
  } else if (existing->kind != SeriesKind::kGeneric) {
    return Status::InvalidArgument("output dataset '" + output + "' holds another kind of series; choose another --out");
  }
  CommitOptions commit;
  commit.user_metadata = json{{kLineageField, lineage}}.dump();
  auto results = store().Apply(output, std::move(updates), commit);
  if (!results.ok()) return results.status().WithContext("writing '" + output + "' (nothing was written)");
  int64_t version = -1;
  for (const auto& r : *results) version = std::max(version, r.version);
  return version;
}

namespace {

json VolParams(const VolatilityOptions& o) {
  return {{"column", o.column},
          {"days", o.days},
          {"min_periods", o.min_periods},
          {"slow_vol_years", o.slow_vol_years},
          {"proportion_of_slow_vol", o.proportion_of_slow_vol},
          {"vol_abs_min", o.vol_abs_min},
          {"backfill", o.backfill}};
}

/// Read windows of a series: one per source partition, so ticks stream a day at a time.
std::vector<std::pair<Timestamp, Timestamp>> Windows(PartitionGranularity g, Timestamp first, Timestamp last) {
  std::vector<std::pair<Timestamp, Timestamp>> out;
  if (g == PartitionGranularity::kNone) return {{first, last}};
  Timestamp at = first;
  while (at <= last) {
    CivilDate c = ToCivilDate(at);
    Timestamp next;
    if (g == PartitionGranularity::kDay) {
      next = FromCivilDate(c.year, c.month, c.day) + kNanosPerDay;
    } else if (g == PartitionGranularity::kMonth) {
      next = c.month == 12 ? FromCivilDate(c.year + 1, 1, 1) : FromCivilDate(c.year, c.month + 1, 1);
    } else {
      next = FromCivilDate(c.year + 1, 1, 1);
    }
    out.push_back({at, std::min(last, next - 1)});
    at = next;
  }
  return out;
}

}  // namespace

Result<AnalyticsRun> Analytics::Bars(const std::string& source, const std::string& output,
                                     const std::vector<std::string>& keys, const BarOptions& options) {
  if (options.interval <= 0) return Status::InvalidArgument("--interval must be positive");
  SYSTORE_ASSIGN_OR_RAISE(auto source_options, impl_->store().GetDatasetOptions(source));
  DatasetOptions out_options;
  out_options.kind = SeriesKind::kGeneric;
  out_options.partition = options.interval >= kNanosPerDay ? PartitionGranularity::kNone : PartitionGranularity::kYear;
  if (options.interval < 3600 * kNanosPerSecond) out_options.partition = PartitionGranularity::kMonth;
  json params = {{"interval", options.interval}, {"origin", options.origin}};
  TimeSeriesStore& store = impl_->store();
  const PartitionGranularity g = source_options.partition;
  const int threads = impl_->options.threads;
  auto compute = [&](const Work& w, std::vector<Output>* out, int64_t* rows_read) -> Status {
    Timestamp from = w.info.first;
    bool merge = false;
    if (w.recorded) {
      // Only appends since the last run: recompute from the start of the last stored bar.
      auto last_bar = store.Latest(output, w.key, 1);
      if (last_bar.ok() && (*last_bar)->num_rows() == 1) {
        SYSTORE_ASSIGN_OR_RAISE(auto lts, analytics::TimestampValues(**last_bar));
        from = lts[0];
        merge = true;
      }
    }
    auto windows = Windows(g, from, w.info.last);
    std::vector<analytics::BarBuilder> parts;
    for (size_t i = 0; i < windows.size(); ++i) parts.emplace_back(options);
    std::atomic<int64_t> rows{0};
    // Windows of one series in parallel when it is the only work (series are already
    // spread over the threads otherwise); each thread holds one window at a time.
    SYSTORE_RETURN_NOT_OK(ParallelFor(static_cast<int>(windows.size()), threads, [&](int i) {
      ReadOptions ro;
      ro.start = windows[i].first;
      ro.end = windows[i].second;
      ro.fill_cache = false;  // a bulk scan: every file once
      SYSTORE_ASSIGN_OR_RAISE(auto t, store.Read(source, w.key, ro));
      rows += t->num_rows();
      return parts[i].AddTable(*t);
    }));
    for (size_t i = 1; i < parts.size(); ++i) parts[0].Append(std::move(parts[i]));
    *rows_read = rows.load();
    if (parts.empty() || parts[0].size() == 0) return Status::OK();
    out->push_back({w.key, parts[0].ToTable(), merge});
    return Status::OK();
  };
  return impl_->Run("bars", source, output, keys, params, out_options, compute, /*incremental_appends=*/true);
}

Result<AnalyticsRun> Analytics::Volatility(const std::string& source, const std::string& output,
                                           const std::vector<std::string>& keys, const VolatilityOptions& options) {
  DatasetOptions out_options;
  out_options.kind = SeriesKind::kGeneric;
  out_options.partition = PartitionGranularity::kNone;
  TimeSeriesStore& store = impl_->store();
  auto compute = [&](const Work& w, std::vector<Output>* out, int64_t* rows_read) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(auto prices, store.Read(source, w.key));
    *rows_read = prices->num_rows();
    SYSTORE_ASSIGN_OR_RAISE(auto vol, ComputeVolatility(*prices, options));
    if (vol->num_rows() > 0) out->push_back({w.key, vol, false});
    return Status::OK();
  };
  return impl_->Run("volatility", source, output.empty() ? "analytics/volatility" : output, keys, VolParams(options),
                    out_options, compute, false);
}

Result<AnalyticsRun> Analytics::Forecasts(const std::string& source, const std::string& output,
                                          const std::vector<std::string>& keys, const ForecastOptions& options) {
  DatasetOptions out_options;
  out_options.kind = SeriesKind::kGeneric;
  out_options.partition = PartitionGranularity::kNone;
  json rules = json::array();
  for (const auto& r : options.rules) rules.push_back({r.fast, r.slow});
  json params = {{"rules", rules}, {"volatility", VolParams(options.volatility)}};
  TimeSeriesStore& store = impl_->store();
  auto compute = [&](const Work& w, std::vector<Output>* out, int64_t* rows_read) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(auto prices, store.Read(source, w.key));
    *rows_read = prices->num_rows();
    SYSTORE_ASSIGN_OR_RAISE(auto f, ComputeEwmac(*prices, options));
    for (int c = 1; c < f->num_columns(); ++c) {
      auto t = arrow::Table::Make(arrow::schema({f->schema()->field(0), arrow::field("forecast", arrow::float64())}),
                                  {f->column(0), f->column(c)});
      out->push_back({w.key + "/" + f->schema()->field(c)->name(), t, false});
    }
    return Status::OK();
  };
  return impl_->Run("forecasts", source, output.empty() ? "analytics/forecasts" : output, keys, params, out_options,
                    compute, false);
}

Result<AnalyticsRun> Analytics::Correlations(const std::string& source, const std::string& output,
                                             const std::vector<std::string>& keys, const std::string& name,
                                             const CorrelationOptions& options) {
  if (name.empty()) return Status::InvalidArgument("correlations need a series name (--name)");
  DatasetOptions out_options;
  out_options.kind = SeriesKind::kGeneric;
  out_options.partition = PartitionGranularity::kNone;
  json params = {{"name", name},
                 {"keys", keys},
                 {"ew_lookback", options.ew_lookback},
                 {"min_periods", options.min_periods},
                 {"cleaning", options.cleaning},
                 {"offdiag", options.offdiag},
                 {"floor_at_zero", options.floor_at_zero},
                 {"volatility", VolParams(options.volatility)}};
  TimeSeriesStore& store = impl_->store();
  auto compute = [&](const Work& w, std::vector<Output>* out, int64_t* rows_read) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(auto prices, store.Read(source, w.key));
    *rows_read = prices->num_rows();
    out->push_back({w.key, prices, false});
    return Status::OK();
  };
  auto combine = [&](std::vector<std::vector<Output>>* outputs) -> Status {
    std::vector<NamedSeries> prices;
    for (auto& per_key : *outputs)
      for (auto& o : per_key) prices.push_back({o.key, std::move(o.table)});
    SYSTORE_ASSIGN_OR_RAISE(auto corr, ComputeCorrelations(prices, options));
    outputs->assign(1, {});
    if (corr->num_rows() > 0) (*outputs)[0].push_back({name, corr, false});
    return Status::OK();
  };
  return impl_->Run("correlations", source, output.empty() ? "analytics/correlations" : output, keys, params,
                    out_options, compute, false, combine);
}

Result<AnalyticsRun> Analytics::Pnl(const std::string& output, const PnlOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string out = output.empty() ? "analytics/pnl" : output;
  TimeSeriesStore& store = impl_->store();
  SYSTORE_ASSIGN_OR_RAISE(analytics::PnlInputs inputs, analytics::LoadPnlInputs(store, options));
  AnalyticsRun run;
  run.source = "fills";
  run.output = out;
  // Unchanged inputs since the last P&L commit: nothing to do.
  auto versions = store.Versions(out);
  if (versions.ok()) {
    for (auto it = versions->rbegin(); it != versions->rend(); ++it) {
      json meta = json::parse(it->user_metadata, nullptr, /*allow_exceptions=*/false);
      if (!meta.is_object() || !meta.contains(kLineageField)) continue;
      const json& l = meta[kLineageField];
      if (l.value("operation", "") != "pnl") continue;
      if (l.value("inputs", json()).dump() == inputs.fingerprint) {
        run.series_unchanged = l.value("series", int64_t{0});
        run.rows_read = static_cast<int64_t>(inputs.trades.size());
        run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return run;
      }
      break;
    }
  } else if (!versions.status().IsNotFound()) {
    return versions.status();
  }
  SYSTORE_ASSIGN_OR_RAISE(auto series, analytics::ComputeDailyPnl(store, inputs, options, &run.rows_read));
  run.series_read = static_cast<int64_t>(inputs.trades.size());
  std::vector<SeriesUpdate> updates;
  for (auto& s : series) {
    SeriesUpdate u;
    u.key = s.key;
    u.op = SeriesUpdate::Op::kWrite;
    run.rows_written += s.table->num_rows();
    u.data = std::move(s.table);
    updates.push_back(std::move(u));
    ++run.series_written;
  }
  if (!updates.empty()) {
    DatasetOptions out_options;
    out_options.kind = SeriesKind::kGeneric;
    out_options.partition = PartitionGranularity::kNone;
    json lineage = {{"operation", "pnl"},
                    {"source", "fills"},
                    {"inputs", json::parse(inputs.fingerprint)},
                    {"series", run.series_written}};
    SYSTORE_ASSIGN_OR_RAISE(run.version, impl_->Commit(out, out_options, std::move(updates), lineage));
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

Result<std::shared_ptr<arrow::Table>> Analytics::Asof(const std::string& left_dataset, const std::string& left_key,
                                                      const std::string& right_dataset, const std::string& right_key,
                                                      const AsofOptions& options) {
  SYSTORE_ASSIGN_OR_RAISE(auto left, impl_->store().Read(left_dataset, left_key));
  SYSTORE_ASSIGN_OR_RAISE(auto right, impl_->store().Read(right_dataset, right_key));
  return AsofJoin(*left, *right, options);
}

}  // namespace systore
