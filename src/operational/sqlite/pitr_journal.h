// The SQLite operational store's point-in-time journal: every committed write
// transaction (a group commit) stores its changeset — SQLite's session extension — in
// the table pitr_journal, inside the same transaction, so it is exactly as durable as the
// commit. A restore rolls a backup copy of the database forward by applying the entries
// after the backup's journal position, in order, up to a time (docs/backup-and-recovery.md).
#pragma once

#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "systore/result.h"
#include "systore/time.h"

namespace systore::operational {

inline constexpr const char* kPitrJournalTable = "pitr_journal";

/// Records the changes of one write transaction. Begin after BEGIN; Record before COMMIT.
class PitrJournalWriter {
 public:
  /// Entries older than `retention_ns` are deleted as new ones come (0: kept).
  PitrJournalWriter(sqlite3* db, int64_t retention_ns) : db_(db), retention_ns_(retention_ns) {}
  ~PitrJournalWriter();
  PitrJournalWriter(const PitrJournalWriter&) = delete;
  PitrJournalWriter& operator=(const PitrJournalWriter&) = delete;

  Status Begin();
  /// Inserts the transaction's changeset (nothing when it changed nothing).
  Status Record();

 private:
  sqlite3* db_;
  sqlite3_session* session_ = nullptr;
  Timestamp last_ = 0;
  int64_t retention_ns_ = 0;
  int64_t recorded_ = 0;
};

/// The newest journal entry of a database (0, 0 when the journal is empty or absent).
struct JournalPosition {
  int64_t seq = 0;
  Timestamp committed_at = 0;
};
Result<JournalPosition> PitrJournalHead(const std::string& db_path);

/// A consistent copy of a live database (SQLite's online backup API, one read snapshot),
/// written to `dest` (which must not exist) and fsynced.
Status SqliteOnlineBackup(const std::string& source, const std::string& dest);

struct JournalReplay {
  int64_t entries = 0;
  JournalPosition last;  // the last entry applied (the copy's position when none)
};
/// Applies the entries of `source_db`'s journal with seq > the target's own head, in seq
/// order, stopping before the first committed after `until`. Each entry is applied and
/// recorded in the target's journal in one transaction; a changeset that conflicts with
/// the target (it is not the backup it claims to follow) is Corruption naming the entry.
Result<JournalReplay> ReplayPitrJournal(const std::string& target_db, const std::string& source_db, Timestamp until);

/// Deletes the journal entries with seq <= `upto` (they are in a kept backup).
Result<int64_t> TrimPitrJournal(const std::string& db_path, int64_t upto);

}  // namespace systore::operational
