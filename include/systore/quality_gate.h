// QualityGate: every ingest write passes through it. It runs the dataset's validators on
// a batch (one series), applies the dataset's policy and returns the rows to write;
// rows kept out go to the quarantine with the findings that sent them there.
//
// Decision rules (docs/quality-and-ingest.md, "Policies"):
//   - a critical finding rejects the whole batch (it is quarantined as scope "batch");
//   - rows the duplicates policy discards are always quarantined;
//   - error findings: policy reject -> the whole batch is rejected and quarantined;
//     quarantine -> the offending rows are quarantined, the rest accepted;
//     accept -> the rows are written anyway (rows out of order are sorted in);
//   - info and warning findings are reported and never keep a row out;
//   - a first import (no stored history before the batch) reports value findings (spike,
//     zero/NaN/non-positive price, ohlc, volume, future-dated) as warnings unless the
//     dataset's first_import is "judge"; structural ones (schema, duplicates, order)
//     are decided as above.
// The accepted rows come back sorted by ts with unique timestamps, ready for the store.
//
// Thread-safety: Check/Process may be called from several threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "systore/quality.h"
#include "systore/quality_config.h"
#include "systore/quarantine.h"
#include "systore/result.h"

namespace arrow {
class Schema;
class Table;
}  // namespace arrow

namespace systore {

class ReferenceStore;

struct QualityGateOptions {
  /// Store root (quality.json, the quarantine and reference data live under it).
  std::string root;
  /// When false no validator runs; the gate still sorts the rows and keeps the last row
  /// of a repeated timestamp (the others are quarantined), so the store accepts the
  /// batch. For measuring the cost of validation.
  bool enabled = true;
  /// Use this configuration instead of <root>/quality.json.
  std::optional<QualityConfig> config;
  /// Fixed "now" for future-dated checks (0 = the wall clock at each check).
  Timestamp now = 0;
  /// Who is recorded in the audit trail for quarantine puts ("" = $USER).
  std::string actor;
};

/// One series' incoming rows.
struct IngestBatch {
  std::string dataset;
  std::string key;
  /// ts + value columns, arrival order (may be unsorted, may repeat timestamps).
  std::shared_ptr<arrow::Table> data;
  /// Stored rows just before (for the seam checks), or null when the series has no stored
  /// rows: the batch is then a first import (see first_import above).
  std::shared_ptr<arrow::Table> history;
  /// File or feed name, and the source line of each row when known.
  std::string source;
  std::vector<int64_t> source_lines;
  /// Findings the reader made before validation (unparsable lines); their rows are not
  /// in `data`, so they are kept in the quarantine as findings only.
  std::vector<Finding> parse_findings;
  /// The text of those unparsable lines, kept in the quarantine entry.
  std::vector<std::string> raw_lines;
  /// The dataset's options when it exists (else DatasetOptions::ForName).
  std::optional<DatasetOptions> dataset_options;
  /// The dataset's stored schema, or null for a new dataset (see ValidationInput).
  std::shared_ptr<arrow::Schema> stored_schema;
  /// Overrides the dataset's duplicates policy for this batch (e.g. `ts import --duplicates`).
  std::optional<DuplicatePolicy> duplicates;
};

enum class GateDecision {
  kAccepted,  // every row accepted (possibly with warnings)
  kPartial,   // some rows quarantined, the rest accepted
  kRejected,  // nothing accepted
};
const char* GateDecisionName(GateDecision d);

struct GateResult {
  GateDecision decision = GateDecision::kAccepted;
  /// Rows to write: sorted, unique timestamps; an empty table when rejected.
  std::shared_ptr<arrow::Table> accepted;
  /// All findings, including those of the reader.
  std::vector<Finding> findings;
  /// Rows kept out (for Process: written to the quarantine).
  std::shared_ptr<arrow::Table> quarantined;
  std::vector<int64_t> quarantined_rows;  // their batch row indices
  int64_t quarantine_id = -1;             // the entry Process created, or -1
  /// Why the batch was rejected (names the critical finding or the policy).
  std::string reason;
};

class QualityGate {
 public:
  /// Loads the configuration and opens the quarantine and (when present) the reference
  /// store under options.root. InvalidArgument for a bad quality.json or calendar name.
  static Result<std::unique_ptr<QualityGate>> Open(const QualityGateOptions& options);
  virtual ~QualityGate() = default;

  /// Validates and decides, writing nothing.
  virtual Result<GateResult> Check(const IngestBatch& batch) = 0;
  /// Check, then keeps the rows kept out in the quarantine (one entry per batch).
  virtual Result<GateResult> Process(const IngestBatch& batch) = 0;
  /// Validates stored data (history is the whole series) without a policy: findings only.
  virtual Result<std::vector<Finding>> Validate(const IngestBatch& batch) = 0;

  virtual Quarantine* quarantine() = 0;
  virtual const QualityConfig& config() const = 0;
};

}  // namespace systore
