#include "systore/timeseries_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <thread>
#include <unistd.h>

#include "timeseries/delta_log.h"
#include "testing/test_util.h"

namespace systore {
namespace {

using testing::Days;
using testing::Doubles;
using testing::MakeSeries;
using testing::TempDir;
using testing::Times;

class TimeSeriesStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TimeSeriesStoreOptions o;
    o.root = dir_.path();
    auto s = TimeSeriesStore::Open(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).MoveValueUnsafe();
  }
  std::unique_ptr<TimeSeriesStore> Reopen(int64_t cache_bytes = 256ll << 20) {
    TimeSeriesStoreOptions o;
    o.root = dir_.path();
    o.file_cache_bytes = cache_bytes;
    return std::move(TimeSeriesStore::Open(o)).MoveValueUnsafe();
  }
  TempDir dir_;
  std::unique_ptr<TimeSeriesStore> store_;
};

TEST_F(TimeSeriesStoreTest, WriteThenReadIsBitExactIncludingNanAndNanoseconds) {
  std::vector<Timestamp> ts = {1, 2, kNanosPerDay * 400 + 7, kNanosPerDay * 800 + 999'999'999};
  std::vector<double> v = {0.1, -0.0, std::numeric_limits<double>::denorm_min(), std::nan("")};
  ASSERT_TRUE(store_->Write("prices/adjusted", "SOFR/20250300", MakeSeries(ts, {{"price", v}})).ok());
  for (int64_t cache : {int64_t{0}, int64_t{1} << 28}) {
    auto back = Reopen(cache)->Read("prices/adjusted", "SOFR/20250300");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(Times(**back), ts);
    auto got = Doubles(**back, "price");
    ASSERT_EQ(got.size(), v.size());
    EXPECT_EQ(std::memcmp(got.data(), v.data(), v.size() * sizeof(double)), 0);
  }
}

TEST_F(TimeSeriesStoreTest, FilesArePartitionedByKeyAndYear) {
  ASSERT_TRUE(store_
                  ->Write("analytics/volatility", "SOFR/20250300",
                          MakeSeries(Days("2023-12-30", 5), {{"price", {1, 2, 3, 4, 5}}}))
                  .ok());
  auto list = store_->List("analytics/volatility");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].files, 2);
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() + "/analytics/volatility/key=SOFR%2F20250300/year=2023"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() + "/analytics/volatility/key=SOFR%2F20250300/year=2024"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/analytics/volatility/_delta_log/00000000000000000000.json"));
  // Adjusted prices are read whole by backtests: one partition per key.
  EXPECT_EQ(store_->GetDatasetOptions("analytics/volatility")->partition, PartitionGranularity::kYear);
  EXPECT_EQ(DatasetOptions::ForName("prices/adjusted").partition, PartitionGranularity::kNone);
  EXPECT_EQ(DatasetOptions::ForName("ticks/es").partition, PartitionGranularity::kDay);
}

TEST_F(TimeSeriesStoreTest, AppendAddsAfterLastAndRejectsOverlapWithoutChange) {
  ASSERT_TRUE(store_->Write("fx/spot", "GBPUSD", MakeSeries(Days("2024-01-01", 3), {{"price", {1, 2, 3}}})).ok());
  auto d = Days("2024-01-04", 2);
  auto r = store_->Append("fx/spot", "GBPUSD", MakeSeries(d, {{"price", {4, 5}}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_added, 2);
  int64_t v = *store_->CurrentVersion("fx/spot");
  auto bad = store_->Append("fx/spot", "GBPUSD", MakeSeries(Days("2024-01-05", 2), {{"price", {9, 9}}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_NE(bad.status().message().find("not after the last stored row"), std::string::npos);
  EXPECT_EQ(*store_->CurrentVersion("fx/spot"), v);
  EXPECT_EQ(Doubles(**store_->Read("fx/spot", "GBPUSD"), "price"), (std::vector<double>{1, 2, 3, 4, 5}));
}

TEST_F(TimeSeriesStoreTest, MergeNewerOnlyCountsDuplicatesConflictsAndIgnored) {
  auto days = Days("2024-01-01", 6);
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries({days[0], days[2], days[3]}, {{"price", {1, 3, 4}}})).ok());
  // days[1]: older gap (ignored), days[2]: same (duplicate), days[3]: differs (conflict), days[4..5]: new.
  auto r =
      store_->Merge("a", "K", MakeSeries({days[1], days[2], days[3], days[4], days[5]}, {{"price", {2, 3, 40, 5, 6}}}),
                    MergeMode::kNewerOnly);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_added, 2);
  EXPECT_EQ(r->rows_duplicate, 1);
  EXPECT_EQ(r->rows_conflicting, 1);
  EXPECT_EQ(r->rows_ignored, 1);
  EXPECT_EQ(Doubles(**store_->Read("a", "K"), "price"), (std::vector<double>{1, 3, 4, 5, 6}));
}

TEST_F(TimeSeriesStoreTest, MergeFillGapsKeepsStoredRows) {
  auto days = Days("2024-01-01", 4);
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries({days[0], days[2]}, {{"price", {1, 3}}})).ok());
  auto r = store_->Merge("a", "K", MakeSeries(days, {{"price", {10, 2, 30, 4}}}), MergeMode::kFillGaps);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows_added, 2);
  EXPECT_EQ(r->rows_conflicting, 2);
  EXPECT_EQ(Doubles(**store_->Read("a", "K"), "price"), (std::vector<double>{1, 2, 3, 4}));
}

TEST_F(TimeSeriesStoreTest, MergeOverwriteReplacesOverlap) {
  auto days = Days("2024-12-30", 4);  // spans two year partitions
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries({days[0], days[2]}, {{"price", {1, 3}}})).ok());
  auto r = store_->Merge("a", "K", MakeSeries(days, {{"price", {10, 2, 3, 4}}}), MergeMode::kOverwrite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows_added, 2);
  EXPECT_EQ(r->rows_conflicting, 1);
  EXPECT_EQ(r->rows_duplicate, 1);
  EXPECT_EQ(Doubles(**store_->Read("a", "K"), "price"), (std::vector<double>{10, 2, 3, 4}));
}

TEST_F(TimeSeriesStoreTest, RepeatedMergeIsIdempotentAndCommitsNothing) {
  auto t = MakeSeries(Days("2024-01-01", 3), {{"price", {1, 2, 3}}});
  ASSERT_TRUE(store_->Merge("a", "K", t, MergeMode::kNewerOnly).ok());
  int64_t v = *store_->CurrentVersion("a");
  auto again = store_->Merge("a", "K", t, MergeMode::kNewerOnly);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rows_added, 0);
  EXPECT_EQ(again->rows_duplicate, 3);
  EXPECT_EQ(*store_->CurrentVersion("a"), v);
}

TEST_F(TimeSeriesStoreTest, ReadRangeProjectionAndLatest) {
  auto days = Days("2022-06-01", 1000);
  std::vector<double> o(1000), c(1000);
  for (int i = 0; i < 1000; ++i) o[i] = i, c[i] = i + 0.5;
  ASSERT_TRUE(store_->Write("b", "X", MakeSeries(days, {{"OPEN", o}, {"CLOSE", c}})).ok());
  ReadOptions ro;
  ro.start = days[100];
  ro.end = days[599];
  ro.columns = {"CLOSE"};
  auto r = store_->Read("b", "X", ro);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->num_rows(), 500);
  EXPECT_EQ((*r)->num_columns(), 2);
  EXPECT_EQ(Doubles(**r, "CLOSE").front(), 100.5);
  auto last = store_->Latest("b", "X", 100);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ((*last)->num_rows(), 100);
  EXPECT_EQ(Times(**last).back(), days.back());
  EXPECT_EQ(Times(**last).front(), days[900]);
  auto none = store_->Latest("b", "X", 0);  // no WAL tail: used to dereference a null tail
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ((*none)->num_rows(), 0);
  EXPECT_EQ((*none)->num_columns(), 3);
  auto before = store_->Latest("b", "X", 3, ro);  // the last rows within the range
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(Times(**before), (std::vector<Timestamp>{days[597], days[598], days[599]}));
  ro.columns = {"NOPE"};
  EXPECT_TRUE(store_->Read("b", "X", ro).status().IsInvalidArgument());
  EXPECT_TRUE(store_->Read("b", "Y").status().IsNotFound());
}

TEST_F(TimeSeriesStoreTest, AsOfVersionAndSnapshotReadOldData) {
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries(Days("2024-01-01", 2), {{"price", {1, 2}}})).ok());
  int64_t v1 = *store_->CurrentVersion("a");
  ASSERT_TRUE(store_->CreateSnapshot("eod-2024-01-02").ok());
  EXPECT_TRUE(store_->CreateSnapshot("eod-2024-01-02").code() == StatusCode::kAlreadyExists);
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries(Days("2024-01-01", 3), {{"price", {7, 8, 9}}})).ok());
  ReadOptions at;
  at.as_of_version = v1;
  EXPECT_EQ(Doubles(**store_->Read("a", "K", at), "price"), (std::vector<double>{1, 2}));
  ReadOptions snap;
  snap.snapshot = "eod-2024-01-02";
  EXPECT_EQ(Doubles(**store_->Read("a", "K", snap), "price"), (std::vector<double>{1, 2}));
  EXPECT_EQ(Doubles(**store_->Read("a", "K"), "price"), (std::vector<double>{7, 8, 9}));
  // Vacuum with zero retention keeps what the snapshot pins.
  auto vac = store_->Vacuum("a", 0);
  ASSERT_TRUE(vac.ok());
  EXPECT_EQ(vac->files_deleted, 0);
  EXPECT_EQ(Doubles(**Reopen(0)->Read("a", "K", snap), "price"), (std::vector<double>{1, 2}));
  ASSERT_TRUE(store_->DeleteSnapshot("eod-2024-01-02").ok());
  vac = store_->Vacuum("a", 0);
  ASSERT_TRUE(vac.ok());
  EXPECT_EQ(vac->files_deleted, 1);
  EXPECT_FALSE(Reopen(0)->Read("a", "K", at).ok());
  EXPECT_EQ(Doubles(**Reopen(0)->Read("a", "K"), "price"), (std::vector<double>{7, 8, 9}));
}

TEST_F(TimeSeriesStoreTest, VacuumRetentionKeepsRecentlyRemovedFiles) {
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries(Days("2024-01-01", 2), {{"price", {1, 2}}})).ok());
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries(Days("2024-01-01", 2), {{"price", {3, 4}}})).ok());
  auto vac = store_->Vacuum("a", 3600 * kNanosPerSecond);
  ASSERT_TRUE(vac.ok());
  EXPECT_EQ(vac->files_deleted, 0);
  EXPECT_EQ(vac->files_kept_for_retention, 1);
}

TEST_F(TimeSeriesStoreTest, DeleteAndDeleteRange) {
  auto days = Days("2024-12-29", 6);
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries(days, {{"price", {1, 2, 3, 4, 5, 6}}})).ok());
  auto r = store_->DeleteRange("a", "K", days[1], days[3]);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows_removed, 3);
  EXPECT_EQ(Doubles(**store_->Read("a", "K"), "price"), (std::vector<double>{1, 5, 6}));
  ASSERT_TRUE(store_->Delete("a", "K").ok());
  EXPECT_TRUE(store_->Read("a", "K").status().IsNotFound());
  EXPECT_TRUE(store_->Delete("a", "K").status().IsNotFound());
}

TEST_F(TimeSeriesStoreTest, ListByPrefixAndVersionsPerKey) {
  auto t = MakeSeries(Days("2024-01-01", 2), {{"price", {1, 2}}});
  ASSERT_TRUE(store_->Write("c", "SOFR/20250300", t).ok());
  ASSERT_TRUE(store_->Write("c", "SOFR/20250600", t).ok());
  ASSERT_TRUE(store_->Write("c", "US10/20250300", t).ok());
  auto l = store_->List("c", "SOFR/");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[1].key, "SOFR/20250600");
  EXPECT_EQ((*l)[0].rows, 2);
  auto v = store_->Versions("c", "US10/20250300");
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0].operation, "WRITE");
  EXPECT_EQ(store_->Versions("c")->size(), 3u);
  auto ds = store_->ListDatasets();
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(*ds, std::vector<std::string>{"c"});
}

TEST_F(TimeSeriesStoreTest, ReadManyMatchesRead) {
  std::vector<SeriesUpdate> updates;
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    SeriesUpdate u;
    u.key = "I" + std::to_string(i);
    std::vector<double> p(300, i);
    u.data = MakeSeries(Days("2020-01-01", 300), {{"price", p}});
    updates.push_back(u);
    keys.push_back(u.key);
  }
  auto applied = store_->Apply("prices/adjusted", updates);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ((*applied)[0].version, 0);  // one commit for all 50
  auto many = store_->ReadMany("prices/adjusted", keys);
  ASSERT_TRUE(many.ok());
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE((*many)[i]->Equals(**store_->Read("prices/adjusted", keys[i])));
    EXPECT_EQ(Doubles(*(*many)[i], "price")[0], i);
  }
}

TEST_F(TimeSeriesStoreTest, ApplyIsAllOrNothing) {
  ASSERT_TRUE(store_->Write("a", "K1", MakeSeries(Days("2024-01-01", 2), {{"price", {1, 2}}})).ok());
  std::vector<SeriesUpdate> u(2);
  u[0].key = "K2";
  u[0].data = MakeSeries(Days("2024-01-01", 2), {{"price", {1, 2}}});
  u[1].key = "K1";
  u[1].op = SeriesUpdate::Op::kAppend;
  u[1].data = MakeSeries(Days("2024-01-01", 1), {{"price", {5}}});  // overlaps: invalid
  auto r = store_->Apply("a", u);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("key 'K1'"), std::string::npos);
  EXPECT_TRUE(store_->Read("a", "K2").status().IsNotFound());
}

TEST_F(TimeSeriesStoreTest, SchemaIsEnforcedWithClearErrors) {
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries(Days("2024-01-01", 1), {{"price", {1}}})).ok());
  auto extra = store_->Write("a", "K", MakeSeries(Days("2024-01-01", 1), {{"price", {1}}, {"other", {2}}}));
  EXPECT_NE(extra.status().message().find("unexpected column 'other'"), std::string::npos);
  auto missing = store_->Write("a", "K2", MakeSeries(Days("2024-01-01", 1), {{"px", {1}}}));
  EXPECT_NE(missing.status().message().find("missing column 'price'"), std::string::npos);
  auto unsorted = store_->Write("a", "K", MakeSeries({5, 3}, {{"price", {1, 2}}}));
  EXPECT_NE(unsorted.status().message().find("row 2"), std::string::npos);
  auto dup = store_->Write("a", "K", MakeSeries({5, 5}, {{"price", {1, 2}}}));
  EXPECT_NE(dup.status().message().find("duplicates the previous row"), std::string::npos);
}

TEST_F(TimeSeriesStoreTest, OhlcvAcceptsFinalAsClose) {
  auto days = Days("2024-01-01", 2);
  auto bars = MakeSeries(
      days, {{"OPEN", {1, 2}}, {"HIGH", {2, 3}}, {"LOW", {0.5, 1}}, {"FINAL", {1.5, 2.5}}, {"VOLUME", {10, 20}}});
  ASSERT_TRUE(store_->Write("prices/contract_daily", "SOFR/20250300", bars).ok());
  auto back = store_->Read("prices/contract_daily", "SOFR/20250300");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Doubles(**back, "CLOSE"), (std::vector<double>{1.5, 2.5}));
  auto no_vol =
      store_->Write("prices/contract_daily", "X",
                    MakeSeries(days, {{"OPEN", {1, 2}}, {"HIGH", {2, 3}}, {"LOW", {0.5, 1}}, {"CLOSE", {1, 2}}}));
  EXPECT_NE(no_vol.status().message().find("missing required column 'VOLUME'"), std::string::npos);
}

TEST_F(TimeSeriesStoreTest, DailyAndHourlyNeverCollide) {
  auto days = Days("2024-01-01", 1);  // 23:00 close
  std::vector<Timestamp> hours;
  for (int h = 8; h <= 23; ++h) hours.push_back(*ParseTimestamp("2024-01-01") + h * 3600 * kNanosPerSecond);
  std::vector<double> ones(hours.size(), 1.0);
  auto bars = [&](const std::vector<Timestamp>& ts, double v) {
    std::vector<double> x(ts.size(), v);
    return MakeSeries(ts, {{"OPEN", x}, {"HIGH", x}, {"LOW", x}, {"CLOSE", x}, {"VOLUME", x}});
  };
  ASSERT_TRUE(store_->Write("prices/contract_daily", "C/1", bars(days, 2)).ok());
  ASSERT_TRUE(store_->Write("prices/contract_hourly", "C/1", bars(hours, 1)).ok());
  EXPECT_EQ(Doubles(**store_->Read("prices/contract_daily", "C/1"), "CLOSE"), (std::vector<double>{2}));
  EXPECT_EQ((*store_->Read("prices/contract_hourly", "C/1"))->num_rows(), 16);
  EXPECT_EQ(store_->GetDatasetOptions("prices/contract_hourly")->partition, PartitionGranularity::kMonth);
}

TEST_F(TimeSeriesStoreTest, ReadMergedPrefersHourlyAndFillsEarlierWithDaily) {
  auto bars = [&](const std::vector<Timestamp>& ts, double v) {
    std::vector<double> x(ts.size(), v);
    return MakeSeries(ts, {{"OPEN", x}, {"HIGH", x}, {"LOW", x}, {"CLOSE", x}, {"VOLUME", x}});
  };
  auto days = Days("2024-01-01", 5);  // 23:00 closes on Jan 1..5
  Timestamp jan3 = *ParseTimestamp("2024-01-03");
  std::vector<Timestamp> hours = {jan3 + 9 * 3600 * kNanosPerSecond, jan3 + 10 * 3600 * kNanosPerSecond};
  ASSERT_TRUE(store_->Write("prices/contract_daily", "C/1", bars(days, 1)).ok());
  EXPECT_EQ(Doubles(**store_->ReadMerged("prices/contract_daily", "prices/contract_hourly", "C/1"), "CLOSE").size(),
            5u);
  ASSERT_TRUE(store_->Write("prices/contract_hourly", "C/1", bars(hours, 2)).ok());
  auto merged = store_->ReadMerged("prices/contract_daily", "prices/contract_hourly", "C/1");
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(Times(**merged), (std::vector<Timestamp>{days[0], days[1], hours[0], hours[1]}));
  EXPECT_EQ(Doubles(**merged, "CLOSE"), (std::vector<double>{1, 1, 2, 2}));
  EXPECT_TRUE(store_->ReadMerged("prices/contract_daily", "prices/contract_hourly", "nope").status().IsNotFound());
}

TEST_F(TimeSeriesStoreTest, SmallPartitionsAreRewrittenNotFragmented) {
  auto days = Days("2024-01-01", 30);
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries({days[0]}, {{"price", {0}}})).ok());
  for (int i = 1; i < 30; ++i) {
    ASSERT_TRUE(store_->Append("a", "K", MakeSeries({days[i]}, {{"price", {double(i)}}})).ok());
  }
  auto l = store_->List("a");
  EXPECT_EQ((*l)[0].files, 1);
  EXPECT_EQ((*l)[0].rows, 30);
}

TEST_F(TimeSeriesStoreTest, SecondWriterIsRefusedWithTheHoldersPid) {
  ASSERT_TRUE(store_->Write("a", "K", MakeSeries(Days("2024-01-01", 1), {{"price", {1}}})).ok());
  auto other = Reopen();
  auto refused = other->Append("a", "K", MakeSeries(Days("2024-01-02", 1), {{"price", {2}}}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("pid " + std::to_string(::getpid())), std::string::npos)
      << refused.status().message();
  // Readers are never refused, and once the writer goes, the other store may write.
  EXPECT_TRUE(other->Read("a", "K").ok());
  store_.reset();
  ASSERT_TRUE(other->Append("a", "K", MakeSeries(Days("2024-01-02", 1), {{"price", {2}}})).ok());
  other.reset();
  EXPECT_EQ(Doubles(**Reopen()->Read("a", "K"), "price"), (std::vector<double>{1, 2}));
}

TEST_F(TimeSeriesStoreTest, WalAppendsAreVisibleAtOnceAndFlushedOnClose) {
  ASSERT_TRUE(store_->Write("fx/spot", "GBPUSD", MakeSeries(Days("2024-01-01", 1), {{"price", {1}}})).ok());
  int64_t v = *store_->CurrentVersion("fx/spot");
  auto days = Days("2024-01-02", 50);
  for (int i = 0; i < 50; ++i) {
    auto r = store_->Append("fx/spot", "GBPUSD", MakeSeries({days[i]}, {{"price", {double(i + 2)}}}));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->version, -1);  // in the log, not committed yet
  }
  EXPECT_EQ(*store_->CurrentVersion("fx/spot"), v);
  EXPECT_EQ((*store_->Read("fx/spot", "GBPUSD"))->num_rows(), 51);
  EXPECT_EQ(Doubles(**store_->Latest("fx/spot", "GBPUSD", 2), "price"), (std::vector<double>{50, 51}));
  EXPECT_EQ((*store_->List("fx/spot"))[0].rows, 51);
  ReadOptions range;
  range.start = days[10];
  range.end = days[11];
  EXPECT_EQ(Doubles(**store_->Read("fx/spot", "GBPUSD", range), "price"), (std::vector<double>{12, 13}));
  // Overlap is refused against the tail too.
  EXPECT_TRUE(
      store_->Append("fx/spot", "GBPUSD", MakeSeries({days[49]}, {{"price", {0}}})).status().IsInvalidArgument());
  // A regular write flushes the tail first, keeping time order.
  ASSERT_TRUE(
      store_
          ->Merge("fx/spot", "GBPUSD", MakeSeries({days[49] + kNanosPerDay}, {{"price", {99}}}), MergeMode::kNewerOnly)
          .ok());
  EXPECT_EQ((*store_->Read("fx/spot", "GBPUSD"))->num_rows(), 52);
  ASSERT_TRUE(store_->Append("fx/spot", "EURUSD", MakeSeries(Days("2024-01-01", 3), {{"price", {1, 2, 3}}})).ok());
  store_.reset();  // flush on close
  auto again = Reopen();
  EXPECT_EQ((*again->Read("fx/spot", "GBPUSD"))->num_rows(), 52);
  EXPECT_EQ((*again->Read("fx/spot", "EURUSD"))->num_rows(), 3);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/fx/spot/_wal/00000000000000000001.wal"));
}

TEST_F(TimeSeriesStoreTest, FlushCommitsTheTailAndCompactMergesFiles) {
  TimeSeriesStoreOptions o;
  o.root = dir_.path();
  o.wal.flush_age_ms = 1'000'000;
  store_.reset();
  auto s = std::move(TimeSeriesStore::Open(o)).MoveValueUnsafe();
  DatasetOptions big;
  big.rewrite_partition_below_rows = 0;  // always add files, so there is something to compact
  ASSERT_TRUE(s->CreateDataset("a", big).ok());
  ASSERT_TRUE(s->Write("a", "K", MakeSeries(Days("2024-01-01", 1), {{"price", {0}}})).ok());
  auto days = Days("2024-01-02", 9);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      ASSERT_TRUE(s->Append("a", "K", MakeSeries({days[i * 3 + j]}, {{"price", {double(i * 3 + j + 1)}}})).ok());
    }
    ASSERT_TRUE(s->Flush("a").ok());
  }
  auto versions = s->Versions("a", "K");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->size(), 4u);  // write + three flushes
  EXPECT_EQ((*s->List("a"))[0].files, 4);
  auto c = s->Compact("a");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*s->List("a"))[0].files, 1);
  EXPECT_EQ(Doubles(**s->Read("a", "K"), "price"), (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  ReadOptions before;
  before.as_of_version = c->version - 1;
  EXPECT_EQ((*s->Read("a", "K", before))->num_rows(), 10);  // old files still readable
}

TEST_F(TimeSeriesStoreTest, TicksKeepEqualTimestampsInArrivalOrder) {
  const Timestamp t0 = *ParseTimestamp("2024-03-04 14:30:00");
  auto at = [&](std::vector<int> ms) {
    std::vector<Timestamp> out;
    for (int m : ms) out.push_back(t0 + m * 1'000'000LL);
    return out;
  };
  auto ticks = [&](std::vector<int> ms, std::vector<double> price) {
    return MakeSeries(at(ms), {{"price", price}, {"size", std::vector<double>(price.size(), 1)}});
  };
  auto prices = [&](TimeSeriesStore& s) { return Doubles(**s.Read("ticks/ES", "ESH4"), "price"); };
  // Three trades stamped with one millisecond are data, in the order they arrived.
  ASSERT_TRUE(store_->Write("ticks/ES", "ESH4", ticks({1, 2, 2, 2, 3}, {1, 2, 3, 4, 5})).ok());
  EXPECT_EQ(store_->GetDatasetOptions("ticks/ES")->compression, DatasetOptions::Compression::kLz4);
  EXPECT_EQ(prices(*store_), (std::vector<double>{1, 2, 3, 4, 5}));
  // Other series keep strictly increasing timestamps.
  auto generic = store_->Write("prices/x", "K", MakeSeries(at({1, 1}), {{"price", {1, 2}}}));
  EXPECT_NE(generic.status().message().find("duplicates the previous row"), std::string::npos);
  EXPECT_TRUE(store_->Write("ticks/ES", "BAD", ticks({2, 1}, {1, 2})).status().IsInvalidArgument());
  // Appends (through the WAL) may start at the last stored timestamp, not before it.
  ASSERT_TRUE(store_->Append("ticks/ES", "ESH4", ticks({3, 3}, {6, 7})).ok());
  ASSERT_TRUE(store_->Append("ticks/ES", "ESH4", ticks({3}, {8})).ok());
  EXPECT_TRUE(store_->Append("ticks/ES", "ESH4", ticks({2}, {0})).status().IsInvalidArgument());
  const std::vector<double> all = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(prices(*store_), all);
  {  // What a crash leaves (data files + WAL) replays in order: every record once.
    TempDir copy;
    std::filesystem::copy(dir_.path(), copy.path(), std::filesystem::copy_options::recursive |
                                                        std::filesystem::copy_options::overwrite_existing);
    TimeSeriesStoreOptions o;
    o.root = copy.path();
    auto replayed = TimeSeriesStore::Open(o);
    ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
    EXPECT_EQ(prices(**replayed), all);
    int64_t replayed_rows = 0;
    for (const auto& rep : (*replayed)->RecoveryReports()) replayed_rows += rep.rows_replayed;
    EXPECT_EQ(replayed_rows, 3);  // the two appends came back from the WAL
  }
  // The flushed tail starts at the timestamp the first file ends with: read, compact and
  // reopen all keep arrival order.
  ASSERT_TRUE(store_->Flush("ticks/ES").ok());
  EXPECT_EQ(prices(*store_), all);
  ASSERT_TRUE(store_->Compact("ticks/ES").ok());
  EXPECT_EQ(prices(*store_), all);
  store_ = Reopen();
  EXPECT_EQ(prices(*store_), all);
  EXPECT_EQ(store_->GetDatasetOptions("ticks/ES")->compression, DatasetOptions::Compression::kLz4);  // persisted
  ReadOptions scan;
  scan.fill_cache = false;  // a bulk scan reads the same rows
  EXPECT_EQ(Doubles(**store_->Read("ticks/ES", "ESH4", scan), "price"), all);

  // Merges treat the rows of one timestamp as a unit. Overwrite replaces the stored rows
  // within the incoming range.
  auto r = store_->Merge("ticks/ES", "ESH4", ticks({2, 2}, {20, 21}), MergeMode::kOverwrite);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_added, 2);
  EXPECT_EQ(r->rows_removed, 3);
  EXPECT_EQ(prices(*store_), (std::vector<double>{1, 20, 21, 5, 6, 7, 8}));
  r = store_->Merge("ticks/ES", "ESH4", ticks({2, 2}, {20, 21}), MergeMode::kOverwrite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, -1);  // the same ticks again: nothing to commit
  EXPECT_EQ(r->rows_duplicate, 2);
  // Fill-gaps adds timestamps without stored ticks; a stored group wins.
  r = store_->Merge("ticks/ES", "ESH4", ticks({2, 4, 4}, {99, 9, 10}), MergeMode::kFillGaps);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows_added, 2);
  EXPECT_EQ(r->rows_conflicting, 1);
  // Newer-only: the group at the last stored time counts as duplicate, later ones added.
  r = store_->Merge("ticks/ES", "ESH4", ticks({4, 4, 5}, {9, 10, 11}), MergeMode::kNewerOnly);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows_duplicate, 2);
  EXPECT_EQ(r->rows_added, 1);
  EXPECT_EQ(prices(*store_), (std::vector<double>{1, 20, 21, 5, 6, 7, 8, 9, 10, 11}));
}

TEST_F(TimeSeriesStoreTest, TickOverwriteReplacesTheWholeRangeAcrossPartitions) {
  // Day partitions: ticks on three days; an overwrite from day 1 10:00 to day 3 09:00
  // removes every stored tick in that range, also on day 2 where no incoming row falls.
  const Timestamp d1 = *ParseTimestamp("2024-03-04"), h = 3600 * kNanosPerSecond;
  std::vector<Timestamp> ts = {d1 + 9 * h, d1 + 11 * h, d1 + kNanosPerDay + 12 * h, d1 + 2 * kNanosPerDay + 8 * h,
                               d1 + 2 * kNanosPerDay + 10 * h};
  ASSERT_TRUE(store_->Write("ticks/ES", "K", MakeSeries(ts, {{"price", {1, 2, 3, 4, 5}}, {"size", {1, 1, 1, 1, 1}}})).ok());
  auto r = store_->Merge("ticks/ES", "K",
                         MakeSeries({d1 + 10 * h, d1 + 2 * kNanosPerDay + 9 * h}, {{"price", {20, 40}}, {"size", {1, 1}}}),
                         MergeMode::kOverwrite);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Doubles(**store_->Read("ticks/ES", "K"), "price"), (std::vector<double>{1, 20, 40, 5}));
  EXPECT_EQ(r->rows_removed, 3);
}

TEST_F(TimeSeriesStoreTest, ConcurrentAppendersShareTheLog) {
  ASSERT_TRUE(store_->Write("prices/live", "seed", MakeSeries({1}, {{"price", {0}}})).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 1; i <= 200; ++i) {
        auto r = store_->Append("prices/live", "K" + std::to_string(t), MakeSeries({i}, {{"price", {double(i)}}}));
        ASSERT_TRUE(r.ok()) << r.status().ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) {
    auto rows = store_->Read("prices/live", "K" + std::to_string(t));
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ((*rows)->num_rows(), 200);
  }
}

TEST_F(TimeSeriesStoreTest, CheckpointsShortcutReplayAndAreOptional) {
  TimeSeriesStoreOptions o;
  o.root = dir_.path();
  o.wal.enabled = false;  // one commit per append
  store_.reset();
  auto s = std::move(TimeSeriesStore::Open(o)).MoveValueUnsafe();
  auto days = Days("2020-01-01", 205);
  ASSERT_TRUE(s->Write("a", "K", MakeSeries({days[0]}, {{"price", {0}}})).ok());
  for (int i = 1; i < 205; ++i) {
    ASSERT_TRUE(s->Append("a", "K", MakeSeries({days[i]}, {{"price", {double(i)}}})).ok());
  }
  const std::string cp = dir_.path() + "/a/_systore/checkpoint-00000000000000000200.json";
  ASSERT_TRUE(std::filesystem::exists(cp));
  auto fresh = Reopen();
  EXPECT_EQ((*fresh->Read("a", "K"))->num_rows(), 205);
  ReadOptions old;
  old.as_of_version = 150;  // below the newest checkpoint: uses the one at 100
  EXPECT_EQ((*fresh->Read("a", "K", old))->num_rows(), 151);
  // A damaged checkpoint is ignored: the commits are the source of truth.
  ASSERT_TRUE(WriteFileDurably(cp, "{broken").ok());
  EXPECT_EQ((*Reopen()->Read("a", "K"))->num_rows(), 205);
}

TEST(DeltaLogTest, SecondCommitOfSameVersionConflicts) {
  TempDir dir;
  DeltaLog log(dir.path() + "/ds");
  CommitPlan plan;
  plan.operation = "CREATE";
  DatasetMeta meta;
  meta.table_id = "t";
  plan.new_meta = meta;
  ASSERT_TRUE(log.Commit(0, plan).ok());
  Status again = log.Commit(0, plan);
  EXPECT_TRUE(again.IsConflict());
  EXPECT_TRUE(again.retryable());
}

TEST(DeltaLogTest, CorruptCommitIsReportedWithFileAndLine) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/ds/_delta_log");
  ASSERT_TRUE(
      WriteFileDurably(dir.path() + "/ds/_delta_log/00000000000000000000.json", "{\"commitInfo\":{}}\n{not json\n")
          .ok());
  DeltaLog log(dir.path() + "/ds");
  DatasetState state;
  Status st = log.Refresh(&state);
  EXPECT_TRUE(st.IsCorruption());
  EXPECT_NE(st.message().find("00000000000000000000.json: line 2"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace systore
