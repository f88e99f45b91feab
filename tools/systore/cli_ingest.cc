// `systore ingest ...`: batch imports through the quality gate, and the feed simulator
// that drives the streaming pipeline.
#include <arrow/api.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <atomic>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/batch_ingest.h"
#include "systore/ingest_stream.h"

namespace systore::cli {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

void PrintDataset(const DatasetIngestSummary& d) {
  std::printf(
      "  %-18s %4lld series %9lld rows read %9lld added %9lld already stored %6lld already quarantined %6lld "
      "quarantined  %6.2f s  version %s\n",
      d.dataset.c_str(), static_cast<long long>(d.series), static_cast<long long>(d.rows_read),
      static_cast<long long>(d.rows_added), static_cast<long long>(d.rows_already_stored),
      static_cast<long long>(d.rows_already_quarantined), static_cast<long long>(d.rows_quarantined), d.seconds,
      d.version < 0 ? "unchanged" : std::to_string(d.version).c_str());
  for (const auto& r : d.rejected) std::printf("    rejected %s\n", r.c_str());
}

void PrintFindings(const std::map<std::string, int64_t>& by_rule) {
  if (by_rule.empty()) {
    std::printf("findings: none\n");
    return;
  }
  std::printf("findings by rule:\n");
  for (const auto& [r, n] : by_rule) std::printf("  %-22s %8lld\n", r.c_str(), static_cast<long long>(n));
}

json DatasetJson(const DatasetIngestSummary& d) {
  return {{"dataset", d.dataset},
          {"files", d.files},
          {"series", d.series},
          {"rows_read", d.rows_read},
          {"rows_added", d.rows_added},
          {"rows_already_stored", d.rows_already_stored},
          {"rows_already_quarantined", d.rows_already_quarantined},
          {"rows_quarantined", d.rows_quarantined},
          {"rejected", d.rejected},
          {"findings_by_rule", d.findings_by_rule},
          {"version", d.version},
          {"seconds", d.seconds}};
}

struct BatchArgs {
  std::string dir, dataset, format = "text", ts_column, rename, columns, key, string_columns, actor;
  std::vector<std::string> paths;
  bool no_validate = false;
  int threads = 0;
};

std::vector<std::string> Split(const std::string& s, char d) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t c = s.find(d, start);
    if (c == std::string::npos) c = s.size();
    if (c > start) out.push_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

std::unique_ptr<BatchIngest> OpenBatch(const std::string& root, const BatchArgs& a, ProgressBar* bar, std::mutex* mu) {
  BatchIngestOptions o;
  o.root = root;
  o.store = TimeSeriesOrExit(root);
  o.validate = !a.no_validate;
  o.threads = a.threads;
  o.actor = a.actor;
  o.progress = [bar, mu](int64_t, int64_t) {
    std::lock_guard<std::mutex> l(*mu);
    bar->Advance();
  };
  return ValueOrExit(BatchIngest::Open(o));
}

void RunPysystemtrade(const std::string& root, const BatchArgs& a) {
  int64_t files = BatchIngest::CountPysystemtradeFiles(a.dir);
  ProgressBar bar("ingest", files);
  std::mutex mu;
  auto ingest = OpenBatch(root, a, &bar, &mu);
  auto s = ValueOrExit(ingest->ImportPysystemtrade(a.dir));
  bar.Finish();
  if (a.format == "json") {
    json j = {{"datasets", json::array()},
              {"reference_version", s.reference_version},
              {"rows_added", s.rows_added()},
              {"rows_quarantined", s.rows_quarantined()},
              {"findings_by_rule", s.findings_by_rule()},
              {"seconds", s.seconds},
              {"validate", !a.no_validate}};
    if (!s.reference_error.empty()) j["reference_error"] = s.reference_error;
    for (const auto& d : s.datasets) j["datasets"].push_back(DatasetJson(d));
    std::cout << j.dump(1) << "\n";
    return;
  }
  std::printf("ingested %s%s\n", a.dir.c_str(), a.no_validate ? " (validation off)" : "");
  if (s.reference_version >= 0)
    std::printf("  %-24s version %lld\n", "reference (csvconfig)", static_cast<long long>(s.reference_version));
  if (!s.reference_error.empty()) std::printf("  reference (csvconfig) FAILED: %s\n", s.reference_error.c_str());
  int64_t series = 0;
  for (const auto& d : s.datasets) {
    PrintDataset(d);
    series += d.series;
  }
  PrintFindings(s.findings_by_rule());
  std::printf("total: %lld series written, %lld rows added, %lld rows quarantined, %.2f s\n",
              static_cast<long long>(series), static_cast<long long>(s.rows_added()),
              static_cast<long long>(s.rows_quarantined()), s.seconds);
  if (s.rows_quarantined() > 0) std::printf("see: systore quality quarantine list\n");
}

void RunFiles(const std::string& root, const BatchArgs& a) {
  ProgressBar bar("ingest", 1);
  std::mutex mu;
  ColumnMapping m;
  m.timestamp_column = a.ts_column;
  for (const auto& kv : Split(a.rename, ',')) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) ExitOnError(Status::InvalidArgument("--rename wants FROM=TO pairs, got '" + kv + "'"));
    m.rename[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  m.columns = Split(a.columns, ',');
  m.key = a.key;
  m.string_columns = Split(a.string_columns, ',');
  auto ingest = OpenBatch(root, a, &bar, &mu);
  auto t0 = Clock::now();
  auto d = ValueOrExit(ingest->ImportFiles(a.dataset, a.paths, m));
  bar.Finish();
  if (a.format == "json") {
    std::cout << DatasetJson(d).dump(1) << "\n";
    return;
  }
  PrintDataset(d);
  PrintFindings(d.findings_by_rule);
  std::printf("%.2f s\n", SecondsSince(t0));
}

// ---- simulator --------------------------------------------------------------------------

struct SimArgs {
  std::string dataset = "stream/prices", replay;
  int keys = 10;
  double rate = 1e6;
  double seconds = 5;
  int batch = 1000;
  int workers = 2;
  int64_t queue = 1024;
  bool no_validate = false;
  std::string format = "text";
};

void RunSimulate(const std::string& root, const SimArgs& a) {
  auto* store = TimeSeriesOrExit(root);
  StreamIngestOptions so;
  so.root = root;
  so.workers = a.workers;
  so.queue_capacity = a.queue;
  so.validate = !a.no_validate;
  auto pipe = ValueOrExit(StreamIngest::Open(so, store));
  std::mutex lat_mu;
  std::vector<double> latencies_us;
  std::atomic<int64_t> invisible{0};
  pipe->AddTrigger(a.dataset, [&](const TriggerEvent& ev) {
    // Visible in a read: the last appended row is what Latest returns now.
    auto last = store->Latest(ev.dataset, ev.key, 1, ReadOptions{});
    bool ok = last.ok() && (*last)->num_rows() == 1 &&
              (*last)->column(0)->chunk(0)->data()->GetValues<int64_t>(1)[0] == ev.last;
    if (!ok) ++invisible;
    Timestamp now = Now();
    std::lock_guard<std::mutex> l(lat_mu);
    for (Timestamp c : ev.created) latencies_us.push_back(static_cast<double>(now - c) / 1e3);
    return Status::OK();
  });

  // Sources: stored series to replay, or synthetic random walks (1 ms apart per key).
  std::vector<std::string> keys;
  std::vector<std::shared_ptr<arrow::Table>> replay;
  if (!a.replay.empty()) {
    for (const auto& s : ValueOrExit(store->List(a.replay))) {
      if (static_cast<int>(keys.size()) >= a.keys) break;
      keys.push_back(s.key);
      replay.push_back(ValueOrExit(store->Read(a.replay, s.key))->CombineChunks().ValueOrDie());
    }
    if (keys.empty()) ExitOnError(Status::NotFound("nothing to replay in " + a.replay));
  } else {
    for (int k = 0; k < a.keys; ++k) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "SIM%03d", k);
      keys.push_back(buf);
    }
  }
  const int64_t total_rows = static_cast<int64_t>(a.rate * a.seconds);
  const int64_t records = std::max<int64_t>(1, total_rows / a.batch);
  std::vector<Timestamp> next_ts(keys.size());
  std::vector<double> price(keys.size(), 100.0);
  std::vector<int64_t> replay_pos(keys.size(), 0);
  Timestamp base = Now() - 24 * 3600 * kNanosPerSecond;
  for (size_t k = 0; k < keys.size(); ++k) {
    next_ts[k] = base;
    if (auto last = store->Latest(a.dataset, keys[k], 1); last.ok() && (*last)->num_rows() == 1)
      next_ts[k] = (*last)->column(0)->chunk(0)->data()->GetValues<int64_t>(1)[0] + 1'000'000;
  }
  std::mt19937_64 rng(7);
  std::normal_distribution<double> step(0.0, 0.01);
  auto ts_type = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  auto t0 = Clock::now();
  int64_t pushed_rows = 0;
  for (int64_t i = 0; i < records; ++i) {
    size_t k = static_cast<size_t>(i % static_cast<int64_t>(keys.size()));
    std::shared_ptr<arrow::Table> rows;
    if (!replay.empty()) {
      auto& t = replay[k];
      if (replay_pos[k] >= t->num_rows()) continue;
      rows = t->Slice(replay_pos[k], a.batch);
      replay_pos[k] += rows->num_rows();
    } else {
      arrow::TimestampBuilder tb(ts_type, arrow::default_memory_pool());
      arrow::DoubleBuilder pb;
      (void)tb.Reserve(a.batch);
      (void)pb.Reserve(a.batch);
      for (int r = 0; r < a.batch; ++r) {
        price[k] *= std::exp(step(rng) * 0.01);
        tb.UnsafeAppend(next_ts[k]);
        pb.UnsafeAppend(price[k]);
        next_ts[k] += 1'000'000;
      }
      rows = arrow::Table::Make(arrow::schema({arrow::field("ts", ts_type), arrow::field("price", arrow::float64())}),
                                {tb.Finish().ValueOrDie(), pb.Finish().ValueOrDie()});
    }
    // Pace: record i is due at i * batch / rate seconds.
    auto due = t0 + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * static_cast<double>(i) * a.batch / a.rate));
    std::this_thread::sleep_until(due);
    pushed_rows += rows->num_rows();
    ExitOnError(pipe->Push(StreamRecord{a.dataset, keys[k], rows, Now()}));
  }
  ExitOnError(pipe->Drain());
  double secs = SecondsSince(t0);
  auto st = pipe->stats();
  ExitOnError(pipe->Close());
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) {
    if (latencies_us.empty()) return 0.0;
    return latencies_us[std::min(latencies_us.size() - 1, static_cast<size_t>(p * latencies_us.size()))];
  };
  double rows_per_s = static_cast<double>(st.rows_appended) / secs;
  if (a.format == "json") {
    json j = {{"target_rate", a.rate},
              {"rows_pushed", pushed_rows},
              {"rows_appended", st.rows_appended},
              {"rows_quarantined", st.rows_quarantined},
              {"dead_letters", st.records_dead_lettered},
              {"appends", st.appends},
              {"push_waits", st.push_waits},
              {"seconds", secs},
              {"rows_per_s", rows_per_s},
              {"p50_us", pct(0.50)},
              {"p99_us", pct(0.99)},
              {"max_us", latencies_us.empty() ? 0.0 : latencies_us.back()},
              {"not_visible", invisible.load()},
              {"validate", !a.no_validate},
              {"batch", a.batch},
              {"keys", keys.size()}};
    std::cout << j.dump(1) << "\n";
    return;
  }
  std::printf("simulated %s%s: %zu keys, %lld rows pushed in records of %d at a target of %.0f rows/s%s\n",
              a.dataset.c_str(), a.replay.empty() ? " (synthetic)" : (" (replay of " + a.replay + ")").c_str(),
              keys.size(), static_cast<long long>(pushed_rows), a.batch, a.rate,
              a.no_validate ? ", validation off" : "");
  std::printf(
      "  appended %lld rows in %.2f s = %.0f rows/s durable (%lld appends, %lld pushes waited on a full queue)\n",
      static_cast<long long>(st.rows_appended), secs, rows_per_s, static_cast<long long>(st.appends),
      static_cast<long long>(st.push_waits));
  std::printf("  event -> visible in a read: p50 %.0f us, p99 %.0f us, max %.0f us (%zu records; %lld not visible)\n",
              pct(0.5), pct(0.99), latencies_us.empty() ? 0.0 : latencies_us.back(), latencies_us.size(),
              static_cast<long long>(invisible.load()));
  std::printf("  quarantined %lld rows, %lld dead letters\n", static_cast<long long>(st.rows_quarantined),
              static_cast<long long>(st.records_dead_lettered));
}

}  // namespace

struct ArcticArgs {
  std::string uri, library, dataset;
  std::vector<std::string> extra;
};

// The ArcticDB importer is the Python package's (it needs the arcticdb wheel): run it with
// $SYSTORE_PYTHON, else the project's .venv, else python3, finding the package in the
// source tree when it is not installed.
[[noreturn]] void RunArcticdb(const std::string& root, const ArcticArgs& a) {
  std::string py;
  if (const char* env = std::getenv("SYSTORE_PYTHON"); env && *env)
    py = env;
  else if (fs::exists(SYSTORE_VENV_PYTHON))
    py = SYSTORE_VENV_PYTHON;
  else
    py = "python3";
  if (fs::is_directory(std::string(SYSTORE_PYTHON_SOURCE_DIR) + "/systore")) {
    const char* old = std::getenv("PYTHONPATH");
    std::string path = std::string(SYSTORE_PYTHON_SOURCE_DIR) + (old && *old ? std::string(":") + old : "");
    setenv("PYTHONPATH", path.c_str(), 1);
  }
  std::vector<std::string> args = {py,       "-m", "systore.migrate", "arcticdb", a.uri, a.library,
                                   "--root", root, "--dataset",       a.dataset};
  args.insert(args.end(), a.extra.begin(), a.extra.end());
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  execvp(argv[0], argv.data());
  std::fprintf(stderr, "error: cannot run %s: %s (set SYSTORE_PYTHON to a Python with the systore package)\n",
               py.c_str(), std::strerror(errno));
  std::exit(1);
}

void AddIngestCommands(CLI::App& app, std::string& root) {
  auto* in = app.add_subcommand("ingest",
                                "Ingest through the quality gate: pysystemtrade folders, file drops, feed simulator");
  in->require_subcommand(1);

  auto ps = std::make_shared<BatchArgs>();
  auto* c =
      in->add_subcommand("pysystemtrade",
                         "Import a pysystemtrade data folder (adjusted, multiple, FX, per-contract prices, csvconfig)\n"
                         "in parallel through validation, one commit per dataset. Re-running adds nothing;\n"
                         "only rows after each series' last stored row are considered.");
  c->add_option("dir", ps->dir, "The folder holding adjusted_prices_csv/, multiple_prices_csv/, ...")->required();
  c->add_flag("--no-validate", ps->no_validate, "Skip the validators (duplicates are still resolved)");
  c->add_option("--threads", ps->threads, "Parse/validate threads (default: one per core)");
  c->add_option("--actor", ps->actor, "Recorded in the reference change log (default $USER)");
  c->add_option("--format", ps->format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  c->callback([&root, ps] { RunPysystemtrade(ResolveRoot(root), *ps); });

  auto fa = std::make_shared<BatchArgs>();
  c = in->add_subcommand("files", "Import CSV/Parquet drops (one series per file) with a column mapping");
  c->add_option("dataset", fa->dataset)->required();
  c->add_option("paths", fa->paths, "Files or directories")->required();
  c->add_option("--ts-column", fa->ts_column, "Timestamp column (default: first CSV column / first timestamp column)");
  c->add_option("--rename", fa->rename, "FROM=TO,... column renames, e.g. Last=CLOSE");
  c->add_option("--columns", fa->columns, "Value columns to keep (stored names, comma-separated)");
  c->add_option("--key", fa->key, "Series key (single file; default: file name)");
  c->add_option("--string-columns", fa->string_columns, "CSV columns read as text");
  c->add_flag("--no-validate", fa->no_validate, "Skip the validators");
  c->add_option("--format", fa->format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  c->callback([&root, fa] { RunFiles(ResolveRoot(root), *fa); });

  auto sim = std::make_shared<SimArgs>();
  auto aa = std::make_shared<ArcticArgs>();
  c = in->add_subcommand("arcticdb",
                         "Import every symbol of an ArcticDB library into one dataset, values exact (the Python\n"
                         "package's systore.migrate; needs the arcticdb wheel). Options after the dataset go to it:\n"
                         "--all-versions, --snapshots, --key-map FILE.json, --snapshot-map FILE.json, --symbol S,\n"
                         "--skip-invalid, --json (see: python -m systore.migrate arcticdb --help). The data is\n"
                         "written as it is stored in ArcticDB (a migration, like a restore: not re-validated).");
  c->add_option("uri", aa->uri, "ArcticDB URI, e.g. lmdb:///data/arctic")->required();
  c->add_option("library", aa->library, "ArcticDB library")->required();
  c->add_option("--dataset", aa->dataset, "Target dataset, e.g. prices/adjusted")->required();
  c->allow_extras();
  c->callback([&root, aa, c] {
    aa->extra = c->remaining();
    RunArcticdb(ResolveRoot(root), *aa);
  });

  c = in->add_subcommand("simulate",
                         "Feed simulator: replays stored series (--replay) or synthetic prices at a rate through the\n"
                         "streaming pipeline (queue -> validate -> durable append -> triggers); reports throughput\n"
                         "and event -> visible latency.");
  c->add_option("dataset", sim->dataset, "Target dataset")->capture_default_str();
  c->add_option("--replay", sim->replay, "Replay this dataset's series instead of synthetic data");
  c->add_option("--keys", sim->keys, "Series")->capture_default_str();
  c->add_option("--rate", sim->rate, "Target rows per second")->capture_default_str();
  c->add_option("--seconds", sim->seconds, "Duration at the target rate")->capture_default_str();
  c->add_option("--batch", sim->batch, "Rows per event")->capture_default_str();
  c->add_option("--workers", sim->workers, "Pipeline workers")->capture_default_str();
  c->add_option("--queue", sim->queue, "Queue capacity per worker (records)")->capture_default_str();
  c->add_flag("--no-validate", sim->no_validate, "Skip the quality gate");
  c->add_option("--format", sim->format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  c->callback([&root, sim] { RunSimulate(ResolveRoot(root), *sim); });

  c = in->add_subcommand("deadletters", "Records the streaming pipeline could not process");
  c->callback([&root] {
    for (const auto& d : ValueOrExit(ListDeadLetters(ResolveRoot(root)))) {
      std::printf("%6lld  %s  %-10s %-20s %-12s %6lld rows  %s\n", static_cast<long long>(d.id),
                  FormatTimestamp(d.time - d.time % kNanosPerSecond).c_str(), d.stage.c_str(), d.dataset.c_str(),
                  d.key.c_str(), static_cast<long long>(d.rows), d.error.c_str());
    }
  });
}

}  // namespace systore::cli
