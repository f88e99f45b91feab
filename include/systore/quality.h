// Data quality: findings, the Validator interface and the registry of validators.
//
// A validator looks at one batch of rows for one series (dataset + key), optionally with
// the stored rows just before it (the "seam"), and reports Findings. It never changes
// data: what a finding does (reject the batch, quarantine the row, accept with a warning)
// is decided by the dataset's policy in the quality gate (systore/quality_gate.h).
//
// Built-in validators (docs/quality-and-ingest.md lists their parameters):
//   schema      required columns and column types
//   price       NaN, non-positive prices, bounds (config or reference `config` table)
//   ohlc        low <= open, close <= high; low <= high
//   volume      negative, non-integer, outliers against the batch median
//   gaps        missing business days (reference holiday calendar, else weekdays)
//   spike       pysystemtrade's spike rule, within the batch and at the seam
//   cleaning    future-dated rows, zero prices, zero-volume intraday bars
//   duplicates  repeated timestamps, resolved by the dataset's duplicates policy
//   timestamps  rows out of order, outside trading hours (when configured)
//
// Thread-safety: a Validator is used by one thread at a time per instance; the registry
// is safe to use from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "systore/result.h"
#include "systore/status.h"
#include "systore/time.h"
#include "systore/timeseries_store.h"

namespace arrow {
class Schema;
class Table;
}  // namespace arrow

namespace systore {

class BusinessCalendar;
class ReferenceSnapshot;

/// How bad a finding is. The order matters: policies compare severities.
enum class Severity { kInfo = 0, kWarning = 1, kError = 2, kCritical = 3 };

/// "info", "warning", "error", "critical".
const char* SeverityName(Severity s);
/// Parses a SeverityName; InvalidArgument otherwise.
Result<Severity> ParseSeverity(const std::string& name);

/// One problem (or observation) about incoming or stored data.
struct Finding {
  Severity severity = Severity::kWarning;
  /// The rule that fired, e.g. "spike", "ohlc", "duplicate_timestamp". One validator may
  /// report several rules (cleaning: future_dated, zero_price, zero_volume_bar).
  std::string rule;
  std::string dataset;
  std::string key;
  /// Row index in the batch (0-based, file order), or -1 for a finding about the batch.
  int64_t row = -1;
  /// Where the row came from, e.g. "GBPUSD.csv:1234", when known.
  std::string source;
  /// The timestamp(s) involved (the row's, and e.g. the previous row's for a spike).
  std::vector<Timestamp> timestamps;
  /// Named values involved (column values, ratios, bounds), in a stable order.
  std::vector<std::pair<std::string, double>> values;
  std::string message;
  /// True when the row cannot be stored as it is whatever the policy (a duplicate the
  /// duplicates policy discards): the gate always quarantines it.
  bool removes_row = false;
};

/// One line: "error spike prices/adjusted SOFR 2024-01-02 23:00:00 (row 17, F.csv:19): ...".
std::string FormatFinding(const Finding& f);

/// Parameters of one validator: the JSON object under its name in quality.json. Missing
/// parameters take the validator's defaults. Copyable, immutable.
class ValidatorParams {
 public:
  ValidatorParams();
  /// From JSON object text; InvalidArgument when it is not an object.
  static Result<ValidatorParams> FromJson(const std::string& json_text);
  bool Has(const std::string& name) const;
  double GetDouble(const std::string& name, double fallback) const;
  int64_t GetInt(const std::string& name, int64_t fallback) const;
  bool GetBool(const std::string& name, bool fallback) const;
  std::string GetString(const std::string& name, const std::string& fallback) const;
  std::vector<std::string> GetStringList(const std::string& name, const std::vector<std::string>& fallback) const;
  /// A nested object as a map of numbers, e.g. per-key bounds {"SOFR": 90.0}.
  std::map<std::string, double> GetNumberMap(const std::string& name) const;
  /// The parameters as JSON text.
  std::string ToJson() const;

 private:
  std::shared_ptr<const void> json_;  // nlohmann::json, kept out of this header
};

/// What a validator sees. Tables have a "ts" column (timestamp[ns] or int64) first and
/// value columns after it, in one chunk.
struct ValidationInput {
  std::string dataset;
  std::string key;
  /// The dataset's options (kind, partitioning) when it exists, else ForName(dataset).
  DatasetOptions dataset_options;
  /// Incoming rows in arrival (file) order: may be unsorted and hold repeated timestamps.
  std::shared_ptr<arrow::Table> data;
  /// Stored rows just before the incoming ones (sorted), or null: the seam for the spike
  /// and gap rules.
  std::shared_ptr<arrow::Table> history;
  /// The schema the dataset stores (ts + value columns), or null for a new dataset: the
  /// schema rule names the columns an input lacks or adds before the store refuses it.
  std::shared_ptr<arrow::Schema> stored_schema;
  /// "Now" for future-dated checks (fixed in tests).
  Timestamp now = 0;
  /// The business calendar for the series (weekdays only when none is configured).
  std::shared_ptr<const BusinessCalendar> calendar;
  /// Reference data (bounds, calendars), or null when the store has none.
  std::shared_ptr<const ReferenceSnapshot> reference;
  /// Source line of each incoming row (for messages), or empty.
  std::vector<int64_t> source_lines;
  /// The source file name, or empty.
  std::string source_name;
};

/// Receives findings from validators; fills dataset, key and source for them.
class FindingSink {
 public:
  explicit FindingSink(const ValidationInput& input) : input_(input) {}
  /// Adds a finding about row `row` (or -1). Fills dataset/key/source when empty.
  void Add(Finding f);
  const std::vector<Finding>& findings() const { return findings_; }
  std::vector<Finding> Release() { return std::move(findings_); }

 private:
  const ValidationInput& input_;
  std::vector<Finding> findings_;
};

class Validator {
 public:
  virtual ~Validator() = default;
  /// The name it is registered and configured under.
  virtual std::string name() const = 0;
  /// Checks `input`, adding findings to `sink`. A non-OK Status means the validator could
  /// not run (a bug or unusable input); the gate turns it into a critical finding.
  virtual Status Validate(const ValidationInput& input, FindingSink* sink) = 0;
};

/// Makes a validator from its parameters; InvalidArgument for a bad parameter.
using ValidatorFactory = std::function<Result<std::unique_ptr<Validator>>(const ValidatorParams&)>;

/// Validators by name. The built-ins are registered on first use of Global().
class ValidatorRegistry {
 public:
  static ValidatorRegistry& Global();
  /// Adds a validator type. AlreadyExists when the name is taken.
  Status Register(const std::string& name, ValidatorFactory factory);
  /// NotFound (listing the known names) when unknown.
  Result<std::unique_ptr<Validator>> Make(const std::string& name, const ValidatorParams& params) const;
  /// Registered names, sorted.
  std::vector<std::string> Names() const;

 private:
  ValidatorRegistry() = default;
  struct State;
  std::shared_ptr<State> state_;
  friend struct RegistryAccess;
};

/// A finding as JSON text, the form quarantine entries keep and `systore quality ... --format
/// json` and the Python package show: {"severity", "rule", "dataset", "key", "row",
/// "message", "source"?, "timestamps", "values", ...}.
std::string FindingToJsonText(const Finding& f);

}  // namespace systore
