// `systore eod run|status`: the end-of-day batch (include/systore/end_of_day.h).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/data_blob.h"
#include "systore/end_of_day.h"
#include "systore/operational_store.h"

namespace systore::cli {
namespace {

struct EodArgs {
  std::string date;
  bool resume = false;
  std::vector<std::string> only, skip;
  bool check = false;
  std::string format = "table";
};

// SYSTORE_EOD_TEST_KILL=STEP:start|end kills this process with SIGKILL when STEP starts
// (its running record is stored) or ends (its work is done, its outcome not yet stored):
// the crash tests' way to stop a batch at a known point.
void MaybeKill(const EodStepRecord& r) {
  static const char* spec = std::getenv("SYSTORE_EOD_TEST_KILL");
  if (!spec) return;
  std::string want = std::string(r.step) + (r.outcome == EodOutcome::kRunning ? ":start" : ":end");
  if (want == spec) ::raise(SIGKILL);
}

std::string Seconds(const EodStepRecord& r) {
  auto m = nlohmann::json::parse(r.metrics_json, nullptr, false);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", m.is_object() ? m.value("seconds", 0.0) : 0.0);
  return buf;
}

void PrintTable(const std::vector<EodStepRecord>& steps) {
  std::printf("%-22s %-8s %-19s %-19s %8s %10s  %s\n", "step", "outcome", "started", "ended", "seconds", "rows", "error");
  for (const auto& r : steps) {
    auto m = nlohmann::json::parse(r.metrics_json, nullptr, false);
    long long rows = m.is_object() ? m.value("rows", int64_t{0}) : 0;
    std::printf("%-22s %-8s %-19s %-19s %8s %10lld  %s\n", r.step.c_str(),
                std::string(EodOutcomeName(r.outcome)).c_str(), FormatTimestamp(r.started_at).substr(0, 19).c_str(),
                r.ended_at ? FormatTimestamp(r.ended_at).substr(0, 19).c_str() : "-", Seconds(r).c_str(), rows,
                r.error.c_str());
  }
}

}  // namespace

void AddEodCommands(CLI::App& app, std::string& root) {
  auto* eod = app.add_subcommand(
      "eod",
      "The end-of-day batch: reconcile_positions (critical), calculate_daily_pnl, update_analytics, archive,\n"
      "generate_reports, backup_critical_data. Each step is recorded in process control; see docs/end-of-day.md.\n"
      "Configure in systore.yaml:\n"
      "  eod:\n"
      "    steps: {backup_critical_data: {critical: true}, update_analytics: {enabled: false}}\n"
      "    broker_positions: broker/positions.csv   # instrument,contract,position\n"
      "    backup_repository: /backups/systore      # default <root>.backups");
  eod->require_subcommand(1);
  auto a = std::make_shared<EodArgs>();

  auto* run = eod->add_subcommand(
      "run",
      "Run the batch for a trading day. A day whose steps all succeeded is not run again; a failed critical step\n"
      "stops the batch (exit code 2) and the report says why. Prints one line per step.\n"
      "Exit codes: 0 completed, 2 stopped by a critical step, 3 completed with failed non-critical steps,\n"
      "1 could not run (another batch holds the lock, control status not GO, bad options)");
  run->add_option("--date", a->date, "Trading day YYYY-MM-DD (default: today, UTC)");
  run->add_flag("--resume", a->resume, "Rerun only the steps that failed, never ran or were interrupted");
  run->add_option("--only", a->only, "Run only these steps (comma-separated)")->delimiter(',');
  run->add_option("--skip", a->skip, "Skip these steps (recorded as skipped)")->delimiter(',');
  run->callback([&root, a] {
    const std::string r = ResolveRoot(root);
    auto& blob = StoresOrExit(r, "eod");
    EndOfDayOptions o;
    o.root = r;
    o.timeseries = TimeSeriesOrExit(r);
    o.reference = ReferenceOrExit(r);
    o.operational = ValueOrExit(blob.OperationalStoreNamed("operational"));
    o.date = a->date;
    o.resume = a->resume;
    o.only = a->only;
    o.skip = a->skip;
    int index = 0;
    o.on_step = [&index](const EodStepRecord& rec) {
      if (rec.outcome == EodOutcome::kRunning) {
        std::printf("[%d/%zu] %-22s ...", ++index, kEndOfDaySteps.size(), rec.step.c_str());
        std::fflush(stdout);
        MaybeKill(rec);
        return;
      }
      MaybeKill(rec);
      if (rec.outcome == EodOutcome::kSkipped) std::printf("[-/%zu] %-22s ...", kEndOfDaySteps.size(), rec.step.c_str());
      std::printf(" %-7s %6s s%s%s\n", std::string(EodOutcomeName(rec.outcome)).c_str(), Seconds(rec).c_str(),
                  rec.error.empty() ? "" : "  ", rec.error.c_str());
      std::fflush(stdout);
    };
    auto res = ValueOrExit(RunEndOfDay(o));
    if (res.nothing_to_do) {
      std::printf("end of day %s: every step already succeeded; nothing to do (status: systore eod status --date %s)\n",
                  res.date.c_str(), res.date.c_str());
      return;
    }
    bool failures = false;
    for (const auto& s : res.steps) failures |= s.outcome == EodOutcome::kFailed;
    if (!res.failed_step.empty()) {
      std::printf("end of day %s STOPPED at %s (critical): %s\n", res.date.c_str(), res.failed_step.c_str(),
                  res.error.c_str());
    } else {
      std::printf("end of day %s: %s in %.2f s\n", res.date.c_str(),
                  res.completed ? (failures ? "completed with failures" : "completed") : "not complete", res.seconds);
    }
    if (!res.report_html.empty()) std::printf("report: %s\n        %s\n", res.report_html.c_str(), res.report_json.c_str());
    if (!res.failed_step.empty() || failures)
      std::printf("after fixing the cause: systore eod run --date %s --resume\n", res.date.c_str());
    std::fflush(stdout);
    CloseStores();
    if (!res.failed_step.empty()) std::exit(2);
    if (failures || !res.completed) std::exit(3);
  });

  auto* status = eod->add_subcommand(
      "status", "The step records of a trading day from process control: outcome, times, seconds, rows, error.\n"
                "--check: print nothing, exit 0 when the day's batch completed, 4 when not");
  status->add_option("--date", a->date, "Trading day YYYY-MM-DD (default: today, UTC)");
  status->add_flag("--check", a->check, "Exit 0 when completed, 4 otherwise (for scripts and trading processes)");
  status->add_option("--format", a->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  status->callback([&root, a] {
    const std::string r = ResolveRoot(root);
    auto* ops = ValueOrExit(StoresOrExit(r).OperationalStoreNamed("operational"));
    if (a->check) {
      bool done = ValueOrExit(EndOfDayCompleted(*ops, a->date));
      CloseStores();
      std::exit(done ? 0 : 4);
    }
    auto steps = ValueOrExit(EndOfDayStatus(*ops, a->date));
    if (a->format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : steps) out.push_back(nlohmann::json::parse(ToJson(s)));
      std::printf("%s\n", out.dump(1).c_str());
      return;
    }
    if (steps.empty()) {
      std::printf("no end-of-day records for %s\n", a->date.empty() ? "today" : a->date.c_str());
      return;
    }
    PrintTable(steps);
    std::printf("completed: %s\n", ValueOrExit(EndOfDayCompleted(*ops, a->date)) ? "yes" : "no");
  });
}

}  // namespace systore::cli
