// The MongoDB backend (libmongoc). Every Transact() buffers its writes in a
// DocumentView and commits them as ONE journal document, `journal._id = N+1` where N is
// the newest entry it saw: the unique _id makes concurrent writers serialize (the
// loser gets a retryable Conflict and reruns), and the insert is the commit point.
// The entry is then applied to the collections, each document stamped with version
// N+1 so a late or repeated apply never overwrites newer data; a transaction that finds
// the newest entry possibly unapplied (a crashed writer's) applies it before it reads.
//
// Atomicity, two modes (docs/operational-store.md):
//   transactions (default): the server must run multi-document transactions (replica
//     set or mongos). The journal insert, the apply and the head update run in one
//     client-session transaction (read concern snapshot, write concern majority).
//     Servers that cannot are refused with a clear error.
//   journal (`?systoreAtomicity=journal`): for servers without transactions (a
//     standalone mongod, FerretDB). The journal insert alone is atomic (one document,
//     write concern j:true); readers check afterwards that no newer entry appeared
//     while they read, and retry when one did. Readers that bypass systore can see an
//     entry half-applied, which is why this mode is opt-in.
#include <mongoc/mongoc.h>

#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "operational/backends_internal.h"
#include "operational/mongo/document_view.h"
#include "operational/mongo/mongo_connection.h"
#include "operational/mongo/mongo_transaction.h"

namespace systore::operational {
namespace {

constexpr const char* kJournal = "journal";
constexpr const char* kMeta = "meta";
constexpr const char* kHeadId = "journal_head";

// Secondary indexes for the access patterns (the primary keys are the _ids).
struct IndexSpec {
  const char* collection;
  const char* name;
  const char* key;  // JSON text: key order matters
};
constexpr IndexSpec kIndexes[] = {
    {"orders", "strategy_status", R"({"strategy": 1, "status": 1})"},
    {"orders", "instrument_created", R"({"instrument": 1, "created_at": 1})"},
    {"orders", "status", R"({"status": 1})"},
    {"orders", "parent", R"({"parent_id": 1})"},
    {"fills", "order_time", R"({"order_id": 1, "time": 1})"},
    {"trades", "strategy_instrument", R"({"strategy": 1, "instrument": 1})"},
    {"audit_log", "seq", R"({"seq": 1})"},
};

int64_t SeqOf(const Json& doc, const char* field) {
  auto it = doc.find(field);
  return it == doc.end() || !it->is_number() ? 0 : it->get<int64_t>();
}

class PooledClient {
 public:
  explicit PooledClient(mongoc_client_pool_t* pool) : pool_(pool), client_(mongoc_client_pool_pop(pool)) {}
  ~PooledClient() { mongoc_client_pool_push(pool_, client_); }
  mongoc_client_t* get() const { return client_; }

 private:
  mongoc_client_pool_t* pool_;
  mongoc_client_t* client_;
};

class MongoStore final : public OperationalStore {
 public:
  MongoStore(const OperationalStoreOptions& options, mongoc_client_pool_t* pool, std::string db, bool server_txn,
             Json journal_write_concern)
      : OperationalStore(options),
        pool_(pool),
        db_(std::move(db)),
        server_txn_(server_txn),
        journal_write_concern_(std::move(journal_write_concern)) {}
  ~MongoStore() override { mongoc_client_pool_destroy(pool_); }

  std::string_view backend_name() const override { return "mongodb"; }

  // Creates the indexes that do not exist yet. (Only the missing ones: FerretDB 1.24
  // drops the connection when asked to create a compound index that already exists.)
  Status CreateIndexes() {
    PooledClient client(pool_);
    MongoConnection conn(client.get(), db_, nullptr);
    std::map<std::string, std::set<std::string>> existing;
    for (const IndexSpec& index : kIndexes) {
      if (existing.contains(index.collection)) continue;
      auto& names = existing[index.collection];
      auto listed = conn.Command(std::string(R"({"listIndexes": ")") + index.collection + R"("})");
      if (!listed.ok()) continue;  // no collection yet (NamespaceNotFound): no indexes
      for (const Json& i : (*listed)["cursor"]["firstBatch"]) names.insert(i.value("name", ""));
    }
    for (const IndexSpec& index : kIndexes) {
      if (existing[index.collection].contains(index.name)) continue;
      const std::string cmd = std::string(R"({"createIndexes": ")") + index.collection + R"(", "indexes": [{"key": )" +
                              index.key + R"(, "name": ")" + index.name + R"("}]})";
      SYSTORE_RETURN_NOT_OK(conn.Command(cmd).status());
    }
    return Status::OK();
  }

 private:
  using Fn = std::function<Status(Transaction&)>;

  Status DoTransact(const Fn& fn) override {
    // Writers of one process take turns: they would only make each other retry.
    std::lock_guard<std::mutex> lock(writer_mu_);
    return Run(fn, /*read_only=*/false);
  }
  Status DoRead(const Fn& fn) override { return Run(fn, /*read_only=*/true); }

  // Brings this handle up to the newest journal entry and returns its sequence number.
  // Writers publish `meta.journal_head` after inserting their entry and before applying
  // it, and insert entry N+1 only after entry N was applied; so the entry the head names
  // is the only one that can be unapplied, and applying it again is harmless
  // (ApplyVersioned). Point lookups only: a miss can cost a collection scan (FerretDB).
  Result<int64_t> RollForward(MongoConnection& conn) {
    if (server_txn_) {
      // Entry, head and apply commit together: nothing is ever half-applied. (So one
      // database must not be shared with handles in journal mode.)
      SYSTORE_ASSIGN_OR_RAISE(const int64_t head, ReadHead(conn));
      Advance(head);
      return head;
    }
    if (rescan_.exchange(false)) return ApplyNewest(conn);
    SYSTORE_ASSIGN_OR_RAISE(const int64_t head, ReadHead(conn));
    if (head <= known_.load()) return known_.load();
    SYSTORE_ASSIGN_OR_RAISE(auto entry, conn.Find(kJournal, {{"_id", PaddedId(head)}}, {}, 1));
    if (entry.empty())
      return Status::Corruption("journal entry " + std::to_string(head) + " named by the head is missing");
    // No payload: a newer entry exists and stripped it, so this one is applied.
    if (entry[0].contains("writes")) SYSTORE_RETURN_NOT_OK(conn.ApplyVersioned(entry[0]["writes"], head));
    Advance(head);
    return head;
  }

  Result<int64_t> ReadHead(MongoConnection& conn) {
    SYSTORE_ASSIGN_OR_RAISE(auto docs, conn.Find(kMeta, {{"_id", kHeadId}}, {}, 1));
    return docs.empty() ? int64_t{0} : SeqOf(docs[0], "seq");
  }

  // After a writer died between its journal insert and publishing the head: find the
  // newest entry the slow way (a sort), apply it and publish it.
  Result<int64_t> ApplyNewest(MongoConnection& conn) {
    SYSTORE_ASSIGN_OR_RAISE(auto newest, conn.Find(kJournal, Json::object(), {{"_id", -1}}, 1));
    if (newest.empty()) return int64_t{0};
    const int64_t seq = SeqOf(newest[0], "seq");
    SYSTORE_RETURN_NOT_OK(PublishHead(conn, seq));
    if (newest[0].contains("writes")) SYSTORE_RETURN_NOT_OK(conn.ApplyVersioned(newest[0]["writes"], seq));
    Advance(seq);
    return seq;
  }

  Status PublishHead(MongoConnection& conn, int64_t seq) {
    Status st = conn.UpdateOne(kMeta, {{"_id", kHeadId}}, {{"$max", {{"seq", seq}}}}, /*upsert=*/true);
    // Two first publishers both upsert; the loser's insert collides, and the document
    // now exists, so its update matches (some servers retry this themselves).
    if (st.code() == StatusCode::kAlreadyExists) {
      st = conn.UpdateOne(kMeta, {{"_id", kHeadId}}, {{"$max", {{"seq", seq}}}}, /*upsert=*/true);
    }
    return st;
  }

  void Advance(int64_t seq) {
    int64_t cur = known_.load();
    while (cur < seq && !known_.compare_exchange_weak(cur, seq)) {
    }
  }

  // Journal mode: true when a transaction committed after `head` (what was read may mix
  // states, so the caller must rerun).
  Result<bool> NewerCommitExists(MongoConnection& conn, int64_t head) {
    SYSTORE_ASSIGN_OR_RAISE(const int64_t now, ReadHead(conn));
    return now > head;
  }

  Status Run(const Fn& fn, bool read_only) {
    PooledClient client(pool_);
    bson_error_t error;
    std::unique_ptr<mongoc_client_session_t, void (*)(mongoc_client_session_t*)> session(nullptr,
                                                                                         mongoc_client_session_destroy);
    if (server_txn_) {
      session.reset(mongoc_client_start_session(client.get(), nullptr, &error));
      if (!session) return MongoStatus(error, "starting a session");
      mongoc_transaction_opt_t* topts = mongoc_transaction_opts_new();
      mongoc_read_concern_t* rc = mongoc_read_concern_new();
      mongoc_read_concern_set_level(rc, MONGOC_READ_CONCERN_LEVEL_SNAPSHOT);
      mongoc_transaction_opts_set_read_concern(topts, rc);
      mongoc_write_concern_t* wc = mongoc_write_concern_new();
      mongoc_write_concern_set_wmajority(wc, 0);
      mongoc_transaction_opts_set_write_concern(topts, wc);
      const bool started = mongoc_client_session_start_transaction(session.get(), topts, &error);
      mongoc_write_concern_destroy(wc);
      mongoc_read_concern_destroy(rc);
      mongoc_transaction_opts_destroy(topts);
      if (!started) return MongoStatus(error, "starting a transaction");
    }
    MongoConnection conn(client.get(), db_, session.get());
    auto rolled = RollForward(conn);
    if (!rolled.ok()) return rolled.status().WithContext("replaying the journal");
    const int64_t head = *rolled;
    DocumentView view(conn);
    MongoTransaction txn(view, options().actor, read_only);
    Status st;
    try {
      st = fn(txn);
    } catch (const std::exception& e) {
      st = Status::Internal(std::string("exception inside Transact(): ") + e.what());
    }
    if (!st.ok() || read_only || !view.has_writes()) {
      // Nothing to write. In journal mode what fn read (and so what it returns, or the
      // error it failed with) is only trustworthy if nobody committed meanwhile.
      if (!server_txn_) {
        SYSTORE_ASSIGN_OR_RAISE(bool newer, NewerCommitExists(conn, head));
        if (newer) return Status::Conflict("a concurrent transaction committed while this one read; rerunning");
      }
      return st;  // the session's destructor aborts its transaction
    }

    const int64_t seq = head + 1;
    const Json writes = view.Writes();
    // With server transactions nothing is ever replayed: the entry is only the
    // serialization point, without the payload.
    Json entry = {{"_id", PaddedId(seq)}, {"seq", seq}, {"at", Now()}, {"actor", options().actor}};
    if (!server_txn_) entry["writes"] = writes;
    Status ins = conn.InsertOne(kJournal, entry, server_txn_ ? Json(nullptr) : journal_write_concern_);
    if (ins.code() == StatusCode::kAlreadyExists) {
      rescan_ = true;  // the entry's writer may have died before publishing the head
      return Status::Conflict("another writer committed transaction " + std::to_string(seq) + " first; rerunning");
    }
    SYSTORE_RETURN_NOT_OK(ins.WithContext("committing"));
    if (!server_txn_) {
      // Committed. Publishing and applying are redone by the next transaction (of any
      // handle) if this process dies or the server goes away now, so their errors do not
      // undo the commit.
      if (PublishHead(conn, seq).ok() && conn.ApplyVersioned(writes, seq).ok()) {
        Advance(seq);
        // Entry seq-1 was applied before seq was inserted: its payload is no longer
        // needed, only its _id (which keeps late writers from reusing it).
        if (seq > 1)
          (void)conn.UpdateOne(kJournal, {{"_id", PaddedId(seq - 1)}}, {{"$unset", {{"writes", ""}}}}, false);
      } else {
        rescan_ = true;
      }
      return Status::OK();
    }
    SYSTORE_RETURN_NOT_OK(PublishHead(conn, seq));
    SYSTORE_RETURN_NOT_OK(conn.ApplyVersioned(writes, seq));
    SYSTORE_RETURN_NOT_OK(CommitServerTransaction(session.get()));
    Advance(seq);
    return Status::OK();
  }

  static Status CommitServerTransaction(mongoc_client_session_t* session) {
    for (int attempt = 0;; ++attempt) {
      bson_t reply;
      bson_error_t error;
      const bool ok = mongoc_client_session_commit_transaction(session, &reply, &error);
      const bool unknown = !ok && mongoc_error_has_label(&reply, "UnknownTransactionCommitResult");
      const bool transient = !ok && mongoc_error_has_label(&reply, "TransientTransactionError");
      bson_destroy(&reply);
      if (ok) return Status::OK();
      // An unknown result must be retried as a commit, never rerun: it may have committed.
      if (unknown && attempt < 5) continue;
      if (transient) return Status::Conflict(std::string("MongoDB transaction aborted: ") + error.message);
      return MongoStatus(error, "commitTransaction");
    }
  }

  mongoc_client_pool_t* pool_;
  std::string db_;
  bool server_txn_;
  Json journal_write_concern_;
  std::mutex writer_mu_;
  // The newest journal entry this handle knows to be applied.
  std::atomic<int64_t> known_{0};
  // Set when the head may lag the journal: the next transaction finds the newest entry.
  std::atomic<bool> rescan_{true};
};

}  // namespace

Result<std::unique_ptr<OperationalStore>> OpenMongoStore(const OperationalStoreOptions& options,
                                                         const std::string& uri_text) {
  InitMongoc();
  std::string uri_clean = uri_text;
  const std::string atomicity = TakeUriOption(uri_clean, kAtomicityOption);
  if (!atomicity.empty() && atomicity != "journal" && atomicity != "transactions") {
    return Status::InvalidArgument("MongoDB URI '" + uri_text + "': " + kAtomicityOption +
                                   " must be 'transactions' or 'journal', not '" + atomicity + "'");
  }
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(uri_clean.c_str(), &error);
  if (!uri) return Status::InvalidArgument("MongoDB URI '" + uri_text + "': " + error.message);
  if (!mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS)) {
    mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
  }
  const char* db_name = mongoc_uri_get_database(uri);
  const std::string db = db_name && *db_name ? db_name : "systore";
  mongoc_client_pool_t* pool = mongoc_client_pool_new(uri);
  mongoc_uri_destroy(uri);
  if (!pool) return Status::InvalidArgument("MongoDB URI '" + uri_text + "': cannot create a client pool");
  mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
  mongoc_client_pool_set_appname(pool, "systore");
  mongoc_client_pool_max_size(pool, static_cast<uint32_t>(std::max(options.max_connections, 2)));

  bool replica_set = false, mongos = false, sessions = false;
  Status st;
  {
    PooledClient client(pool);
    bson_t* cmd = BCON_NEW("hello", BCON_INT32(1));
    bson_t reply;
    const bool ok = mongoc_client_command_simple(client.get(), "admin", cmd, nullptr, &reply, &error);
    bson_destroy(cmd);
    if (!ok) {
      st = Status::Unavailable("cannot reach MongoDB server (" + uri_text + "): " + error.message);
    } else {
      bson_iter_t it;
      replica_set = bson_iter_init_find(&it, &reply, "setName");
      if (bson_iter_init_find(&it, &reply, "msg") && BSON_ITER_HOLDS_UTF8(&it)) {
        mongos = std::string(bson_iter_utf8(&it, nullptr)) == "isdbgrid";
      }
      sessions = bson_iter_init_find(&it, &reply, "logicalSessionTimeoutMinutes");
    }
    bson_destroy(&reply);
  }
  const bool can_transact = (replica_set || mongos) && sessions;
  if (st.ok() && atomicity != "journal" && !can_transact) {
    st = Status(StatusCode::kUnavailable,
                "MongoDB server at " + uri_text +
                    " cannot run multi-document transactions (it is not a replica set member or mongos with "
                    "sessions); refusing to use it, since writes would not be atomic. Add " +
                    kAtomicityOption +
                    "=journal to the URI to commit through systore's journal instead "
                    "(see docs/operational-store.md)",
                /*retryable=*/false);
  }
  if (!st.ok()) {
    mongoc_client_pool_destroy(pool);
    return st;
  }
  Json journal_wc = {{"w", (replica_set || mongos) ? Json("majority") : Json(1)}, {"j", true}};
  auto store = std::make_unique<MongoStore>(options, pool, db, /*server_txn=*/atomicity != "journal", journal_wc);
  SYSTORE_RETURN_NOT_OK(store->CreateIndexes().WithContext("creating indexes"));
  return std::unique_ptr<OperationalStore>(std::move(store));
}

}  // namespace systore::operational
