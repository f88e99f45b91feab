// The PostgreSQL backend: a pool of libpq connections; each Transact() is one
// PostgreSQL transaction (READ COMMITTED, with SELECT ... FOR UPDATE on the order row
// for read-modify-write, atomic upserts for positions). Deadlocks and serialization
// failures come back as a retryable Conflict and OperationalStore::Transact retries.
// Concurrent commits share WAL flushes in the server itself.
#include <mutex>

#include "operational/backends_internal.h"
#include "operational/postgres/pg_session.h"
#include "operational/sql_transaction.h"

namespace systore::operational {
namespace {

class PgStore final : public OperationalStore {
 public:
  PgStore(const OperationalStoreOptions& options, std::string conninfo)
      : OperationalStore(options), conninfo_(std::move(conninfo)) {}

  std::string_view backend_name() const override { return "postgresql"; }

  Result<std::unique_ptr<PgSession>> Acquire() {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!idle_.empty()) {
        auto s = std::move(idle_.back());
        idle_.pop_back();
        return s;
      }
    }
    return PgSession::Open(conninfo_, options().durable);
  }

  void Release(std::unique_ptr<PgSession> s) {
    if (!s->healthy()) return;
    std::lock_guard<std::mutex> l(mu_);
    if (static_cast<int>(idle_.size()) < options().max_connections) idle_.push_back(std::move(s));
  }

 private:
  using Fn = std::function<Status(Transaction&)>;

  Status Run(const Fn& fn, const char* begin, bool read_only) {
    SYSTORE_ASSIGN_OR_RAISE(auto session, Acquire());
    Status st = session->ExecScript(begin);
    if (st.ok()) {
      SqlTransaction txn(*session, options().actor, read_only);
      try {
        st = fn(txn);
      } catch (const std::exception& e) {
        st = Status::Internal(std::string("exception inside Transact(): ") + e.what());
      }
      if (st.ok()) {
        st = session->ExecScript("COMMIT");
      } else {
        (void)session->ExecScript("ROLLBACK");
      }
    }
    Release(std::move(session));
    return st;
  }

  Status DoTransact(const Fn& fn) override { return Run(fn, "BEGIN", false); }
  Status DoRead(const Fn& fn) override { return Run(fn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", true); }

  std::string conninfo_;
  std::mutex mu_;
  std::vector<std::unique_ptr<PgSession>> idle_;
};

}  // namespace

Result<std::unique_ptr<OperationalStore>> OpenPostgresStore(const OperationalStoreOptions& options,
                                                            const std::string& conninfo) {
  auto store = std::make_unique<PgStore>(options, conninfo);
  SYSTORE_ASSIGN_OR_RAISE(auto s, store->Acquire());
  // Several processes may open the same database at once: serialize schema creation.
  SYSTORE_RETURN_NOT_OK(
      s->ExecScript("BEGIN; SELECT pg_advisory_xact_lock(727274); " + Schema(Dialect::kPostgres) + " COMMIT;")
          .WithContext("creating the operational schema"));
  store->Release(std::move(s));
  return std::unique_ptr<OperationalStore>(std::move(store));
}

}  // namespace systore::operational
