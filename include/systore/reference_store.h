// ReferenceStore: versioned reference data (instruments, roll parameters, spread costs,
// holidays, exchanges, configuration) kept as git-friendly CSV files with an append-only,
// hash-chained change log, under <root>/reference/:
//
//   <root>/reference/
//     instruments.csv  roll_config.csv  ...   canonical CSV, one file per table
//     changelog.jsonl                         one JSON entry per version, hash-chained
//     LOCK                                    flock(2): writers exclusive
//     PENDING                                 present only while a write is in flight
//
// Every change is a new version: the new CSV files are written (temp file, fsync, rename)
// and the change-log entry is appended last; the entry is the commit point. Readers
// build their state from the log, so they see whole versions only, in any process.
// A writer killed mid-write leaves PENDING; the next writer (or Open) puts the files
// back to the last committed version. Formats: docs/formats/reference_change_log.md.
//
// Thread-safety: all methods may be called from several threads. Several processes may
// open the same root; writes are serialised by the lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "systore/reference_change.h"
#include "systore/reference_table.h"
#include "systore/result.h"
#include "systore/time.h"

namespace systore {

struct ReferenceStoreOptions {
  /// Store root; the reference data lives in <root>/reference.
  std::string root;
  /// Create <root>/reference when it does not exist (else Open fails with NotFound).
  bool create_if_missing = true;
  /// Lookups through the store (Get, GetValue) check for versions committed by another
  /// process at most this often (one stat(2) of the log). 0 checks on every call.
  Timestamp refresh_interval = 100'000'000;  // 100 ms
  /// How long a writer waits for the lock before giving up with Unavailable.
  Timestamp lock_timeout = 30 * kNanosPerSecond;
  /// Open even when a log entry cannot be parsed or replayed: reads then see the versions
  /// before it and writes fail. For Verify (`systore ref verify`).
  bool allow_corrupt_log = false;
};

/// Who makes a change and why; both are recorded in the change log.
struct ChangeContext {
  /// Defaults to $USER (or "unknown") when empty.
  std::string actor;
  /// Required: a change without a reason is rejected.
  std::string reason;
};

/// All tables at one version. Immutable; share it freely between threads.
class ReferenceSnapshot {
 public:
  ReferenceSnapshot(int64_t version, Timestamp time, std::vector<std::shared_ptr<const ReferenceTable>> tables);
  /// Version of the last committed change (0: empty store) and its commit time.
  int64_t version() const { return version_; }
  Timestamp time() const { return time_; }
  /// The table, or nullptr when it does not exist at this version.
  const ReferenceTable* table(std::string_view name) const;
  std::shared_ptr<const ReferenceTable> shared_table(std::string_view name) const;
  const std::vector<std::shared_ptr<const ReferenceTable>>& tables() const { return tables_; }

 private:
  int64_t version_;
  Timestamp time_;
  std::vector<std::shared_ptr<const ReferenceTable>> tables_;  // sorted by name
};

/// A file under <root>/reference that does not match the latest logged version.
struct HandEdit {
  std::string table;
  std::string file;
  /// "modified", "deleted" or "untracked" (a CSV file of a built-in table not in the log).
  std::string kind;
};

/// The outcome of Verify().
struct VerifyReport {
  bool ok = true;
  int64_t entries = 0;
  /// Hash of the last entry: record it elsewhere (a git commit, a ticket) to anchor the
  /// chain.
  std::string head_hash;
  /// First entry that fails a check (0: none), its line in the log and what is wrong.
  int64_t first_bad_version = 0;
  int64_t first_bad_line = 0;
  std::vector<std::string> problems;
};

/// What a table looked like at a version, for `ref list`.
struct ReferenceTableInfo {
  std::string name;
  std::string file;
  int64_t rows = 0;
  int64_t columns = 0;
  /// Last version that changed the table.
  int64_t last_version = 0;
  Timestamp last_change = 0;
};

class ReferenceStore {
 public:
  virtual ~ReferenceStore() = default;

  /// Opens (creating if allowed) the reference store under options.root, recovers from an
  /// interrupted write and loads the latest version. Corruption when the log cannot be
  /// parsed (run `systore ref verify` for details).
  static Result<std::unique_ptr<ReferenceStore>> Open(const ReferenceStoreOptions& options);

  // ---- Reads ---------------------------------------------------------------------------

  /// The latest version (refreshed from the log when refresh_interval has passed).
  virtual std::shared_ptr<const ReferenceSnapshot> Current() = 0;
  /// Re-reads the log now and applies versions committed by other processes.
  virtual Status Refresh() = 0;
  /// The current table; NotFound when it does not exist.
  virtual Result<std::shared_ptr<const ReferenceTable>> GetTable(std::string_view table) = 0;
  /// One cell of the current version (a copy); NotFound names the table, key or column.
  virtual Result<std::string> GetValue(std::string_view table, std::string_view key, std::string_view column) = 0;
  /// Tables of the current version.
  virtual Result<std::vector<ReferenceTableInfo>> ListTables() = 0;

  /// The whole store as it was at `version` (1 .. current). NotFound otherwise.
  virtual Result<std::shared_ptr<const ReferenceSnapshot>> AsOfVersion(int64_t version) = 0;
  /// The whole store as it was at time `t`: the last version committed at or before t.
  /// NotFound when t is before the first version.
  virtual Result<std::shared_ptr<const ReferenceSnapshot>> AsOfTime(Timestamp t) = 0;

  /// Change-log entries that touch `table` (all tables when empty), restricted to the
  /// row changes of `key` when given, oldest first.
  virtual Result<std::vector<ReferenceChange>> History(std::string_view table = {}, std::string_view key = {}) = 0;
  /// What changed in `table` from version v1 to v2 (either may be 0: the empty table).
  virtual Result<TableChange> Diff(std::string_view table, int64_t v1, int64_t v2) = 0;

  // ---- Writes: each successful call commits exactly one version and returns it. --------
  // A call that changes nothing returns the current version without a new entry.
  // Bad input (unknown table/column, non-numeric value, unknown currency, duplicate key)
  // gives InvalidArgument naming the file, line and column; nothing is written.
  // Conflict when the table's file was edited by hand (adopt or restore it first).

  /// Sets fields of the row `key`, adding the row when it does not exist (its other
  /// fields empty). `fields` are (column, value); a new column is appended to the table.
  virtual Result<int64_t> Set(std::string_view table, std::string_view key,
                              const std::vector<std::pair<std::string, std::string>>& fields,
                              const ChangeContext& context) = 0;
  /// Removes the row `key`; NotFound when absent.
  virtual Result<int64_t> DeleteRow(std::string_view table, std::string_view key, const ChangeContext& context) = 0;
  /// Replaces `table` by the contents of a CSV file (header + rows).
  virtual Result<int64_t> ImportTable(std::string_view table, const std::string& csv_path,
                                      const ChangeContext& context) = 0;
  /// Imports a pysystemtrade csvconfig folder (instrumentconfig.csv, rollconfig.csv,
  /// spreadcosts.csv, moreinstrumentinfo.csv, and holidays.csv / exchanges.csv /
  /// config.csv when present) as one version. InvalidArgument when none is found.
  virtual Result<int64_t> ImportFolder(const std::string& dir, const ChangeContext& context) = 0;

  /// CSV files that no longer match the latest version (edited outside systore).
  virtual Result<std::vector<HandEdit>> DetectHandEdits() = 0;
  /// Records the current content of a hand-edited file as a new version (after the same
  /// validation as any write) and rewrites it in canonical form.
  virtual Result<int64_t> Adopt(std::string_view table, const ChangeContext& context) = 0;

  /// Checks the hash chain, that versions and times increase, that each entry's recorded
  /// content hashes match the replayed tables, and that the replayed latest version equals
  /// the CSV files. Reports the first bad entry. Never modifies anything.
  virtual Result<VerifyReport> Verify() = 0;
};

}  // namespace systore
