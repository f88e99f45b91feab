// Backup of a root whose operational store is MongoDB (FerretDB here, the most faithful
// MongoDB-wire server that runs on these machines): a dump through the driver, taken
// while fills go on, loaded into a fresh database by the restore and checked there.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/test_util_internal.h"
#include "backup/backup_test_util.h"
#include "systore/backup.h"
#include "systore/operational_store.h"
#include "testing/ferretdb_server.h"

namespace systore {
namespace {
namespace fs = std::filesystem;

using testing::PositionsLine;

TEST(BackupMongoTest, DumpWhileFillingLoadsConsistentIntoAFreshDatabase) {
  const char* bin = std::getenv("SYSTORE_FERRETDB");
  if (!bin || !*bin) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << "no ferretdb binary under CI: run scripts/ferretdb.sh";
    GTEST_SKIP() << "no ferretdb binary: run scripts/ferretdb.sh or set SYSTORE_FERRETDB";
  }
  auto server = testing::FerretDbServer::Start(bin);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  testing::TempDir dir;
  const std::string live = dir.path() + "/live";
  fs::create_directories(live);
  const std::string uri = (*server)->uri("live");
  std::ofstream(live + "/systore.yaml") << "stores:\n  operational: {kind: operational, uri: \"" << uri << "\"}\n";
  auto ops = OperationalStore::Open({.uri = uri}).MoveValueUnsafe();
  std::atomic<int> exec{0};
  auto fill = [&](const std::string& instrument, int64_t qty) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(auto id, ops->AddOrder({.strategy = "S", .instrument = instrument, .contract = "C1",
                                                    .side = qty > 0 ? Side::kBuy : Side::kSell,
                                                    .quantity = std::abs(qty)}));
    return ops->ApplyFill({.order_id = id, .quantity = std::abs(qty), .price = 100, .exec_id = "E" + std::to_string(++exec)})
        .status();
  };
  ASSERT_TRUE(fill("GOLD", 3).ok());
  ASSERT_TRUE(fill("SOFR", -2).ok());
  const std::string at_backup = PositionsLine(*ops);

  auto repo = BackupRepository::Open(dir.path() + "/repo").MoveValueUnsafe();
  auto info = repo->Create({.root = live});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(fill("GOLD", 5).ok());

  auto r = repo->Restore({.backup_id = info->id, .target = dir.path() + "/r1", .operational_uri = (*server)->uri("restored")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const auto& c : r->checks) EXPECT_EQ(c.rfind("ok", 0), 0u) << c;
  EXPECT_NE(std::find(r->lines.begin(), r->lines.end(), at_backup), r->lines.end()) << at_backup;

  // Into a database that is not empty: refused, nothing left at the target.
  auto again = repo->Restore({.backup_id = info->id, .target = dir.path() + "/r2", .operational_uri = (*server)->uri("restored")});
  EXPECT_EQ(again.status().code(), StatusCode::kInvalidArgument) << again.status().ToString();
  EXPECT_FALSE(fs::exists(dir.path() + "/r2"));

  // A dump taken while another thread fills loads to a state that reconciles.
  std::atomic<bool> stop{false};
  std::thread filler([&] {  // bursts of fills with pauses, as a trading day has
    for (int i = 0; !stop; ++i) {
      (void)fill(i % 2 ? "GOLD" : "CORN", i % 3 ? 1 : -1);
      if (i % 5 == 4) std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto busy = repo->Create({.root = live});
  stop = true;
  filler.join();
  ASSERT_TRUE(busy.ok()) << busy.status().ToString();
  auto rb = repo->Restore({.backup_id = busy->id, .target = dir.path() + "/r3", .operational_uri = (*server)->uri("busy")});
  ASSERT_TRUE(rb.ok()) << rb.status().ToString();
  for (const auto& c : rb->checks) EXPECT_EQ(c.rfind("ok", 0), 0u) << c;

  // Point in time is not offered for MongoDB: a clear error.
  auto pitr = repo->Restore({.time = Now(), .live_root = live, .target = dir.path() + "/r4"});
  EXPECT_EQ(pitr.status().code(), StatusCode::kNotImplemented) << pitr.status().ToString();
}

}  // namespace
}  // namespace systore
