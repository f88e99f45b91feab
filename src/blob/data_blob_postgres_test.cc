// The same calling code (RunTradingDay) against SQLite and PostgreSQL: only the
// configuration changes. Also reads of db_positions failing over from a stopped
// PostgreSQL primary to a SQLite secondary. Integration: starts PostgreSQL.
#include <gtest/gtest.h>

#include "blob/blob_test_util_internal.h"
#include "testing/postgres_server.h"

namespace systore::testing {
namespace {

std::unique_ptr<DataBlob> Open(const std::string& root, const std::string& yaml,
                               std::vector<std::string>* w = nullptr) {
  DataBlobOptions o;
  o.root = root;
  o.config_text = yaml;
  if (w) o.on_warning = [w](const std::string& m) { w->push_back(m); };
  auto b = DataBlob::Open(o);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return std::move(b).MoveValueUnsafe();
}

TEST(DataBlobPostgres, SameCodeOnSqliteAndPostgresByConfigOnly) {
  PgTestServer::Options po;
  po.fsync = false;
  auto pg = PgTestServer::Start(po);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  TempDir sqlite_root, pg_root;
  const std::string configs[] = {
      "",  // embedded default: SQLite
      "stores:\n  operational: {uri: \"" + (*pg)->uri() + "\", pool_size: 4}\n",
  };
  std::vector<std::string> backends;
  for (int i = 0; i < 2; ++i) {
    auto blob = Open(i == 0 ? sqlite_root.path() : pg_root.path(), configs[i]);
    RunTradingDay(*blob);
    backends.push_back(std::string((*blob->Operational("db_orders"))->backend_name()));
    EXPECT_EQ(blob->Describe("db_orders")->class_name, i == 0 ? "sqliteOrdersData" : "postgresOrdersData");
    for (const auto& h : blob->CheckHealth()) EXPECT_TRUE(h.healthy) << h.store << h.error;
    ASSERT_TRUE(blob->CloseAll().ok());
  }
  EXPECT_EQ(backends[0], "sqlite");
  EXPECT_EQ(backends[1], "postgresql");
}

TEST(DataBlobPostgres, ReadsFailOverFromAStoppedPrimary) {
  PgTestServer::Options po;
  po.fsync = false;
  auto pg = PgTestServer::Start(po);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  TempDir root;
  std::vector<std::string> warnings;
  auto blob = Open(root.path(),
                   "health_interval_ms: 0\nstores:\n  operational: {uri: \"" + (*pg)->uri() +
                       "\"}\n  standby: {kind: operational}\nclasses:\n  db_positions: {secondary: standby}\n",
                   &warnings);
  RunTradingDay(*blob);
  ASSERT_EQ(*(*blob->OperationalForRead("db_positions"))->backend_name().data(), 'p');
  ASSERT_TRUE((*pg)->Stop().ok());
  auto reader = blob->OperationalForRead("db_positions");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->backend_name(), "sqlite");
  EXPECT_TRUE((*reader)->StrategyPositions().ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("standby"), std::string::npos);
  // Writes never go elsewhere: the primary's error comes back.
  NewOrder o;
  o.strategy = "s";
  o.instrument = "ES";
  o.quantity = 1;
  EXPECT_FALSE((*blob->Operational("db_orders"))->AddOrder(o).ok());
}

}  // namespace
}  // namespace systore::testing
