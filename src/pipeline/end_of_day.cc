// The end-of-day runner: the lock, the plan (which steps run), one record per step in
// process control, the abort on a critical failure and the final report.
#include "systore/end_of_day.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "core/file_util.h"
#include "pipeline/eod_steps.h"
#include "systore/operational_store.h"
#include "timeseries/writer_lock.h"

namespace systore {
namespace {

using blob_internal::EodConfig;

Result<std::string> CheckedDate(const std::string& date) {
  if (date.empty()) return FormatTimestamp(Now()).substr(0, 10);
  auto t = ParseTimestamp(date);
  if (!t.ok() || date.size() != 10 || FormatTimestamp(*t).substr(0, 10) != date)
    return Status::InvalidArgument("end-of-day date '" + date + "': expected YYYY-MM-DD");
  return date;
}

Status CheckStepNames(const std::vector<std::string>& names, const char* option) {
  for (const auto& n : names) {
    if (std::find(kEndOfDaySteps.begin(), kEndOfDaySteps.end(), n) != kEndOfDaySteps.end()) continue;
    std::string known;
    for (std::string_view s : kEndOfDaySteps) known += (known.empty() ? "" : ", ") + std::string(s);
    return Status::InvalidArgument(std::string(option) + ": unknown step '" + n + "' (the steps: " + known + ")");
  }
  return Status::OK();
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Records in step order (the store orders by start time; a rerun step starts later).
std::vector<EodStepRecord> InStepOrder(std::vector<EodStepRecord> records) {
  auto rank = [](const std::string& s) {
    return std::find(kEndOfDaySteps.begin(), kEndOfDaySteps.end(), s) - kEndOfDaySteps.begin();
  };
  std::stable_sort(records.begin(), records.end(),
                   [&](const EodStepRecord& a, const EodStepRecord& b) { return rank(a.step) < rank(b.step); });
  return records;
}

bool Done(EodOutcome o) { return o == EodOutcome::kOk || o == EodOutcome::kSkipped; }

bool AllDone(const std::vector<EodStepRecord>& records) {
  for (std::string_view step : kEndOfDaySteps) {
    auto it = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.step == step; });
    if (it == records.end() || !Done(it->outcome)) return false;
  }
  return true;
}

nlohmann::json RecordsJson(const std::vector<EodStepRecord>& records) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : records) out.push_back(nlohmann::json::parse(ToJson(r)));
  return out;
}

Status Put(OperationalStore* ops, const EodStepRecord& r) {
  return ops->Transact([&](Transaction& t) { return t.RecordEodStep(r); });
}

// The lock: flock (dropped by the kernel when the holder dies) plus process "eod" in
// process control, so that operators see the batch and can stop it with NO-RUN.
Result<std::unique_ptr<WriterLock>> TakeLock(const EndOfDayOptions& o) {
  auto lock = WriterLock::Acquire(o.root + "/_eod", "end-of-day batch");
  if (!lock.ok()) {
    if (lock.status().code() != StatusCode::kUnavailable) return lock.status();
    std::string who;
    if (auto p = o.operational->GetProcess(kEndOfDayProcess); p.ok() && p->running)
      who = " (pid " + std::to_string(p->pid) + ", started " + FormatTimestamp(p->last_start) + ")";
    return Status::Unavailable("another end-of-day batch is running on " + o.root + who +
                               "; one batch per store root at a time");
  }
  SYSTORE_RETURN_NOT_OK(o.operational->Transact([&](Transaction& t) -> Status {
    auto p = t.GetProcess(kEndOfDayProcess);
    // We hold the lock, so a batch still marked running died without finishing.
    if (p.ok() && p->running) SYSTORE_RETURN_NOT_OK(t.MarkProcessCrashed(kEndOfDayProcess));
    return t.StartProcess(kEndOfDayProcess, ::getpid());
  }));
  return std::move(*lock);
}

}  // namespace

Result<EndOfDayResult> RunEndOfDay(const EndOfDayOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.root.empty() || !o.timeseries || !o.operational || !o.reference)
    return Status::InvalidArgument("RunEndOfDay needs the root and its three stores");
  SYSTORE_ASSIGN_OR_RAISE(std::string date, CheckedDate(o.date));
  SYSTORE_RETURN_NOT_OK(CheckStepNames(o.only, "--only"));
  SYSTORE_RETURN_NOT_OK(CheckStepNames(o.skip, "--skip"));
  std::string text;
  const std::string config_path = o.root + "/systore.yaml";
  if (auto t = ReadFileToString(config_path); t.ok()) text = std::move(*t);
  SYSTORE_ASSIGN_OR_RAISE(auto config, blob_internal::LoadBlobConfig(o.root, text, config_path));

  EndOfDayResult result;
  result.date = date;
  SYSTORE_ASSIGN_OR_RAISE(auto before, o.operational->EodSteps(date));
  if (o.only.empty() && AllDone(before)) {
    result.nothing_to_do = result.completed = true;
    result.steps = InStepOrder(std::move(before));
    return result;
  }
  SYSTORE_ASSIGN_OR_RAISE(auto lock, TakeLock(o));

  eod::StepContext ctx;
  ctx.root = o.root;
  ctx.date = date;
  ctx.day_end = *ParseTimestamp(date) + kNanosPerDay;
  ctx.timeseries = o.timeseries;
  ctx.operational = o.operational;
  ctx.reference = o.reference;
  ctx.config = &config.eod;

  for (std::string_view name : kEndOfDaySteps) {
    const std::string step(name);
    const auto& sc = config.eod.steps.at(step);
    SYSTORE_ASSIGN_OR_RAISE(auto records, o.operational->EodSteps(date));
    auto prev = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.step == step; });
    if (!o.only.empty() && !Contains(o.only, step)) continue;
    if (o.resume && prev != records.end() && Done(prev->outcome)) continue;
    ctx.steps = RecordsJson(InStepOrder(records));

    EodStepRecord r{date, step, Now(), 0, EodOutcome::kRunning, "{}", ""};
    if (!sc.enabled || Contains(o.skip, step)) {
      r.ended_at = r.started_at;
      r.outcome = EodOutcome::kSkipped;
      r.metrics_json = nlohmann::json{{"reason", sc.enabled ? "--skip" : "disabled in systore.yaml"}}.dump();
      if (o.on_step) o.on_step(r);
      SYSTORE_RETURN_NOT_OK(Put(o.operational, r));
      continue;
    }
    SYSTORE_RETURN_NOT_OK(Put(o.operational, r));
    if (o.on_step) o.on_step(r);
    const auto s0 = std::chrono::steady_clock::now();
    nlohmann::json metrics = nlohmann::json::object();
    Status st = eod::StepNamed(step)(ctx, &metrics);
    metrics["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    if (!metrics.contains("rows")) metrics["rows"] = 0;
    metrics["critical"] = sc.critical;
    r.ended_at = Now();
    r.outcome = st.ok() ? EodOutcome::kOk : EodOutcome::kFailed;
    r.metrics_json = metrics.dump();
    r.error = st.ok() ? "" : st.ToString();
    if (o.on_step) o.on_step(r);
    SYSTORE_RETURN_NOT_OK(Put(o.operational, r));
    if (!st.ok() && sc.critical) {
      result.failed_step = step;
      result.error = r.error;
      break;
    }
  }

  SYSTORE_ASSIGN_OR_RAISE(auto after, o.operational->EodSteps(date));
  result.steps = InStepOrder(std::move(after));
  result.completed = AllDone(result.steps);
  // The report once more, now with every step's outcome (and the reason of an abort).
  const auto& rs = config.eod.steps.at("generate_reports");
  if (rs.enabled && !Contains(o.skip, "generate_reports")) {
    ctx.steps = RecordsJson(result.steps);
    if (auto paths = eod::WriteReport(ctx); paths.ok()) {
      result.report_html = paths->first;
      result.report_json = paths->second;
    }
  }
  SYSTORE_RETURN_NOT_OK(o.operational->Transact([](Transaction& t) { return t.FinishProcess(kEndOfDayProcess); }));
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

Result<std::vector<EodStepRecord>> EndOfDayStatus(OperationalStore& operational, std::string_view date) {
  SYSTORE_ASSIGN_OR_RAISE(std::string d, CheckedDate(std::string(date)));
  SYSTORE_ASSIGN_OR_RAISE(auto records, operational.EodSteps(d));
  return InStepOrder(std::move(records));
}

Result<bool> EndOfDayCompleted(OperationalStore& operational, std::string_view date) {
  SYSTORE_ASSIGN_OR_RAISE(auto records, EndOfDayStatus(operational, date));
  return AllDone(records);
}

}  // namespace systore
