// ReferenceStoreImpl: the CSV + change-log reference store. Split by concern:
// store_open.cc (open, refresh, lock, recovery), store_write.cc (Set, imports, adopt,
// the commit protocol), store_read.cc (lookups, as-of, history, diff, verify).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "reference/change_log.h"
#include "systore/reference_store.h"

namespace systore::reference_internal {

/// flock(2) on <dir>/LOCK, released by the destructor.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path, bool exclusive, Timestamp timeout);
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

using TableMap = std::map<std::string, std::shared_ptr<const ReferenceTable>, std::less<>>;

class ReferenceStoreImpl final : public ReferenceStore {
 public:
  explicit ReferenceStoreImpl(ReferenceStoreOptions options);
  Status Init();

  std::shared_ptr<const ReferenceSnapshot> Current() override;
  Status Refresh() override;
  Result<std::shared_ptr<const ReferenceTable>> GetTable(std::string_view table) override;
  Result<std::string> GetValue(std::string_view table, std::string_view key, std::string_view column) override;
  Result<std::vector<ReferenceTableInfo>> ListTables() override;
  Result<std::shared_ptr<const ReferenceSnapshot>> AsOfVersion(int64_t version) override;
  Result<std::shared_ptr<const ReferenceSnapshot>> AsOfTime(Timestamp t) override;
  Result<std::vector<ReferenceChange>> History(std::string_view table, std::string_view key) override;
  Result<TableChange> Diff(std::string_view table, int64_t v1, int64_t v2) override;

  Result<int64_t> Set(std::string_view table, std::string_view key,
                      const std::vector<std::pair<std::string, std::string>>& fields,
                      const ChangeContext& context) override;
  Result<int64_t> DeleteRow(std::string_view table, std::string_view key, const ChangeContext& context) override;
  Result<int64_t> ImportTable(std::string_view table, const std::string& csv_path,
                              const ChangeContext& context) override;
  Result<int64_t> ImportFolder(const std::string& dir, const ChangeContext& context) override;
  Result<std::vector<HandEdit>> DetectHandEdits() override;
  Result<int64_t> Adopt(std::string_view table, const ChangeContext& context) override;
  Result<VerifyReport> Verify() override;

 private:
  std::string TablePath(std::string_view table) const { return dir_ + "/" + std::string(table) + ".csv"; }
  std::string LogPath() const { return dir_ + "/" + kLogFileName; }
  Result<FileLock> LockExclusive() const;

  /// Reads complete log lines past log_offset_ and applies them. Caller holds mu_.
  Status RefreshLocked();
  /// Truncates a torn last log line and undoes the file writes of an uncommitted version
  /// (PENDING). Caller holds the exclusive file lock.
  Status Recover();
  bool NeedsRecovery() const;

  /// Builds the new content of some tables from the current state; runs validation.
  using Builder = std::function<Result<TableMap>(const LogState& state)>;
  /// The commit protocol (see reference_store.h). `adopting` names tables whose files may
  /// differ from the log (they are being adopted).
  Result<int64_t> Commit(const std::string& operation, const ChangeContext& context, const Builder& build,
                         const std::vector<std::string>& adopting = {});

  /// The tables at `version` (replayed from the in-memory entries).
  Result<LogState> StateAt(int64_t version);
  std::shared_ptr<const ReferenceSnapshot> MakeSnapshot(const LogState& state) const;

  const ReferenceStoreOptions options_;
  const std::string dir_;
  std::mutex mu_;  // guards everything below
  LogState state_;
  std::vector<ReferenceChange> entries_;
  uint64_t log_offset_ = 0;
  uint64_t log_inode_ = 0;
  std::shared_ptr<const ReferenceSnapshot> snapshot_;
  std::atomic<int64_t> next_refresh_{0};  // steady-clock ns
};

/// Parses a CSV file into a table of `schema`, validating columns, keys and typed cells
/// with the file's own line numbers.
Result<std::shared_ptr<const ReferenceTable>> TableFromCsv(const TableSchema& schema, std::string_view text,
                                                           const std::string& source,
                                                           const std::set<std::string, std::less<>>& currencies);

/// Runs row validation on every table of `tables` (after a change), against the
/// currencies of its `config` table. Errors name the canonical file and line.
Status ValidateState(const TableMap& tables, const std::vector<std::string>& changed);

}  // namespace systore::reference_internal
