// Process control as pysystemtrade runs it: per process a control status set by the
// operator, whether it runs now (pid, start/end), per-method start/end times, a
// recently-crashed flag and dependencies on other processes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "systore/result.h"
#include "systore/time.h"

namespace systore {

/// GO: may run; NO-RUN: must not start; STOP: stop at the next check; PAUSE: keep
/// running but do not execute methods.
enum class ControlStatus : int { kGo, kNoRun, kStop, kPause };
std::string_view ControlStatusName(ControlStatus s);  // "GO", "NO-RUN", "STOP", "PAUSE"
Result<ControlStatus> ParseControlStatus(std::string_view name);

struct MethodTimes {
  Timestamp last_start = 0, last_end = 0;
};

struct ProcessState {
  std::string name;
  ControlStatus control = ControlStatus::kGo;
  bool running = false;
  int64_t pid = 0;
  Timestamp last_start = 0, last_end = 0;
  bool recently_crashed = false;
  /// Processes that must have finished (last_end) on the same UTC day before this one starts.
  std::vector<std::string> depends_on;
  std::map<std::string, MethodTimes> methods;
};

/// The process state as JSON text: one object with every field above, control by name,
/// methods as {"<method>": {"last_start", "last_end"}}. The form the audit log records
/// and `systore ops process --format json` prints.
std::string ToJson(const ProcessState& process);

/// What became of one end-of-day step: running (started, not ended: in progress, or the
/// batch was killed), ok, failed or skipped.
enum class EodOutcome : int { kRunning, kOk, kFailed, kSkipped };
std::string_view EodOutcomeName(EodOutcome o);  // "running", "ok", "failed", "skipped"
Result<EodOutcome> ParseEodOutcome(std::string_view name);

/// One step of the end-of-day batch of one trading day, as process control records it
/// (table/collection eod_steps, key (date, step); include/systore/end_of_day.h runs them).
struct EodStepRecord {
  std::string date;  // the trading day, YYYY-MM-DD
  std::string step;  // reconcile_positions, calculate_daily_pnl, ...
  Timestamp started_at = 0, ended_at = 0;  // ended_at 0 while running
  EodOutcome outcome = EodOutcome::kRunning;
  std::string metrics_json = "{}";  // a JSON object: rows, seconds and the step's own figures
  std::string error;                // why it failed ("" otherwise)
};
std::string ToJson(const EodStepRecord& record);

}  // namespace systore
