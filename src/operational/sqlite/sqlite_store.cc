// The SQLite backend: one writer connection behind a group-commit queue, a pool of
// reader connections (WAL lets them read while the writer writes).
//
// Group commit. Each Transact() call enqueues its fn and waits. The first waiting
// thread that finds no leader becomes the leader: it takes up to max_group_size queued
// requests, runs them inside one SQLite transaction, each in its own savepoint (a
// failing fn is rolled back to its savepoint alone), commits once — one WAL fsync
// with synchronous=FULL — and wakes the waiters with their results. While a leader
// commits, new requests pile up and form the next group, so under load the fsync cost
// is shared by many transactions; with one thread, a group is one transaction.
#include <filesystem>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "operational/backends_internal.h"
#include "operational/sql_transaction.h"
#include "operational/sqlite/pitr_journal.h"
#include "operational/sqlite/sqlite_session.h"

namespace systore::operational {
namespace {

class SqliteStore final : public OperationalStore {
 public:
  SqliteStore(const OperationalStoreOptions& options, std::string path, std::unique_ptr<SqliteSession> writer)
      : OperationalStore(options), path_(std::move(path)), writer_(std::move(writer)), journal_(writer_->handle(), options.pitr_journal_retention_hours * 3'600'000'000'000LL) {}

  std::string_view backend_name() const override { return "sqlite"; }

 private:
  using Fn = std::function<Status(Transaction&)>;
  struct Request {
    const Fn* fn;
    Status result;
    bool done = false;
  };

  Status DoTransact(const Fn& fn) override {
    Request req{&fn, Status::OK(), false};
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(&req);
    for (;;) {
      cv_.wait(lock, [&] { return req.done || !leader_; });
      if (req.done) return req.result;
      leader_ = true;
      const size_t max_group = options().group_commit ? static_cast<size_t>(options().max_group_size) : 1;
      std::vector<Request*> group;
      while (!queue_.empty() && group.size() < max_group) {
        group.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      RunGroup(group);
      lock.lock();
      for (Request* r : group) r->done = true;
      leader_ = false;
      cv_.notify_all();
    }
  }

  // Runs on the leader thread, which alone uses writer_.
  void RunGroup(const std::vector<Request*>& group) {
    SqliteSession& w = *writer_;
    Status begin = w.Exec("BEGIN IMMEDIATE");
    if (!begin.ok()) {
      for (Request* r : group) r->result = begin;
      return;
    }
    if (options().pitr_journal) {
      Status j = journal_.Begin();
      if (!j.ok()) {
        (void)w.Exec("ROLLBACK");
        for (Request* r : group) r->result = j;
        return;
      }
    }
    const bool savepoints = group.size() > 1;
    bool aborted = false;  // SQLite rolled the whole transaction back on its own
    for (size_t i = 0; i < group.size(); ++i) {
      Request* r = group[i];
      if (aborted) {
        r->result = Status::Conflict("group commit aborted by another transaction in the group");
        continue;
      }
      if (savepoints) {
        Status sp = w.Exec("SAVEPOINT g");
        if (!sp.ok()) {
          r->result = sp;
          continue;
        }
      }
      SqlTransaction txn(w, options().actor, /*read_only=*/false);
      r->result = RunUserFn(*r->fn, txn);
      if (w.autocommit()) {
        // A hard error (e.g. disk full) ended the transaction: the earlier members of
        // the group are lost too; they may be retried.
        aborted = true;
        for (size_t j = 0; j < i; ++j) {
          if (group[j]->result.ok())
            group[j]->result = Status::Conflict("group commit aborted: " + r->result.ToString());
        }
        if (r->result.ok()) r->result = Status::IOError("transaction rolled back by SQLite");
        continue;
      }
      if (!savepoints) continue;
      Status end = r->result.ok() ? w.Exec("RELEASE g") : w.ExecScript("ROLLBACK TO g; RELEASE g");
      if (!end.ok() && r->result.ok()) r->result = end;
    }
    if (aborted) return;
    if (!savepoints && !group[0]->result.ok()) {
      (void)w.Exec("ROLLBACK");
      return;
    }
    // The group's changes go into the point-in-time journal inside the same transaction.
    Status commit = options().pitr_journal ? journal_.Record() : Status::OK();
    if (commit.ok()) commit = w.Exec("COMMIT");
    if (!commit.ok()) {
      (void)w.ExecScript("ROLLBACK");
      for (Request* r : group) {
        if (r->result.ok()) r->result = commit.WithContext("commit failed");
      }
    }
  }

  static Status RunUserFn(const Fn& fn, Transaction& txn) {
    try {
      return fn(txn);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("exception inside Transact(): ") + e.what());
    }
  }

  Status DoRead(const Fn& fn) override {
    SYSTORE_ASSIGN_OR_RAISE(auto session, AcquireReader());
    Status st = session->Exec("BEGIN");
    if (st.ok()) {
      SqlTransaction txn(*session, options().actor, /*read_only=*/true);
      st = RunUserFn(fn, txn);
      Status end = session->Exec(st.ok() ? "COMMIT" : "ROLLBACK");
      if (st.ok()) st = end;
    }
    ReleaseReader(std::move(session));
    return st;
  }

  Result<std::unique_ptr<SqliteSession>> AcquireReader() {
    {
      std::lock_guard<std::mutex> l(readers_mu_);
      if (!readers_.empty()) {
        auto s = std::move(readers_.back());
        readers_.pop_back();
        return s;
      }
    }
    SqliteSession::Config c;
    c.durable = options().durable;
    c.busy_timeout_ms = options().busy_timeout_ms;
    c.read_only = true;
    return SqliteSession::Open(path_, c);
  }

  void ReleaseReader(std::unique_ptr<SqliteSession> s) {
    std::lock_guard<std::mutex> l(readers_mu_);
    if (static_cast<int>(readers_.size()) < options().max_connections) readers_.push_back(std::move(s));
  }

  std::string path_;
  std::unique_ptr<SqliteSession> writer_;
  PitrJournalWriter journal_;  // used by the leader thread only, as writer_
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request*> queue_;
  bool leader_ = false;
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteSession>> readers_;
};

}  // namespace

Result<std::unique_ptr<OperationalStore>> OpenSqliteStore(const OperationalStoreOptions& options,
                                                          const std::string& path) {
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create directory " + dir.string() + ": " + ec.message());
  SqliteSession::Config c;
  c.durable = options.durable;
  c.busy_timeout_ms = options.busy_timeout_ms;
  SYSTORE_ASSIGN_OR_RAISE(auto writer, SqliteSession::Open(path, c));
  SYSTORE_RETURN_NOT_OK(writer->ExecScript("BEGIN IMMEDIATE; " + Schema(Dialect::kSqlite) +
                                            " CREATE TABLE IF NOT EXISTS " + kPitrJournalTable +
                                            " (seq INTEGER PRIMARY KEY AUTOINCREMENT, committed_at BIGINT NOT NULL,"
                                            " changeset BLOB NOT NULL); COMMIT;")
                            .WithContext("creating the operational schema in " + path));
  return std::unique_ptr<OperationalStore>(new SqliteStore(options, path, std::move(writer)));
}

}  // namespace systore::operational
