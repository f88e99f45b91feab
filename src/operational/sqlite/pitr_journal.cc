#include "operational/sqlite/pitr_journal.h"

#include <cstring>
#include <memory>

#include "core/file_util.h"

namespace systore::operational {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Status SqliteError(sqlite3* db, int rc, const std::string& what) {
  return Status::IOError(what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

Result<DbPtr> OpenDb(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return SqliteError(raw, rc, "cannot open SQLite database " + path);
  sqlite3_busy_timeout(raw, 30000);
  return db;
}

Status Exec(sqlite3* db, const std::string& sql, const std::string& where) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::OK();
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return Status::IOError(where + ": " + msg);
}

Result<StmtPtr> Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, std::string("prepare ") + sql);
  return StmtPtr(s);
}

bool HasJournal(sqlite3* db) {
  auto st = Prepare(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='pitr_journal'");
  return st.ok() && sqlite3_step(st->get()) == SQLITE_ROW;
}

// The journal table records itself nowhere; SQLite's own tables have no primary key and
// are skipped by sessions anyway.
int JournalTableFilter(void*, const char* table) {
  return std::strcmp(table, kPitrJournalTable) != 0 && std::strncmp(table, "sqlite_", 7) != 0;
}

int AbortOnConflict(void*, int, sqlite3_changeset_iter*) { return SQLITE_CHANGESET_ABORT; }

Result<JournalPosition> HeadOf(sqlite3* db) {
  JournalPosition pos;
  if (!HasJournal(db)) return pos;
  SYSTORE_ASSIGN_OR_RAISE(auto st, Prepare(db, "SELECT seq, committed_at FROM pitr_journal ORDER BY seq DESC LIMIT 1"));
  if (sqlite3_step(st.get()) == SQLITE_ROW) {
    pos.seq = sqlite3_column_int64(st.get(), 0);
    pos.committed_at = sqlite3_column_int64(st.get(), 1);
    return pos;
  }
  // An emptied (trimmed) journal still knows its position: AUTOINCREMENT's counter.
  auto seq = Prepare(db, "SELECT seq FROM sqlite_sequence WHERE name = 'pitr_journal'");
  if (seq.ok() && sqlite3_step(seq->get()) == SQLITE_ROW) pos.seq = sqlite3_column_int64(seq->get(), 0);
  return pos;
}

}  // namespace

PitrJournalWriter::~PitrJournalWriter() {
  if (session_) sqlite3session_delete(session_);
}

Status PitrJournalWriter::Begin() {
  if (session_) sqlite3session_delete(session_);
  session_ = nullptr;
  int rc = sqlite3session_create(db_, "main", &session_);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "pitr journal: sqlite3session_create");
  sqlite3session_table_filter(session_, JournalTableFilter, nullptr);
  rc = sqlite3session_attach(session_, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "pitr journal: sqlite3session_attach");
  return Status::OK();
}

Status PitrJournalWriter::Record() {
  if (!session_) return Status::Internal("pitr journal: Record() without Begin()");
  int size = 0;
  void* data = nullptr;
  int rc = sqlite3session_changeset(session_, &size, &data);
  std::unique_ptr<void, decltype(&sqlite3_free)> owned(data, sqlite3_free);
  sqlite3session_delete(session_);
  session_ = nullptr;
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "pitr journal: sqlite3session_changeset");
  if (size == 0) return Status::OK();
  // Strictly increasing times within a process, so "up to time T" cuts between entries.
  Timestamp now = std::max(Now(), last_ + 1);
  last_ = now;
  SYSTORE_ASSIGN_OR_RAISE(auto st, Prepare(db_, "INSERT INTO pitr_journal (committed_at, changeset) VALUES (?, ?)"));
  sqlite3_bind_int64(st.get(), 1, now);
  sqlite3_bind_blob(st.get(), 2, data, size, SQLITE_STATIC);
  rc = sqlite3_step(st.get());
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, "pitr journal: insert");
  // Now and then, the oldest entries past the retention go (at most 1000, found through
  // the primary key: no scan of the whole journal).
  if (retention_ns_ > 0 && ++recorded_ % 256 == 0) {
    SYSTORE_ASSIGN_OR_RAISE(auto del, Prepare(db_,
                                              "DELETE FROM pitr_journal WHERE seq <= (SELECT max(seq) FROM (SELECT seq, "
                                              "committed_at FROM pitr_journal ORDER BY seq LIMIT 1000) WHERE "
                                              "committed_at < ?)"));
    sqlite3_bind_int64(del.get(), 1, now - retention_ns_);
    rc = sqlite3_step(del.get());
    if (rc != SQLITE_DONE) return SqliteError(db_, rc, "pitr journal: age out");
  }
  return Status::OK();
}

Result<JournalPosition> PitrJournalHead(const std::string& db_path) {
  SYSTORE_ASSIGN_OR_RAISE(auto db, OpenDb(db_path, SQLITE_OPEN_READONLY));
  return HeadOf(db.get());
}

Status SqliteOnlineBackup(const std::string& source, const std::string& dest) {
  if (PathExists(dest)) return Status::AlreadyExists("backup target " + dest + " exists");
  SYSTORE_ASSIGN_OR_RAISE(auto src, OpenDb(source, SQLITE_OPEN_READONLY));
  SYSTORE_ASSIGN_OR_RAISE(auto dst, OpenDb(dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (!b) return SqliteError(dst.get(), SQLITE_ERROR, "sqlite3_backup_init " + source);
  // One step copies every page under one read transaction: a consistent snapshot even
  // while the live store commits (WAL mode lets writers go on meanwhile).
  int rc = sqlite3_backup_step(b, -1);
  while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    sqlite3_sleep(10);
    rc = sqlite3_backup_step(b, -1);
  }
  int fin = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return SqliteError(dst.get(), rc, "online backup of " + source);
  if (fin != SQLITE_OK) return SqliteError(dst.get(), fin, "online backup of " + source);
  // A self-contained file: no -wal beside it.
  SYSTORE_RETURN_NOT_OK(Exec(dst.get(), "PRAGMA journal_mode=DELETE", "backup copy " + dest));
  dst.reset();
  return FsyncPath(dest);
}

Result<JournalReplay> ReplayPitrJournal(const std::string& target_db, const std::string& source_db, Timestamp until) {
  SYSTORE_ASSIGN_OR_RAISE(auto target, OpenDb(target_db, SQLITE_OPEN_READWRITE));
  SYSTORE_ASSIGN_OR_RAISE(auto source, OpenDb(source_db, SQLITE_OPEN_READONLY));
  SYSTORE_ASSIGN_OR_RAISE(JournalPosition head, HeadOf(target.get()));
  JournalReplay out;
  out.last = head;
  if (!HasJournal(source.get())) return out;
  SYSTORE_ASSIGN_OR_RAISE(auto read, Prepare(source.get(),
                                             "SELECT seq, committed_at, changeset FROM pitr_journal WHERE seq > ? "
                                             "ORDER BY seq"));
  sqlite3_bind_int64(read.get(), 1, head.seq);
  SYSTORE_ASSIGN_OR_RAISE(auto insert, Prepare(target.get(),
                                               "INSERT INTO pitr_journal (seq, committed_at, changeset) VALUES (?, ?, ?)"));
  int64_t expected = head.seq + 1;
  int rc;
  while ((rc = sqlite3_step(read.get())) == SQLITE_ROW) {
    const int64_t seq = sqlite3_column_int64(read.get(), 0);
    const Timestamp at = sqlite3_column_int64(read.get(), 1);
    if (at > until) break;
    if (seq != expected) {
      return Status::Corruption("pitr journal of " + source_db + " has no entry " + std::to_string(expected) +
                                " (next is " + std::to_string(seq) + "): it was trimmed past the backup");
    }
    const void* blob = sqlite3_column_blob(read.get(), 2);
    const int size = sqlite3_column_bytes(read.get(), 2);
    SYSTORE_RETURN_NOT_OK(Exec(target.get(), "BEGIN IMMEDIATE", "replaying journal"));
    int arc = sqlite3changeset_apply(target.get(), size, const_cast<void*>(blob), nullptr, AbortOnConflict, nullptr);
    if (arc != SQLITE_OK) {
      (void)Exec(target.get(), "ROLLBACK", "replaying journal");
      return Status::Corruption("pitr journal entry " + std::to_string(seq) + " of " + source_db +
                                " does not apply to the restored copy (" + sqlite3_errstr(arc) +
                                "): the backup is not the one this journal continues");
    }
    sqlite3_reset(insert.get());
    sqlite3_bind_int64(insert.get(), 1, seq);
    sqlite3_bind_int64(insert.get(), 2, at);
    sqlite3_bind_blob(insert.get(), 3, blob, size, SQLITE_TRANSIENT);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) {
      Status st = SqliteError(target.get(), SQLITE_ERROR, "replaying journal entry " + std::to_string(seq));
      (void)Exec(target.get(), "ROLLBACK", "replaying journal");
      return st;
    }
    SYSTORE_RETURN_NOT_OK(Exec(target.get(), "COMMIT", "replaying journal"));
    ++out.entries;
    out.last = {seq, at};
    expected = seq + 1;
    head.seq = seq;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqliteError(source.get(), rc, "reading the journal of " + source_db);
  return out;
}

Result<int64_t> TrimPitrJournal(const std::string& db_path, int64_t upto) {
  SYSTORE_ASSIGN_OR_RAISE(auto db, OpenDb(db_path, SQLITE_OPEN_READWRITE));
  if (!HasJournal(db.get())) return int64_t{0};
  SYSTORE_ASSIGN_OR_RAISE(auto st, Prepare(db.get(), "DELETE FROM pitr_journal WHERE seq <= ?"));
  sqlite3_bind_int64(st.get(), 1, upto);
  int rc = sqlite3_step(st.get());
  if (rc != SQLITE_DONE) return SqliteError(db.get(), rc, "trimming the journal of " + db_path);
  return static_cast<int64_t>(sqlite3_changes(db.get()));
}

}  // namespace systore::operational
