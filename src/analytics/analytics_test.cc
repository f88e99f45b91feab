#include "systore/analytics.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "analytics/ewm.h"
#include "systore/operational_store.h"
#include "systore/reference_store.h"
#include "systore/reference_table.h"
#include "systore/timeseries_store.h"
#include "testing/test_util.h"

namespace systore {
namespace {

using testing::Doubles;
using testing::MakeSeries;
using testing::TempDir;
using testing::Times;

constexpr int64_t kSec = kNanosPerSecond;
constexpr int64_t kMin = 60 * kSec;
const double kNaN = std::nan("");

std::vector<int64_t> Int64s(const arrow::Table& t, const std::string& column) {
  std::vector<int64_t> out;
  for (const auto& chunk : t.GetColumnByName(column)->chunks()) {
    auto a = std::static_pointer_cast<arrow::Int64Array>(chunk);
    for (int64_t i = 0; i < a->length(); ++i) out.push_back(a->Value(i));
  }
  return out;
}

TEST(ParseIntervalTest, PandasStyleUnits) {
  EXPECT_EQ(*ParseInterval("1min"), kMin);
  EXPECT_EQ(*ParseInterval("5min"), 5 * kMin);
  EXPECT_EQ(*ParseInterval("30s"), 30 * kSec);
  EXPECT_EQ(*ParseInterval("1h"), 60 * kMin);
  EXPECT_EQ(*ParseInterval("1d"), kNanosPerDay);
  EXPECT_EQ(*ParseInterval("250ms"), 250'000'000);
  for (const char* bad : {"0s", "-1min", "abc", "", "5parsecs"}) {
    auto r = ParseInterval(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << bad;
    EXPECT_NE(r.status().message().find("--interval"), std::string::npos) << r.status().ToString();
  }
}

TEST(BarsTest, TicksToMinuteBars) {
  // 09:00:10 .. 09:02:30; a NaN price is skipped; two ticks share a timestamp; no ticks
  // in 09:01 gives no bar.
  Timestamp t0 = *ParseTimestamp("2024-03-04 09:00:00");
  std::vector<Timestamp> ts{t0 + 10 * kSec, t0 + 20 * kSec,  t0 + 20 * kSec,
                            t0 + 59 * kSec, t0 + 125 * kSec, t0 + 150 * kSec};
  auto ticks = MakeSeries(ts, {{"price", {10, 12, 9, kNaN, 11, 13}}, {"size", {1, 2, 3, 100, 4, kNaN}}});
  BarOptions o;
  o.interval = kMin;
  auto bars = ComputeBars(*ticks, o);
  ASSERT_TRUE(bars.ok()) << bars.status().ToString();
  const auto& b = **bars;
  EXPECT_EQ(Times(b), (std::vector<Timestamp>{t0, t0 + 2 * kMin}));
  EXPECT_EQ(Doubles(b, "open"), (std::vector<double>{10, 11}));
  EXPECT_EQ(Doubles(b, "high"), (std::vector<double>{12, 13}));
  EXPECT_EQ(Doubles(b, "low"), (std::vector<double>{9, 11}));
  EXPECT_EQ(Doubles(b, "close"), (std::vector<double>{9, 13}));
  EXPECT_EQ(Doubles(b, "volume"), (std::vector<double>{6, 4}));
  EXPECT_EQ(Int64s(b, "count"), (std::vector<int64_t>{3, 2}));
  EXPECT_DOUBLE_EQ(Doubles(b, "vwap")[0], (10 * 1 + 12 * 2 + 9 * 3) / 6.0);
  EXPECT_DOUBLE_EQ(Doubles(b, "vwap")[1], 11.0);
}

TEST(BarsTest, OriginShiftsBins) {
  Timestamp t0 = *ParseTimestamp("2024-03-04 13:00:00");
  auto ticks = MakeSeries({t0 + 10 * kMin, t0 + 40 * kMin}, {{"price", {1, 2}}, {"size", {1, 1}}});
  BarOptions o;
  o.interval = 60 * kMin;
  o.origin = 30 * kMin;  // session at :30
  auto bars = ComputeBars(*ticks, o);
  ASSERT_TRUE(bars.ok());
  EXPECT_EQ(Times(**bars), (std::vector<Timestamp>{t0 - 30 * kMin, t0 + 30 * kMin}));
}

std::shared_ptr<arrow::Table> RandomTicks(int64_t n, uint32_t seed, double nan_share = 0.01) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> gap(0, 3 * kSec);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Timestamp> ts(n);
  std::vector<double> price(n), size(n);
  Timestamp t = *ParseTimestamp("2024-01-02");
  double p = 100;
  for (int64_t i = 0; i < n; ++i) {
    t += u(rng) < 0.1 ? 0 : gap(rng);  // equal timestamps happen
    ts[i] = t;
    p += (u(rng) - 0.5) * 0.1;
    price[i] = u(rng) < nan_share ? kNaN : p;
    size[i] = std::floor(u(rng) * 10) + 1;
  }
  return MakeSeries(ts, {{"price", price}, {"size", size}});
}

TEST(BarsTest, BarsOfBarsEqualBarsOfTicks) {
  auto ticks = RandomTicks(200'000, 7);
  BarOptions minute;
  minute.interval = kMin;
  BarOptions hour;
  hour.interval = 60 * kMin;
  auto direct = ComputeBars(*ticks, hour);
  auto m = ComputeBars(*ticks, minute);
  ASSERT_TRUE(direct.ok() && m.ok());
  auto via = ComputeBars(**m, hour);
  ASSERT_TRUE(via.ok()) << via.status().ToString();
  EXPECT_EQ(Times(**direct), Times(**via));
  for (const char* c : {"open", "high", "low", "close"}) EXPECT_EQ(Doubles(**direct, c), Doubles(**via, c)) << c;
  EXPECT_EQ(Int64s(**direct, "count"), Int64s(**via, "count"));
  auto v1 = Doubles(**direct, "vwap"), v2 = Doubles(**via, "vwap");
  auto q1 = Doubles(**direct, "volume"), q2 = Doubles(**via, "volume");
  ASSERT_EQ(v1.size(), v2.size());
  for (size_t i = 0; i < v1.size(); ++i) {
    EXPECT_NEAR(v1[i], v2[i], 1e-12 * std::abs(v1[i])) << i;
    EXPECT_EQ(q1[i], q2[i]) << i;
  }
}

TEST(BarsTest, SplitAcrossThreadsEqualsOnePass) {
  auto ticks = RandomTicks(5'000'000, 11);  // above the split threshold
  BarOptions o;
  o.interval = 5 * kMin;
  auto both = ComputeBars(*ticks, o);
  auto first = ComputeBars(*ticks->Slice(0, 3'999'999), o);
  ASSERT_TRUE(both.ok() && first.ok());
  auto all_but_last = (*both)->Slice(0, (*first)->num_rows() - 1);
  auto first_but_last = (*first)->Slice(0, (*first)->num_rows() - 1);
  EXPECT_TRUE(all_but_last->Equals(*first_but_last));
}

TEST(BarsTest, BadInputNamesTheProblem) {
  BarOptions o;
  auto no_price = MakeSeries({1, 2}, {{"bid", {1, 2}}});
  auto r = ComputeBars(*no_price, o);
  ASSERT_TRUE(r.status().IsInvalidArgument());
  EXPECT_NE(r.status().message().find("'price'"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("it has: ts, bid"), std::string::npos) << r.status().ToString();
  auto unsorted = MakeSeries({3 * kSec, 2 * kSec, 1 * kSec}, {{"price", {1, 2, 3}}});
  r = ComputeBars(*unsorted, o);
  ASSERT_TRUE(r.status().IsInvalidArgument());
  EXPECT_NE(r.status().message().find("row 1"), std::string::npos) << r.status().ToString();
}

TEST(AsofJoinTest, BackwardWithToleranceAndExactMatches) {
  auto left = MakeSeries({10, 20, 30, 40}, {{"qty", {1, 2, 3, 4}}});
  auto right = MakeSeries({5, 20, 21, 38}, {{"bid", {0.5, 2.0, 2.1, 3.8}}, {"qty", {9, 9, 9, 9}}});
  auto j = AsofJoin(*left, *right);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  auto bid = (*j)->GetColumnByName("bid");
  ASSERT_EQ((*j)->num_rows(), 4);
  EXPECT_EQ(Doubles(**j, "bid"), (std::vector<double>{0.5, 2.0, 2.1, 3.8}));
  EXPECT_NE((*j)->GetColumnByName("qty_right"), nullptr);

  AsofOptions o;
  o.tolerance = 5;
  o.allow_exact_matches = false;
  j = AsofJoin(*left, *right, o);
  ASSERT_TRUE(j.ok());
  // 10: last before is 5 (gap 5 ok); 20: exact excluded, 5 is 15 away -> null;
  // 30: 21 is 9 away -> null; 40: 38 is 2 away.
  auto col = (*j)->GetColumnByName("bid");
  EXPECT_EQ(col->null_count(), 2);
  auto a = std::static_pointer_cast<arrow::DoubleArray>(col->chunk(0));
  EXPECT_EQ(a->Value(0), 0.5);
  EXPECT_TRUE(a->IsNull(1));
  EXPECT_TRUE(a->IsNull(2));
  EXPECT_EQ(a->Value(3), 3.8);
}

TEST(AsofJoinTest, ParallelRangesEqualOneSequentialPass) {
  // Millions of rows: the left side is split across threads; every split must start its
  // right cursor where a single pass would be. Equal timestamps on both sides, nulls in
  // the right values.
  std::mt19937_64 rng(5);
  auto times = [&](int64_t n) {
    std::vector<int64_t> t(n);
    int64_t x = 0;
    for (auto& v : t) v = (x += static_cast<int64_t>(rng() % 3));  // steps 0, 1, 2
    return t;
  };
  const std::vector<int64_t> lt = times(3'000'000), rt = times(2'500'000);
  std::vector<double> bid(rt.size());
  for (size_t i = 0; i < bid.size(); ++i) bid[i] = i % 1000 == 7 ? kNaN : static_cast<double>(i);
  arrow::DoubleBuilder b;
  for (double v : bid) (void)(std::isnan(v) ? b.AppendNull() : b.Append(v));
  auto right = MakeSeries(rt, {});
  right = *right->AddColumn(1, arrow::field("bid", arrow::float64()),
                            std::make_shared<arrow::ChunkedArray>(b.Finish().ValueOrDie()));
  auto left = MakeSeries(lt, {{"px", std::vector<double>(lt.size(), 1.0)}});
  for (bool exact : {true, false}) {
    AsofOptions o;
    o.allow_exact_matches = exact;
    o.tolerance = 1;
    auto j = AsofJoin(*left, *right, o);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    auto col = (*j)->GetColumnByName("bid");
    ASSERT_EQ(col->num_chunks(), 1);
    auto a = std::static_pointer_cast<arrow::DoubleArray>(col->chunk(0));
    size_t k = 0;
    int64_t mismatches = 0;
    for (size_t i = 0; i < lt.size(); ++i) {
      while (k < rt.size() && (exact ? rt[k] <= lt[i] : rt[k] < lt[i])) ++k;
      const bool want = k > 0 && lt[i] - rt[k - 1] <= 1 && !std::isnan(bid[k - 1]);
      if (a->IsValid(i) != want || (want && a->Value(i) != bid[k - 1])) ++mismatches;
    }
    EXPECT_EQ(mismatches, 0) << "exact=" << exact;
    EXPECT_GT(a->null_count(), 0);
  }
  // Nothing on the right: all null.
  auto none = AsofJoin(*left->Slice(0, 10), *right->Slice(0, 0));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ((*none)->GetColumnByName("bid")->null_count(), 10);
}

TEST(AsofJoinTest, ByKeyAndUnsortedInput) {
  arrow::StringBuilder lb, rb;
  ASSERT_TRUE(lb.AppendValues({"A", "B", "A"}).ok());
  ASSERT_TRUE(rb.AppendValues({"B", "A", "B"}).ok());
  auto left = MakeSeries({10, 20, 30}, {});
  left = *left->AddColumn(1, arrow::field("sym", arrow::utf8()),
                          std::make_shared<arrow::ChunkedArray>(lb.Finish().ValueOrDie()));
  auto right = MakeSeries({5, 8, 25}, {{"px", {1, 2, 3}}});
  right = *right->AddColumn(2, arrow::field("sym", arrow::utf8()),
                            std::make_shared<arrow::ChunkedArray>(rb.Finish().ValueOrDie()));
  AsofOptions o;
  o.by = "sym";
  auto j = AsofJoin(*left, *right, o);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(Doubles(**j, "px"), (std::vector<double>{2, 1, 2}));  // A@10<-A@8, B@20<-B@5, A@30<-A@8
  EXPECT_EQ((*j)->num_columns(), 3);                              // ts, sym, px: the by column is not repeated

  // A row without a `by` value matches nothing, on either side (as merge_asof).
  arrow::StringBuilder ln, rn;
  ASSERT_TRUE(ln.AppendNull().ok() && ln.Append("").ok());
  ASSERT_TRUE(rn.Append("").ok() && rn.AppendNull().ok());
  auto nl = *MakeSeries({10, 20}, {})->AddColumn(1, arrow::field("sym", arrow::utf8()),
                                                 std::make_shared<arrow::ChunkedArray>(ln.Finish().ValueOrDie()));
  auto nr = *MakeSeries({5, 15}, {{"px", {7, 8}}})
                 ->AddColumn(2, arrow::field("sym", arrow::utf8()),
                             std::make_shared<arrow::ChunkedArray>(rn.Finish().ValueOrDie()));
  auto nj = AsofJoin(*nl, *nr, o);
  ASSERT_TRUE(nj.ok()) << nj.status().ToString();
  auto npx = std::static_pointer_cast<arrow::DoubleArray>((*nj)->GetColumnByName("px")->chunk(0));
  EXPECT_TRUE(npx->IsNull(0));         // null key
  EXPECT_EQ(npx->Value(1), 7);         // "" matches "" at 5, not the null-keyed row at 15

  auto unsorted = MakeSeries({3, 1}, {{"px", {1, 2}}});
  auto r = AsofJoin(*left, *unsorted);
  ASSERT_TRUE(r.status().IsInvalidArgument());
  EXPECT_NE(r.status().message().find("right table row 1"), std::string::npos) << r.status().ToString();
}

TEST(EwmTest, MatchesHandComputedPandasValues) {
  // pandas: Series([1, 2, nan, 4]).ewm(com=1).mean() = 1, 5/3, 5/3, 3.3076923...
  auto m = analytics::EwmMean({1, 2, kNaN, 4}, 1.0, 0);
  EXPECT_DOUBLE_EQ(m[0], 1);
  EXPECT_DOUBLE_EQ(m[1], 5.0 / 3);
  EXPECT_DOUBLE_EQ(m[2], 5.0 / 3);
  // weights after the gap: old 1.5 * 0.25 = 0.375 (two steps), new 1.
  EXPECT_DOUBLE_EQ(m[3], (0.375 * (5.0 / 3) + 4) / 1.375);
  // ewm(com=1).std() of [1, 2] = std of two points with weights 0.5, 1, bias-corrected.
  auto s = analytics::EwmStd({1, 2}, 1.0, 0);
  EXPECT_TRUE(std::isnan(s[0]));
  // mean = 5/3, biased var = (0.5*(1-5/3)^2 + (2-5/3)^2)/1.5 = 2/9; correction
  // (1.5^2)/(1.5^2 - 1.25) = 2.25.
  EXPECT_NEAR(s[1], std::sqrt(2.0 / 9 * 2.25), 1e-15);
}

TEST(VolatilityTest, BusinessDaysAndMinPeriods) {
  // Fri 2024-03-01 .. : a Saturday row counts for Friday; Monday missing -> NaN.
  Timestamp fri = *ParseTimestamp("2024-03-01 23:00");
  auto prices = MakeSeries({fri, fri + kNanosPerDay, fri + 4 * kNanosPerDay}, {{"price", {1, 2, 3}}});
  auto d = BusinessDayPrices(*prices);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  Timestamp fri0 = *ParseTimestamp("2024-03-01");
  EXPECT_EQ(Times(**d), (std::vector<Timestamp>{fri0, fri0 + 3 * kNanosPerDay, fri0 + 4 * kNanosPerDay}));
  auto px = Doubles(**d, "price");
  EXPECT_EQ(px[0], 2);
  EXPECT_TRUE(std::isnan(px[1]));
  EXPECT_EQ(px[2], 3);

  std::vector<Timestamp> ts = testing::Days("2020-01-01", 400);
  std::vector<double> p(400);
  std::mt19937 rng(3);
  std::normal_distribution<double> step(0, 1);
  double x = 100;
  for (auto& v : p) v = (x += step(rng));
  auto vol = ComputeVolatility(*MakeSeries(ts, {{"price", p}}));
  ASSERT_TRUE(vol.ok()) << vol.status().ToString();
  auto vols = Doubles(**vol, "vol");
  ASSERT_FALSE(vols.empty());
  for (double v : vols) EXPECT_TRUE(v > 0.3 && v < 3) << v;  // unit-step random walk
  auto f = ComputeEwmac(*MakeSeries(ts, {{"price", p}}));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->num_columns(), 7);
  EXPECT_EQ((*f)->schema()->field(4)->name(), "ewmac16_64");
  EXPECT_EQ((*f)->num_rows(), (*vol)->num_rows());
}

class AnalyticsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TimeSeriesStoreOptions o;
    o.root = dir_.path();
    store_ = std::move(TimeSeriesStore::Open(o)).ValueOrDie();
    AnalyticsOptions ao;
    ao.store = store_.get();
    analytics_ = std::move(Analytics::Open(ao)).ValueOrDie();
  }
  std::shared_ptr<arrow::Table> Walk(const std::string& first_day, int n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> step(0, 1);
    std::vector<double> p(n);
    double x = 100;
    for (auto& v : p) v = (x += step(rng));
    return MakeSeries(testing::Days(first_day, n), {{"price", p}});
  }
  TempDir dir_;
  std::unique_ptr<TimeSeriesStore> store_;
  std::unique_ptr<Analytics> analytics_;
};

TEST_F(AnalyticsStoreTest, VolatilityLineageSkipAndRecompute) {
  ASSERT_TRUE(store_->Write("prices/adjusted", "AAA", Walk("2020-01-01", 300, 1)).ok());
  ASSERT_TRUE(store_->Write("prices/adjusted", "BBB", Walk("2020-01-01", 300, 2)).ok());
  auto run = analytics_->Volatility("prices/adjusted", "analytics/volatility", {});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->series_read, 2);
  EXPECT_EQ(run->series_written, 2);
  EXPECT_GE(run->version, 0);
  auto versions = store_->Versions("analytics/volatility");
  ASSERT_TRUE(versions.ok());
  EXPECT_NE(versions->back().user_metadata.find("\"source\":\"prices/adjusted\""), std::string::npos)
      << versions->back().user_metadata;

  // Unchanged inputs: no new version.
  int64_t v = *store_->CurrentVersion("analytics/volatility");
  auto again = analytics_->Volatility("prices/adjusted", "analytics/volatility", {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->series_unchanged, 2);
  EXPECT_EQ(again->version, -1);
  EXPECT_EQ(*store_->CurrentVersion("analytics/volatility"), v);

  // A merged day into one key recomputes that key only, equal to a full computation.
  auto day = MakeSeries(testing::Days("2020-10-27", 1), {{"price", {123.0}}});
  ASSERT_TRUE(store_->Merge("prices/adjusted", "BBB", day, MergeMode::kNewerOnly).ok());
  auto third = analytics_->Volatility("prices/adjusted", "analytics/volatility", {});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->series_unchanged, 1);
  EXPECT_EQ(third->series_written, 1);
  auto stored = store_->Read("analytics/volatility", "BBB");
  auto full = ComputeVolatility(**store_->Read("prices/adjusted", "BBB"));
  ASSERT_TRUE(stored.ok() && full.ok());
  EXPECT_TRUE((*stored)->Equals(**full));

  // Different parameters recompute everything.
  VolatilityOptions slow;
  slow.days = 60;
  auto fourth = analytics_->Volatility("prices/adjusted", "analytics/volatility", {}, slow);
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(fourth->series_written, 2);
}

TEST_F(AnalyticsStoreTest, ForecastsPerInstrumentAndRule) {
  ASSERT_TRUE(store_->Write("prices/adjusted", "AAA", Walk("2020-01-01", 300, 1)).ok());
  ForecastOptions o;
  o.rules = {{8, 32}, {16, 64}};
  auto run = analytics_->Forecasts("prices/adjusted", "", {"AAA"}, o);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->series_written, 2);
  auto listed = store_->List("analytics/forecasts");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "AAA/ewmac16_64");
  EXPECT_EQ((*listed)[1].key, "AAA/ewmac8_32");
}

TEST_F(AnalyticsStoreTest, BarsIncrementalAfterAppendsEqualsFull) {
  DatasetOptions ticks;
  ticks.kind = SeriesKind::kTicks;
  ticks.partition = PartitionGranularity::kDay;
  ASSERT_TRUE(store_->CreateDataset("ticks/ES", ticks).ok());
  auto all = RandomTicks(120'000, 5, 0.0);
  // Equal timestamps are not storable yet: keep the last tick of each timestamp.
  std::vector<Timestamp> ts = Times(*all);
  std::vector<int64_t> keep;
  for (size_t i = 0; i < ts.size(); ++i)
    if (i + 1 == ts.size() || ts[i + 1] != ts[i]) keep.push_back(i);
  auto price = Doubles(*all, "price"), size = Doubles(*all, "size");
  std::vector<Timestamp> kt;
  std::vector<double> kp, ks;
  for (auto i : keep) {
    kt.push_back(ts[i]);
    kp.push_back(price[i]);
    ks.push_back(size[i]);
  }
  auto unique = MakeSeries(kt, {{"price", kp}, {"size", ks}});
  const int64_t half = unique->num_rows() / 2;
  ASSERT_TRUE(store_->Write("ticks/ES", "ESH4", unique->Slice(0, half)).ok());
  BarOptions o;
  o.interval = 5 * kMin;
  auto first = analytics_->Bars("ticks/ES", "bars/5min", {}, o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->rows_read, half);
  ASSERT_TRUE(store_->Append("ticks/ES", "ESH4", unique->Slice(half)).ok());
  ASSERT_TRUE(store_->Flush("ticks/ES").ok());
  auto second = analytics_->Bars("ticks/ES", "bars/5min", {}, o);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_LT(second->rows_read, unique->num_rows() - half + 10'000);  // the tail, not everything
  auto fresh = analytics_->Bars("ticks/ES", "bars/5min-full", {}, o);
  ASSERT_TRUE(fresh.ok());
  auto a = store_->Read("bars/5min", "ESH4");
  auto b = store_->Read("bars/5min-full", "ESH4");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE((*a)->Equals(**b));
  auto direct = ComputeBars(*unique, o);
  EXPECT_EQ((*a)->num_rows(), (*direct)->num_rows());
}

TEST_F(AnalyticsStoreTest, BadInputErrors) {
  auto r = analytics_->Volatility("prices/nope", "analytics/volatility", {});
  ASSERT_TRUE(r.status().IsNotFound());
  EXPECT_NE(r.status().message().find("prices/nope"), std::string::npos);
  ASSERT_TRUE(store_->Write("prices/adjusted", "AAA", Walk("2020-01-01", 300, 1)).ok());
  r = analytics_->Volatility("prices/adjusted", "analytics/volatility", {"ZZZ"});
  ASSERT_TRUE(r.status().IsNotFound());
  EXPECT_NE(r.status().message().find("'ZZZ'"), std::string::npos);
  // An output dataset with another schema: clear error, nothing written.
  ASSERT_TRUE(store_->Write("analytics/other", "AAA", MakeSeries({1, 2}, {{"x", {1, 2}}})).ok());
  int64_t v = *store_->CurrentVersion("analytics/other");
  r = analytics_->Volatility("prices/adjusted", "analytics/other", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nothing was written"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(*store_->CurrentVersion("analytics/other"), v);
}

}  // namespace
}  // namespace systore

namespace systore {
namespace {

// ---- Correlations ----------------------------------------------------------------------

TEST(EwmCorrTest, JointObservationsOnlyAndBounded) {
  std::mt19937 rng(7);
  std::normal_distribution<double> z(0, 1);
  std::vector<double> x(200), y(200), neg(200);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = z(rng);
    y[i] = 2 * x[i] + 1;  // perfectly correlated
    neg[i] = -x[i];
  }
  y[50] = kNaN;  // pairs with a missing side do not count
  auto c = analytics::EwmCorr(x, y, analytics::ComFromSpan(25), 20);
  EXPECT_TRUE(std::isnan(c[18]));  // 19 observations < min_periods
  for (size_t i = 25; i < c.size(); ++i) EXPECT_NEAR(c[i], 1.0, 1e-12) << i;
  auto n = analytics::EwmCorr(x, neg, analytics::ComFromSpan(25), 20);
  EXPECT_NEAR(n.back(), -1.0, 1e-12);
}

class CorrelationTest : public ::testing::Test {
 protected:
  /// Daily prices over business days; `mix` blends a common driver into each series.
  std::vector<NamedSeries> Make(int days, const std::vector<double>& mix, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> z(0, 1);
    std::vector<int64_t> ts;
    for (int64_t d = FromCivilDate(2015, 1, 5) / kNanosPerDay; static_cast<int>(ts.size()) < days; ++d)
      if (((d + 3) % 7 + 7) % 7 < 5) ts.push_back(d * kNanosPerDay);
    std::vector<std::vector<double>> p(mix.size(), std::vector<double>(ts.size()));
    std::vector<double> level(mix.size(), 100);
    for (size_t i = 0; i < ts.size(); ++i) {
      const double common = z(rng);
      for (size_t k = 0; k < mix.size(); ++k) p[k][i] = level[k] += mix[k] * common + (1 - std::abs(mix[k])) * z(rng);
    }
    std::vector<NamedSeries> out;
    for (size_t k = 0; k < mix.size(); ++k) out.push_back({"S" + std::to_string(k), MakeSeries(ts, {{"price", p[k]}})});
    return out;
  }
};

TEST_F(CorrelationTest, WeeklyRowsPairColumnsFloorAndCleaning) {
  auto series = Make(1000, {0.9, 0.9, -0.9}, 3);
  auto late = Make(1000, {0.5}, 4)[0];  // starts late: fewer rows
  late.name = "LATE";
  late.table = late.table->Slice(600);
  series.push_back(late);
  auto r = ComputeCorrelations(series);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& t = **r;
  ASSERT_EQ(t.num_columns(), 1 + 6);
  EXPECT_EQ(t.schema()->field(1)->name(), "S0:S1");
  EXPECT_EQ(t.schema()->field(6)->name(), "S2:LATE");
  auto ts = Times(t);
  for (size_t i = 1; i < ts.size(); ++i) EXPECT_EQ(ts[i] - ts[i - 1], 7 * kNanosPerDay);
  EXPECT_EQ(((ts[0] / kNanosPerDay + 3) % 7), 6);  // Sundays
  auto s01 = Doubles(t, "S0:S1"), s02 = Doubles(t, "S0:S2"), late_col = Doubles(t, "S0:LATE");
  EXPECT_GT(s01.back(), 0.6);
  EXPECT_LE(s01.back(), 1.0);
  for (double v : s02) EXPECT_EQ(v, 0.0);  // negatively correlated: floored at zero
  // Before LATE has data its pairs hold offdiag 0.99; once it has returns but not yet 20
  // joint weeks, the average correlation of the defined pairs.
  EXPECT_EQ(late_col.front(), 0.99);
  EXPECT_NE(late_col.back(), 0.99);
  CorrelationOptions raw;
  raw.cleaning = false;
  raw.floor_at_zero = false;
  auto u = ComputeCorrelations(series, raw);
  ASSERT_TRUE(u.ok());
  EXPECT_LT(Doubles(**u, "S0:S2").back(), -0.6);
  EXPECT_TRUE(std::isnan(Doubles(**u, "S0:LATE").front()));

  EXPECT_EQ(ComputeCorrelations({series[0]}).status().code(), StatusCode::kInvalidArgument);
  auto bad = series;
  bad[0].name = "A:B";
  EXPECT_NE(ComputeCorrelations(bad).status().message().find("':'"), std::string::npos);
}

TEST_F(AnalyticsStoreTest, CorrelationsOneSeriesSkipUnchangedRecomputeOnChange) {
  for (const char* k : {"AAA", "BBB", "CCC"})
    ASSERT_TRUE(store_->Write("prices/adjusted", k, Walk("2015-01-01", 800, k[0])).ok());
  auto run = analytics_->Correlations("prices/adjusted", "", {});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->output, "analytics/correlations");
  EXPECT_EQ(run->series_read, 3);
  EXPECT_EQ(run->series_written, 1);
  auto stored = store_->Read("analytics/correlations", "portfolio");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ((*stored)->num_columns(), 4);
  auto again = analytics_->Correlations("prices/adjusted", "", {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, -1);
  EXPECT_EQ(again->series_unchanged, 3);
  // One input changes: everything is read again and the result equals a fresh computation.
  ASSERT_TRUE(store_->Write("prices/adjusted", "BBB", Walk("2015-01-01", 820, 9)).ok());
  auto third = analytics_->Correlations("prices/adjusted", "", {});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->series_read, 3);
  EXPECT_GT(third->version, run->version);
  std::vector<NamedSeries> in;
  for (const char* k : {"AAA", "BBB", "CCC"}) in.push_back({k, *store_->Read("prices/adjusted", k)});
  auto fresh = ComputeCorrelations(in);
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE((*store_->Read("analytics/correlations", "portfolio"))->Equals(**fresh));
  EXPECT_EQ(analytics_->Correlations("prices/adjusted", "", {"AAA"}).status().code(), StatusCode::kInvalidArgument);
}

// ---- P&L -------------------------------------------------------------------------------

class PnlTest : public AnalyticsStoreTest {
 protected:
  void SetUp() override {
    AnalyticsStoreTest::SetUp();
    ops_ = std::move(OperationalStore::Open({.uri = "sqlite://" + dir_.path() + "/ops.sqlite"})).ValueOrDie();
    ReferenceStoreOptions ro;
    ro.root = dir_.path();
    ref_ = std::move(ReferenceStore::Open(ro)).ValueOrDie();
    const std::string csv = dir_.path() + "/instrumentconfig.csv";
    std::ofstream(csv) << "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n"
                          "BUND,test bund,10,EUR,Bond,0,0,0,EMEA\n"
                          "CORNX,test corn,50,USD,Ags,0,0,0,US\n";
    ASSERT_TRUE(ref_->ImportTable("instruments", csv, {.actor = "test", .reason = "test"}).ok());
    // 2024-03-04 (Mon) .. 03-08 (Fri). BUND rolls from A to B on Wednesday, where A is
    // still priced in the CARRY column; CORNX only has a PRICE.
    const std::vector<int64_t> days = testing::Days("2024-03-04", 5);
    const std::string A = "20240300", B = "20240600", C = "20240900";
    // One table per instrument with the dataset's schema; "" contract = no price.
    auto multiple = [&](const std::vector<double>& p, const std::vector<std::string>& pc, const std::vector<double>& f,
                        const std::vector<std::string>& fc, const std::vector<double>& k,
                        const std::vector<std::string>& kc) {
      auto doubles = [](const std::vector<double>& v) {
        arrow::DoubleBuilder b;
        for (double x : v) (void)(std::isnan(x) ? b.AppendNull() : b.Append(x));
        return std::make_shared<arrow::ChunkedArray>(b.Finish().ValueOrDie());
      };
      auto strings = [](const std::vector<std::string>& v) {
        arrow::StringBuilder b;
        for (const auto& x : v) (void)b.Append(x);
        return std::make_shared<arrow::ChunkedArray>(b.Finish().ValueOrDie());
      };
      auto ts = MakeSeries(days, {})->column(0);
      return arrow::Table::Make(
          arrow::schema({arrow::field("ts", ts->type()), arrow::field("CARRY", arrow::float64()),
                         arrow::field("CARRY_CONTRACT", arrow::utf8()), arrow::field("PRICE", arrow::float64()),
                         arrow::field("PRICE_CONTRACT", arrow::utf8()), arrow::field("FORWARD", arrow::float64()),
                         arrow::field("FORWARD_CONTRACT", arrow::utf8())}),
          {ts, doubles(k), strings(kc), doubles(p), strings(pc), doubles(f), strings(fc)});
    };
    auto st = store_->Write("prices/multiple", "BUND",
                            multiple({100, 101, 104, 105, 103}, {A, A, B, B, B}, {102, 103, 106, 107, 106},
                                     {B, B, C, C, C}, {kNaN, kNaN, 102, kNaN, kNaN}, {"", "", A, "", ""}));
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    const std::string M = "20240500";
    st = store_->Write("prices/multiple", "CORNX",
                       multiple({398, 401, 399, 402, 405}, {M, M, M, M, M}, std::vector<double>(5, kNaN),
                                std::vector<std::string>(5, ""), std::vector<double>(5, kNaN),
                                std::vector<std::string>(5, "")));
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    // EURUSD: no Thursday close, so Thursday converts at Wednesday's rate.
    std::vector<int64_t> fx_days = {days[0], days[1], days[2], days[4]};
    ASSERT_TRUE(store_->Write("fx/spot", "EURUSD", MakeSeries(fx_days, {{"PRICE", {1.10, 1.12, 1.08, 1.09}}})).ok());
  }
  void Fill(const std::string& instrument, const std::string& contract, int64_t qty, double price, double fee,
            int day, int hour) {
    auto id = ops_->AddOrder({.strategy = "S",
                              .instrument = instrument,
                              .contract = contract,
                              .side = qty > 0 ? Side::kBuy : Side::kSell,
                              .quantity = std::abs(qty)});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    const Timestamp at = *ParseTimestamp("2024-03-04") + day * kNanosPerDay + hour * 3600 * kSec;
    auto f = ops_->ApplyFill(
        {.order_id = *id, .quantity = std::abs(qty), .price = price, .commission = fee, .exec_id = "X" + std::to_string(++exec_), .time = at});
    ASSERT_TRUE(f.ok()) << f.status().ToString();
  }
  PnlOptions Options() {
    PnlOptions o;
    o.operational = ops_.get();
    o.reference = ref_.get();
    return o;
  }
  std::unique_ptr<OperationalStore> ops_;
  std::unique_ptr<ReferenceStore> ref_;
  int exec_ = 0;
};

TEST_F(PnlTest, HandCalculationAcrossARollAndACurrency) {
  Fill("BUND", "20240300", +2, 99.5, 1.0, 0, 10);  // Mon
  Fill("BUND", "20240300", -2, 102.5, 1.0, 2, 9);  // Wed: the roll, A out ...
  Fill("BUND", "20240600", +2, 103.5, 1.0, 2, 9);  // ... B in
  Fill("BUND", "20240600", -1, 105.5, 0.5, 3, 12);  // Thu
  Fill("CORNX", "20240500", +1, 400.0, 0.0, 1, 15);  // Tue
  auto run = analytics_->Pnl("", Options());
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->output, "analytics/pnl");
  EXPECT_EQ(run->series_written, 3);
  auto bund = *store_->Read("analytics/pnl", "S/BUND");
  // By hand (points x 10, minus commission; then EUR -> USD):
  //   Mon 2x(100-99.5)=1 -> 10-1 = 9          x1.10
  //   Tue 2x(101-100)=2 -> 20                 x1.12
  //   Wed 2x(102-101) [A's close from CARRY] -2x(102-102.5) +2x(104-103.5) = 4 -> 40-2 = 38  x1.08
  //   Thu 2x(105-104) -1x(105-105.5) = 2.5 -> 25-0.5 = 24.5   x1.08 (no Thursday FX)
  //   Fri 1x(103-105) = -2 -> -20             x1.09
  // Total 71.5 EUR = cash -199+205-207+105.5 plus 1 B at 103, x10, minus 3.5 commission.
  const std::vector<double> local = {9, 20, 38, 24.5, -20}, fx = {1.10, 1.12, 1.08, 1.08, 1.09};
  auto got_local = Doubles(*bund, "pnl_local"), got_fx = Doubles(*bund, "fx"), got = Doubles(*bund, "pnl");
  ASSERT_EQ(got_local.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(got_local[i], local[i], 1e-9) << i;
    EXPECT_DOUBLE_EQ(got_fx[i], fx[i]) << i;
    EXPECT_NEAR(got[i], local[i] * fx[i], 1e-9) << i;
  }
  EXPECT_EQ(Doubles(*bund, "position"), (std::vector<double>{2, 2, 2, 1, 1}));
  EXPECT_EQ(Doubles(*bund, "commission"), (std::vector<double>{1, 0, 2, 0.5, 0}));
  auto corn = *store_->Read("analytics/pnl", "S/CORNX");
  EXPECT_EQ(Doubles(*corn, "pnl"), (std::vector<double>{50, -100, 150, 150}));  // from Tuesday, USD
  auto total = Doubles(**store_->Read("analytics/pnl", "S"), "pnl");
  const std::vector<double> want = {9 * 1.10, 20 * 1.12 + 50, 38 * 1.08 - 100, 24.5 * 1.08 + 150, -20 * 1.09 + 150};
  ASSERT_EQ(total.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(total[i], want[i], 1e-9) << i;

  // Unchanged inputs: no new version. A new fill: recomputed.
  auto again = analytics_->Pnl("", Options());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, -1);
  Fill("CORNX", "20240500", -1, 404.0, 0.0, 4, 10);
  auto third = analytics_->Pnl("", Options());
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_GT(third->version, run->version);
  EXPECT_EQ(Doubles(**store_->Read("analytics/pnl", "S/CORNX"), "pnl").back(), (404.0 - 402.0) * 50);
  // A fill after the last close (Saturday, prices not in yet) is still counted, marked at
  // the last close; the rebuilt position reconciles.
  Fill("CORNX", "20240500", +2, 406.0, 1.0, 5, 10);
  auto sat = analytics_->Pnl("", Options());
  ASSERT_TRUE(sat.ok()) << sat.status().ToString();
  auto corn_sat = *store_->Read("analytics/pnl", "S/CORNX");
  EXPECT_EQ(Doubles(*corn_sat, "position").back(), 2);
  EXPECT_DOUBLE_EQ(Doubles(*corn_sat, "pnl").back(), 2 * (405.0 - 406.0) * 50 - 1.0);
  // --date: up to Wednesday only.
  PnlOptions until = Options();
  until.until = *ParseTimestamp("2024-03-06") + 5 * 3600 * kSec;
  ASSERT_TRUE(analytics_->Pnl("analytics/pnl_wed", until).ok());
  EXPECT_EQ((*store_->Read("analytics/pnl_wed", "S/BUND"))->num_rows(), 3);
}

TEST_F(PnlTest, MissingInputsAreNamed) {
  Fill("BUND", "20240300", +1, 99.5, 0, 0, 10);
  PnlOptions o = Options();
  o.base_currency = "JPY";
  auto r = analytics_->Pnl("", o);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("EURJPY"), std::string::npos) << r.status().ToString();
  Fill("BUND", "20991200", +1, 99.5, 0, 1, 10);  // a contract the prices never name
  r = analytics_->Pnl("", Options());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("contract '20991200'"), std::string::npos) << r.status().ToString();
  PnlOptions none;
  none.reference = ref_.get();
  EXPECT_EQ(analytics_->Pnl("", none).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace systore

namespace systore {
namespace {

TEST(SessionOriginTest, FromTheExchangesTable) {
  auto t = ReferenceTable::Make("exchanges", {"Exchange", "Name", "SessionStart"},
                                {{"CME", "Chicago", "13:30"}, {"EUREX", "Eurex", ""}, {"BAD", "x", "25:00"}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto o = SessionOrigin(**t, "CME");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(*o, (13 * 60 + 30) * 60 * kSec);
  EXPECT_EQ(SessionOrigin(**t, "EUREX").status().code(), StatusCode::kNotFound);
  EXPECT_NE(SessionOrigin(**t, "NYSE").status().message().find("'NYSE'"), std::string::npos);
  EXPECT_EQ(SessionOrigin(**t, "BAD").status().code(), StatusCode::kInvalidArgument);
  // Bars aligned to it: a 1-day bar runs from 13:30 to 13:30 (12:00 the next day is
  // still in the first).
  BarOptions b;
  b.interval = kNanosPerDay;
  b.origin = *o;
  const Timestamp day = *ParseTimestamp("2024-03-04");
  auto bars = ComputeBars(*MakeSeries({day + 14 * 3600 * kSec, day + 36 * 3600 * kSec, day + 38 * 3600 * kSec}, {{"price", {1, 2, 3}}}), b);
  ASSERT_TRUE(bars.ok());
  EXPECT_EQ(Times(**bars), (std::vector<int64_t>{day + *o, day + kNanosPerDay + *o}));
}

}  // namespace
}  // namespace systore
