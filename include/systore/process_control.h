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

}  // namespace systore
