// The steps of the end-of-day batch (end_of_day.cc runs them; eod_report.cc reports).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "blob/blob_config.h"
#include "systore/result.h"
#include "systore/time.h"

namespace systore {
class OperationalStore;
class ReferenceStore;
class TimeSeriesStore;
}  // namespace systore

namespace systore::eod {

/// What a step works on.
struct StepContext {
  std::string root;
  std::string date;       // YYYY-MM-DD
  Timestamp day_end = 0;  // the first nanosecond after the trading day (UTC)
  TimeSeriesStore* timeseries = nullptr;
  OperationalStore* operational = nullptr;
  ReferenceStore* reference = nullptr;
  const blob_internal::EodConfig* config = nullptr;
  /// The date's step records so far, as JSON objects in step order (for the report).
  nlohmann::json steps = nlohmann::json::array();
};

/// A step's figures, stored as its record's metrics ("rows" at least; "seconds" is added
/// by the runner). A failure is a Status; `metrics` may still hold what it found (the
/// position breaks), which the runner stores with the error.
using StepFn = Status (*)(const StepContext& ctx, nlohmann::json* metrics);

/// The step function of a name in kEndOfDaySteps; nullptr for an unknown name.
StepFn StepNamed(std::string_view name);

/// The report's content (docs/end-of-day.md "The report"): P&L, positions and the
/// reconciliation, the day's quarantine, store health and step timings (ctx.steps).
Result<nlohmann::json> BuildReport(const StepContext& ctx);
/// The report as one self-contained HTML page (inline CSS and SVG, no scripts).
std::string RenderReportHtml(const nlohmann::json& report);
/// Builds the report and writes <root>/reports/eod-DATE.{json,html} atomically; returns
/// the two paths.
Result<std::pair<std::string, std::string>> WriteReport(const StepContext& ctx);

/// "1,234,567.89" with `decimals` digits (the report's one number format).
std::string FormatNumber(double v, int decimals);

}  // namespace systore::eod
