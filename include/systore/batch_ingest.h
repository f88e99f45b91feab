// Batch ingest: whole folders of files into the time-series store, through the quality
// gate, one commit per dataset.
//
//   BatchIngest::ImportPysystemtrade(dir) imports a pysystemtrade data folder:
//     adjusted_prices_csv/          -> prices/adjusted        (key = file name)
//     multiple_prices_csv/          -> prices/multiple
//     fx_prices_csv/                -> fx/spot
//     contract_prices_csv/ (or futures_contract_prices_csv/)
//                                   -> prices/contract_daily  (SOFR_20240300.csv -> SOFR/20240300)
//     contract_prices_hourly_csv/   -> prices/contract_hourly
//     csvconfig/                    -> reference tables (ReferenceStore::ImportFolder)
//   BatchIngest::ImportFiles(dataset, paths, mapping, mode) imports CSV/Parquet drops
//     (`systore ingest files` and `systore ts import`).
//   BatchIngest::ImportTables(dataset, tables, mode) imports in-memory tables the same way.
//
// Each file is read leniently (a bad line becomes a finding, not a failed import), the
// rows not yet stored (after the last stored timestamp: pysystemtrade's "newer only")
// are validated with the stored tail as the seam, the gate's policy decides, and the
// accepted rows of every series of a dataset are merged in one commit. Re-running the
// same import therefore adds nothing and creates no version; a folder with one new day
// per file adds exactly those rows. An ImportMode other than the default (replace,
// append, merge overwriting or filling gaps) hands every row of the input to the gate
// and the store applies it that way; the seam is then the stored rows before the
// input's first timestamp (none for a replace: a new history, judged as a first import).
//
// Thread-safety: one BatchIngest runs one import at a time; it parses and validates files
// in parallel internally.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "systore/quality.h"
#include "systore/quality_config.h"
#include "systore/result.h"
#include "systore/timeseries_store.h"

namespace systore {

class QualityGate;

/// How the columns of a dropped file map onto a series.
struct ColumnMapping {
  /// The timestamp column ("" = the first column of a CSV file, the first timestamp
  /// column of a Parquet file).
  std::string timestamp_column;
  /// Source column -> stored column name (e.g. "Last" -> "CLOSE").
  std::map<std::string, std::string> rename;
  /// Value columns to keep, by stored name (empty = all).
  std::vector<std::string> columns;
  /// The series key for every file ("" = the file name without extension).
  std::string key;
  /// CSV columns read as text (besides names ending in _CONTRACT).
  std::vector<std::string> string_columns;
  /// "" = by file extension; "csv" or "parquet" reads every file as that (a directory
  /// then yields only files with that extension).
  std::string format;
};

/// How an import's accepted rows meet the stored series (default: merge newer-only).
struct ImportMode {
  /// kMerge, kAppend (rows must follow the last stored row) or kWrite (replace the series).
  SeriesUpdate::Op op = SeriesUpdate::Op::kMerge;
  MergeMode merge_mode = MergeMode::kNewerOnly;
  /// Overrides the dataset's duplicates policy (quality.json) for this import.
  std::optional<DuplicatePolicy> duplicates;
  /// For a dataset that does not exist yet (default: DatasetOptions::ForName).
  std::optional<SeriesKind> kind;
  std::optional<PartitionGranularity> partition;

  /// True for the default: rows at or before the last stored row are already imported.
  bool newer_only() const { return op == SeriesUpdate::Op::kMerge && merge_mode == MergeMode::kNewerOnly; }
};

struct BatchIngestOptions {
  /// Store root.
  std::string root;
  /// Write into this open store (not owned; it must outlive the BatchIngest) instead of
  /// opening the one at `root`: a process holds one writer per dataset.
  TimeSeriesStore* store = nullptr;
  /// Parse/validate threads (0 = one per core).
  int threads = 0;
  /// Run the validators (off only to measure their cost; sorting and duplicate
  /// resolution still happen).
  bool validate = true;
  /// Stored rows read before the first new row, for the spike and gap seams (the spike
  /// rule's EWMA has span 500).
  int64_t history_rows = 600;
  /// CSV lines longer than this are findings, not parsed (a corrupt file's "huge line").
  int64_t max_line_bytes = 1 << 20;
  /// Called after each file is parsed and validated (from one thread at a time).
  std::function<void(int64_t done, int64_t total)> progress;
  /// Recorded as the actor of reference changes and quarantine entries ("" = $USER).
  std::string actor;
  /// Fixed "now" for the future-dated rule (0 = wall clock); for tests.
  Timestamp now = 0;
};

/// One series handed over as a table (ts + value columns, arrival order), e.g. from
/// Python's `ts.ingest`.
struct TableInput {
  std::string key;
  std::shared_ptr<arrow::Table> data;
  /// Named in findings and quarantine entries ("" = the key); rows are numbered from 1.
  std::string source;
};

/// What importing one dataset did.
struct DatasetIngestSummary {
  std::string dataset;
  int64_t files = 0;
  int64_t series = 0;
  int64_t rows_read = 0;
  /// Rows at or before the last stored row, not considered (already imported).
  int64_t rows_already_stored = 0;
  /// Rows identical to rows kept in the quarantine (pending or dropped): not re-judged.
  int64_t rows_already_quarantined = 0;
  int64_t rows_added = 0;
  int64_t rows_quarantined = 0;
  /// What the store did with the accepted rows of a merge (see WriteResult): identical to
  /// stored rows, different from stored rows and kept out (newer-only, fill-gaps),
  /// replaced or removed (overwrite, write).
  int64_t rows_unchanged = 0;
  int64_t rows_conflicting = 0;
  int64_t rows_removed = 0;
  /// Series whose batch was rejected (critical finding or policy reject).
  std::vector<std::string> rejected;
  /// Findings per rule (all severities).
  std::map<std::string, int64_t> findings_by_rule;
  /// The findings of severity error and critical, for reports.
  std::vector<Finding> serious_findings;
  /// The commit created, or -1 when nothing changed.
  int64_t version = -1;
  double seconds = 0;
};

struct IngestSummary {
  std::vector<DatasetIngestSummary> datasets;
  /// Reference version after importing csvconfig (-1: no csvconfig folder).
  int64_t reference_version = -1;
  std::string reference_error;  // why the csvconfig import failed, if it did
  double seconds = 0;
  int64_t rows_added() const;
  int64_t rows_quarantined() const;
  std::map<std::string, int64_t> findings_by_rule() const;
};

class BatchIngest {
 public:
  /// Opens the store, the quality gate and the reference store under options.root.
  static Result<std::unique_ptr<BatchIngest>> Open(const BatchIngestOptions& options);
  virtual ~BatchIngest() = default;

  /// Imports a pysystemtrade data folder (see the header comment). InvalidArgument when
  /// `dir` holds none of the known sub-folders.
  virtual Result<IngestSummary> ImportPysystemtrade(const std::string& dir) = 0;
  /// Imports CSV and/or Parquet files (directories are expanded to their .csv/.parquet
  /// files) into `dataset`, one series per file, one commit.
  virtual Result<DatasetIngestSummary> ImportFiles(const std::string& dataset, const std::vector<std::string>& paths,
                                                   const ColumnMapping& mapping = {}, const ImportMode& mode = {}) = 0;
  /// Imports tables through the same path as files (the gate, one commit).
  virtual Result<DatasetIngestSummary> ImportTables(const std::string& dataset, const std::vector<TableInput>& tables,
                                                    const ImportMode& mode = {}) = 0;
  /// Number of files ImportPysystemtrade(dir) would read (for progress bars).
  static int64_t CountPysystemtradeFiles(const std::string& dir);

  virtual TimeSeriesStore* store() = 0;
  virtual QualityGate* gate() = 0;
};

}  // namespace systore
