#include <gtest/gtest.h>

#include <cmath>

#include "quality/quality_test_util.h"
#include "systore/business_calendar.h"
#include "systore/quality.h"
#include "systore/quality_config.h"

namespace systore {
namespace {

using testing::Day;
using testing::MakeTable;
using testing::PriceTable;
using testing::WeekdayWalk;

std::vector<Finding> RunValidator(const std::string& validator, const ValidationInput& in,
                                  const std::string& params = "{}") {
  auto p = ValidatorParams::FromJson(params);
  EXPECT_TRUE(p.ok());
  auto v = ValidatorRegistry::Global().Make(validator, *p);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  FindingSink sink(in);
  Status st = (*v)->Validate(in, &sink);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return sink.Release();
}

ValidationInput Input(std::shared_ptr<arrow::Table> data, std::shared_ptr<arrow::Table> history = nullptr) {
  ValidationInput in;
  in.dataset = "prices/test";
  in.key = "K";
  in.data = std::move(data);
  in.history = std::move(history);
  in.now = Day(2030, 1, 1);
  return in;
}

TEST(SpikeValidator, FlagsFiftyTimesMoveOnceNotItsReversal) {
  std::vector<Timestamp> ts;
  std::vector<double> p;
  WeekdayWalk(Day(2020, 1, 1), 200, 100, 7, &ts, &p);
  p[150] = p[149] + 50 * 0.25;  // 50x the mean absolute move (0.25)
  auto f = RunValidator("spike", Input(PriceTable(ts, p)));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "spike");
  EXPECT_EQ(f[0].row, 150);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].timestamps.back(), ts[150]);
}

TEST(SpikeValidator, RatioIsChangeOverSqrtDaysOverEwmaOfAbsChanges) {
  // History: +1 every day for 40 days -> every scaled change is 1, the EWMA is 1.
  std::vector<Timestamp> hts;
  std::vector<double> hp;
  for (int i = 0; i < 40; ++i) hts.push_back(Day(2020, 1, 1) + i * kNanosPerDay), hp.push_back(100 + i);
  auto history = PriceTable(hts, hp);
  Timestamp t = hts.back() + 4 * kNanosPerDay;  // 4 days later: divide by sqrt(4) = 2
  // +15 over 4 days -> 7.5 < 8: not a spike.
  EXPECT_TRUE(RunValidator("spike", Input(PriceTable({t}, {hp.back() + 15}), history)).empty());
  // +17 over 4 days -> 8.5 > 8: a spike at the seam, ratio reported.
  auto f = RunValidator("spike", Input(PriceTable({t}, {hp.back() + 17}), history));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].row, 0);
  EXPECT_NE(f[0].message.find("seam"), std::string::npos);
  double ratio = 0;
  for (const auto& [n, v] : f[0].values)
    if (n == "ratio") ratio = v;
  EXPECT_NEAR(ratio, 8.5, 1e-9);
  // Threshold is configurable.
  EXPECT_TRUE(RunValidator("spike", Input(PriceTable({t}, {hp.back() + 17}), history), R"({"threshold": 9})").empty());
}

TEST(SpikeValidator, LevelShiftFlagsOnlyItsFirstRow) {
  std::vector<Timestamp> ts;
  std::vector<double> p;
  WeekdayWalk(Day(2020, 1, 1), 200, 100, 11, &ts, &p);
  for (size_t i = 120; i < p.size(); ++i) p[i] += 40;  // a permanent jump
  auto f = RunValidator("spike", Input(PriceTable(ts, p)));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].row, 120);
}

TEST(SpikeValidator, NeedsMinPeriodsBeforeJudging) {
  auto f = RunValidator("spike", Input(PriceTable({Day(2020, 1, 1), Day(2020, 1, 2), Day(2020, 1, 3)}, {1, 1.01, 50})));
  EXPECT_TRUE(f.empty());
}

TEST(OhlcValidator, FlagsEachViolation) {
  std::vector<Timestamp> ts = {Day(2024, 1, 1), Day(2024, 1, 2), Day(2024, 1, 3), Day(2024, 1, 4)};
  auto t = MakeTable({"OPEN", "HIGH", "LOW", "CLOSE"}, ts,
                     {{10, 10, 12, 10}, {11, 11, 11, 11}, {9, 12, 9, 9}, {10, 10, 10, 12}});
  auto f = RunValidator("ohlc", Input(t));
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].row, 1);  // low 12 > high 11
  EXPECT_NE(f[0].message.find("low > high"), std::string::npos);
  EXPECT_EQ(f[1].row, 2);  // open 12 > high 11? no: open 12, high 11, low 9 -> low<=high, open outside
  EXPECT_EQ(f[2].row, 3);  // close 12 > high 11
}

TEST(VolumeValidator, NegativeFractionalAndOutliers) {
  std::vector<Timestamp> ts;
  std::vector<double> v;
  for (int i = 0; i < 30; ++i) ts.push_back(Day(2024, 1, 1) + i * kNanosPerDay), v.push_back(100);
  v[3] = -1;
  v[5] = 10.5;
  v[7] = 100000;
  auto f = RunValidator("volume", Input(MakeTable({"VOLUME"}, ts, {v})));
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].rule, "negative_volume");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[1].rule, "fractional_volume");
  EXPECT_EQ(f[2].rule, "volume_outlier");
  EXPECT_EQ(f[2].row, 7);
}

TEST(GapsValidator, CountsMissingBusinessDaysWithCalendar) {
  // Fri 2024-03-01 then Mon 2024-03-11: 5 business days missing on weekdays.
  auto in = Input(PriceTable({Day(2024, 3, 1), Day(2024, 3, 11)}, {1, 1}));
  auto f = RunValidator("gaps", in);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].values[0].second, 5);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  // With 3 of those days holidays only 2 are missing: below the default limit of 3.
  in.calendar = std::make_shared<BusinessCalendar>(
      "X", std::vector<Timestamp>{FromCivilDate(2024, 3, 4), FromCivilDate(2024, 3, 5), FromCivilDate(2024, 3, 6)});
  EXPECT_TRUE(RunValidator("gaps", in).empty());
  EXPECT_EQ(RunValidator("gaps", in, R"({"max_missing_days": 1})").size(), 1u);
}

TEST(GapsValidator, FindsMissingIntradayBars) {
  std::vector<Timestamp> ts;
  for (int h : {8, 9, 10, 13, 14, 15}) ts.push_back(FromCivilDate(2024, 3, 4) + h * 3600 * kNanosPerSecond);
  ts.push_back(FromCivilDate(2024, 3, 5) + 8 * 3600 * kNanosPerSecond);  // next day: not an intraday gap
  std::vector<double> px(ts.size(), 1.0);
  auto f = RunValidator("gaps", Input(PriceTable(ts, px)));  // bar length inferred: 1 hour
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "missing_bars");
  EXPECT_EQ(f[0].row, 3);
  EXPECT_EQ(f[0].values[0].second, 2);  // 11:00 and 12:00
  EXPECT_TRUE(RunValidator("gaps", Input(PriceTable(ts, px)), R"({"max_missing_bars": 2})").empty());
}

TEST(GapsValidator, ChecksTheSeamWithHistory) {
  auto f = RunValidator("gaps", Input(PriceTable({Day(2024, 3, 25)}, {1}), PriceTable({Day(2024, 3, 1)}, {1})));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].timestamps.front(), Day(2024, 3, 1));
}

TEST(CleaningValidator, FutureZeroPriceAndZeroVolumeIntradayBars) {
  std::vector<Timestamp> ts;
  for (int h = 8; h < 16; ++h) ts.push_back(FromCivilDate(2024, 1, 2) + h * 3600 * kNanosPerSecond);
  ts.push_back(Day(2031, 1, 1));  // future
  std::vector<double> close = {10, 10, 0, 10, 10, 10, 10, 10, 10};
  std::vector<double> vol = {5, 0, 5, 5, 5, 5, 5, 5, 5};
  auto f = RunValidator("cleaning", Input(MakeTable({"CLOSE", "VOLUME"}, ts, {close, vol})));
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].rule, "zero_volume_bar");
  EXPECT_EQ(f[0].row, 1);
  EXPECT_EQ(f[1].rule, "zero_price");
  EXPECT_EQ(f[1].row, 2);
  EXPECT_EQ(f[2].rule, "future_dated");
  EXPECT_EQ(f[2].row, 8);
}

TEST(CleaningValidator, ZeroVolumeDailyBarIsNotFlagged) {
  auto t = MakeTable({"CLOSE", "VOLUME"}, {Day(2024, 1, 2), Day(2024, 1, 3), Day(2024, 1, 4)}, {{1, 2, 3}, {0, 0, 1}});
  EXPECT_TRUE(RunValidator("cleaning", Input(t)).empty());
}

TEST(DuplicatesValidator, PolicyDecidesWhichRowGoes) {
  auto t = PriceTable({Day(2024, 1, 1), Day(2024, 1, 2), Day(2024, 1, 2), Day(2024, 1, 3)}, {1, 2, 3, 4});
  auto last = RunValidator("duplicates", Input(t), R"({"policy": "keep-last"})");
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].row, 1);
  EXPECT_TRUE(last[0].removes_row);
  auto first = RunValidator("duplicates", Input(t), R"({"policy": "keep-first"})");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].row, 2);
  auto err = RunValidator("duplicates", Input(t), R"({"policy": "error"})");
  ASSERT_EQ(err.size(), 2u);
  EXPECT_EQ(err[0].severity, Severity::kError);
  EXPECT_FALSE(err[0].removes_row);
}

TEST(TimestampsValidator, UnsortedRowsAndTradingHours) {
  Timestamp d = FromCivilDate(2024, 1, 2);
  auto t = PriceTable({d + 9 * 3600 * kNanosPerSecond, d + 11 * 3600 * kNanosPerSecond, d + 10 * 3600 * kNanosPerSecond,
                       d + 20 * 3600 * kNanosPerSecond},
                      {1, 2, 3, 4});
  auto f = RunValidator("timestamps", Input(t));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "unsorted");
  EXPECT_EQ(f[0].row, 2);
  auto h = RunValidator("timestamps", Input(t), R"({"session_start": "08:00", "session_end": "16:30"})");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].rule, "trading_hours");
  EXPECT_EQ(h[1].row, 3);
}

TEST(PriceValidator, NanNegativeAndBounds) {
  auto t =
      PriceTable({Day(2024, 1, 1), Day(2024, 1, 2), Day(2024, 1, 3), Day(2024, 1, 4)}, {std::nan(""), -1, 500, 50});
  auto f = RunValidator("price", Input(t), R"({"max_by_key": {"K": 100}})");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].rule, "nan_price");
  EXPECT_EQ(f[1].rule, "non_positive_price");
  EXPECT_EQ(f[2].rule, "price_range");
  EXPECT_EQ(f[2].row, 2);
  EXPECT_EQ(RunValidator("price", Input(t), R"({"allow_non_positive": true})").size(), 1u);
}

TEST(PriceValidator, BoundsRelativeToRecentHistory) {
  auto history = PriceTable({Day(2024, 1, 1), Day(2024, 1, 2)}, {100, 110});
  auto in = Input(PriceTable({Day(2024, 1, 3), Day(2024, 1, 4)}, {150, 160}), history);
  EXPECT_TRUE(RunValidator("price", in).empty());  // off by default
  auto f = RunValidator("price", in, R"({"max_relative_move": 0.4})");
  ASSERT_EQ(f.size(), 1u);  // 110 * 1.4 = 154: 150 passes, 160 does not
  EXPECT_EQ(f[0].row, 1);
  EXPECT_NE(f[0].message.find("last stored 110"), std::string::npos) << f[0].message;
}

TEST(SchemaValidator, MissingOhlcColumnIsCritical) {
  auto in = Input(MakeTable({"OPEN", "HIGH", "LOW"}, {Day(2024, 1, 1)}, {{1}, {1}, {1}}));
  in.dataset_options.kind = SeriesKind::kOhlcv;
  auto f = RunValidator("schema", in);
  ASSERT_EQ(f.size(), 2u);  // CLOSE|FINAL and VOLUME
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_NE(f[0].message.find("CLOSE|FINAL"), std::string::npos);
}

class AlwaysInfo : public Validator {
 public:
  std::string name() const override { return "always_info"; }
  Status Validate(const ValidationInput&, FindingSink* sink) override {
    Finding f;
    f.severity = Severity::kInfo;
    f.rule = "always_info";
    f.message = "hello";
    sink->Add(f);
    return Status::OK();
  }
};

TEST(ValidatorRegistry, RegistersCustomValidatorsAndRejectsDuplicates) {
  auto& r = ValidatorRegistry::Global();
  ASSERT_TRUE(r.Register("always_info", [](const ValidatorParams&) -> Result<std::unique_ptr<Validator>> {
                 return std::unique_ptr<Validator>(new AlwaysInfo());
               }).ok());
  EXPECT_EQ(r.Register("spike", nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      r.Register("always_info",
                 [](const ValidatorParams&) -> Result<std::unique_ptr<Validator>> { return Status::Internal("x"); })
          .code(),
      StatusCode::kAlreadyExists);
  auto f = RunValidator("always_info", Input(PriceTable({Day(2024, 1, 1)}, {1})));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].dataset, "prices/test");
  EXPECT_TRUE(r.Make("nope", ValidatorParams()).status().IsNotFound());
  // Configurable once registered.
  auto c = QualityConfig::Parse(R"({"defaults": {"validators": {"always_info": {}}}})", "q.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->ForDataset("x").validators.count("always_info"));
}

TEST(QualityConfig, DefaultsOverlaysAndErrors) {
  auto d = QualityConfig::Defaults().ForDataset("fx/spot");
  EXPECT_EQ(d.policy, QualityPolicy::kQuarantineRows);
  EXPECT_EQ(d.duplicates, DuplicatePolicy::kKeepLast);
  EXPECT_EQ(d.validators.size(), 9u);
  EXPECT_EQ(d.validators.at("spike").GetDouble("threshold", 0), 8);
  auto adj = QualityConfig::Defaults().ForDataset("prices/adjusted");
  EXPECT_TRUE(adj.validators.at("price").GetBool("allow_non_positive", false));
  EXPECT_FALSE(adj.validators.count("gaps"));

  auto c = QualityConfig::Parse(R"({"defaults": {"policy": "reject"},
      "datasets": {"prices/*": {"policy": "accept", "validators": {"spike": {"threshold": 5}}},
                   "prices/contract": {"duplicates": "error", "validators": {"ohlc": {"enabled": false}}}}})",
                                "q.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ForDataset("fx/spot").policy, QualityPolicy::kRejectBatch);
  auto pc = c->ForDataset("prices/contract");
  EXPECT_EQ(pc.policy, QualityPolicy::kAcceptWithWarning);
  EXPECT_EQ(pc.duplicates, DuplicatePolicy::kError);
  EXPECT_FALSE(pc.validators.count("ohlc"));
  EXPECT_EQ(pc.validators.at("spike").GetDouble("threshold", 0), 5);
  EXPECT_EQ(pc.validators.at("spike").GetDouble("span", 0), 500);  // merged key by key

  auto bad = QualityConfig::Parse(R"({"defaults": {"policy": "maybe"}})", "q.json");
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_NE(bad.status().message().find("q.json: defaults.policy"), std::string::npos);
  EXPECT_TRUE(QualityConfig::Parse(R"({"datasets": {"x": {"validators": {"nosuch": {}}}}})", "q.json")
                  .status()
                  .IsInvalidArgument());
  EXPECT_TRUE(QualityConfig::Parse("{", "q.json").status().IsInvalidArgument());
}

}  // namespace
}  // namespace systore

namespace systore {
namespace {

TEST(TimestampsValidator, TicksMayContinueAtTheLastStoredTime) {
  const Timestamp t = Day(2024, 3, 4, 14);
  auto history = testing::MakeTable({"price", "size"}, {t - 1, t}, {{1, 2}, {1, 1}});
  auto rows = testing::MakeTable({"price", "size"}, {t - 1, t, t + 1}, {{3, 4, 5}, {1, 1, 1}});
  ValidationInput bars = Input(rows, history);
  auto f = RunValidator("timestamps", bars, R"({"require_after_history": true})");
  ASSERT_EQ(f.size(), 2u);  // t - 1 and t are not after the last stored row
  ValidationInput ticks = Input(rows, history);
  ticks.dataset_options.kind = SeriesKind::kTicks;
  f = RunValidator("timestamps", ticks, R"({"require_after_history": true})");
  ASSERT_EQ(f.size(), 1u);  // only t - 1: more trades at t continue the series
  EXPECT_EQ(f[0].row, 0);
}

}  // namespace
}  // namespace systore
