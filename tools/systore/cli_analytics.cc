// `systore analytics ...`: bars, as-of joins, volatility, forecasts, correlations and daily
// P&L computed next to the data and stored back as versioned datasets (docs/analytics.md).
#include <arrow/api.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <functional>
#include <map>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/analytics.h"
#include "systore/data_blob.h"
#include "systore/reference_store.h"
#include "systore/reference_table.h"
#include "systore/timeseries_store.h"

namespace systore::cli {
namespace {

/// A progress bar that appears once a run has more than a handful of series.
struct RunProgress {
  std::unique_ptr<ProgressBar> bar;
  std::function<void(int64_t, int64_t)> Callback(const std::string& label) {
    return [this, label](int64_t done, int64_t total) {
      if (total < 8) return;
      if (!bar) bar = std::make_unique<ProgressBar>(label, total);
      bar->Advance();
      if (done == total) bar->Finish();
    };
  }
};

std::unique_ptr<Analytics> OpenAnalytics(const std::string& root, RunProgress* progress, const std::string& label) {
  AnalyticsOptions o;
  o.store = TimeSeriesOrExit(root);
  if (progress) o.progress = progress->Callback(label);
  return ValueOrExit(Analytics::Open(o));
}

void PrintRun(const AnalyticsRun& r) {
  std::cout << "read " << r.series_read << " series (" << r.rows_read << " rows) from " << r.source << "\n";
  if (r.version >= 0) {
    std::cout << "wrote " << r.series_written << " series (" << r.rows_written << " rows) to " << r.output
              << " version " << r.version << "\n";
  } else {
    std::cout << "nothing new to write to " << r.output << "\n";
  }
  if (r.series_unchanged > 0) {
    std::cout << r.series_unchanged << " series unchanged since their last run (same inputs and parameters)\n";
  }
  std::printf("%.3f s\n", r.seconds);
}

/// "13:30" or an interval ("90min") after midnight UTC.
Result<int64_t> ParseOrigin(const std::string& text) {
  if (text.empty()) return 0;
  if (text.find(':') != std::string::npos) return ParseTimeOfDay(text, "--origin");
  return ParseInterval(text, "--origin");
}

/// --tolerance: an interval, or 0 for exact matches only.
Result<int64_t> ParseTolerance(const std::string& text) {
  const size_t nz = text.find_first_not_of('0');
  if (!text.empty() && nz > 0 && (nz == std::string::npos || std::isalpha(static_cast<unsigned char>(text[nz])))) {
    return 0;  // "0", "0s", "0min": exact timestamps only
  }
  return ParseInterval(text, "--tolerance");
}

struct BarsArgs {
  std::string source, interval = "1min", out, origin, session;
  std::vector<std::string> keys;
};

struct VolArgs {
  std::string source, out = "analytics/volatility", column;
  std::vector<std::string> keys;
  VolatilityOptions options;
};

struct ForecastArgs {
  std::string source = "prices/adjusted", out = "analytics/forecasts", rules;
  std::vector<std::string> keys;
  VolatilityOptions vol;
};

struct CorrelationArgs {
  std::string source = "prices/adjusted", out = "analytics/correlations", name = "portfolio";
  std::vector<std::string> keys;
  CorrelationOptions options;
  bool no_cleaning = false, no_floor = false;
};

struct PnlArgs {
  std::string out = "analytics/pnl", date, strategy;
  PnlOptions options;
};

/// The last row of a stored correlations series as a matrix (small portfolios only).
void PrintLatestMatrix(TimeSeriesStore& store, const std::string& dataset, const std::string& key) {
  auto latest = store.Latest(dataset, key, 1);
  if (!latest.ok() || (*latest)->num_rows() != 1) return;
  const arrow::Table& t = **latest;
  std::vector<std::string> names;
  std::map<std::pair<std::string, std::string>, double> value;
  for (int c = 1; c < t.num_columns(); ++c) {
    const std::string& pair = t.schema()->field(c)->name();
    const size_t colon = pair.find(':');
    const std::string a = pair.substr(0, colon), b = pair.substr(colon + 1);
    for (const auto& n : {a, b})
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    auto chunk = std::static_pointer_cast<arrow::DoubleArray>(t.column(c)->chunk(0));
    value[{a, b}] = value[{b, a}] = chunk->Value(0);
  }
  if (names.size() > 12) {
    std::cout << names.size() << " instruments: read the matrix with `systore ts read " << dataset << " " << key
              << " --format json`\n";
    return;
  }
  auto ts = std::static_pointer_cast<arrow::TimestampArray>(t.column(0)->chunk(0))->Value(0);
  std::cout << "correlations for the week ending " << FormatTimestamp(ts).substr(0, 10) << ":\n";
  std::printf("%12s", "");
  for (const auto& n : names) std::printf(" %10.10s", n.c_str());
  std::printf("\n");
  for (const auto& a : names) {
    std::printf("%12.12s", a.c_str());
    for (const auto& b : names) std::printf(" %10.3f", a == b ? 1.0 : value[{a, b}]);
    std::printf("\n");
  }
}

/// One line per stored P&L series for `day` (the last stored day when 0).
void PrintPnlDay(TimeSeriesStore& store, const std::string& dataset, Timestamp day) {
  auto infos = store.List(dataset);
  if (!infos.ok()) return;
  std::printf("%-28s %10s %10s %14s %8s %14s\n", "series", "date", "position", "pnl_local", "fx", "pnl");
  for (const auto& info : *infos) {
    ReadOptions ro;
    if (day != 0) {
      ro.start = day;
      ro.end = day + kNanosPerDay - 1;
    }
    auto t = day != 0 ? store.Read(dataset, info.key, ro) : store.Latest(dataset, info.key, 1);
    if (!t.ok() || (*t)->num_rows() == 0) continue;
    auto col = [&](const char* name) {
      auto c = (*t)->GetColumnByName(name);
      return std::static_pointer_cast<arrow::DoubleArray>(c->chunk(c->num_chunks() - 1))->Value(c->chunk(c->num_chunks() - 1)->length() - 1);
    };
    auto tc = (*t)->column(0);
    auto ts = std::static_pointer_cast<arrow::TimestampArray>(tc->chunk(tc->num_chunks() - 1));
    std::printf("%-28s %10s %10.0f %14.2f %8.4f %14.2f\n", info.key.c_str(),
                FormatTimestamp(ts->Value(ts->length() - 1)).substr(0, 10).c_str(), col("position"),
                col("pnl_local"), col("fx"), col("pnl"));
  }
}

struct AsofArgs {
  std::string left, left_key, right, right_key, tolerance, by, format = "csv", output;
  bool no_exact = false;
};

void AddVolOptions(CLI::App* c, VolatilityOptions* o) {
  c->add_option("--column", o->column, "Price column (default: price, close, FINAL or the only double column)");
  c->add_option("--days", o->days, "EWM span of the fast vol")->capture_default_str();
  c->add_option("--min-periods", o->min_periods, "Observations before the first value")->capture_default_str();
  c->add_option("--slow-vol-years", o->slow_vol_years, "EWM span of the slow vol, years of 256 days")
      ->capture_default_str();
  c->add_option("--proportion-of-slow-vol", o->proportion_of_slow_vol, "Weight of the slow vol")->capture_default_str();
  c->add_option("--vol-abs-min", o->vol_abs_min, "Absolute minimum vol")->capture_default_str();
  c->add_flag("--backfill", o->backfill, "Fill the first days with the first value (pysystemtrade's backfill)");
}

Result<std::vector<EwmacRule>> ParseRules(const std::string& text) {
  std::vector<EwmacRule> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t comma = text.find(',', at);
    std::string item = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    EwmacRule r;
    char extra = 0;
    if (std::sscanf(item.c_str(), "%d:%d%c", &r.fast, &r.slow, &extra) != 2) {
      return Status::InvalidArgument("--rules '" + item + "': expected FAST:SLOW, e.g. 16:64");
    }
    out.push_back(r);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

// One handler per command: its options and what it runs.
void AddBarsCommand(CLI::App* g, std::string& root) {
  auto bars = std::make_shared<BarsArgs>();
  auto* c = g->add_subcommand("bars",
                        "OHLCV bars (open, high, low, close, volume, count, vwap) from ticks or finer bars.\n"
                        "Bins are left-closed, labelled by their left edge, aligned to UTC midnight (or --origin);\n"
                        "bins without ticks give no row; ticks with a NaN price are skipped.\n"
                        "Example: systore analytics bars ticks/ES --interval 5min --out bars/5min");
  c->add_option("source", bars->source, "Source dataset (ticks: price[, size]; or bars)")->required();
  c->add_option("--interval", bars->interval, "Bar width: 1s, 30s, 1min, 5min, 1h, 1d, ...")->capture_default_str();
  c->add_option("--out", bars->out, "Output dataset")->required();
  c->add_option("--key", bars->keys, "Series to compute (repeatable; default: every key)");
  auto* origin =
      c->add_option("--origin", bars->origin, "Align bins to this time of day UTC (e.g. 13:30) instead of midnight");
  c->add_option("--session", bars->session,
                "Align bins to this exchange's session start (reference table exchanges, column SessionStart)")
      ->excludes(origin);
  c->callback([&root, bars] {
    BarOptions o;
    o.interval = ValueOrExit(ParseInterval(bars->interval, "--interval"));
    o.origin = ValueOrExit(ParseOrigin(bars->origin));
    if (!bars->session.empty()) {
      auto exchanges = ValueOrExit(ReferenceOrExit(root)->GetTable("exchanges"));
      o.origin = ValueOrExit(SessionOrigin(*exchanges, bars->session));
    }
    RunProgress progress;
    auto a = OpenAnalytics(root, &progress, "bars");
    PrintRun(ValueOrExit(a->Bars(bars->source, bars->out, bars->keys, o)));
  });
}

void AddVolCommand(CLI::App* g, std::string& root) {
  auto vol = std::make_shared<VolArgs>();
  auto* c = g->add_subcommand("vol",
                        "pysystemtrade's daily returns volatility (mixed_vol_calc: EWM std span 35, min 10 periods,\n"
                        "30% of a 10-year slow vol) of business-day closes, one series per key.\n"
                        "Example: systore analytics vol prices/adjusted --out analytics/volatility --key SOFR");
  c->add_option("source", vol->source, "Source dataset of prices (e.g. prices/adjusted)")->required();
  c->add_option("--out", vol->out, "Output dataset")->capture_default_str();
  c->add_option("--key", vol->keys, "Series to compute (repeatable; default: every key)");
  AddVolOptions(c, &vol->options);
  c->callback([&root, vol] {
    RunProgress progress;
    auto a = OpenAnalytics(root, &progress, "vol");
    PrintRun(ValueOrExit(a->Volatility(vol->source, vol->out, vol->keys, vol->options)));
  });
}

void AddForecastsCommand(CLI::App* g, std::string& root) {
  auto fc = std::make_shared<ForecastArgs>();
  auto* c = g->add_subcommand(
      "forecasts",
      "Raw EWMAC forecasts (pysystemtrade's ewmac: EWMA fast - slow over the vol) per instrument and\n"
      "rule, keyed INSTRUMENT/ewmacF_S. Default rules: those of pysystemtrade's standard futures system.\n"
      "Example: systore analytics forecasts --rules 16:64,32:128 --key SOFR");
  c->add_option("source", fc->source, "Source dataset of prices")->capture_default_str();
  c->add_option("--out", fc->out, "Output dataset")->capture_default_str();
  c->add_option("--key", fc->keys, "Instruments to compute (repeatable; default: every key)");
  c->add_option("--rules", fc->rules, "FAST:SLOW pairs, comma separated (default 2:8,4:16,8:32,16:64,32:128,64:256)");
  AddVolOptions(c, &fc->vol);
  c->callback([&root, fc] {
    ForecastOptions o;
    if (!fc->rules.empty()) o.rules = ValueOrExit(ParseRules(fc->rules));
    o.volatility = fc->vol;
    RunProgress progress;
    auto a = OpenAnalytics(root, &progress, "forecasts");
    PrintRun(ValueOrExit(a->Forecasts(fc->source, fc->out, fc->keys, o)));
  });
}

void AddCorrelationsCommand(CLI::App* g, std::string& root) {
  auto corr = std::make_shared<CorrelationArgs>();
  auto* c = g->add_subcommand(
      "correlations",
      "pysystemtrade's instrument correlation estimate: EWM correlations (span 25 weeks, 20 weeks minimum)\n"
      "of weekly sums of vol-normalised daily returns, cleaned (missing pairs: the average correlation,\n"
      "or 0.99 before an instrument has data) and floored at zero. One row per week, one column per\n"
      "pair A:B, in one series (--name).\n"
      "Example: systore analytics correlations --key SOFR --key US10 --key GOLD --name rates_and_gold");
  c->add_option("source", corr->source, "Source dataset of prices")->capture_default_str();
  c->add_option("--out", corr->out, "Output dataset")->capture_default_str();
  c->add_option("--key", corr->keys, "Instruments (repeatable, at least two; default: every key)");
  c->add_option("--name", corr->name, "Key of the output series")->capture_default_str();
  c->add_option("--ew-lookback", corr->options.ew_lookback, "EWM span in weeks")->capture_default_str();
  c->add_option("--min-periods", corr->options.min_periods, "Weeks of joint returns before a value")
      ->capture_default_str();
  c->add_flag("--no-cleaning", corr->no_cleaning, "Leave missing pairs NaN");
  c->add_flag("--no-floor", corr->no_floor, "Keep negative correlations");
  c->callback([&root, corr] {
    CorrelationOptions o = corr->options;
    o.cleaning = !corr->no_cleaning;
    o.floor_at_zero = !corr->no_floor;
    RunProgress progress;
    auto a = OpenAnalytics(root, &progress, "correlations");
    PrintRun(ValueOrExit(a->Correlations(corr->source, corr->out, corr->keys, corr->name, o)));
    PrintLatestMatrix(*TimeSeriesOrExit(root), corr->out, corr->name);
  });
}

void AddPnlCommand(CLI::App* g, std::string& root) {
  auto pnl = std::make_shared<PnlArgs>();
  auto* c = g->add_subcommand(
      "pnl",
      "Daily mark-to-market P&L per strategy and instrument (and per strategy) from the operational store's\n"
      "fills, contract closes from the multiple prices, Pointsize and Currency from reference 'instruments',\n"
      "FX from fx/spot into the base currency. Series STRATEGY/INSTRUMENT and STRATEGY.\n"
      "Example: systore analytics pnl --date 2024-03-08 --base-currency USD");
  c->add_option("--date", pnl->date, "Compute up to this day (YYYY-MM-DD) and print it (default: every price)");
  c->add_option("--out", pnl->out, "Output dataset")->capture_default_str();
  c->add_option("--strategy", pnl->strategy, "Only this strategy");
  c->add_option("--base-currency", pnl->options.base_currency, "Currency of pnl")->capture_default_str();
  c->add_option("--prices", pnl->options.prices, "Dataset of contract closes")->capture_default_str();
  c->add_option("--fx", pnl->options.fx, "Dataset of FX rates (keys like EURUSD)")->capture_default_str();
  c->callback([&root, pnl] {
    PnlOptions o = pnl->options;
    o.strategy = pnl->strategy;
    if (!pnl->date.empty()) {
      auto t = ParseTimestamp(pnl->date);
      if (!t.ok()) ExitOnError(Status::InvalidArgument("--date '" + pnl->date + "': expected YYYY-MM-DD"));
      o.until = *t;
    }
    o.operational = ValueOrExit(StoresOrExit(root).OperationalStoreNamed("operational"));
    o.reference = ReferenceOrExit(root);
    auto a = OpenAnalytics(root, nullptr, "");
    PrintRun(ValueOrExit(a->Pnl(pnl->out, o)));
    PrintPnlDay(*TimeSeriesOrExit(root), pnl->out, o.until == 0 ? 0 : o.until - o.until % kNanosPerDay);
  });
}

void AddAsofCommand(CLI::App* g, std::string& root) {
  auto asof = std::make_shared<AsofArgs>();
  auto* c = g->add_subcommand("asof",
                        "As-of join: each row of the left series with the last right row at or before its time\n"
                        "(pandas merge_asof, DuckDB ASOF JOIN). Printed, not stored.\n"
                        "Example: systore analytics asof prices/adjusted SOFR fx/spot GBPUSD --tolerance 3d");
  c->add_option("left", asof->left, "Left dataset")->required();
  c->add_option("left_key", asof->left_key, "Left series key")->required();
  c->add_option("right", asof->right, "Right dataset")->required();
  c->add_option("right_key", asof->right_key, "Right series key")->required();
  c->add_option("--tolerance", asof->tolerance, "Match only right rows at most this old (e.g. 5s, 1h, 3d)");
  c->add_option("--by", asof->by, "Also match on this column (in both series)");
  c->add_flag("--no-exact", asof->no_exact, "Match only right rows strictly before the left row");
  c->add_option("--format", asof->format, "csv, json or parquet")
      ->check(CLI::IsMember({"csv", "json", "parquet"}))
      ->capture_default_str();
  c->add_option("--output", asof->output, "Write to this file instead of stdout");
  c->callback([&root, asof] {
    AsofOptions o;
    if (!asof->tolerance.empty()) o.tolerance = ValueOrExit(ParseTolerance(asof->tolerance));
    o.by = asof->by;
    o.allow_exact_matches = !asof->no_exact;
    auto a = OpenAnalytics(root, nullptr, "");
    auto t0 = std::chrono::steady_clock::now();
    auto table = ValueOrExit(a->Asof(asof->left, asof->left_key, asof->right, asof->right_key, o));
    DatasetOptions opts = ValueOrExit(TimeSeriesOrExit(root)->GetDatasetOptions(asof->left));
    opts.csv_aliases.clear();
    OutputTable(table, opts, asof->format, asof->output);
    std::fprintf(stderr, "joined %lld rows of %s/%s with %s/%s in %.3f s\n", static_cast<long long>(table->num_rows()),
                 asof->left.c_str(), asof->left_key.c_str(), asof->right.c_str(), asof->right_key.c_str(),
                 SecondsSince(t0));
  });
}

}  // namespace

void AddAnalyticsCommands(CLI::App& app, std::string& root) {
  auto* g = app.add_subcommand(
      "analytics",
      "Compute bars, as-of joins, volatility, forecasts, correlations and daily P&L next to the data;\n"
      "results are versioned datasets.\n"
      "Each result commit records what it was computed from; a rerun on unchanged inputs writes nothing.\n"
      "Examples:\n"
      "  systore analytics bars ticks/ES --interval 1min --out bars/1min/ES\n"
      "  systore analytics bars ticks/ES --interval 1d --out bars/1d --session CME\n"
      "  systore analytics vol prices/adjusted --out analytics/volatility\n"
      "  systore analytics forecasts --key SOFR --key GOLD\n"
      "  systore analytics correlations --key SOFR --key US10 --key GOLD\n"
      "  systore analytics pnl --date 2024-03-08\n"
      "  systore analytics asof trades/ES ESH4 quotes/ES ESH4 --tolerance 5s --format csv");
  g->require_subcommand(1);
  AddBarsCommand(g, root);
  AddVolCommand(g, root);
  AddForecastsCommand(g, root);
  AddCorrelationsCommand(g, root);
  AddPnlCommand(g, root);
  AddAsofCommand(g, root);
}

}  // namespace systore::cli
