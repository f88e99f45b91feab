// `systore analytics ...`: bars, as-of joins, volatility and forecasts computed next to
// the data and stored back as versioned datasets (docs/analytics.md).
#include <arrow/api.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/analytics.h"

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
  int h = 0, m = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%d:%d%c", &h, &m, &extra) == 2) {
    if (h < 0 || h > 23 || m < 0 || m > 59)
      return Status::InvalidArgument("--origin '" + text + "': not a time of day");
    return (h * 60 + m) * 60 * kNanosPerSecond;
  }
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
  std::string source, interval = "1min", out, origin;
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

}  // namespace

void AddAnalyticsCommands(CLI::App& app, std::string& root) {
  auto* g = app.add_subcommand(
      "analytics",
      "Compute bars, as-of joins, volatility and forecasts next to the data; results are versioned datasets.\n"
      "Each result commit records what it was computed from; a rerun on unchanged inputs writes nothing.\n"
      "Examples:\n"
      "  systore analytics bars ticks/ES --interval 1min --out bars/1min/ES\n"
      "  systore analytics vol prices/adjusted --out analytics/volatility\n"
      "  systore analytics forecasts --key SOFR --key GOLD\n"
      "  systore analytics asof trades/ES ESH4 quotes/ES ESH4 --tolerance 5s --format csv");
  g->require_subcommand(1);

  auto bars = std::make_shared<BarsArgs>();
  auto* c =
      g->add_subcommand("bars",
                        "OHLCV bars (open, high, low, close, volume, count, vwap) from ticks or finer bars.\n"
                        "Bins are left-closed, labelled by their left edge, aligned to UTC midnight (or --origin);\n"
                        "bins without ticks give no row; ticks with a NaN price are skipped.\n"
                        "Example: systore analytics bars ticks/ES --interval 5min --out bars/5min");
  c->add_option("source", bars->source, "Source dataset (ticks: price[, size]; or bars)")->required();
  c->add_option("--interval", bars->interval, "Bar width: 1s, 30s, 1min, 5min, 1h, 1d, ...")->capture_default_str();
  c->add_option("--out", bars->out, "Output dataset")->required();
  c->add_option("--key", bars->keys, "Series to compute (repeatable; default: every key)");
  c->add_option("--origin", bars->origin, "Align bins to this time of day UTC (e.g. 13:30) instead of midnight");
  c->callback([&root, bars] {
    BarOptions o;
    o.interval = ValueOrExit(ParseInterval(bars->interval, "--interval"));
    o.origin = ValueOrExit(ParseOrigin(bars->origin));
    RunProgress progress;
    auto a = OpenAnalytics(root, &progress, "bars");
    PrintRun(ValueOrExit(a->Bars(bars->source, bars->out, bars->keys, o)));
  });

  auto vol = std::make_shared<VolArgs>();
  c = g->add_subcommand("vol",
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

  auto fc = std::make_shared<ForecastArgs>();
  c = g->add_subcommand(
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

  auto asof = std::make_shared<AsofArgs>();
  c = g->add_subcommand("asof",
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

}  // namespace systore::cli
