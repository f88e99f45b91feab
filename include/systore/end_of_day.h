// The end-of-day batch: named steps run in order over the stores of one root, each
// recorded in process control (EodStepRecord), with a report at the end
// (docs/end-of-day.md).
//
//   auto r = RunEndOfDay({.root = root, .timeseries = ts, .operational = ops, .reference = ref,
//                         .date = "2026-12-04"});
//   if (r.ok() && !r->completed) ... r->failed_step, r->error ...
//
// The steps, in order (kEndOfDaySteps); each is idempotent, so a rerun stores the same
// results:
//   reconcile_positions   positions against fills (strategy and contract level) and, when
//                         eod.broker_positions names a CSV (instrument,contract,position),
//                         against the broker; critical: a break stops the batch
//   calculate_daily_pnl   mark-to-market P&L per strategy and instrument -> analytics/pnl
//   update_analytics      volatility and forecasts of prices/adjusted, correlations of the
//                         instruments held (or eod.correlations); unchanged inputs skip
//   archive               flush every WAL tail, compact, apply the lifecycle rules
//   generate_reports      <root>/reports/eod-DATE.html and .json
//   backup_critical_data  a backup of every store into eod.backup_repository
//                         (default <root>.backups)
// A failed non-critical step is recorded and the batch goes on; a failed critical step
// stops it (completed = false, failed_step set) and the report says which and why.
//
// One batch per root at a time: a lock on <root>/_eod/LOCK (the kernel drops it when the
// holder dies, kill -9 included) and process "eod" running in process control.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "systore/process_control.h"
#include "systore/result.h"

namespace systore {

class OperationalStore;
class ReferenceStore;
class TimeSeriesStore;

inline constexpr std::array<std::string_view, 6> kEndOfDaySteps = {
    "reconcile_positions", "calculate_daily_pnl", "update_analytics",
    "archive",             "generate_reports",    "backup_critical_data"};

/// The process-control name of the batch.
inline constexpr std::string_view kEndOfDayProcess = "eod";

struct EndOfDayOptions {
  /// The store root (its systore.yaml's `eod:` section configures the steps) and its
  /// open stores (not owned; the batch writes through them).
  std::string root;
  TimeSeriesStore* timeseries = nullptr;
  OperationalStore* operational = nullptr;
  ReferenceStore* reference = nullptr;
  /// The trading day, YYYY-MM-DD; "" = today (UTC).
  std::string date;
  /// Rerun only the steps that failed, never ran or were interrupted.
  bool resume = false;
  /// Run only these steps / skip these (recorded as skipped). Names from kEndOfDaySteps.
  std::vector<std::string> only, skip;
  /// Called when a step starts (outcome running) and when it ends.
  std::function<void(const EodStepRecord&)> on_step;
};

struct EndOfDayResult {
  std::string date;
  /// Every step of the date had already succeeded: nothing ran.
  bool nothing_to_do = false;
  /// Every configured step of the date is ok or skipped.
  bool completed = false;
  /// The critical step that stopped the batch, and why ("" when none).
  std::string failed_step, error;
  /// The records of the date after the run, in step order.
  std::vector<EodStepRecord> steps;
  /// Where the report was written ("" when it could not be).
  std::string report_html, report_json;
  double seconds = 0;
};

/// Runs the batch. The Result is an error only when the batch could not run (bad options
/// or configuration, another batch holds the lock, control status not GO); a failed step
/// is reported in the result and in process control.
Result<EndOfDayResult> RunEndOfDay(const EndOfDayOptions& options);

/// The step records of a date ("" = today), in step order, as process control has them.
Result<std::vector<EodStepRecord>> EndOfDayStatus(OperationalStore& operational, std::string_view date = "");

/// Whether the batch of `date` ("" = today) completed: what a trading process asks before
/// it starts the next day.
Result<bool> EndOfDayCompleted(OperationalStore& operational, std::string_view date = "");

}  // namespace systore
