#include "systore/time.h"

#include <gtest/gtest.h>

#include <random>

namespace systore {
namespace {

TEST(TimeTest, ParsesPysystemtradeDatetime) {
  auto t = ParseTimestamp("2019-12-13 09:00:00");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, 1576227600LL * kNanosPerSecond);
}

TEST(TimeTest, KeepsNanoseconds) {
  auto t = ParseTimestamp("1970-01-01T00:00:01.000000007Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, kNanosPerSecond + 7);
  EXPECT_EQ(FormatTimestamp(*t), "1970-01-01 00:00:01.000000007");
}

TEST(TimeTest, DateOnlyIsMidnight) { EXPECT_EQ(*ParseTimestamp("2024-02-29"), FromCivilDate(2024, 2, 29)); }

TEST(TimeTest, RejectsInvalidDates) {
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-01-01 24:00:00", "20240101", "2024-01-01 10:00:00x", "",
                          "2024-01-01 10:00:00.1234567891"}) {
    EXPECT_FALSE(ParseTimestamp(bad).ok()) << bad;
  }
}

TEST(TimeTest, FormatParseRoundTripRandom) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> dist(-2'000'000'000'000'000'000LL, 4'000'000'000'000'000'000LL);
  for (int i = 0; i < 10000; ++i) {
    Timestamp t = dist(rng);
    auto back = ParseTimestamp(FormatTimestamp(t));
    ASSERT_TRUE(back.ok()) << FormatTimestamp(t);
    ASSERT_EQ(*back, t);
  }
}

TEST(TimeTest, CivilDateOfNegativeTimestamp) {
  CivilDate c = ToCivilDate(-1);
  EXPECT_EQ(c.year, 1969);
  EXPECT_EQ(c.month, 12u);
  EXPECT_EQ(c.day, 31u);
}

}  // namespace
}  // namespace systore
