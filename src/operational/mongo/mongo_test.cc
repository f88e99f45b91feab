// The MongoDB backend against FerretDB 1.24 (MongoDB wire protocol on SQLite), the most
// faithful MongoDB-wire server this machine can run: the whole conformance suite, the
// SIGKILL crash test and journal-specific checks, in journal mode (FerretDB has no
// multi-document transactions); plus the refusal of a server without transactions when
// the URI does not opt in. scripts/ferretdb.sh builds the server (scripts/test.sh runs
// it); without a binary the FerretDB tests are skipped with that reason, except under
// CI=true, where they fail.
#include <gtest/gtest.h>

#include <mongoc/mongoc.h>

#include <mutex>
#include <set>
#include <thread>

#include "operational/conformance_internal.h"
#include "operational/crash_harness_internal.h"
#include "testing/ferretdb_server.h"
#include "operational/mongo/mongo_connection.h"

namespace systore::testing {
namespace {

using operational::Json;

FerretDbServer* g_server = nullptr;

class FerretDbEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string bin = FerretDbServer::FindBinary();
    if (bin.empty()) return;
    auto s = FerretDbServer::Start(bin);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).MoveValueUnsafe();
    g_server = server_.get();
  }
  void TearDown() override {
    g_server = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<FerretDbServer> server_;
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new FerretDbEnvironment);

#define REQUIRE_FERRETDB()                                                                                   \
  do {                                                                                                       \
    if (!g_server) {                                                                                         \
      const char* ci = std::getenv("CI");                                                                    \
      if (ci && std::string(ci) == "true") FAIL() << "no ferretdb binary under CI: run scripts/ferretdb.sh"; \
      GTEST_SKIP() << "no ferretdb binary: run scripts/ferretdb.sh or set SYSTORE_FERRETDB";                 \
    }                                                                                                        \
  } while (0)

// Runs one command against a database of the test server.
Result<Json> ServerCommand(const std::string& db, const std::string& command_json) {
  mongoc_client_t* client = mongoc_client_new(("mongodb://127.0.0.1:" + std::to_string(g_server->port())).c_str());
  Result<Json> r = Status::Internal("no client");
  if (client) {
    operational::MongoConnection conn(client, db, nullptr);
    r = conn.Command(command_json);
  }
  mongoc_client_destroy(client);
  return r;
}

class MongoInstance : public BackendInstance {
 public:
  MongoInstance() : db_("t_" + RandomHexId().substr(0, 12)) {}
  ~MongoInstance() override {
    if (g_server) (void)ServerCommand(db_, R"({"dropDatabase": 1})");
  }
  std::string uri() const override { return g_server ? g_server->uri(db_) : "mongodb://127.0.0.1:1/none"; }
  const std::string& db() const { return db_; }

 private:
  std::string db_;
};

std::string NoServerReason() {
  if (g_server) return "";
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") ADD_FAILURE() << "no ferretdb binary under CI: run scripts/ferretdb.sh";
  return "no ferretdb binary: run scripts/ferretdb.sh or set SYSTORE_FERRETDB";
}

INSTANTIATE_TEST_SUITE_P(FerretDb, OperationalConformance,
                         ::testing::Values(ConformanceBackend{
                             "ferretdb_journal", [] { return std::make_unique<MongoInstance>(); }, NoServerReason}),
                         BackendName);

TEST(MongoBackend, UnreachableServerIsUnavailable) {
  const std::string uri =
      "mongodb://127.0.0.1:" + std::to_string(*FreeLoopbackPort()) + "/ops?serverSelectionTimeoutMS=300";
  auto r = OperationalStore::Open({.uri = uri});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("cannot reach"), std::string::npos) << r.status().ToString();
}

TEST(MongoBackend, MalformedUriOrAtomicityIsInvalidArgument) {
  EXPECT_TRUE(OperationalStore::Open({.uri = "mongodb://"}).status().IsInvalidArgument());
  auto r = OperationalStore::Open({.uri = "mongodb://127.0.0.1:1/x?systoreAtomicity=maybe"});
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("systoreAtomicity"), std::string::npos);
}

TEST(MongoBackend, ServerWithoutTransactionsIsRefusedUnlessJournalIsChosen) {
  REQUIRE_FERRETDB();
  MongoInstance inst;
  auto r = OperationalStore::Open({.uri = g_server->uri(inst.db(), /*journal=*/false)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("cannot run multi-document transactions"), std::string::npos);
  EXPECT_NE(r.status().message().find("systoreAtomicity=journal"), std::string::npos);
  EXPECT_FALSE(r.status().retryable());
  // Nothing was written: the refused database holds no collections.
  auto colls = ServerCommand(inst.db(), R"({"listCollections": 1})");
  ASSERT_TRUE(colls.ok()) << colls.status().ToString();
  EXPECT_TRUE((*colls)["cursor"]["firstBatch"].empty()) << colls->dump();

  auto journal = OperationalStore::Open({.uri = inst.uri()});
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  EXPECT_EQ((*journal)->backend_name(), "mongodb");
}

// A writer that died after its commit point (journal entry inserted, nothing applied).
// Before publishing the head: the entry was never acknowledged, readers do not see it,
// and the next writer, colliding with it, applies it before its own. After publishing
// the head: readers apply it too.
TEST(MongoBackend, CommittedButUnappliedEntriesAreRolledForward) {
  REQUIRE_FERRETDB();
  MongoInstance inst;
  auto store = std::move(OperationalStore::Open({.uri = inst.uri()})).MoveValueUnsafe();
  NewOrder n;
  n.strategy = "S";
  n.instrument = "I";
  n.contract = "C";
  n.quantity = 5;
  const OrderId id = *store->AddOrder(n);  // journal entry 1
  auto entry = [&](int seq, const char* status, int submitted_at) {
    Json order = {{"_id", operational::PaddedId(id)},
                  {"id", id},
                  {"level", "strategy"},
                  {"parent_id", nullptr},
                  {"strategy", "S"},
                  {"instrument", "I"},
                  {"contract", "C"},
                  {"side", "buy"},
                  {"quantity", 5},
                  {"type", "market"},
                  {"limit_price", nullptr},
                  {"status", status},
                  {"filled_quantity", 0},
                  {"average_fill_price", 0.0},
                  {"commission", 0.0},
                  {"attributes", "{}"},
                  {"reason", ""},
                  {"created_at", 1},
                  {"submitted_at", submitted_at},
                  {"first_fill_at", 0},
                  {"last_fill_at", 0},
                  {"filled_at", 0},
                  {"cancelled_at", 0},
                  {"rejected_at", 0}};
    Json doc = {{"_id", operational::PaddedId(seq)},
                {"seq", seq},
                {"writes", {{{"c", "orders"}, {"id", order["_id"]}, {"doc", order}}}}};
    return R"({"insert": "journal", "documents": [)" + doc.dump() + "]}";
  };
  ASSERT_TRUE(ServerCommand(inst.db(), entry(2, "submitted", 7)).ok());
  EXPECT_EQ(store->GetOrder(id)->status, OrderStatus::kCreated);  // unpublished: not visible yet
  // The next writer collides with entry 2, applies it, and commits as entry 3.
  ASSERT_TRUE(store->Transact([&](Transaction& t) { return t.SetOrderAttributes(id, R"({"k": 1})"); }).ok());
  auto after = store->GetOrder(id);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->status, OrderStatus::kSubmitted);
  EXPECT_EQ(after->submitted_at, 7);
  EXPECT_EQ(after->attributes_json, R"({"k":1})");

  // Entry 4, published: a reader (another handle) applies it.
  auto reader = std::move(OperationalStore::Open({.uri = inst.uri()})).MoveValueUnsafe();
  ASSERT_TRUE(ServerCommand(inst.db(), entry(4, "cancelled", 9)).ok());
  ASSERT_TRUE(ServerCommand(inst.db(), R"({"update": "meta", "updates": [{"q": {"_id": "journal_head"},
      "u": {"$max": {"seq": 4}}}]})")
                  .ok());
  EXPECT_EQ(reader->GetOrder(id)->status, OrderStatus::kCancelled);
  EXPECT_EQ(store->GetOrder(id)->status, OrderStatus::kCancelled);
}

// Only the newest journal entry keeps its payload; older ones keep their _id (and seq,
// time, actor) so that no late writer can reuse their number.
TEST(MongoBackend, OlderJournalEntriesLoseTheirPayload) {
  REQUIRE_FERRETDB();
  MongoInstance inst;
  auto store = std::move(OperationalStore::Open({.uri = inst.uri()})).MoveValueUnsafe();
  NewOrder n;
  n.strategy = "S";
  n.instrument = "I";
  n.quantity = 1;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store->AddOrder(n).ok());
  auto found = ServerCommand(inst.db(), R"({"find": "journal", "filter": {}, "sort": {"_id": 1}})");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  const Json& entries = (*found)["cursor"]["firstBatch"];
  ASSERT_EQ(entries.size(), 4u) << found->dump();
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(entries[i]["seq"], static_cast<int>(i) + 1);
    EXPECT_EQ(entries[i].contains("writes"), i == 3) << entries[i].dump();
  }
  // A second handle, starting cold, still finds everything.
  auto other = std::move(OperationalStore::Open({.uri = inst.uri()})).MoveValueUnsafe();
  EXPECT_EQ(other->FindOrders({})->size(), 4u);
  EXPECT_EQ(*other->AddOrder(n), 5);
}

// Replaying an old journal entry late (a slow writer still applying after others moved
// on) never overwrites a newer version, and deletions stay deleted.
TEST(MongoBackend, LateApplyNeverOverwritesNewerVersions) {
  REQUIRE_FERRETDB();
  MongoInstance inst;
  mongoc_client_t* client = mongoc_client_new(("mongodb://127.0.0.1:" + std::to_string(g_server->port())).c_str());
  ASSERT_NE(client, nullptr);
  {
    operational::MongoConnection conn(client, inst.db(), nullptr);
    // fresh: written as an insert (the transaction did not see it on the server).
    auto put = [](int v, bool fresh) {
      return Json::array({{{"c", "things"}, {"id", "a"}, {"doc", {{"value", v}}}, {"fresh", fresh}},
                          {{"c", "things"}, {"id", "b"}, {"doc", {{"value", v}}}, {"fresh", fresh}}});
    };
    ASSERT_TRUE(conn.ApplyVersioned(put(1, true), 1).ok());
    ASSERT_TRUE(conn.ApplyVersioned(put(3, false), 3).ok());
    ASSERT_TRUE(conn.ApplyVersioned(Json::array({{{"c", "things"}, {"id", "b"}, {"doc", nullptr}}}), 4).ok());
    ASSERT_TRUE(conn.ApplyVersioned(put(2, false), 2).ok());  // late: must change nothing
    ASSERT_TRUE(conn.ApplyVersioned(put(1, true), 1).ok());   // replayed insert: nothing either
    auto docs = conn.Find("things", Json::object(), {{"_id", 1}});
    ASSERT_TRUE(docs.ok()) << docs.status().ToString();
    ASSERT_EQ(docs->size(), 2u);
    EXPECT_EQ((*docs)[0]["_id"], "a");
    EXPECT_EQ((*docs)[0]["value"], 3);
    EXPECT_EQ((*docs)[0][operational::kVersionField], 3);
    EXPECT_EQ((*docs)[1]["_id"], "b");  // deleted: a tombstone at version 4
    EXPECT_EQ((*docs)[1].value(operational::kDeletedField, false), true);
    EXPECT_EQ((*docs)[1][operational::kVersionField], 4);
  }
  mongoc_client_destroy(client);
}

TEST(MongoBackend, AcknowledgedFillsSurviveSigkill) {
  REQUIRE_FERRETDB();
  MongoInstance inst;
  RunFillCrashTest(inst.uri(), 30);
}

}  // namespace
}  // namespace systore::testing
