// The six end-of-day steps. Each is idempotent (a rerun stores the same results), so a
// batch killed anywhere can simply run the step again.
#include "pipeline/eod_steps.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "systore/analytics.h"
#include "systore/backup.h"
#include "systore/end_of_day.h"
#include "systore/lifecycle.h"
#include "systore/operational_store.h"
#include "systore/timeseries_store.h"

namespace systore::eod {
namespace {

nlohmann::json DifferenceJson(const PositionDifference& d) {
  return {{"kind", d.kind}, {"key1", d.key1}, {"key2", d.key2}, {"stored", d.stored}, {"expected", d.from_fills}};
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// The broker's positions: CSV with a header naming instrument, contract and position.
// Errors name the file, line and field.
Result<std::map<std::pair<std::string, std::string>, int64_t>> ReadBrokerPositions(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("broker positions file '" + path + "' cannot be read (eod.broker_positions)");
  std::map<std::pair<std::string, std::string>, int64_t> out;
  std::string line;
  int col_i = -1, col_c = -1, col_p = -1;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    line = Trim(line);
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(Trim(cell));
    const std::string where = path + ":" + std::to_string(n);
    if (col_i < 0) {
      for (int i = 0; i < static_cast<int>(f.size()); ++i) {
        if (f[i] == "instrument") col_i = i;
        if (f[i] == "contract") col_c = i;
        if (f[i] == "position") col_p = i;
      }
      if (col_i < 0 || col_c < 0 || col_p < 0)
        return Status::InvalidArgument(where + ": the header must name instrument, contract and position");
      continue;
    }
    if (static_cast<int>(f.size()) <= std::max({col_i, col_c, col_p}))
      return Status::InvalidArgument(where + ": expected " + std::to_string(std::max({col_i, col_c, col_p}) + 1) +
                                     " fields, found " + std::to_string(f.size()));
    int64_t pos = 0;
    const std::string& text = f[col_p];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pos);
    if (ec != std::errc() || end != text.data() + text.size())
      return Status::InvalidArgument(where + ": field 'position': '" + text + "' is not a whole number");
    if (f[col_i].empty() || f[col_c].empty())
      return Status::InvalidArgument(where + ": field '" + std::string(f[col_i].empty() ? "instrument" : "contract") +
                                     "' is empty");
    if (!out.emplace(std::pair{f[col_i], f[col_c]}, pos).second)
      return Status::InvalidArgument(where + ": " + f[col_i] + " " + f[col_c] + " appears twice");
  }
  return out;
}

Status ReconcilePositions(const StepContext& ctx, nlohmann::json* m) {
  SYSTORE_ASSIGN_OR_RAISE(auto report, ctx.operational->Reconcile());
  nlohmann::json breaks = nlohmann::json::array();
  for (const auto& d : report.differences) breaks.push_back(DifferenceJson(d));
  (*m)["positions_checked"] = report.positions_checked;
  int64_t broker_rows = 0;
  if (!ctx.config->broker_positions.empty()) {
    SYSTORE_ASSIGN_OR_RAISE(auto broker, ReadBrokerPositions(ctx.config->broker_positions));
    SYSTORE_ASSIGN_OR_RAISE(auto ours, ctx.operational->ContractPositions());
    std::map<std::pair<std::string, std::string>, int64_t> stored;
    for (const auto& p : ours) stored[{p.instrument, p.contract}] = p.position;
    std::set<std::pair<std::string, std::string>> keys;
    for (const auto& [k, v] : stored) keys.insert(k);
    for (const auto& [k, v] : broker) keys.insert(k);
    for (const auto& k : keys) {
      int64_t a = stored.count(k) ? stored[k] : 0, b = broker.count(k) ? broker[k] : 0;
      if (a != b)
        breaks.push_back({{"kind", "broker"}, {"key1", k.first}, {"key2", k.second}, {"stored", a}, {"expected", b}});
    }
    broker_rows = static_cast<int64_t>(broker.size());
    (*m)["broker_file"] = ctx.config->broker_positions;
  }
  (*m)["broker_rows"] = broker_rows;
  (*m)["breaks"] = breaks;
  (*m)["rows"] = report.positions_checked + broker_rows;
  if (breaks.empty()) return Status::OK();
  std::string text = std::to_string(breaks.size()) + " position break" + (breaks.size() > 1 ? "s" : "") + ":";
  for (size_t i = 0; i < breaks.size() && i < 5; ++i) {
    const auto& b = breaks[i];
    text += std::string(i ? ";" : "") + " " + b["kind"].get<std::string>() + " " + b["key1"].get<std::string>() +
            "/" + b["key2"].get<std::string>() + " stored " + std::to_string(b["stored"].get<int64_t>()) +
            (b["kind"] == "broker" ? ", broker " : ", fills ") + std::to_string(b["expected"].get<int64_t>());
  }
  if (breaks.size() > 5) text += "; ...";
  return Status::Corruption(text);
}

nlohmann::json RunJson(const AnalyticsRun& r) {
  return {{"source", r.source},
          {"output", r.output},
          {"series_read", r.series_read},
          {"series_written", r.series_written},
          {"series_unchanged", r.series_unchanged},
          {"rows_written", r.rows_written},
          {"version", r.version}};
}

Result<bool> HasDataset(TimeSeriesStore* ts, const std::string& dataset) {
  SYSTORE_ASSIGN_OR_RAISE(auto all, ts->ListDatasets());
  return std::find(all.begin(), all.end(), dataset) != all.end();
}

Status CalculateDailyPnl(const StepContext& ctx, nlohmann::json* m) {
  SYSTORE_ASSIGN_OR_RAISE(auto trades, [&]() -> Result<std::vector<Trade>> {
    std::vector<Trade> out;
    SYSTORE_RETURN_NOT_OK(ctx.operational->Read([&](Transaction& t) -> Status {
      SYSTORE_ASSIGN_OR_RAISE(out, t.Trades());
      return Status::OK();
    }));
    return out;
  }());
  (*m)["trades"] = static_cast<int64_t>(trades.size());
  if (trades.empty()) {
    (*m)["rows"] = 0;
    (*m)["note"] = "no trades: nothing to value";
    return Status::OK();
  }
  SYSTORE_ASSIGN_OR_RAISE(auto analytics, Analytics::Open({.store = ctx.timeseries}));
  PnlOptions o;
  o.operational = ctx.operational;
  o.reference = ctx.reference;
  o.base_currency = ctx.config->base_currency;
  o.until = ctx.day_end - 1;
  SYSTORE_ASSIGN_OR_RAISE(auto run, analytics->Pnl("analytics/pnl", o));
  *m = RunJson(run);
  (*m)["trades"] = static_cast<int64_t>(trades.size());
  (*m)["rows"] = run.rows_written;
  return Status::OK();
}

Status UpdateAnalytics(const StepContext& ctx, nlohmann::json* m) {
  SYSTORE_ASSIGN_OR_RAISE(bool has_prices, HasDataset(ctx.timeseries, "prices/adjusted"));
  if (!has_prices) {
    (*m)["rows"] = 0;
    (*m)["note"] = "no prices/adjusted: nothing to compute";
    return Status::OK();
  }
  SYSTORE_ASSIGN_OR_RAISE(auto analytics, Analytics::Open({.store = ctx.timeseries}));
  SYSTORE_ASSIGN_OR_RAISE(auto vol, analytics->Volatility("prices/adjusted", "analytics/volatility", {}));
  SYSTORE_ASSIGN_OR_RAISE(auto fc, analytics->Forecasts("prices/adjusted", "analytics/forecasts", {}));
  (*m)["volatility"] = RunJson(vol);
  (*m)["forecasts"] = RunJson(fc);
  int64_t rows = vol.rows_written + fc.rows_written;
  // Correlations of what is held (or of eod.correlations): the portfolio the risk needs.
  std::vector<std::string> keys = ctx.config->correlations;
  if (keys.empty()) {
    SYSTORE_ASSIGN_OR_RAISE(auto positions, ctx.operational->StrategyPositions());
    SYSTORE_ASSIGN_OR_RAISE(auto priced, ctx.timeseries->List("prices/adjusted"));
    std::set<std::string> have;
    for (const auto& s : priced) have.insert(s.key);
    std::set<std::string> held;
    for (const auto& p : positions)
      if (p.position != 0 && have.count(p.instrument)) held.insert(p.instrument);
    keys.assign(held.begin(), held.end());
  }
  if (keys.size() >= 2) {
    SYSTORE_ASSIGN_OR_RAISE(auto corr, analytics->Correlations("prices/adjusted", "analytics/correlations", keys));
    (*m)["correlations"] = RunJson(corr);
    rows += corr.rows_written;
  } else {
    (*m)["correlations"] = {{"note", "fewer than two instruments held: no correlations"}};
  }
  (*m)["rows"] = rows;
  return Status::OK();
}

Status Archive(const StepContext& ctx, nlohmann::json* m) {
  SYSTORE_ASSIGN_OR_RAISE(auto datasets, ctx.timeseries->ListDatasets());
  int64_t compacted = 0, rows = 0;
  for (const auto& d : datasets) {
    SYSTORE_RETURN_NOT_OK(ctx.timeseries->Flush(d));
    SYSTORE_ASSIGN_OR_RAISE(auto c, ctx.timeseries->Compact(d));
    if (c.version >= 0) ++compacted;
    rows += c.rows_added;
  }
  LifecycleOptions lo;
  lo.root = ctx.root;
  lo.store = ctx.timeseries;
  lo.now = ctx.day_end;
  SYSTORE_ASSIGN_OR_RAISE(auto lc, RunLifecycle(lo));
  (*m)["datasets"] = static_cast<int64_t>(datasets.size());
  (*m)["datasets_compacted"] = compacted;
  (*m)["rows_rewritten"] = rows;
  (*m)["lifecycle_files_removed"] = lc.files_removed;
  (*m)["lifecycle_files_moved"] = lc.files_moved;
  (*m)["rows"] = rows + lc.rows_removed;
  return Status::OK();
}

Status GenerateReports(const StepContext& ctx, nlohmann::json* m) {
  SYSTORE_ASSIGN_OR_RAISE(auto paths, WriteReport(ctx));
  (*m)["html"] = paths.first;
  (*m)["json"] = paths.second;
  (*m)["rows"] = 0;
  return Status::OK();
}

Status BackupCriticalData(const StepContext& ctx, nlohmann::json* m) {
  SYSTORE_ASSIGN_OR_RAISE(auto repo, BackupRepository::Open(ctx.config->backup_repository));
  SYSTORE_ASSIGN_OR_RAISE(auto info, repo->Create({.root = ctx.root, .label = "eod " + ctx.date}));
  (*m)["repository"] = repo->uri();
  (*m)["backup_id"] = info.id;
  (*m)["files"] = info.files;
  (*m)["bytes"] = info.bytes;
  (*m)["files_copied"] = info.files_copied;
  (*m)["bytes_copied"] = info.bytes_copied;
  (*m)["rows"] = 0;
  return Status::OK();
}

}  // namespace

StepFn StepNamed(std::string_view name) {
  static const std::map<std::string_view, StepFn> steps = {
      {"reconcile_positions", ReconcilePositions}, {"calculate_daily_pnl", CalculateDailyPnl},
      {"update_analytics", UpdateAnalytics},       {"archive", Archive},
      {"generate_reports", GenerateReports},       {"backup_critical_data", BackupCriticalData}};
  auto it = steps.find(name);
  return it == steps.end() ? nullptr : it->second;
}

}  // namespace systore::eod
