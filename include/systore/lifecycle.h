// Lifecycle of time-series partitions, by the rules in <root>/systore.yaml:
//
//   lifecycle:
//     cold_root: /mnt/cold                 # a directory (relative paths: to the root)
//     rules:
//       - {datasets: "prices/*", retention: 10y, cold_after: 2y}
//       - {datasets: "analytics/*", retention: 5y}
//
// `retention`: data files whose rows all lie before now - retention are removed;
// `cold_after`: those before now - cold_after move to <cold_root>/<dataset>, reached
// through <dataset>/_cold/ (reads span hot and cold; TimeSeriesStore::Stats() counts
// cold reads). Each is one commit per dataset, so every earlier version reads until
// vacuum. Whole files only: a partition that straddles the cut stays. See
// docs/backup-and-recovery.md ("Lifecycle").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "systore/result.h"
#include "systore/time.h"

namespace systore {

class TimeSeriesStore;

struct LifecycleOptions {
  /// The root whose systore.yaml has the rules, and its open store.
  std::string root;
  TimeSeriesStore* store = nullptr;
  /// List what would happen; change nothing.
  bool dry_run = false;
  /// "Now" for the cut-offs (0: the current time).
  Timestamp now = 0;
};

struct LifecycleAction {
  std::string dataset;
  std::string key;
  std::string action;  // "remove" or "move to cold"
  int64_t files = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
  Timestamp through = 0;  // the last timestamp of the files concerned
};

struct LifecycleReport {
  std::vector<LifecycleAction> actions;
  /// Commits made: (dataset, version).
  std::vector<std::pair<std::string, int64_t>> commits;
  int64_t files_removed = 0;
  int64_t rows_removed = 0;
  int64_t files_moved = 0;
  int64_t bytes_moved = 0;
};

/// Applies the lifecycle rules of options.root to every dataset they match.
Result<LifecycleReport> RunLifecycle(const LifecycleOptions& options);

}  // namespace systore
