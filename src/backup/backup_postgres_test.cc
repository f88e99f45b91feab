// Backup and point-in-time recovery of a root whose operational store is PostgreSQL: a
// real cluster with WAL archiving, pg_basebackup, and recovery_target_time on a restored
// cluster (started by the restore to check it).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/test_util_internal.h"
#include "backup/backup_test_util.h"
#include "systore/backup.h"
#include "systore/operational_store.h"
#include "testing/postgres_server.h"

namespace systore {
namespace {
namespace fs = std::filesystem;

std::string Query(const std::string& uri, const std::string& sql) {
  PGconn* c = PQconnectdb(uri.c_str());
  std::string out;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

using testing::PositionsLine;

bool HasLine(const RestoreReport& r, const std::string& line) {
  for (const auto& l : r.lines)
    if (l == line) return true;
  return false;
}

TEST(BackupPostgresTest, RestoreAndPointInTimeOnARealCluster) {
  testing::TempDir dir;
  const std::string archive = dir.path() + "/wal-archive";
  fs::create_directories(archive);
  // The server runs as `postgres` when we are root: it must write the archive.
  auto probe = testing::PgTestServer::Start({.fsync = false});
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  if ((*probe)->uid() != 0) ASSERT_EQ(::chown(archive.c_str(), (*probe)->uid(), (*probe)->gid()), 0);
  (*probe).reset();
  auto pg = testing::PgTestServer::Start(
      {.fsync = false, .extra_options = "-c archive_mode=on -c archive_command='cp %p " + archive + "/%f'"});
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  ASSERT_TRUE((*pg)->CreateDatabase("ops").ok());
  const std::string uri = (*pg)->uri("ops");

  const std::string live = dir.path() + "/live";
  fs::create_directories(live);
  std::ofstream(live + "/systore.yaml") << "stores:\n  operational: {kind: operational, uri: \"" << uri << "\"}\n";
  auto ops = OperationalStore::Open({.uri = uri}).MoveValueUnsafe();
  int exec = 0;
  auto fill = [&](const std::string& instrument, int64_t qty) {
    auto id = ops->AddOrder({.strategy = "S", .instrument = instrument, .contract = "C1",
                             .side = qty > 0 ? Side::kBuy : Side::kSell, .quantity = std::abs(qty)});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ASSERT_TRUE(ops->ApplyFill({.order_id = *id, .quantity = std::abs(qty), .price = 100, .exec_id = "E" + std::to_string(++exec)}).ok());
  };
  fill("GOLD", 3);
  fill("SOFR", -2);
  const std::string at_backup = PositionsLine(*ops);

  auto repo = BackupRepository::Open(dir.path() + "/repo").MoveValueUnsafe();
  auto info = repo->Create({.root = live});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  fill("GOLD", 5);  // batch A
  const std::string at_a = PositionsLine(*ops);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const Timestamp t = Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  fill("GOLD", -8);  // batch B
  fill("CORN", 1);
  ASSERT_NE(PositionsLine(*ops), at_a);
  // Close the segment holding batch B and wait until it is archived: recovery must see
  // WAL past the target time.
  const std::string segment = Query(uri, "SELECT pg_walfile_name(pg_switch_wal())");
  ASSERT_FALSE(segment.empty());
  for (int i = 0; i < 300 && !fs::exists(archive + "/" + segment); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(archive + "/" + segment)) << "the server did not archive " << segment;

  auto by_id = repo->Restore({.backup_id = info->id, .target = dir.path() + "/by-id"});
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  for (const auto& c : by_id->checks) EXPECT_EQ(c.rfind("ok", 0), 0u) << c;
  EXPECT_TRUE(HasLine(*by_id, at_backup)) << at_backup;
  EXPECT_TRUE(fs::exists(dir.path() + "/by-id/operational/pgdata/PG_VERSION"));

  auto no_archive = repo->Restore({.time = t, .live_root = live, .target = dir.path() + "/x"});
  EXPECT_EQ(no_archive.status().code(), StatusCode::kInvalidArgument) << no_archive.status().ToString();
  EXPECT_FALSE(fs::exists(dir.path() + "/x"));

  auto at_t = repo->Restore({.time = t, .live_root = live, .target = dir.path() + "/at-t", .postgres_wal_archive = archive});
  ASSERT_TRUE(at_t.ok()) << at_t.status().ToString();
  for (const auto& c : at_t->checks) EXPECT_EQ(c.rfind("ok", 0), 0u) << c;
  EXPECT_TRUE(HasLine(*at_t, at_a)) << "expected " << at_a;
  for (const auto& l : at_t->lines) std::cerr << "  " << l << "\n";
}

}  // namespace
}  // namespace systore
