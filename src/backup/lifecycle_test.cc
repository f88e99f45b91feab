// Lifecycle rules: retention removes whole old partitions, cold_after moves them to the
// cold location; reads span hot and cold, older versions still read, a dry run changes
// nothing, and a backup of a root with cold files restores self-contained.
#include "systore/lifecycle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/test_util_internal.h"
#include "systore/backup.h"
#include "systore/timeseries_store.h"
#include "testing/test_util.h"

namespace systore {
namespace {
namespace fs = std::filesystem;
using testing::Days;
using testing::MakeSeries;

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/root";
    fs::create_directories(root_);
    std::ofstream(root_ + "/systore.yaml") << "lifecycle:\n  cold_root: ../cold\n  rules:\n"
                                              "    - {datasets: \"prices/*\", retention: 10y, cold_after: 3y}\n";
    TimeSeriesStoreOptions o;
    o.root = root_;
    store_ = TimeSeriesStore::Open(o).MoveValueUnsafe();
    DatasetOptions d;
    d.partition = PartitionGranularity::kYear;
    ASSERT_TRUE(store_->CreateDataset("prices/daily", d).ok());
    // 2010-01-01 .. 2024-12-30: one file per year and key.
    auto days = Days("2010-01-01", 15 * 365);
    last_ = days.back();
    std::vector<double> px(days.size(), 1.0);
    for (const char* key : {"A", "B"}) ASSERT_TRUE(store_->Write("prices/daily", key, MakeSeries(days, {{"PRICE", px}})).ok());
    ASSERT_TRUE(store_->Write("other/x", "A", MakeSeries(days, {{"PRICE", px}})).ok());
    now_ = *ParseTimestamp("2025-01-01");
  }
  int64_t Rows(const std::string& d, const std::string& k, const ReadOptions& ro = {}) {
    auto t = store_->Read(d, k, ro);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? (*t)->num_rows() : -1;
  }
  testing::TempDir dir_;
  std::string root_;
  std::unique_ptr<TimeSeriesStore> store_;
  Timestamp now_ = 0, last_ = 0;
};

TEST_F(LifecycleTest, RetentionAndColdTieringAreCommits) {
  const int64_t before = Rows("prices/daily", "A");
  const int64_t v0 = *store_->CurrentVersion("prices/daily");

  auto dry = RunLifecycle({.root = root_, .store = store_.get(), .dry_run = true, .now = now_});
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(dry->files_removed, 2 * 5);  // 2010..2014 of both keys: before 2015-01-03
  EXPECT_GT(dry->files_moved, 0);
  EXPECT_TRUE(dry->commits.empty());
  EXPECT_EQ(*store_->CurrentVersion("prices/daily"), v0);
  for (const auto& a : dry->actions) EXPECT_EQ(a.dataset, "prices/daily") << "other/x has no rule";

  auto run = RunLifecycle({.root = root_, .store = store_.get(), .now = now_});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->files_removed, dry->files_removed);
  EXPECT_EQ(run->files_moved, dry->files_moved);
  ASSERT_EQ(run->commits.size(), 2u);
  EXPECT_EQ(*store_->CurrentVersion("prices/daily"), v0 + 2);
  EXPECT_EQ(Rows("other/x", "A"), before);

  // Retention: nothing before 2015 remains; a full read spans hot and cold.
  auto t = store_->Read("prices/daily", "A");
  ASSERT_TRUE(t.ok());
  EXPECT_GE(testing::Times(**t).front(), *ParseTimestamp("2015-01-01"));
  EXPECT_EQ(testing::Times(**t).back(), last_);
  EXPECT_EQ((*t)->num_rows(), before - run->rows_removed / 2);
  EXPECT_GT(store_->Stats().cold_files_read, 0) << "a read of a cold range is counted";
  const int64_t cold_reads = store_->Stats().cold_files_read;
  ReadOptions recent;
  recent.start = *ParseTimestamp("2024-06-01");
  EXPECT_GT(Rows("prices/daily", "B", recent), 0);
  EXPECT_EQ(store_->Stats().cold_files_read, cold_reads) << "a hot range reads no cold file";
  // The cold files live under cold_root; the dataset reaches them through _cold.
  EXPECT_TRUE(fs::is_symlink(root_ + "/prices/daily/_cold"));
  int cold_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_.path() + "/cold/prices/daily"))
    cold_files += e.path().extension() == ".parquet";
  EXPECT_EQ(cold_files, run->files_moved);
  // Every earlier version still reads.
  ReadOptions old;
  old.as_of_version = v0;
  EXPECT_EQ(Rows("prices/daily", "A", old), before);

  // Again: nothing to do.
  auto again = RunLifecycle({.root = root_, .store = store_.get(), .now = now_});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->actions.empty());

  // Three years on, retention reaches cold files; vacuum then frees them in the cold
  // location too (it follows the _cold link).
  auto later = RunLifecycle({.root = root_, .store = store_.get(), .now = now_ + 3 * 365 * kNanosPerDay});
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_GT(later->files_removed, 0);
  auto vac = store_->Vacuum("prices/daily", 0);
  ASSERT_TRUE(vac.ok()) << vac.status().ToString();
  int cold_left = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_.path() + "/cold/prices/daily"))
    cold_left += e.path().extension() == ".parquet";
  EXPECT_EQ(cold_left, run->files_moved + later->files_moved - later->files_removed);
  EXPECT_GT(Rows("prices/daily", "A"), 0);

  // A backup of the root restores self-contained: the cold files become local files.
  auto repo = BackupRepository::Open(dir_.path() + "/repo").MoveValueUnsafe();
  auto info = repo->Create({.root = root_});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto r = repo->Restore({.backup_id = info->id, .target = dir_.path() + "/restored"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(fs::is_symlink(dir_.path() + "/restored/prices/daily/_cold"));
  TimeSeriesStoreOptions ro;
  ro.root = dir_.path() + "/restored";
  auto restored = TimeSeriesStore::Open(ro).MoveValueUnsafe();
  auto rt = restored->Read("prices/daily", "A");
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  EXPECT_EQ((*rt)->num_rows(), Rows("prices/daily", "A"));
}

TEST_F(LifecycleTest, BadRulesNameTheFileAndLine) {
  for (const auto& [yaml, message] : std::vector<std::pair<std::string, std::string>>{
           {"lifecycle:\n  rules:\n    - {datasets: x, retention: 10 years}\n", "not a number followed by"},
           {"lifecycle:\n  rules:\n    - {datasets: x, cold_after: 1y}\n", "cold_root"},
           {"lifecycle:\n  cold_root: c\n  rules:\n    - {datasets: x, retention: 1y, cold_after: 2y}\n", "shorter"},
           {"lifecycle:\n  rules:\n    - {retention: 1y}\n", "needs 'datasets'"},
           {"lifecycle:\n  keep: 1\n", "unknown key 'keep'"},
       }) {
    std::ofstream(root_ + "/systore.yaml", std::ios::trunc) << yaml;
    auto r = RunLifecycle({.root = root_, .store = store_.get(), .now = now_});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << yaml;
    EXPECT_NE(r.status().message().find(message), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find("systore.yaml line"), std::string::npos) << r.status().ToString();
  }
}

}  // namespace
}  // namespace systore
