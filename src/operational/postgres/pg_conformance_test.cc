// The conformance suite on PostgreSQL: one throwaway cluster for the binary (started
// by a gtest Environment, stopped even when tests fail); each test gets a fresh schema.
#include <libpq-fe.h>

#include "core/file_util.h"
#include "operational/conformance_internal.h"
#include "operational/crash_harness_internal.h"
#include "testing/postgres_server.h"

namespace systore::testing {
namespace {

PgTestServer* g_server = nullptr;

class PgEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    PgTestServer::Options o;
    o.fsync = false;  // the conformance suite checks behaviour; durability is PostgreSQL's
    auto s = PgTestServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).MoveValueUnsafe();
    g_server = server_.get();
  }
  void TearDown() override {
    g_server = nullptr;
    if (server_) {
      EXPECT_TRUE(server_->Stop().ok());
    }
    server_.reset();
  }

 private:
  std::unique_ptr<PgTestServer> server_;
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new PgEnvironment);

Status Exec(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  Status st;
  if (PQstatus(c) != CONNECTION_OK) {
    st = Status::Unavailable(PQerrorMessage(c));
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) st = Status::Internal(PQresultErrorMessage(r));
    PQclear(r);
  }
  PQfinish(c);
  return st;
}

class PgInstance : public BackendInstance {
 public:
  PgInstance() : schema_("t_" + RandomHexId().substr(0, 12)) {
    if (g_server) {
      Status st = Exec(g_server->uri(), "CREATE SCHEMA " + schema_);
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
  }
  ~PgInstance() override {
    if (g_server) (void)Exec(g_server->uri(), "DROP SCHEMA " + schema_ + " CASCADE");
  }
  std::string uri() const override {
    if (!g_server) return "postgresql://127.0.0.1:1/not-started";
    return g_server->uri() + "?options=-csearch_path%3D" + schema_;
  }

 private:
  std::string schema_;
};

INSTANTIATE_TEST_SUITE_P(Postgres, OperationalConformance,
                         ::testing::Values(ConformanceBackend{"postgresql",
                                                              [] { return std::make_unique<PgInstance>(); }, nullptr}),
                         BackendName);

// A client SIGKILLed mid-transaction, many times: PostgreSQL rolls its open
// transaction back; every acknowledged fill is there and positions equal the fills.
TEST(PostgresCrashTest, AcknowledgedFillsSurviveSigkill) {
  ASSERT_NE(g_server, nullptr);
  PgInstance instance;
  RunFillCrashTest(instance.uri(), 20);
}

}  // namespace
}  // namespace systore::testing
