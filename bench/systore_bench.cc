// systore_bench: db_bench-style named workloads on the time-series store, printing one
// JSON object per run so bench/compare.py can put systore beside its peers.
//
//   systore_bench --workload import --data ../shared/data --root /tmp/b
//   systore_bench --workload read_all_adjusted --root /tmp/b
//   systore_bench --workload last100|merge_one_day|size --root /tmp/b
//   systore_bench --workload ticks_write|ticks_range_read --root /tmp/b --tick-rows 100000000
//   systore_bench --workload durable_appends --threads 8 --root /tmp/b
//   systore_bench --workload fsync_probe|mixed --root /tmp/b
#include <arrow/api.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <fcntl.h>
#include <unistd.h>

#include "systore/series_csv.h"
#include "systore/timeseries_store.h"

namespace fs = std::filesystem;
using namespace systore;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

template <typename T>
T Check(Result<T> r) {
  if (!r.ok()) {
    std::cerr << "systore_bench: " << r.status().ToString() << std::endl;
    std::exit(1);
  }
  return std::move(r).MoveValueUnsafe();
}
void Check(const Status& st) {
  if (!st.ok()) {
    std::cerr << "systore_bench: " << st.ToString() << std::endl;
    std::exit(1);
  }
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

std::unique_ptr<TimeSeriesStore> OpenStore(const std::string& root, int64_t cache_bytes = 256ll << 20) {
  TimeSeriesStoreOptions o;
  o.root = root;
  o.file_cache_bytes = cache_bytes;
  return Check(TimeSeriesStore::Open(o));
}

std::vector<std::string> Keys(TimeSeriesStore& store, const std::string& dataset) {
  std::vector<std::string> keys;
  for (const auto& s : Check(store.List(dataset))) keys.push_back(s.key);
  return keys;
}

json Import(const std::string& root, const std::string& data) {
  auto store = OpenStore(root);
  const std::pair<const char*, const char*> parts[] = {{"adjusted_prices_csv", "prices/adjusted"},
                                                       {"multiple_prices_csv", "prices/multiple"},
                                                       {"fx_prices_csv", "fx/spot"}};
  auto t0 = Clock::now();
  int64_t series = 0, rows = 0, dups = 0;
  for (const auto& [folder, dataset] : parts) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(data + "/" + folder))
      if (e.path().extension() == ".csv") files.push_back(e.path().string());
    std::vector<SeriesUpdate> updates(files.size());
    std::vector<int64_t> dropped(files.size());
    CsvReadOptions opts;
    opts.duplicates = CsvReadOptions::Duplicates::kKeepLast;  // same policy as the peers
    // Parse the files on every core (through the public API only).
    std::atomic<size_t> next{0};
    std::vector<Status> errors(files.size());
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) {
      pool.emplace_back([&] {
        for (size_t i; (i = next++) < files.size();) {
          auto s = ReadSeriesCsv(files[i], opts);
          if (!s.ok()) {
            errors[i] = s.status();
            continue;
          }
          updates[i].key = fs::path(files[i]).stem().string();
          updates[i].data = s->table;
          dropped[i] = s->duplicates_dropped;
        }
      });
    }
    for (auto& t : pool) t.join();
    for (const auto& e : errors) Check(e);
    for (size_t i = 0; i < files.size(); ++i) {
      rows += updates[i].data->num_rows();
      dups += dropped[i];
    }
    series += static_cast<int64_t>(files.size());
    Check(store->Apply(dataset, std::move(updates)));
  }
  return {{"seconds", Since(t0)}, {"series", series}, {"rows", rows}, {"duplicates_resolved", dups}};
}

json ReadAllAdjusted(const std::string& root, int repeat) {
  // Cold: a fresh store each time (no decoded-file cache; the OS page cache is warm, as
  // it is for the peers). Warm: the same store again, its cache holding the files.
  std::vector<double> cold, warm;
  int64_t rows = 0, series = 0;
  for (int r = 0; r < repeat; ++r) {
    auto store = OpenStore(root);
    auto keys = Keys(*store, "prices/adjusted");
    auto t = Clock::now();
    auto tables = Check(store->ReadMany("prices/adjusted", keys));
    cold.push_back(Since(t));
    t = Clock::now();
    tables = Check(store->ReadMany("prices/adjusted", keys));
    warm.push_back(Since(t));
    rows = 0;
    for (auto& tb : tables) rows += tb->num_rows();
    series = static_cast<int64_t>(keys.size());
  }
  return {
      {"seconds", Percentile(cold, 0.5)}, {"seconds_warm", Percentile(warm, 0.5)}, {"series", series}, {"rows", rows}};
}

json Last100(const std::string& root) {
  auto store = OpenStore(root);
  auto keys = Keys(*store, "prices/adjusted");
  std::mt19937 rng(1);
  std::vector<double> us;
  for (int i = 0; i < 2000; ++i) {
    const std::string& k = keys[rng() % keys.size()];
    auto t = Clock::now();
    auto tb = Check(store->Latest("prices/adjusted", k, 100));
    us.push_back(Since(t) * 1e6);
    if (tb->num_rows() == 0) std::exit(2);
  }
  // The same against a store without the decoded-file cache (every read decodes Parquet).
  auto uncached = OpenStore(root, 0);
  std::vector<double> us_nocache;
  for (int i = 0; i < 500; ++i) {
    const std::string& k = keys[rng() % keys.size()];
    auto t = Clock::now();
    Check(uncached->Latest("prices/adjusted", k, 100));
    us_nocache.push_back(Since(t) * 1e6);
  }
  return {{"p50_us", Percentile(us, 0.5)},
          {"p99_us", Percentile(us, 0.99)},
          {"p50_us_uncached", Percentile(us_nocache, 0.5)},
          {"p99_us_uncached", Percentile(us_nocache, 0.99)}};
}

json MergeOneDay(const std::string& root) {
  auto store = OpenStore(root);
  auto keys = Keys(*store, "prices/adjusted");
  std::vector<SeriesUpdate> updates;
  for (const auto& k : keys) {
    auto last = Check(store->Latest("prices/adjusted", k, 1));
    auto ts = std::static_pointer_cast<arrow::TimestampArray>(last->column(0)->chunk(0));
    arrow::TimestampBuilder tb(ts->type(), arrow::default_memory_pool());
    (void)tb.Append(ts->Value(0) + kNanosPerDay);
    arrow::DoubleBuilder pb;
    (void)pb.Append(std::static_pointer_cast<arrow::DoubleArray>(last->column(1)->chunk(0))->Value(0) + 0.25);
    SeriesUpdate u;
    u.op = SeriesUpdate::Op::kMerge;
    u.key = k;
    u.data = arrow::Table::Make(last->schema(), {tb.Finish().ValueOrDie(), pb.Finish().ValueOrDie()});
    updates.push_back(u);
  }
  auto t = Clock::now();
  auto r = Check(store->Apply("prices/adjusted", updates));
  double one_commit = Since(t);
  return {{"seconds", one_commit}, {"series", keys.size()}, {"rows_added", static_cast<int64_t>(r.size())}};
}

json Size(const std::string& root) {
  auto store = OpenStore(root);
  json out = json::object();
  for (const auto& d : Check(store->ListDatasets())) {
    int64_t bytes = 0, rows = 0;
    for (const auto& s : Check(store->List(d))) {
      bytes += s.bytes;
      rows += s.rows;
    }
    out[d] = bytes;
  }
  return {{"datasets", out}};
}

std::shared_ptr<arrow::Table> MakeTable(const std::vector<Timestamp>& ts, const std::vector<double>& px) {
  arrow::TimestampBuilder tb(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), arrow::default_memory_pool());
  arrow::DoubleBuilder pb;
  (void)tb.AppendValues(ts);
  (void)pb.AppendValues(px);
  auto schema = arrow::schema({arrow::field("ts", tb.type()), arrow::field("price", arrow::float64())});
  return arrow::Table::Make(schema, {tb.Finish().ValueOrDie(), pb.Finish().ValueOrDie()});
}

std::shared_ptr<arrow::Table> MakeSingle(Timestamp ts, double price) { return MakeTable({ts}, {price}); }

std::shared_ptr<arrow::Table> MakeTicks(int64_t first, int64_t n, Timestamp t0, std::mt19937_64& rng, double& price) {
  arrow::TimestampBuilder tb(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), arrow::default_memory_pool());
  arrow::DoubleBuilder pb, sb;
  (void)tb.Reserve(n);
  (void)pb.Reserve(n);
  (void)sb.Reserve(n);
  std::uniform_int_distribution<int> step(-1, 1), size(1, 20), jitter(0, 999'999);
  for (int64_t i = 0; i < n; ++i) {
    price += 0.25 * step(rng);
    tb.UnsafeAppend(t0 + (first + i) * 10'000'000 + jitter(rng));  // a tick every ~10 ms
    pb.UnsafeAppend(price);
    sb.UnsafeAppend(size(rng));
  }
  auto schema = arrow::schema(
      {arrow::field("ts", tb.type()), arrow::field("price", arrow::float64()), arrow::field("size", arrow::float64())});
  return arrow::Table::Make(schema, {tb.Finish().ValueOrDie(), pb.Finish().ValueOrDie(), sb.Finish().ValueOrDie()});
}

json TicksWrite(const std::string& root, int64_t rows) {
  auto store = OpenStore(root);
  std::mt19937_64 rng(7);
  double price = 4000;
  const Timestamp t0 = FromCivilDate(2026, 1, 5);
  // Generate first (not timed), then one write of all rows (partitioned by day).
  auto table = MakeTicks(0, rows, t0, rng, price);
  auto t = Clock::now();
  Check(store->Write("ticks/es", "ES", table));
  double s = Since(t);
  int64_t bytes = 0;
  for (const auto& info : Check(store->List("ticks/es"))) bytes += info.bytes;
  return {{"seconds", s}, {"rows", rows}, {"rows_per_second", rows / s}, {"bytes", bytes}};
}

json TicksRangeRead(const std::string& root) {
  auto store = OpenStore(root, 0);
  auto info = Check(store->List("ticks/es"));
  if (info.empty()) Check(Status::NotFound("run ticks_write first"));
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<Timestamp> start(info[0].first, info[0].last - 3600 * kNanosPerSecond);
  std::vector<double> ms;
  int64_t rows = 0;
  for (int i = 0; i < 20; ++i) {
    ReadOptions ro;
    ro.start = start(rng);
    ro.end = ro.start + 3600 * kNanosPerSecond;
    auto t = Clock::now();
    auto tb = Check(store->Read("ticks/es", "ES", ro));
    ms.push_back(Since(t) * 1e3);
    rows = tb->num_rows();
  }
  return {{"p50_ms", Percentile(ms, 0.5)}, {"rows_per_read", rows}};
}

// Durable single-row appends through the write-ahead log: `threads` threads, each on its
// own series, `per_thread` appends each; latency per call.
json DurableAppends(const std::string& root, int threads, int per_thread) {
  auto store = OpenStore(root);
  for (int t = 0; t < threads; ++t) {
    Check(store->Write("prices/live", "S" + std::to_string(t), MakeSingle(0, 0)));
  }
  std::vector<std::vector<double>> lat(threads);
  auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::string key = "S" + std::to_string(t);
      lat[t].reserve(per_thread);
      for (int i = 1; i <= per_thread; ++i) {
        auto row = MakeSingle(i * kNanosPerSecond, 100.0 + i * 0.25);
        auto a = Clock::now();
        Check(store->Append("prices/live", key, row));
        lat[t].push_back(Since(a) * 1e6);
      }
    });
  }
  for (auto& th : pool) th.join();
  double s = Since(t0);
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  int64_t rows = static_cast<int64_t>(threads) * per_thread;
  return {{"threads", threads},
          {"rows", rows},
          {"seconds", s},
          {"rows_per_second", rows / s},
          {"p50_us", Percentile(all, 0.5)},
          {"p99_us", Percentile(all, 0.99)}};
}

// fdatasync calls per second on a preallocated file in the store root: the ceiling for
// one-at-a-time durable writes on this machine.
json FsyncProbe(const std::string& root) {
  fs::create_directories(root);
  std::string path = root + "/fsync-probe";
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0 || ::posix_fallocate(fd, 0, 16 << 20) != 0) Check(Status::IOError("probe file"));
  char buf[64] = {0};
  const int n = 3000;
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    if (::pwrite(fd, buf, sizeof buf, static_cast<off_t>(i) * 64) < 0 || ::fdatasync(fd) != 0)
      Check(Status::IOError("probe"));
  }
  double s = Since(t0);
  ::close(fd);
  ::unlink(path.c_str());
  return {{"fsyncs_per_second", n / s}, {"us_per_fsync", s / n * 1e6}};
}

// Mixed load: appends to 200 series (4 writer threads) while a reader process reads the
// last 100 rows of random series. The reader sees what the flushes (every 100 ms here)
// committed.
json MixedReader(const std::string& root, double seconds) {
  TimeSeriesStoreOptions o;
  o.root = root;
  auto store = Check(TimeSeriesStore::Open(o));
  std::mt19937 rng(5);
  std::vector<double> us;
  auto t0 = Clock::now();
  while (Since(t0) < seconds) {
    std::string key = "M" + std::to_string(rng() % 200);
    auto a = Clock::now();
    auto t = store->Latest("prices/mixed", key, 100);
    if (!t.ok() && !t.status().IsNotFound()) Check(t.status());
    us.push_back(Since(a) * 1e6);
  }
  return {{"reads", us.size()}, {"p50_us", Percentile(us, 0.5)}, {"p99_us", Percentile(us, 0.99)}};
}

json Mixed(const std::string& root, const std::string& self, double seconds) {
  TimeSeriesStoreOptions o;
  o.root = root;
  o.wal.flush_age_ms = 100;
  auto store = Check(TimeSeriesStore::Open(o));
  for (int k = 0; k < 200; ++k) {
    std::vector<Timestamp> ts;
    std::vector<double> px;
    for (int i = 0; i < 500; ++i) {
      ts.push_back(i * kNanosPerSecond);
      px.push_back(100 + i * 0.25);
    }
    Check(store->Write("prices/mixed", "M" + std::to_string(k), MakeTable(ts, px)));
  }
  // The reader is another process, as a strategy process would be.
  std::string cmd = self + " --workload mixed_reader --root " + root + " --seconds " + std::to_string(seconds);
  FILE* reader = ::popen(cmd.c_str(), "r");
  std::atomic<bool> stop{false};
  std::atomic<int64_t> appended{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int64_t i = 500; !stop; ++i) {
        for (int k = w; k < 200 && !stop; k += 4) {
          Check(
              store->Append("prices/mixed", "M" + std::to_string(k), MakeSingle(i * kNanosPerSecond, 100 + i * 0.25)));
          ++appended;
        }
      }
    });
  }
  char buf[4096];
  std::string out;
  while (std::fgets(buf, sizeof buf, reader)) out += buf;
  stop = true;
  for (auto& t : writers) t.join();
  ::pclose(reader);
  json r = json::parse(out, nullptr, false);
  if (r.is_discarded()) Check(Status::Internal("reader printed: " + out));
  return {{"reader_p50_us", r["p50_us"]},
          {"reader_p99_us", r["p99_us"]},
          {"reads", r["reads"]},
          {"appends_per_second", appended.load() / seconds}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"systore_bench: named workloads on the time-series store; prints one JSON object"};
  std::string workload, data = "../shared/data", root;
  int64_t tick_rows = 20'000'000;
  int repeat = 5;
  int threads = 1, appends = 20000;
  double seconds = 5;
  app.add_option("--workload", workload,
                 "import, read_all_adjusted, last100, merge_one_day, size, ticks_write, ticks_range_read, "
                 "durable_appends, fsync_probe, mixed")
      ->required();
  app.add_option("--data", data, "pysystemtrade data folder")->capture_default_str();
  app.add_option("--root", root, "Store root")->required();
  app.add_option("--tick-rows", tick_rows, "Rows for ticks_write")->capture_default_str();
  app.add_option("--repeat", repeat, "Repeats for read_all_adjusted")->capture_default_str();
  app.add_option("--threads", threads, "Appending threads for durable_appends")->capture_default_str();
  app.add_option("--appends", appends, "Appends per thread for durable_appends")->capture_default_str();
  app.add_option("--seconds", seconds, "Duration of the mixed workload")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  json out;
  if (workload == "import")
    out = Import(root, data);
  else if (workload == "read_all_adjusted")
    out = ReadAllAdjusted(root, repeat);
  else if (workload == "last100")
    out = Last100(root);
  else if (workload == "merge_one_day")
    out = MergeOneDay(root);
  else if (workload == "size")
    out = Size(root);
  else if (workload == "ticks_write")
    out = TicksWrite(root, tick_rows);
  else if (workload == "ticks_range_read")
    out = TicksRangeRead(root);
  else if (workload == "durable_appends")
    out = DurableAppends(root, threads, appends);
  else if (workload == "fsync_probe")
    out = FsyncProbe(root);
  else if (workload == "mixed")
    out = Mixed(root, fs::canonical("/proc/self/exe").string(), seconds);
  else if (workload == "mixed_reader")
    out = MixedReader(root, seconds);
  else {
    std::cerr << "unknown workload " << workload << std::endl;
    return 2;
  }
  out["workload"] = workload;
  std::cout << out.dump() << std::endl;
  return 0;
}
