// Capturing a live root for a backup: which files, at which version of each store, taken
// while writers go on. Nothing here writes to the live root.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.h"

namespace systore::backup {

struct CapturedFile {
  ManifestFile meta;                   // sha256 is filled when the file is uploaded
  std::string source;                  // a live (immutable) file to read at upload time
  std::optional<std::string> content;  // or bytes captured now (WAL, reference, configs)
};

struct Capture {
  Manifest manifest;  // everything but `files`
  std::vector<CapturedFile> files;
};

/// The live root's operational database when it is SQLite ("" when it has none); an
/// error for backends a backup cannot copy yet.
struct OperationalLocation {
  std::string backend;   // "", "sqlite" or "postgresql"
  std::string path;      // SQLite: the database file, absolute
  std::string relative;  // where it goes in a restored root
  std::string uri;       // PostgreSQL
};
Result<OperationalLocation> LocateOperational(const std::string& root);

/// Datasets under `root` (directories holding a _delta_log), found without opening the
/// store, as TimeSeriesStore::ListDatasets does (no recovery, no writes).
std::vector<std::string> FindDatasets(const std::string& root);

/// Captures every store of `root`. The SQLite copy is written under `scratch_dir`.
Result<Capture> CaptureRoot(const std::string& root, const std::string& scratch_dir);

/// Files of a dataset directory needed to read `state` (its version) and its snapshots'
/// versions: log commits, checkpoints, data files. Paths relative to the dataset dir.
struct DatasetFiles {
  std::vector<std::string> logs, checkpoints, data;
};

}  // namespace systore::backup
