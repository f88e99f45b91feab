// The end-of-day report: its content as JSON (BuildReport), and the same content as
// one self-contained HTML page (RenderReportHtml: inline CSS and SVG, no scripts, no
// fonts or links outside the file, so it opens offline years later).
#include <arrow/api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/file_util.h"
#include "pipeline/eod_steps.h"
#include "systore/backup.h"
#include "systore/end_of_day.h"
#include "systore/operational_store.h"
#include "systore/quarantine.h"
#include "systore/reference_store.h"
#include "systore/timeseries_store.h"
#include "timeseries/wal.h"

namespace systore::eod {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Day(Timestamp t) { return FormatTimestamp(t).substr(0, 10); }

// (date, value) of a double column of a series table.
std::vector<std::pair<std::string, double>> Column(const arrow::Table& t, const std::string& name) {
  std::vector<std::pair<std::string, double>> out;
  auto ts = t.GetColumnByName("ts");
  auto col = t.GetColumnByName(name);
  if (!ts || !col) return out;
  for (int c = 0; c < ts->num_chunks(); ++c) {
    auto tsa = std::static_pointer_cast<arrow::TimestampArray>(ts->chunk(c));
    auto va = std::static_pointer_cast<arrow::DoubleArray>(col->chunk(c));
    for (int64_t i = 0; i < tsa->length(); ++i) {
      double v = va->IsNull(i) ? NAN : va->Value(i);
      out.emplace_back(Day(tsa->Value(i)), v);
    }
  }
  return out;
}

Result<json> PnlSection(const StepContext& ctx) {
  json out = {{"available", false}, {"base_currency", ctx.config->base_currency}, {"today_total", 0.0},
              {"strategies", json::array()}, {"total", json::array()}, {"by_instrument", json::array()}};
  SYSTORE_ASSIGN_OR_RAISE(auto datasets, ctx.timeseries->ListDatasets());
  if (std::find(datasets.begin(), datasets.end(), "analytics/pnl") == datasets.end()) {
    out["note"] = "no P&L yet (analytics/pnl is written by calculate_daily_pnl once there are fills)";
    return out;
  }
  out["available"] = true;
  SYSTORE_ASSIGN_OR_RAISE(auto series, ctx.timeseries->List("analytics/pnl"));
  ReadOptions year;
  year.start = ctx.day_end - 365 * kNanosPerDay;
  year.end = ctx.day_end - 1;
  ReadOptions today;
  today.start = ctx.day_end - kNanosPerDay;
  today.end = ctx.day_end - 1;
  std::map<std::string, double> total;  // date -> Σ strategies' P&L that day
  double today_total = 0;
  for (const auto& s : series) {
    const bool strategy_total = s.key.find('/') == std::string::npos;
    if (strategy_total) {
      SYSTORE_ASSIGN_OR_RAISE(auto t, ctx.timeseries->Read("analytics/pnl", s.key, year));
      json points = json::array();
      double cum = 0, day_pnl = 0;
      for (const auto& [d, v] : Column(*t, "pnl")) {
        if (std::isnan(v)) continue;
        cum += v;
        total[d] += v;
        points.push_back({d, cum});
        if (d == ctx.date) day_pnl = v;
      }
      today_total += day_pnl;
      out["strategies"].push_back({{"strategy", s.key}, {"today", day_pnl}, {"cumulative", points}});
    } else {
      SYSTORE_ASSIGN_OR_RAISE(auto t, ctx.timeseries->Read("analytics/pnl", s.key, today));
      if (t->num_rows() == 0) continue;
      auto at = [&](const char* c) {
        auto v = Column(*t, c);
        return v.empty() || std::isnan(v.back().second) ? 0.0 : v.back().second;
      };
      const size_t slash = s.key.find('/');
      out["by_instrument"].push_back({{"strategy", s.key.substr(0, slash)},
                                      {"instrument", s.key.substr(slash + 1)},
                                      {"position", static_cast<int64_t>(at("position"))},
                                      {"pnl_local", at("pnl_local")},
                                      {"commission", at("commission")},
                                      {"fx", at("fx")},
                                      {"pnl", at("pnl")}});
    }
  }
  double cum = 0;
  for (const auto& [d, v] : total) out["total"].push_back({d, cum += v});
  out["today_total"] = today_total;
  return out;
}

Result<json> PositionsSection(const StepContext& ctx) {
  json out = {{"strategy", json::array()}, {"contract", json::array()}};
  SYSTORE_ASSIGN_OR_RAISE(auto sp, ctx.operational->StrategyPositions());
  SYSTORE_ASSIGN_OR_RAISE(auto cp, ctx.operational->ContractPositions());
  for (const auto& p : sp)
    out["strategy"].push_back({{"strategy", p.strategy}, {"instrument", p.instrument}, {"position", p.position}});
  for (const auto& p : cp)
    out["contract"].push_back({{"instrument", p.instrument}, {"contract", p.contract}, {"position", p.position}});
  json rec = {{"status", "not run"}};
  for (const auto& r : ctx.steps) {
    if (r["step"] != "reconcile_positions") continue;
    const json& m = r["metrics"];
    rec = {{"status", r["outcome"] == "ok" ? "ok" : r["outcome"] == "failed" ? "breaks" : r["outcome"]},
           {"positions_checked", m.value("positions_checked", int64_t{0})},
           {"breaks", m.value("breaks", json::array())},
           {"broker_file", m.value("broker_file", std::string())},
           {"error", r["error"]}};
  }
  out["reconciliation"] = rec;
  return out;
}

Result<json> QualitySection(const StepContext& ctx) {
  json out = {{"today", json::array()}, {"pending", json::array()}, {"quarantined_rows_today", 0}};
  SYSTORE_ASSIGN_OR_RAISE(auto q, Quarantine::Open({.root = ctx.root}));
  SYSTORE_ASSIGN_OR_RAISE(auto entries, q->List());
  struct Group {
    int64_t entries = 0, rows = 0, findings = 0;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  int64_t rows_today = 0;
  for (const auto& e : entries) {
    if (e.status == "pending")
      out["pending"].push_back({{"id", e.id},
                                {"dataset", e.dataset},
                                {"key", e.key},
                                {"rows", e.rows},
                                {"created", FormatTimestamp(e.created)},
                                {"reason", e.reason},
                                {"command", "systore quality quarantine show " + std::to_string(e.id)}});
    if (Day(e.created) != ctx.date) continue;
    rows_today += e.rows;
    std::map<std::string, int64_t> by_rule;
    for (const auto& f : e.findings) ++by_rule[f.rule];
    if (by_rule.empty()) by_rule["(unparsed)"] = 0;
    for (const auto& [rule, n] : by_rule) {
      auto& g = groups[{e.dataset, rule}];
      ++g.entries;
      g.rows += e.rows;
      g.findings += n;
    }
  }
  for (const auto& [k, g] : groups)
    out["today"].push_back(
        {{"dataset", k.first}, {"rule", k.second}, {"entries", g.entries}, {"rows", g.rows}, {"findings", g.findings}});
  out["quarantined_rows_today"] = rows_today;
  return out;
}

Result<json> HealthSection(const StepContext& ctx) {
  json datasets = json::array();
  SYSTORE_ASSIGN_OR_RAISE(auto names, ctx.timeseries->ListDatasets());
  for (const auto& d : names) {
    SYSTORE_ASSIGN_OR_RAISE(auto series, ctx.timeseries->List(d));
    int64_t rows = 0, bytes = 0, files = 0;
    for (const auto& s : series) {
      rows += s.rows;
      bytes += s.bytes;
      files += s.files;
    }
    SYSTORE_ASSIGN_OR_RAISE(int64_t version, ctx.timeseries->CurrentVersion(d));
    SYSTORE_ASSIGN_OR_RAISE(auto versions, ctx.timeseries->Versions(d));
    int64_t wal_records = 0, wal_bytes = 0;
    const std::string wal_dir = ctx.root + "/" + d + "/_wal";
    if (fs::is_directory(wal_dir)) {
      SYSTORE_ASSIGN_OR_RAISE(auto wal, ReadWal(wal_dir));
      wal_records = static_cast<int64_t>(wal.records.size());
      for (const auto& r : wal.records) wal_bytes += static_cast<int64_t>(r.payload.size());
    }
    datasets.push_back({{"dataset", d},
                        {"series", static_cast<int64_t>(series.size())},
                        {"rows", rows},
                        {"files", files},
                        {"bytes", bytes},
                        {"version", version},
                        {"last_commit", versions.empty() ? "" : FormatTimestamp(versions.back().committed_at)},
                        {"wal_records", wal_records},
                        {"wal_bytes", wal_bytes}});
  }
  json out = {{"datasets", datasets}};
  SYSTORE_ASSIGN_OR_RAISE(auto verify, ctx.reference->Verify());
  out["reference"] = {{"ok", verify.ok}, {"entries", verify.entries}, {"head_hash", verify.head_hash}};
  SYSTORE_ASSIGN_OR_RAISE(auto processes, ctx.operational->Processes());
  json procs = json::array();
  for (const auto& p : processes) procs.push_back(json::parse(ToJson(p)));
  out["operational"] = {{"backend", ctx.operational->backend_name()}, {"processes", procs}};
  json backup = {{"repository", ctx.config->backup_repository}, {"last_id", ""}, {"age_hours", nullptr}};
  const std::string& repo_uri = ctx.config->backup_repository;
  // Only a repository that exists is opened: Open would create a missing directory.
  if (repo_uri.rfind("s3://", 0) == 0 || fs::is_directory(repo_uri)) {
    auto repo = BackupRepository::Open(repo_uri);
    auto list = repo.ok() ? (*repo)->List() : Result<std::vector<BackupInfo>>(repo.status());
    if (!list.ok()) {
      backup["error"] = list.status().ToString();
    } else if (!list->empty()) {
      const auto& last = list->back();
      backup["last_id"] = last.id;
      backup["last_at"] = FormatTimestamp(last.captured_at).substr(0, 19);
      backup["age_hours"] = static_cast<double>(Now() - last.captured_at) / (3600.0 * kNanosPerSecond);
    }
  }
  out["backup"] = backup;
  return out;
}

json BatchSection(const json& steps) {
  json out = {{"outcome", "completed"}, {"failed_step", ""}, {"error", ""}, {"failures", json::array()}};
  bool running = false;
  std::set<std::string> seen;
  for (const auto& r : steps) {
    seen.insert(r["step"].get<std::string>());
    if (r["outcome"] == "running") running = true;
    if (r["outcome"] != "failed") continue;
    out["failures"].push_back({{"step", r["step"]}, {"error", r["error"]}});
    if (r["metrics"].value("critical", false) && out["failed_step"] == "") {
      out["outcome"] = "stopped";
      out["failed_step"] = r["step"];
      out["error"] = r["error"];
    }
  }
  if (out["outcome"] == "completed") {
    if (running || seen.size() < kEndOfDaySteps.size())
      out["outcome"] = "in progress";
    else if (!out["failures"].empty())
      out["outcome"] = "completed with failures";
  }
  return out;
}

// ---- HTML --------------------------------------------------------------------------------

std::string Esc(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string Str(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A money cell: right-aligned, red when negative, green when positive.
std::string Money(double v, const char* tag = "td") {
  const char* cls = v < 0 ? "num neg" : v > 0 ? "num pos" : "num";
  return std::string("<") + tag + " class=\"" + cls + "\">" + FormatNumber(v, 2) + "</" + tag + ">";
}
std::string Int(int64_t v) { return "<td class=\"num\">" + FormatNumber(static_cast<double>(v), 0) + "</td>"; }

std::string Bytes(int64_t b) {
  char buf[32];
  if (b >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  else if (b >= 1'000'000) std::snprintf(buf, sizeof buf, "%.2f MB", b / 1e6);
  else if (b >= 1'000) std::snprintf(buf, sizeof buf, "%.1f kB", b / 1e3);
  else std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
  return buf;
}

constexpr const char* kPalette[] = {"#58a6ff", "#d2a8ff", "#f0883e", "#3fb950", "#db61a2", "#79c0ff", "#e3b341"};

// The cumulative P&L chart: one line per strategy and the total in white, one marker per
// day on the total (class pnl-point, with its date and value).
std::string PnlChart(const json& pnl) {
  const json& total = pnl["total"];
  if (total.empty()) return "<p class=\"muted\">No P&amp;L history yet.</p>";
  std::vector<std::string> dates;
  for (const auto& p : total) dates.push_back(p[0].get<std::string>());
  std::map<std::string, size_t> x_of;
  for (size_t i = 0; i < dates.size(); ++i) x_of[dates[i]] = i;
  double lo = 0, hi = 0;
  auto extend = [&](const json& pts) {
    for (const auto& p : pts) {
      lo = std::min(lo, p[1].get<double>());
      hi = std::max(hi, p[1].get<double>());
    }
  };
  extend(total);
  for (const auto& s : pnl["strategies"]) extend(s["cumulative"]);
  if (hi - lo < 1e-9) hi = lo + 1;
  const double pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const int W = 960, H = 300, L = 90, R = 20, T = 16, B = 34;
  auto X = [&](size_t i) { return L + (dates.size() == 1 ? (W - L - R) / 2.0 : i * double(W - L - R) / (dates.size() - 1)); };
  auto Y = [&](double v) { return T + (hi - v) * (H - T - B) / (hi - lo); };
  char buf[256];
  std::ostringstream o;
  o << "<svg id=\"pnl-chart\" class=\"chart\" viewBox=\"0 0 " << W << " " << H << "\" role=\"img\" "
    << "aria-label=\"Cumulative P&amp;L\" data-points=\"" << dates.size() << "\">";
  for (int k = 0; k <= 4; ++k) {
    double v = lo + (hi - lo) * k / 4;
    std::snprintf(buf, sizeof buf, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>", L, W - R, Y(v), Y(v));
    o << buf;
    std::snprintf(buf, sizeof buf, "<text class=\"axis\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", L - 8, Y(v) + 4);
    o << buf << FormatNumber(v, 0) << "</text>";
  }
  if (lo < 0 && hi > 0) {
    std::snprintf(buf, sizeof buf, "<line class=\"zero\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>", L, W - R, Y(0), Y(0));
    o << buf;
  }
  for (size_t i : {size_t{0}, dates.size() / 2, dates.size() - 1}) {
    const char* anchor = dates.size() == 1 ? "middle" : i == 0 ? "start" : i + 1 == dates.size() ? "end" : "middle";
    std::snprintf(buf, sizeof buf, "<text class=\"axis\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">", X(i), H - 10, anchor);
    o << buf << dates[i] << "</text>";
    if (dates.size() == 1) break;
  }
  int color = 0;
  for (const auto& s : pnl["strategies"]) {
    o << "<polyline class=\"strategy-line\" fill=\"none\" stroke-width=\"1.5\" stroke=\"" << kPalette[color++ % 7]
      << "\" points=\"";
    for (const auto& p : s["cumulative"]) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", X(x_of[p[0].get<std::string>()]), Y(p[1].get<double>()));
      o << buf;
    }
    o << "\"/>";
  }
  o << "<polyline class=\"total-line\" fill=\"none\" stroke=\"#e6edf3\" stroke-width=\"2.5\" points=\"";
  for (size_t i = 0; i < dates.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.1f,%.1f ", X(i), Y(total[i][1].get<double>()));
    o << buf;
  }
  o << "\"/>";
  for (size_t i = 0; i < dates.size(); ++i) {
    double v = total[i][1].get<double>();
    std::snprintf(buf, sizeof buf, "<circle class=\"pnl-point\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" data-date=\"%s\" data-value=\"%.2f\">",
                  X(i), Y(v), dates.size() > 60 ? "1.2" : "3", dates[i].c_str(), v);
    o << buf << "<title>" << dates[i] << ": " << FormatNumber(v, 2) << "</title></circle>";
  }
  o << "</svg><div class=\"legend\"><span style=\"color:#e6edf3\">&#9632; total</span>";
  color = 0;
  for (const auto& s : pnl["strategies"])
    o << "<span style=\"color:" << kPalette[color++ % 7] << "\">&#9632; " << Esc(Str(s["strategy"])) << "</span>";
  o << "</div>";
  return o.str();
}

constexpr const char* kCss = R"(
:root{color-scheme:dark}
body{margin:0;background:#0d1117;color:#e6edf3;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 10px;color:#c9d1d9;border-bottom:1px solid #30363d;padding-bottom:6px}
.muted{color:#8b949e}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.neg{color:#f85149}.pos{color:#3fb950}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin:16px 0}
.tile{background:#161b22;border:1px solid #30363d;border-radius:8px;padding:12px 14px}
.tile .label{color:#8b949e;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile .value,.tile .num{text-align:left;font-size:24px;font-weight:600;font-variant-numeric:tabular-nums;margin-top:2px}
table{border-collapse:collapse;width:100%;background:#161b22;border:1px solid #30363d;border-radius:8px;overflow:hidden}
th,td{padding:6px 10px;border-bottom:1px solid #21262d;text-align:left}th{background:#1c2128;color:#8b949e;font-weight:600;font-size:12px}
tr:last-child td{border-bottom:0}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:13px}
.ok{background:#1f3d2a;color:#3fb950}.failed,.stopped{background:#4a1d1f;color:#f85149}.skipped,.running,.progress{background:#3a3120;color:#e3b341}
.chart{width:100%;height:auto;background:#161b22;border:1px solid #30363d;border-radius:8px}
.chart .grid{stroke:#21262d}.chart .zero{stroke:#6e7681;stroke-dasharray:4 3}.chart .axis{fill:#8b949e;font-size:11px}
.chart .pnl-point{fill:#e6edf3}
.legend span{margin-right:16px;font-size:13px}
.alert{background:#4a1d1f;border:1px solid #f85149;border-radius:8px;padding:10px 14px;margin:12px 0}
code{background:#21262d;padding:1px 5px;border-radius:4px;font-size:12px}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:16px}@media(max-width:900px){.cols{grid-template-columns:1fr}}
a{color:#58a6ff}
)";

std::string OutcomeBadge(const std::string& o) {
  std::string cls = o == "ok" || o == "completed" ? "ok"
                    : o == "failed" || o == "stopped" ? "failed"
                    : o == "in progress" ? "progress" : o == "completed with failures" ? "failed" : o;
  return "<span class=\"badge " + Esc(cls) + "\">" + Esc(o) + "</span>";
}

}  // namespace

std::string FormatNumber(double v, int decimals) {
  if (!std::isfinite(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v));
  std::string digits(buf), frac;
  if (auto dot = digits.find('.'); dot != std::string::npos) {
    frac = digits.substr(dot);
    digits.resize(dot);
  }
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  bool zero = std::all_of(buf, buf + std::strlen(buf), [](char c) { return c == '0' || c == '.'; });
  return (v < 0 && !zero ? "-" : "") + out + frac;
}

Result<json> BuildReport(const StepContext& ctx) {
  json r = {{"format", "systore.eod_report/1"}, {"date", ctx.date}, {"generated_at", FormatTimestamp(Now()).substr(0, 19)},
            {"root", ctx.root}};
  r["batch"] = BatchSection(ctx.steps);
  json steps = json::array();
  for (const auto& s : ctx.steps) {
    json e = s;
    e["seconds"] = s["metrics"].value("seconds", 0.0);
    steps.push_back(e);
  }
  r["steps"] = steps;
  SYSTORE_ASSIGN_OR_RAISE(r["pnl"], PnlSection(ctx));
  SYSTORE_ASSIGN_OR_RAISE(r["positions"], PositionsSection(ctx));
  SYSTORE_ASSIGN_OR_RAISE(r["quality"], QualitySection(ctx));
  SYSTORE_ASSIGN_OR_RAISE(r["store_health"], HealthSection(ctx));
  return r;
}

std::string RenderReportHtml(const json& r) {
  std::ostringstream o;
  const json& batch = r["batch"];
  const json& pnl = r["pnl"];
  const std::string ccy = Esc(pnl.value("base_currency", std::string("USD")));
  o << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
    << "<title>systore end of day " << Esc(Str(r["date"])) << "</title><style>" << kCss << "</style></head><body><main>";
  o << "<h1>End of day " << Esc(Str(r["date"])) << " " << OutcomeBadge(Str(batch["outcome"])) << "</h1>";
  o << "<div class=\"muted\">" << Esc(Str(r["root"])) << " &middot; generated " << Esc(Str(r["generated_at"]))
    << "</div>";
  if (batch["failed_step"] != "")
    o << "<div class=\"alert\" id=\"batch-error\"><b>Stopped at " << Esc(Str(batch["failed_step"]))
      << "</b> (a critical step): " << Esc(Str(batch["error"])) << "<br>The later steps did not run. Fix the cause, then "
      << "<code>systore eod run --date " << Esc(Str(r["date"])) << " --resume</code>.</div>";
  for (const auto& f : batch["failures"])
    if (f["step"] != batch["failed_step"])
      o << "<div class=\"alert\"><b>" << Esc(Str(f["step"])) << " failed</b> (not critical; the batch went on): "
        << Esc(Str(f["error"])) << "</div>";

  // Tiles: the figures read at a glance.
  const json& health = r["store_health"];
  const json& rec = r["positions"]["reconciliation"];
  double cum = pnl["total"].empty() ? 0.0 : pnl["total"].back()[1].get<double>();
  o << "<div class=\"tiles\">";
  o << "<div class=\"tile\"><div class=\"label\">P&amp;L today (" << ccy << ")</div>"
    << Money(pnl["today_total"].get<double>(), "div") << "</div>";
  o << "<div class=\"tile\"><div class=\"label\">P&amp;L, last 12 months</div>" << Money(cum, "div") << "</div>";
  o << "<div class=\"tile\"><div class=\"label\">Reconciliation</div><div class=\"value\">"
    << OutcomeBadge(Str(rec["status"])) << "</div></div>";
  o << "<div class=\"tile\"><div class=\"label\">Quarantined today</div><div class=\"value\">"
    << FormatNumber(r["quality"]["quarantined_rows_today"].get<double>(), 0) << " rows</div></div>";
  const json& bk = health["backup"];
  o << "<div class=\"tile\"><div class=\"label\">Last backup</div><div class=\"value\">"
    << (bk["age_hours"].is_null() ? std::string("none") : FormatNumber(bk["age_hours"].get<double>(), 1) + " h ago")
    << "</div></div></div>";

  o << "<h2>Cumulative P&amp;L, last 12 months (" << ccy << ")</h2>" << PnlChart(pnl);
  o << "<h2>Today's P&amp;L by instrument</h2>";
  if (pnl["by_instrument"].empty()) {
    o << "<p class=\"muted\">" << Esc(pnl.value("note", std::string("No P&L rows for this day."))) << "</p>";
  } else {
    o << "<table id=\"pnl-by-instrument\"><tr><th>strategy</th><th>instrument</th><th class=\"num\">position</th>"
      << "<th class=\"num\">P&amp;L (local)</th><th class=\"num\">commission</th><th class=\"num\">FX</th>"
      << "<th class=\"num\">P&amp;L (" << ccy << ")</th></tr>";
    for (const auto& p : pnl["by_instrument"])
      o << "<tr><td>" << Esc(Str(p["strategy"])) << "</td><td>" << Esc(Str(p["instrument"])) << "</td>"
        << Int(p["position"].get<int64_t>()) << Money(p["pnl_local"].get<double>())
        << "<td class=\"num\">" << FormatNumber(p["commission"].get<double>(), 2) << "</td><td class=\"num\">"
        << FormatNumber(p["fx"].get<double>(), 4) << "</td>" << Money(p["pnl"].get<double>()) << "</tr>";
    o << "</table>";
  }
  o << "<h2>Strategy totals</h2><table id=\"pnl-by-strategy\"><tr><th>strategy</th><th class=\"num\">today</th>"
    << "<th class=\"num\">last 12 months</th></tr>";
  for (const auto& s : pnl["strategies"])
    o << "<tr><td>" << Esc(Str(s["strategy"])) << "</td>" << Money(s["today"].get<double>())
      << Money(s["cumulative"].empty() ? 0.0 : s["cumulative"].back()[1].get<double>()) << "</tr>";
  o << "</table>";

  o << "<h2>Positions</h2><div class=\"cols\"><div><table id=\"strategy-positions\"><tr><th>strategy</th>"
    << "<th>instrument</th><th class=\"num\">position</th></tr>";
  for (const auto& p : r["positions"]["strategy"])
    o << "<tr><td>" << Esc(Str(p["strategy"])) << "</td><td>" << Esc(Str(p["instrument"])) << "</td>"
      << Int(p["position"].get<int64_t>()) << "</tr>";
  o << "</table></div><div><table id=\"contract-positions\"><tr><th>instrument</th><th>contract</th>"
    << "<th class=\"num\">position</th></tr>";
  for (const auto& p : r["positions"]["contract"])
    o << "<tr><td>" << Esc(Str(p["instrument"])) << "</td><td>" << Esc(Str(p["contract"])) << "</td>"
      << Int(p["position"].get<int64_t>()) << "</tr>";
  o << "</table></div></div>";
  o << "<p id=\"reconciliation\">Reconciliation against fills" << (rec.value("broker_file", std::string()).empty()
                                                                        ? std::string()
                                                                        : " and the broker file <code>" +
                                                                              Esc(Str(rec["broker_file"])) + "</code>")
    << ": " << OutcomeBadge(Str(rec["status"]));
  if (rec.contains("positions_checked"))
    o << " <span class=\"muted\">" << FormatNumber(rec["positions_checked"].get<double>(), 0) << " positions checked</span>";
  o << "</p>";
  if (rec.contains("breaks") && !rec["breaks"].empty()) {
    o << "<table id=\"breaks\"><tr><th>kind</th><th>key</th><th>key</th><th class=\"num\">stored</th>"
      << "<th class=\"num\">expected (fills / broker)</th></tr>";
    for (const auto& b : rec["breaks"])
      o << "<tr><td>" << Esc(Str(b["kind"])) << "</td><td>" << Esc(Str(b["key1"])) << "</td><td>" << Esc(Str(b["key2"]))
        << "</td>" << Int(b["stored"].get<int64_t>()) << Int(b["expected"].get<int64_t>()) << "</tr>";
    o << "</table>";
  }

  const json& q = r["quality"];
  o << "<h2>Data quality of the day</h2>";
  if (q["today"].empty()) {
    o << "<p class=\"muted\">No rows quarantined on " << Esc(Str(r["date"])) << ".</p>";
  } else {
    o << "<table id=\"quality-today\"><tr><th>dataset</th><th>rule</th><th class=\"num\">entries</th>"
      << "<th class=\"num\">findings</th><th class=\"num\">rows quarantined</th></tr>";
    for (const auto& g : q["today"])
      o << "<tr><td>" << Esc(Str(g["dataset"])) << "</td><td>" << Esc(Str(g["rule"])) << "</td>"
        << Int(g["entries"].get<int64_t>()) << Int(g["findings"].get<int64_t>()) << Int(g["rows"].get<int64_t>())
        << "</tr>";
    o << "</table>";
  }
  o << "<h2>Quarantine queue (pending)</h2>";
  if (q["pending"].empty()) {
    o << "<p class=\"muted\">Nothing waits for a decision.</p>";
  } else {
    o << "<table id=\"quarantine-pending\"><tr><th>id</th><th>dataset</th><th>key</th><th class=\"num\">rows</th>"
      << "<th>why</th><th>look at it</th></tr>";
    for (const auto& e : q["pending"])
      o << "<tr><td>" << e["id"].get<int64_t>() << "</td><td>" << Esc(Str(e["dataset"])) << "</td><td>"
        << Esc(Str(e["key"])) << "</td>" << Int(e["rows"].get<int64_t>()) << "<td>" << Esc(Str(e["reason"]))
        << "</td><td><a href=\"../quarantine/" << e["id"].get<int64_t>() << "\"><code>" << Esc(Str(e["command"]))
        << "</code></a></td></tr>";
    o << "</table>";
  }

  o << "<h2>Store health</h2><table id=\"store-health\"><tr><th>dataset</th><th class=\"num\">series</th>"
    << "<th class=\"num\">rows</th><th class=\"num\">files</th><th class=\"num\">on disk</th>"
    << "<th class=\"num\">version</th><th>last commit</th><th class=\"num\">WAL tail</th></tr>";
  for (const auto& d : health["datasets"])
    o << "<tr><td>" << Esc(Str(d["dataset"])) << "</td>" << Int(d["series"].get<int64_t>()) << Int(d["rows"].get<int64_t>())
      << Int(d["files"].get<int64_t>()) << "<td class=\"num\">" << Bytes(d["bytes"].get<int64_t>()) << "</td>"
      << Int(d["version"].get<int64_t>()) << "<td>" << Esc(Str(d["last_commit"]).substr(0, 19)) << "</td>"
      << "<td class=\"num\">" << FormatNumber(d["wal_records"].get<double>(), 0) << " records</td></tr>";
  o << "</table><p class=\"muted\">Operational store: " << Esc(Str(health["operational"]["backend"]))
    << " &middot; reference change log: " << (health["reference"]["ok"].get<bool>() ? "verified" : "BROKEN") << ", "
    << health["reference"]["entries"].get<int64_t>() << " entries, head <code>"
    << Esc(Str(health["reference"]["head_hash"]).substr(0, 12)) << "</code> &middot; backups: <code>"
    << Esc(Str(bk["repository"])) << "</code>"
    << (bk["last_id"] == "" ? std::string(", none yet") : ", last " + Esc(Str(bk["last_id"])) + " at " + Esc(Str(bk["last_at"])))
    << "</p>";

  o << "<h2>Steps</h2><table id=\"steps\"><tr><th>step</th><th>outcome</th><th>started</th>"
    << "<th class=\"num\">seconds</th><th class=\"num\">rows</th><th>error</th></tr>";
  for (const auto& s : r["steps"])
    o << "<tr><td>" << Esc(Str(s["step"])) << "</td><td>" << OutcomeBadge(Str(s["outcome"])) << "</td><td>"
      << Esc(FormatTimestamp(s["started_at"].get<int64_t>()).substr(11, 8)) << "</td><td class=\"num\">"
      << FormatNumber(s["seconds"].get<double>(), 2) << "</td>" << Int(s["metrics"].value("rows", int64_t{0}))
      << "<td>" << Esc(Str(s["error"])) << "</td></tr>";
  o << "</table></main></body></html>\n";
  return o.str();
}

Result<std::pair<std::string, std::string>> WriteReport(const StepContext& ctx) {
  SYSTORE_ASSIGN_OR_RAISE(auto report, BuildReport(ctx));
  const std::string dir = ctx.root + "/reports";
  SYSTORE_RETURN_NOT_OK(CreateDirectories(dir));
  const std::string html = dir + "/eod-" + ctx.date + ".html", js = dir + "/eod-" + ctx.date + ".json";
  SYSTORE_RETURN_NOT_OK(ReplaceFileAtomically(js, report.dump(1) + "\n"));
  SYSTORE_RETURN_NOT_OK(ReplaceFileAtomically(html, RenderReportHtml(report)));
  return std::pair{html, js};
}

}  // namespace systore::eod
