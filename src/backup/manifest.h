// A backup's manifest: what one backup restores, file by file, and the position of each
// store in its own log. Format: docs/formats/backup_manifest.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "systore/backup.h"
#include "systore/result.h"

namespace systore::backup {

inline constexpr int kManifestFormat = 1;

/// What a file is, which decides how it is captured and restored.
enum class FileKind {
  kTsLog,         // <dataset>/_delta_log/<version>.json
  kTsCheckpoint,  // <dataset>/_systore/checkpoint-<version>.json
  kTsData,        // a Parquet data file of a captured version
  kTsWal,         // <dataset>/_wal/<seq>.wal, copied while appends go on
  kOperational,   // the SQLite database (an online-backup copy)
  kReferenceLog,  // reference/changelog.jsonl up to the captured version
  kReferenceTable,
  kConfig,  // systore.yaml, quality.json
  kOther,   // quarantine, snapshots, reports
};
const char* FileKindName(FileKind kind);

struct ManifestFile {
  std::string path;  // relative to the root, '/'-separated
  FileKind kind = FileKind::kOther;
  int64_t size = 0;
  std::string sha256;
  int64_t mtime_ns = 0;  // of the live file; lets the next backup skip rehashing immutable files
};

struct ManifestDataset {
  int64_t version = -1;
  uint64_t wal_flushed_seq = 0;
  int64_t wal_segments = 0;
};

struct ManifestOperational {
  std::string backend;   // "sqlite" or "postgresql"
  std::string path;      // SQLite: the database file; PostgreSQL: the base backup's directory (relative to the root)
  std::string database;  // PostgreSQL: the database the store uses
  std::string position;  // PostgreSQL: the base backup's start LSN
  int64_t journal_seq = 0;
  Timestamp journal_committed_at = 0;
};

struct ManifestReference {
  int64_t version = 0;
  std::string head_hash;
  Timestamp head_time = 0;
};

struct Manifest {
  std::string id;
  std::string label;
  std::string tier;
  std::string root;  // the live root it was taken from
  Timestamp started_at = 0;
  Timestamp captured_at = 0;
  double seconds = 0;
  int64_t files_copied = 0;
  int64_t bytes_copied = 0;
  std::map<std::string, ManifestDataset> datasets;
  ManifestOperational operational;  // backend empty: the root has no operational store
  ManifestReference reference;
  std::vector<ManifestFile> files;

  int64_t TotalBytes() const;
  BackupInfo Info() const;
};

/// Repository key of a file's content.
std::string ObjectKey(const std::string& sha256);

std::string ManifestToJson(const Manifest& m);
/// Parses and checks a manifest; Corruption naming `source` and the member at fault.
Result<Manifest> ManifestFromJson(const std::string& text, const std::string& source);

}  // namespace systore::backup
