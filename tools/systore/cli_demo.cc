// `systore demo`: the end-to-end run on the embedded default stores. Generates realistic
// futures data (or imports a pysystemtrade folder with --data), writes, merges the next
// day, reads back and prints what it did and how fast.
#include <arrow/api.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>
#include <mutex>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/backup.h"
#include "systore/analytics.h"
#include "systore/batch_ingest.h"
#include "systore/operational_store.h"
#include "systore/reference_store.h"
#include "systore/series_csv.h"

namespace systore::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct DemoArgs {
  std::string data;
  int instruments = 40;
  int years = 10;
};

// A daily close series stamped 23:00 UTC on weekdays: geometric random walk rounded to
// the instrument's tick, as exchange prices are.
std::shared_ptr<arrow::Table> SyntheticDaily(std::mt19937_64& rng, Timestamp first_day, int days, double start,
                                             double tick, double vol) {
  arrow::TimestampBuilder tsb(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), arrow::default_memory_pool());
  arrow::DoubleBuilder pb;
  std::normal_distribution<double> step(0.0, vol);
  double p = start;
  for (int d = 0; d < days; ++d) {
    Timestamp day = first_day + d * kNanosPerDay;
    int weekday = static_cast<int>(((day / kNanosPerDay) % 7 + 7 + 3) % 7);  // 0 = Monday
    if (weekday >= 5) continue;
    p *= std::exp(step(rng));
    (void)tsb.Append(day + 23 * 3600 * kNanosPerSecond);
    (void)pb.Append(std::round(p / tick) * tick);
  }
  auto schema = arrow::schema({arrow::field("ts", tsb.type()), arrow::field("price", arrow::float64())});
  return arrow::Table::Make(schema, {tsb.Finish().ValueOrDie(), pb.Finish().ValueOrDie()});
}

// Hourly OHLCV bars for one contract, 08:00-16:00 on weekdays.
std::shared_ptr<arrow::Table> SyntheticHourly(std::mt19937_64& rng, Timestamp first_day, int days, double start,
                                              double tick) {
  arrow::TimestampBuilder tsb(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), arrow::default_memory_pool());
  arrow::DoubleBuilder o, h, l, c, v;
  std::normal_distribution<double> step(0.0, 0.003);
  std::poisson_distribution<int> vol(800);
  double p = start;
  for (int d = 0; d < days; ++d) {
    Timestamp day = first_day + d * kNanosPerDay;
    int weekday = static_cast<int>(((day / kNanosPerDay) % 7 + 7 + 3) % 7);
    if (weekday >= 5) continue;
    for (int hour = 8; hour <= 16; ++hour) {
      double open = p, close = p * std::exp(step(rng));
      double hi = std::max(open, close) * (1 + std::abs(step(rng)) / 3),
             lo = std::min(open, close) * (1 - std::abs(step(rng)) / 3);
      auto q = [&](double x) { return std::round(x / tick) * tick; };
      (void)tsb.Append(day + hour * 3600 * kNanosPerSecond);
      (void)o.Append(q(open));
      (void)h.Append(q(hi));
      (void)l.Append(q(lo));
      (void)c.Append(q(close));
      (void)v.Append(vol(rng));
      p = close;
    }
  }
  auto schema = arrow::schema({arrow::field("ts", tsb.type()), arrow::field("OPEN", arrow::float64()),
                               arrow::field("HIGH", arrow::float64()), arrow::field("LOW", arrow::float64()),
                               arrow::field("FINAL", arrow::float64()), arrow::field("VOLUME", arrow::float64())});
  return arrow::Table::Make(schema, {tsb.Finish().ValueOrDie(), o.Finish().ValueOrDie(), h.Finish().ValueOrDie(),
                                     l.Finish().ValueOrDie(), c.Finish().ValueOrDie(), v.Finish().ValueOrDie()});
}

// The import path for the demo's writes, into the store the demo holds.
std::unique_ptr<BatchIngest> OpenIngest(const std::string& root, TimeSeriesStore* store) {
  BatchIngestOptions o;
  o.root = root;
  o.store = store;
  o.actor = "demo";
  return ValueOrExit(BatchIngest::Open(o));
}

// The next weekday's row for each series: last price moved by a small step.
std::shared_ptr<arrow::Table> NextDay(const std::shared_ptr<arrow::Table>& last_row, double factor) {
  auto ts = std::static_pointer_cast<arrow::TimestampArray>(last_row->column(0)->chunk(0));
  Timestamp next = ts->Value(0) + kNanosPerDay;
  while (true) {
    int weekday = static_cast<int>(((next / kNanosPerDay) % 7 + 7 + 3) % 7);
    if (weekday < 5) break;
    next += kNanosPerDay;
  }
  arrow::TimestampBuilder tsb(ts->type(), arrow::default_memory_pool());
  (void)tsb.Append(next);
  std::vector<std::shared_ptr<arrow::Array>> cols{tsb.Finish().ValueOrDie()};
  for (int c = 1; c < last_row->num_columns(); ++c) {
    auto a = last_row->column(c)->chunk(0);
    if (a->type_id() == arrow::Type::DOUBLE && !a->IsNull(0)) {
      arrow::DoubleBuilder b;
      (void)b.Append(static_cast<const arrow::DoubleArray&>(*a).Value(0) * factor);
      cols.push_back(b.Finish().ValueOrDie());
    } else {
      cols.push_back(a);
    }
  }
  return arrow::Table::Make(last_row->schema(), cols);
}

void RunDemo(const std::string& root, const DemoArgs& a) {
  std::cout << "systore demo: store root " << fs::absolute(root).string() << "\n";
  StoresOrExit(root, "demo");  // systore.yaml's stores; "demo" is the actor of audit records
  auto* store = TimeSeriesOrExit(root);
  auto t0 = Clock::now();
  int64_t total_rows = 0;
  std::vector<std::string> adjusted_keys;

  if (!a.data.empty()) {
    std::cout << "\n1. Import the pysystemtrade data folder " << a.data << "\n";
    // The pysystemtrade import path: lenient parse, the quality gate, one commit per dataset.
    auto ingest = OpenIngest(root, store);
    auto sum = ValueOrExit(ingest->ImportPysystemtrade(a.data));
    for (const auto& d : sum.datasets) {
      total_rows += d.rows_added;
      std::printf("   %-24s %4lld series %9lld rows added, %lld quarantined  %6.2f s  -> version %lld\n",
                  d.dataset.c_str(), static_cast<long long>(d.series), static_cast<long long>(d.rows_added),
                  static_cast<long long>(d.rows_quarantined), d.seconds, static_cast<long long>(d.version));
    }
    for (const auto& s : ValueOrExit(store->List("prices/adjusted"))) adjusted_keys.push_back(s.key);
    if (sum.reference_version >= 0) {
      std::printf("   reference data (csvconfig) -> version %lld\n", static_cast<long long>(sum.reference_version));
    }
  } else {
    std::cout << "\n1. Generate " << a.instruments << " instruments x " << a.years
              << " years of synthetic futures data (daily closes at 23:00, hourly bars, FX)\n";
    std::mt19937_64 rng(42);
    const Timestamp first = FromCivilDate(2026 - a.years, 1, 1);
    const int days = a.years * 365;
    std::vector<SeriesUpdate> adjusted, hourly, fx;
    const char* names[] = {"SOFR", "US10", "BUND", "GOLD", "CRUDE_W", "SP500", "EUROSTX", "CORN", "COPPER", "JGB"};
    for (int i = 0; i < a.instruments; ++i) {
      std::string key = std::string(names[i % 10]) + (i >= 10 ? "_" + std::to_string(i / 10) : "");
      double start = 50.0 + 40.0 * (i % 10), tick = i % 3 == 0 ? 0.005 : 0.25;
      SeriesUpdate u;
      u.key = key;
      u.data = SyntheticDaily(rng, first, days, start, tick, 0.012);
      adjusted.push_back(u);
      adjusted_keys.push_back(key);
      if (i < 8) {
        SeriesUpdate h;
        h.key = key + "/20260300";
        h.data = SyntheticHourly(rng, first + (days - 365) * kNanosPerDay, 365, start, tick);
        hourly.push_back(h);
      }
    }
    for (const char* ccy : {"GBPUSD", "EURUSD", "JPYUSD", "CHFUSD"}) {
      SeriesUpdate u;
      u.key = ccy;
      u.data = SyntheticDaily(rng, first, days, 1.1, 0.00001, 0.005);
      fx.push_back(u);
    }
    // Written as every import is: through the quality gate, one commit per dataset.
    auto ingest = OpenIngest(root, store);
    for (auto* group : {&adjusted, &hourly, &fx}) {
      const char* ds = group == &adjusted ? "prices/adjusted" : group == &hourly ? "prices/contract_hourly" : "fx/spot";
      std::vector<TableInput> tables;
      for (auto& u : *group) tables.push_back({u.key, u.data, "synthetic"});
      auto t = Clock::now();
      auto d = ValueOrExit(ingest->ImportTables(ds, tables));
      total_rows += d.rows_added;
      double s = SecondsSince(t);
      std::printf(
          "   %-24s %4lld series %9lld rows validated and written in %6.3f s (%.0f rows/s), %lld quarantined -> "
          "version %lld\n",
          ds, static_cast<long long>(d.series), static_cast<long long>(d.rows_added), s, d.rows_added / s,
          static_cast<long long>(d.rows_quarantined), static_cast<long long>(d.version));
    }
  }

  std::cout << "\n2. Read every adjusted-price series at once (a backtest's load)\n";
  auto t = Clock::now();
  auto tables = ValueOrExit(store->ReadMany("prices/adjusted", adjusted_keys));
  int64_t rows = 0;
  for (auto& tb : tables) rows += tb->num_rows();
  std::printf("   %zu series, %lld rows in %.3f s\n", tables.size(), static_cast<long long>(rows), SecondsSince(t));

  std::cout << "\n3. The daily update: merge one new day into every adjusted series, validated, in one commit\n";
  std::vector<TableInput> next;
  for (size_t i = 0; i < adjusted_keys.size(); ++i) {
    auto last = ValueOrExit(store->Latest("prices/adjusted", adjusted_keys[i], 1));
    // Yesterday's row again (already stored, skipped) plus the new day.
    next.push_back(
        {adjusted_keys[i], arrow::ConcatenateTables({last, NextDay(last, 1.001)}).ValueOrDie(), "daily update"});
  }
  auto daily = OpenIngest(root, store);
  t = Clock::now();
  auto merged = ValueOrExit(daily->ImportTables("prices/adjusted", next));
  std::printf("   %lld rows added, %lld already stored and skipped, %lld quarantined, in %.3f s -> version %lld\n",
              static_cast<long long>(merged.rows_added), static_cast<long long>(merged.rows_already_stored),
              static_cast<long long>(merged.rows_quarantined), SecondsSince(t), static_cast<long long>(merged.version));
  t = Clock::now();
  auto again = ValueOrExit(daily->ImportTables("prices/adjusted", next));
  std::printf("   the same merge again adds %lld rows (idempotent, version %s), %.3f s\n",
              static_cast<long long>(again.rows_added), again.version < 0 ? "unchanged" : "NEW", SecondsSince(t));

  std::cout << "\n4. Recent reads and history\n";
  const std::string& key = adjusted_keys.front();
  t = Clock::now();
  const int kReads = 1000;
  for (int i = 0; i < kReads; ++i)
    ValueOrExit(store->Latest("prices/adjusted", adjusted_keys[i % adjusted_keys.size()], 100));
  std::printf("   last 100 rows of a series: %.1f us per read (mean of %d)\n", SecondsSince(t) * 1e6 / kReads, kReads);
  auto tail = ValueOrExit(store->Latest("prices/adjusted", key, 3));
  std::cout << "   " << key << ", last 3 rows:\n";
  std::ostringstream csv;
  ExitOnError(WriteSeriesCsv(*tail, "DATETIME", {}, csv));
  std::istringstream lines(csv.str());
  for (std::string line; std::getline(lines, line);) std::cout << "     " << line << "\n";
  int64_t before = merged.version - 1;
  ReadOptions as_of;
  as_of.as_of_version = before;
  auto old = ValueOrExit(store->Read("prices/adjusted", key, as_of));
  auto now = ValueOrExit(store->Read("prices/adjusted", key));
  std::printf("   as of version %lld the series had %lld rows; now %lld\n", static_cast<long long>(before),
              static_cast<long long>(old->num_rows()), static_cast<long long>(now->num_rows()));

  std::cout << "\n5. Live bars: durable appends through the write-ahead log (4 threads, group commit)\n";
  {
    const int kThreads = 4, kSeries = 20, kBars = 100;
    std::vector<std::string> live_keys;
    std::vector<SeriesUpdate> seed;
    for (int k = 0; k < kSeries; ++k) {
      live_keys.push_back(adjusted_keys[k % adjusted_keys.size()] + "/live" + std::to_string(k));
      auto first = ValueOrExit(store->Latest("prices/adjusted", adjusted_keys[k % adjusted_keys.size()], 1));
      SeriesUpdate u;
      u.key = live_keys.back();
      u.data = first;
      seed.push_back(u);
    }
    ValueOrExit(store->Apply("prices/live", seed));
    std::vector<std::vector<double>> lat(kThreads);
    auto t = Clock::now();
    std::vector<std::thread> threads;
    for (int th = 0; th < kThreads; ++th) {
      threads.emplace_back([&, th] {
        for (int b = 1; b <= kBars; ++b) {
          for (int k = th; k < kSeries; k += kThreads) {
            auto last = ValueOrExit(store->Latest("prices/live", live_keys[k], 1));
            auto bar = NextDay(last, 1.0005);
            auto a = Clock::now();
            ValueOrExit(store->Append("prices/live", live_keys[k], bar));
            lat[th].push_back(SecondsSince(a) * 1e6);
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    double s = SecondsSince(t);
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    std::printf("   %zu durable appends in %.2f s (%.0f/s); per append p50 %.0f us, p99 %.0f us\n", all.size(), s,
                all.size() / s, all[all.size() / 2], all[all.size() * 99 / 100]);
    auto tail_rows = ValueOrExit(store->Read("prices/live", live_keys[0]))->num_rows();
    std::printf("   visible to this process at once: %s has %lld rows (version %lld not yet advanced)\n",
                live_keys[0].c_str(), static_cast<long long>(tail_rows),
                static_cast<long long>(ValueOrExit(store->CurrentVersion("prices/live"))));
    t = Clock::now();
    ExitOnError(store->Flush("prices/live"));
    std::printf("   flush: one commit for all %d series -> version %lld (%.3f s); other processes see the rows now\n",
                kSeries, static_cast<long long>(ValueOrExit(store->CurrentVersion("prices/live"))), SecondsSince(t));
  }

  std::cout << "\n6. Analytics next to the data: volatility, forecasts, correlations and bars, stored with their "
               "lineage\n";
  {
    AnalyticsOptions ao;
    ao.store = store;
    auto analytics = ValueOrExit(Analytics::Open(ao));
    auto vol = ValueOrExit(analytics->Volatility("prices/adjusted", "analytics/volatility", {}));
    std::printf(
        "   pysystemtrade's volatility of %lld series: %lld rows -> analytics/volatility version %lld, %.3f s\n",
        static_cast<long long>(vol.series_read), static_cast<long long>(vol.rows_written),
        static_cast<long long>(vol.version), vol.seconds);
    auto again = ValueOrExit(analytics->Volatility("prices/adjusted", "analytics/volatility", {}));
    std::printf("   the same again: %lld series unchanged, %s\n", static_cast<long long>(again.series_unchanged),
                again.version < 0 ? "no new version" : "NEW VERSION");
    std::vector<std::string> some(adjusted_keys.begin(),
                                  adjusted_keys.begin() + std::min<size_t>(3, adjusted_keys.size()));
    auto fc = ValueOrExit(analytics->Forecasts("prices/adjusted", "analytics/forecasts", some));
    std::printf("   EWMAC forecasts (6 rules) for %lld instruments: %lld series, %.3f s\n",
                static_cast<long long>(fc.series_read), static_cast<long long>(fc.series_written), fc.seconds);
    std::vector<std::string> portfolio(adjusted_keys.begin(),
                                       adjusted_keys.begin() + std::min<size_t>(8, adjusted_keys.size()));
    if (portfolio.size() >= 2) {
      auto corr = ValueOrExit(analytics->Correlations("prices/adjusted", "analytics/correlations", portfolio));
      auto latest = ValueOrExit(store->Latest("analytics/correlations", "portfolio", 1));
      double sum = 0;
      for (int c = 1; c < latest->num_columns(); ++c)
        sum += std::static_pointer_cast<arrow::DoubleArray>(latest->column(c)->chunk(0))->Value(0);
      std::printf(
          "   pysystemtrade's correlation estimate of %zu instruments: %lld weekly rows x %d pairs, "
          "latest average %.2f, %.3f s\n",
          portfolio.size(), static_cast<long long>(corr.rows_written), latest->num_columns() - 1,
          latest->num_columns() > 1 ? sum / (latest->num_columns() - 1) : 0.0, corr.seconds);
    }
    // One trading day of synthetic ticks, then 1-minute bars.
    std::mt19937_64 rng(42);
    std::normal_distribution<double> step(0, 0.25);
    std::uniform_int_distribution<int64_t> gap(1, 400'000'000);
    std::vector<int64_t> ts;
    std::vector<double> px, sz;
    int64_t tick = FromCivilDate(2024, 3, 4) + 13 * 3600 * kNanosPerSecond;
    double p = 5000;
    while (ts.size() < 200'000) {
      ts.push_back(tick += gap(rng));
      px.push_back(p += step(rng));
      sz.push_back(static_cast<double>(1 + rng() % 20));
    }
    arrow::TimestampBuilder tb(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), arrow::default_memory_pool());
    arrow::DoubleBuilder pb, sb;
    ExitOnError(tb.AppendValues(ts).ok() && pb.AppendValues(px).ok() && sb.AppendValues(sz).ok()
                    ? Status::OK()
                    : Status::Internal("building demo ticks"));
    auto ticks =
        arrow::Table::Make(arrow::schema({arrow::field("ts", tb.type()), arrow::field("price", arrow::float64()),
                                          arrow::field("size", arrow::float64())}),
                           {tb.Finish().ValueOrDie(), pb.Finish().ValueOrDie(), sb.Finish().ValueOrDie()});
    ValueOrExit(store->Write("ticks/demo", "ES", ticks));
    BarOptions bo;
    bo.interval = ValueOrExit(ParseInterval("1min"));
    auto bars = ValueOrExit(analytics->Bars("ticks/demo", "bars/1min", {}, bo));
    std::printf("   %lld ticks -> %lld one-minute bars (open, high, low, close, volume, count, vwap), %.3f s\n",
                static_cast<long long>(bars.rows_read), static_cast<long long>(bars.rows_written), bars.seconds);
  }

  std::cout << "\n7. Reference data and the operational store\n";
  {
    auto* ref = ReferenceOrExit(root);
    ChangeContext ctx{"demo", "demo load"};
    std::string csvconfig = a.data + "/csvconfig";
    const std::string instrument = adjusted_keys.front();
    if (!a.data.empty() && fs::is_directory(csvconfig)) {
      std::printf("   reference tables: pysystemtrade's csvconfig, imported in step 1\n");
    } else {
      ValueOrExit(ref->Set(
          "instruments", instrument,
          {{"Pointsize", "2500"}, {"Currency", "USD"}, {"PerBlock", "0"}, {"Percentage", "0"}, {"PerTrade", "0"}},
          ctx));
    }
    ValueOrExit(ref->Set("spread_costs", instrument, {{"SpreadCost", "0.005"}}, ChangeContext{"demo", "broker quote"}));
    auto verify = ValueOrExit(ref->Verify());
    std::printf("   %s SpreadCost = %s; change log verified: %s (%lld entries, head %s...)\n", instrument.c_str(),
                ValueOrExit(ref->GetValue("spread_costs", instrument, "SpreadCost")).c_str(),
                verify.ok ? "ok" : "BROKEN", static_cast<long long>(verify.entries),
                verify.head_hash.substr(0, 12).c_str());

    auto* ops = ValueOrExit(StoresOrExit(root).OperationalStoreNamed("operational"));  // systore.yaml
    NewOrder order;
    order.strategy = "carry";
    order.instrument = instrument;
    order.contract = "20260300";
    order.quantity = 5;
    OrderId id = ValueOrExit(ops->AddOrder(order));
    ExitOnError(ops->SubmitOrder(id));
    auto t = Clock::now();
    for (int i = 0; i < 5; ++i) {
      FillRequest fill;
      fill.order_id = id;
      fill.quantity = 1;
      fill.price = 95.0 + 0.005 * i;
      fill.exec_id = "demo-" + std::to_string(id) + "-" + std::to_string(i);
      ValueOrExit(ops->ApplyFill(fill));
    }
    double s = SecondsSince(t);
    FillRequest again;
    again.order_id = id;
    again.quantity = 1;
    again.price = 95.0;
    again.exec_id = "demo-" + std::to_string(id) + "-0";
    auto dup = ops->ApplyFill(again);
    auto positions = ValueOrExit(ops->StrategyPositions("carry", instrument));
    auto rec = ValueOrExit(ops->Reconcile());
    std::printf(
        "   order %lld: 5 fills applied atomically (fill + order + positions + trade + P&L) in %.3f s; "
        "a repeated execution id is refused (%s)\n",
        static_cast<long long>(id), s, std::string(StatusCodeName(dup.status().code())).c_str());
    std::printf("   position carry/%s = %lld; reconcile against fills: %s\n", instrument.c_str(),
                static_cast<long long>(positions.empty() ? 0 : positions[0].position), rec.ok() ? "ok" : "DIFFERENCES");
  }

  std::cout << "\n8. On disk\n";
  for (const auto& d : ValueOrExit(store->ListDatasets())) {
    int64_t bytes = 0, r = 0, files = 0;
    auto series = ValueOrExit(store->List(d));
    for (const auto& s : series) {
      bytes += s.bytes;
      r += s.rows;
      files += s.files;
    }
    std::printf("   %-24s %4zu series %9lld rows %6lld files %10lld bytes (%.2f bytes/row)\n", d.c_str(), series.size(),
                static_cast<long long>(r), static_cast<long long>(files), static_cast<long long>(bytes),
                r ? static_cast<double>(bytes) / r : 0.0);
  }
  // 9. Backup of all three stores, verified: the repository sits beside the root (a
  // repository inside the root would be backed up with it).
  std::cout << "\n9. Backup and verify (every store, one manifest)\n";
  {
    const std::string repo_dir = root + ".backups";
    auto repo = ValueOrExit(BackupRepository::Open(repo_dir));
    auto info = ValueOrExit(repo->Create({.root = root, .label = "demo"}));
    std::printf("   backup %s: %lld files, %.1f MB, %lld datasets + operational + reference, %.3f s\n", info.id.c_str(),
                static_cast<long long>(info.files), info.bytes / 1e6, static_cast<long long>(info.datasets), info.seconds);
    auto again = ValueOrExit(repo->Create({.root = root, .label = "demo-again"}));
    std::printf("   a second backup copies %lld new files (%.3f MB): the repository is content-addressed\n",
                static_cast<long long>(again.files_copied), again.bytes_copied / 1e6);
    auto verify = ValueOrExit(repo->Verify());
    std::printf("   verify: %s (%lld files, %.1f MB read and checked against SHA-256)\n", verify.ok() ? "ok" : "FAILED",
                static_cast<long long>(verify.files_checked), verify.bytes_checked / 1e6);
    std::printf("   restore with: systore restore --repo %s %s --to DIR\n", repo_dir.c_str(), info.id.c_str());
    if (!verify.ok()) ExitOnError(Status::Corruption("demo backup failed verification"));
  }
  std::printf("\ndone: %lld rows in %.2f s. Explore with: systore --root %s ts list\n",
              static_cast<long long>(total_rows), SecondsSince(t0), root.c_str());
}

}  // namespace

void AddDemoCommand(CLI::App& app, std::string& root) {
  auto args = std::make_shared<DemoArgs>();
  auto* c = app.add_subcommand("demo",
                               "End-to-end run: generate (or --data: import) futures data, write, merge the next day,\n"
                               "read back, and print what happened and how fast. Uses a fresh store root.");
  c->add_option("--data", args->data, "A pysystemtrade data folder (e.g. ../shared/data) to import instead");
  c->add_option("--instruments", args->instruments, "Synthetic instruments")
      ->capture_default_str()
      ->check(CLI::Range(1, 2000));
  c->add_option("--years", args->years, "Synthetic years of history")->capture_default_str()->check(CLI::Range(1, 100));
  c->callback([&root, args] {
    std::string r = ResolveRoot(root);
    if (fs::exists(r) && !fs::is_empty(r)) {
      r += "/demo-" + std::to_string(Now() / kNanosPerSecond);
    }
    RunDemo(r, *args);
  });
}

}  // namespace systore::cli
