// The quality gate: validators + policy + quarantine, in front of every ingest write.
#include "systore/quality_gate.h"

#include <arrow/api.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "core/file_util.h"
#include "quality/series_view_internal.h"
#include "systore/business_calendar.h"
#include "systore/reference_store.h"

namespace systore {

using quality_internal::SeriesView;
using quality_internal::TakeRows;

const char* GateDecisionName(GateDecision d) {
  switch (d) {
    case GateDecision::kAccepted:
      return "accepted";
    case GateDecision::kPartial:
      return "partial";
    case GateDecision::kRejected:
      return "rejected";
  }
  return "?";
}

namespace {

// Findings about a row's values, as opposed to what makes a batch unstorable (schema,
// parse errors, repeated timestamps, order).
bool IsValueRule(const std::string& rule) {
  static const std::set<std::string> kRules = {"nan_price",    "non_positive_price", "price_range",
                                               "ohlc",         "negative_volume",    "spike",
                                               "future_dated", "zero_price",         "zero_volume_bar"};
  return kRules.count(rule) > 0;
}

// A history loaded for the first time was cleaned where it came from: its value findings
// are reported (countable in the summary) and hold nothing back.
void ReportValueFindingsOnly(std::vector<Finding>* findings) {
  for (auto& f : *findings) {
    if (f.severity == Severity::kError && !f.removes_row && IsValueRule(f.rule)) {
      f.severity = Severity::kWarning;
      f.message += " (first import: reported, not withheld)";
    }
  }
}

class QualityGateImpl : public QualityGate {
 public:
  QualityGateImpl(QualityGateOptions o, QualityConfig c) : options_(std::move(o)), config_(std::move(c)) {}

  Status Init() {
    SYSTORE_ASSIGN_OR_RAISE(quarantine_, Quarantine::Open({.root = options_.root}));
    if (PathExists(options_.root + "/reference")) {
      ReferenceStoreOptions ro;
      ro.root = options_.root;
      ro.create_if_missing = false;
      SYSTORE_ASSIGN_OR_RAISE(reference_, ReferenceStore::Open(ro));
    }
    return Status::OK();
  }

  Quarantine* quarantine() override { return quarantine_.get(); }
  const QualityConfig& config() const override { return config_; }

  Result<std::vector<Finding>> Validate(const IngestBatch& batch) override {
    SYSTORE_ASSIGN_OR_RAISE(DatasetQualityConfig dc, ConfigFor(batch));
    return RunValidators(batch, dc);
  }

  Result<GateResult> Check(const IngestBatch& batch) override {
    GateResult res;
    SYSTORE_ASSIGN_OR_RAISE(DatasetQualityConfig dc, ConfigFor(batch));
    std::shared_ptr<arrow::Table> data = batch.data;
    if (!data) return Status::InvalidArgument("batch for " + batch.dataset + "/" + batch.key + " has no table");
    if (options_.enabled) {
      SYSTORE_ASSIGN_OR_RAISE(res.findings, RunValidators(batch, dc));
      bool first_import = !batch.history || batch.history->num_rows() == 0;
      if (first_import && !dc.judge_first_import) ReportValueFindingsOnly(&res.findings);
    }
    res.findings.insert(res.findings.end(), batch.parse_findings.begin(), batch.parse_findings.end());
    SYSTORE_ASSIGN_OR_RAISE(SeriesView v, SeriesView::Make(data));
    const int64_t n = v.num_rows();

    const Finding* critical = nullptr;
    int64_t batch_errors = 0;
    std::vector<char> removes(n, 0), errors(n, 0);
    for (const auto& f : res.findings) {
      if (f.severity == Severity::kCritical && !critical) critical = &f;
      bool row_ok = f.row >= 0 && f.row < n;
      if (row_ok && f.removes_row) removes[f.row] = 1;
      if (f.severity >= Severity::kError) {
        if (row_ok)
          errors[f.row] = 1;
        else
          ++batch_errors;
      }
    }
    auto reject_all = [&](std::string reason) -> Result<GateResult> {
      res.decision = GateDecision::kRejected;
      res.reason = std::move(reason);
      res.quarantined = data;
      res.quarantined_rows.resize(n);
      for (int64_t i = 0; i < n; ++i) res.quarantined_rows[i] = i;
      SYSTORE_ASSIGN_OR_RAISE(res.accepted, TakeRows(data, {}));
      return res;
    };
    if (critical) return reject_all("critical " + critical->rule + ": " + critical->message);
    int64_t error_rows = std::count(errors.begin(), errors.end(), 1);
    if (dc.policy == QualityPolicy::kRejectBatch && (error_rows > 0 || batch_errors > 0)) {
      return reject_all("policy reject: " + std::to_string(error_rows + batch_errors) + " error finding(s)");
    }
    std::vector<char> out(n, 0);
    for (int64_t i = 0; i < n; ++i) out[i] = removes[i] || (dc.policy == QualityPolicy::kQuarantineRows && errors[i]);
    // Accepted rows sorted by ts (stable: ticks keep arrival order); unless duplicates is
    // keep-all, a timestamp still repeated keeps its last row (only reachable under policy
    // accept with duplicates=error), the others are kept out.
    std::vector<int64_t> keep;
    for (int64_t i = 0; i < n; ++i)
      if (!out[i]) keep.push_back(i);
    auto by_ts = [&](int64_t a, int64_t b) { return v.ts()[a] < v.ts()[b]; };
    if (!std::is_sorted(keep.begin(), keep.end(), by_ts)) std::stable_sort(keep.begin(), keep.end(), by_ts);
    std::vector<int64_t> unique;
    const bool keep_all = dc.duplicates == DuplicatePolicy::kKeepAll;
    for (size_t i = 0; i < keep.size(); ++i) {
      if (!keep_all && i + 1 < keep.size() && v.ts()[keep[i + 1]] == v.ts()[keep[i]])
        out[keep[i]] = 1;
      else
        unique.push_back(keep[i]);
    }
    for (int64_t i = 0; i < n; ++i)
      if (out[i]) res.quarantined_rows.push_back(i);
    bool identity = static_cast<int64_t>(unique.size()) == n;
    for (int64_t i = 0; identity && i < n; ++i) identity = unique[i] == i;
    if (identity) {
      res.accepted = data;  // the common case: nothing kept out, already sorted
    } else {
      SYSTORE_ASSIGN_OR_RAISE(res.accepted, TakeRows(data, unique));
    }
    if (!res.quarantined_rows.empty()) {
      SYSTORE_ASSIGN_OR_RAISE(res.quarantined, TakeRows(data, res.quarantined_rows));
    }
    res.decision = res.quarantined_rows.empty() && batch_errors == 0 ? GateDecision::kAccepted
                   : unique.empty() && n > 0                         ? GateDecision::kRejected
                                                                     : GateDecision::kPartial;
    if (res.decision == GateDecision::kRejected) res.reason = "every row was kept out";
    return res;
  }

  Result<GateResult> Process(const IngestBatch& batch) override {
    SYSTORE_ASSIGN_OR_RAISE(GateResult res, Check(batch));
    int64_t batch_level_errors = 0;
    for (const auto& f : res.findings)
      if (f.row < 0 && f.severity >= Severity::kError) ++batch_level_errors;
    if (res.quarantined_rows.empty() && batch_level_errors == 0) return res;
    QuarantineEntry e;
    e.dataset = batch.dataset;
    e.key = batch.key;
    e.source = batch.source;
    e.created = Now();
    bool whole =
        res.decision == GateDecision::kRejected && !res.reason.empty() && res.reason != "every row was kept out";
    e.scope = whole ? "batch" : "rows";
    DatasetQualityConfig dc = config_.ForDataset(batch.dataset);
    e.reason = whole ? res.reason
                     : std::string("policy ") + QualityPolicyName(dc.policy) + ": " +
                           std::to_string(res.quarantined_rows.size()) + " row(s) kept out";
    // The entry keeps the findings about its rows and those about the whole batch.
    std::set<int64_t> rows(res.quarantined_rows.begin(), res.quarantined_rows.end());
    for (const auto& f : res.findings)
      if (whole || f.row < 0 || rows.count(f.row)) e.findings.push_back(f);
    std::shared_ptr<arrow::Table> qrows = res.quarantined;
    if (!qrows) {
      SYSTORE_ASSIGN_OR_RAISE(qrows, TakeRows(batch.data, {}));
    }
    e.rows = qrows->num_rows();
    e.raw_lines = batch.raw_lines;
    SYSTORE_ASSIGN_OR_RAISE(res.quarantine_id, quarantine_->Put(e, qrows, res.quarantined_rows));
    return res;
  }

 private:
  // The dataset's settings with the batch's overrides applied.
  Result<DatasetQualityConfig> ConfigFor(const IngestBatch& batch) const {
    DatasetQualityConfig dc = config_.ForDataset(batch.dataset);
    std::optional<DuplicatePolicy> dup = batch.duplicates;
    const SeriesKind kind =
        batch.dataset_options ? batch.dataset_options->kind : DatasetOptions::ForName(batch.dataset).kind;
    if (!dup && kind == SeriesKind::kTicks && !dc.duplicates_set_for_dataset) dup = DuplicatePolicy::kKeepAll;
    if (dup) dc.duplicates = *dup;
    if (dc.duplicates == DuplicatePolicy::kKeepAll && kind != SeriesKind::kTicks) {
      return Status::InvalidArgument("dataset '" + batch.dataset +
                                     "': duplicates keep-all applies to tick datasets only (timestamps of other "
                                     "series are unique)");
    }
    if (dup && dc.validators.count("duplicates")) {
      SYSTORE_ASSIGN_OR_RAISE(
          dc.validators["duplicates"],
          ValidatorParams::FromJson(std::string("{\"policy\": \"") + DuplicatePolicyName(*dup) + "\"}"));
    }
    return dc;
  }

  Result<std::shared_ptr<const BusinessCalendar>> Calendar(const std::string& name) {
    if (name.empty()) return std::shared_ptr<const BusinessCalendar>();
    std::lock_guard<std::mutex> lock(mu_);
    auto it = calendars_.find(name);
    if (it != calendars_.end()) return it->second;
    if (!reference_)
      return Status::InvalidArgument("calendar '" + name + "' configured but the store has no reference data");
    SYSTORE_ASSIGN_OR_RAISE(auto holidays, reference_->GetTable("holidays"));
    SYSTORE_ASSIGN_OR_RAISE(BusinessCalendar cal, BusinessCalendar::FromHolidays(*holidays, name));
    auto p = std::make_shared<const BusinessCalendar>(std::move(cal));
    calendars_[name] = p;
    return std::shared_ptr<const BusinessCalendar>(p);
  }

  Result<std::vector<Finding>> RunValidators(const IngestBatch& batch, const DatasetQualityConfig& dc) {
    ValidationInput in;
    in.dataset = batch.dataset;
    in.key = batch.key;
    in.dataset_options = batch.dataset_options ? *batch.dataset_options : DatasetOptions::ForName(batch.dataset);
    in.data = batch.data;
    in.history = batch.history;
    in.stored_schema = batch.stored_schema;
    in.now = options_.now ? options_.now : Now();
    SYSTORE_ASSIGN_OR_RAISE(in.calendar, Calendar(dc.calendar));
    if (reference_) in.reference = reference_->Current();
    in.source_lines = batch.source_lines;
    in.source_name = batch.source;
    FindingSink sink(in);
    for (const auto& [name, params] : dc.validators) {
      auto v = ValidatorRegistry::Global().Make(name, params);
      Status st = v.ok() ? (*v)->Validate(in, &sink) : v.status();
      if (!st.ok()) {
        Finding f;
        f.severity = Severity::kCritical;
        f.rule = "validator_error";
        f.message = "validator " + name + " failed: " + st.ToString();
        sink.Add(std::move(f));
      }
    }
    return sink.Release();
  }

  QualityGateOptions options_;
  QualityConfig config_;
  std::unique_ptr<Quarantine> quarantine_;
  std::unique_ptr<ReferenceStore> reference_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const BusinessCalendar>> calendars_;
};

}  // namespace

Result<std::unique_ptr<QualityGate>> QualityGate::Open(const QualityGateOptions& options) {
  if (options.root.empty()) return Status::InvalidArgument("quality gate needs a store root");
  QualityConfig config;
  if (options.config) {
    config = *options.config;
  } else {
    SYSTORE_ASSIGN_OR_RAISE(config, QualityConfig::Load(options.root));
  }
  auto gate = std::make_unique<QualityGateImpl>(options, std::move(config));
  SYSTORE_RETURN_NOT_OK(gate->Init());
  return std::unique_ptr<QualityGate>(std::move(gate));
}

}  // namespace systore
