// The DataBlob configuration: <root>/systore.yaml parsed over built-in defaults.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "systore/cache.h"
#include "systore/data_blob.h"
#include "systore/result.h"

namespace systore::blob_internal {

/// A named store: what kind, where, how many connections.
struct StoreConfig {
  std::string name;
  StoreKind kind = StoreKind::kTimeSeries;
  std::string root;  // time series / reference: absolute directory
  std::string uri;   // operational: sqlite://... or postgresql://...
  int pool_size = 16;
};

/// A lifecycle rule of systore.yaml: datasets it applies to (a name, or a prefix ending
/// in '*'), how long partitions are kept and when they move to the cold location (0: never).
struct LifecycleRule {
  std::string datasets;
  int64_t retention_ns = 0;
  int64_t cold_after_ns = 0;
};

/// systore.yaml's `eod:` section (include/systore/end_of_day.h).
struct EodStepConfig {
  bool enabled = true;
  bool critical = false;
};
struct EodConfig {
  /// Every step of kEndOfDaySteps, with its defaults or systore.yaml's settings.
  std::map<std::string, EodStepConfig> steps;
  std::string broker_positions;   // absolute path of a broker position CSV, "" = none
  std::string backup_repository;  // directory or s3:// URI; default <root>.backups
  std::string base_currency = "USD";
  std::vector<std::string> correlations;  // instruments; empty = those with a position
};

struct BlobConfig {
  std::map<std::string, StoreConfig> stores;
  std::map<std::string, DataClassInfo> classes;  // by attribute
  CacheOptions cache;
  int health_interval_ms = 1000;
  std::vector<LifecycleRule> lifecycle;  // first matching rule wins
  std::string cold_root;                 // absolute; where cold partitions go
  EodConfig eod;
  std::string source;  // file name, for messages
};

/// Defaults, then the YAML text (may be empty) on top. `root` resolves relative paths
/// and ${root} in URIs.
Result<BlobConfig> LoadBlobConfig(const std::string& root, const std::string& yaml_text, const std::string& source);

/// "90d", "4w", "6mo", "10y" (a year is 365 days, a month 30) in ns; InvalidArgument otherwise.
Result<int64_t> ParseLifecycleDuration(const std::string& text);
/// The backend word used in class names: parquet, sqlite, postgres, csv.
std::string BackendOf(const StoreConfig& s);
/// "<backend><Camel(thing)>Data" for an attribute "db_<thing>".
std::string ClassNameOf(const std::string& attribute, const std::string& backend);

/// YAML text of the effective configuration.
std::string ToYaml(const BlobConfig& c);

}  // namespace systore::blob_internal
