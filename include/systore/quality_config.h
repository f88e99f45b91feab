// QualityConfig: which validators run on which dataset and what their findings do.
//
// Read from <root>/quality.json (every key optional; a missing file means all defaults):
//
//   {
//     "defaults": {
//       "policy": "quarantine",          // reject | quarantine | accept
//       "duplicates": "keep-last",       // error | keep-first | keep-last
//       "first_import": "warn",          // warn | judge (value findings without history)
//       "validators": {                  // name -> parameters ({} = defaults,
//         "spike": {"threshold": 8},     //   {"enabled": false} switches one off)
//         ...
//       }
//     },
//     "datasets": {
//       "prices/adjusted": {"validators": {"price": {"allow_non_positive": true}}},
//       "prices/contract*": {"policy": "reject"}   // trailing * matches a prefix
//     }
//   }
//
// A dataset's settings are the defaults overlaid by every matching "datasets" entry
// (exact name last, so it wins); a validator's parameters are merged key by key.
// The full list of keys and defaults is in docs/quality-and-ingest.md.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "systore/quality.h"
#include "systore/result.h"

namespace systore {

/// What error findings do to a batch. Critical findings always reject the batch; info and
/// warning findings never stop anything (they are reported).
enum class QualityPolicy {
  kRejectBatch,        // nothing of the batch is written; the batch goes to quarantine
  kQuarantineRows,     // offending rows go to quarantine, the rest is written
  kAcceptWithWarning,  // everything storable is written; findings are reported
};
const char* QualityPolicyName(QualityPolicy p);  // "reject", "quarantine", "accept"

/// How repeated timestamps within a batch are resolved. The discarded rows are
/// quarantined (never silently dropped) with a duplicate_timestamp finding.
enum class DuplicatePolicy {
  kError,      // every repeated row is an error finding (then the policy applies)
  kKeepFirst,  // keep the first row of each timestamp; later ones are quarantined
  kKeepLast,   // keep the last row (pysystemtrade's FX files); earlier ones quarantined
  kKeepAll,    // keep every row in arrival order: ticks (several trades at one time are
               // data). The default of tick datasets (DatasetOptions kind kTicks).
};
/// "error", "keep-first", "keep-last", "keep-all"
const char* DuplicatePolicyName(DuplicatePolicy p);

/// Effective settings of one dataset.
struct DatasetQualityConfig {
  QualityPolicy policy = QualityPolicy::kQuarantineRows;
  DuplicatePolicy duplicates = DuplicatePolicy::kKeepLast;
  /// A "datasets" entry matching this dataset sets duplicates (otherwise tick datasets
  /// keep all rows, whatever "defaults" says).
  bool duplicates_set_for_dataset = false;
  /// Enabled validators (name -> parameters), in name order.
  std::map<std::string, ValidatorParams> validators;
  /// Holiday calendar name in the reference `holidays` table ("" = weekdays only).
  std::string calendar;
  /// "first_import": "warn" (default) records value findings (spike, zero price, ...) on
  /// rows with no stored history before them as warnings, as pysystemtrade judges spikes
  /// only when merging new prices into stored history; "judge" applies the policy to them.
  bool judge_first_import = false;
};

class QualityConfig {
 public:
  /// The built-in defaults (see the header comment).
  static QualityConfig Defaults();
  /// Parses quality.json text; InvalidArgument naming `source` and the bad key/value.
  static Result<QualityConfig> Parse(const std::string& json_text, const std::string& source);
  /// Loads <root>/quality.json, or the defaults when the file does not exist.
  static Result<QualityConfig> Load(const std::string& root);

  /// The effective settings of `dataset` (adjusted datasets allow non-positive prices and
  /// skip the gaps rule by default: back-adjusted series go negative and mix daily and
  /// hourly rows).
  DatasetQualityConfig ForDataset(const std::string& dataset) const;
  /// The configuration as JSON text (what `systore quality config` prints).
  std::string ToJson() const;

 private:
  std::shared_ptr<const void> json_;  // nlohmann::json
};

}  // namespace systore
