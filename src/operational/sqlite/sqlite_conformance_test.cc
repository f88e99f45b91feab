// The conformance suite on SQLite, plus SQLite-specific checks.
#include <sqlite3.h>

#include <thread>

#include "operational/conformance_internal.h"

namespace systore::testing {
namespace {

class SqliteInstance : public BackendInstance {
 public:
  std::string uri() const override { return "sqlite://" + dir_.path() + "/operational/ops.sqlite"; }
  std::string path() const { return dir_.path() + "/operational/ops.sqlite"; }

 private:
  TempDir dir_{"systore-ops-"};
};

INSTANTIATE_TEST_SUITE_P(Sqlite, OperationalConformance,
                         ::testing::Values(ConformanceBackend{
                             "sqlite", [] { return std::make_unique<SqliteInstance>(); }, nullptr}),
                         BackendName);

TEST(SqliteOperationalStore, ReconcileReportsTamperedPositions) {
  SqliteInstance inst;
  {
    auto store = std::move(OperationalStore::Open({.uri = inst.uri()})).MoveValueUnsafe();
    NewOrder n;
    n.strategy = "S1";
    n.instrument = "SOFR";
    n.contract = "C1";
    n.quantity = 4;
    OrderId id = *store->AddOrder(n);
    ASSERT_TRUE(store->ApplyFill({.order_id = id, .quantity = 3, .price = 1, .exec_id = "X"}).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(inst.path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE strategy_positions SET net_position = 5", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = std::move(OperationalStore::Open({.uri = inst.uri()})).MoveValueUnsafe();
  auto report = store->Reconcile();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->differences.size(), 1u);
  EXPECT_EQ(report->differences[0].kind, "strategy");
  EXPECT_EQ(report->differences[0].stored, 5);
  EXPECT_EQ(report->differences[0].from_fills, 3);
}

TEST(SqliteOperationalStore, UsesWalAndFullSync) {
  SqliteInstance inst;
  auto store = std::move(OperationalStore::Open({.uri = inst.uri()})).MoveValueUnsafe();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(inst.path().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(OperationalStoreOpen, RejectsUnknownSchemesAndMongo) {
  auto r = OperationalStore::Open({.uri = "oracle://x"});
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_NE(r.status().message().find("oracle://x"), std::string::npos);
  EXPECT_TRUE(OperationalStore::Open({.uri = "mongodb://"}).status().IsInvalidArgument());
  EXPECT_TRUE(OperationalStore::Open({.uri = "sqlite://"}).status().IsInvalidArgument());
  EXPECT_EQ(OperationalStore::Open({.uri = "postgresql://127.0.0.1:1/nothing?connect_timeout=2"}).status().code(),
            StatusCode::kUnavailable);
}

}  // namespace
}  // namespace systore::testing
