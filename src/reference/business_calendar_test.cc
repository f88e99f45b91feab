#include "systore/business_calendar.h"

#include <gtest/gtest.h>

namespace systore {
namespace {

Timestamp D(const char* s) { return *ParseTimestamp(s); }

TEST(BusinessCalendarTest, WeekendsAndHolidaysAreSkipped) {
  // 2024-12-25 (Wed) and 2024-12-26 (Thu) are holidays; 2024-12-28/29 a weekend.
  BusinessCalendar cal("X", {D("2024-12-25"), D("2024-12-26"), D("2024-12-28")});
  EXPECT_TRUE(cal.IsBusinessDay(D("2024-12-24")));
  EXPECT_FALSE(cal.IsBusinessDay(D("2024-12-25")));
  EXPECT_FALSE(cal.IsBusinessDay(D("2024-12-29")));
  EXPECT_EQ(cal.NextBusinessDay(D("2024-12-24 15:00")), D("2024-12-27"));
  EXPECT_EQ(cal.NextBusinessDay(D("2024-12-27")), D("2024-12-30"));
  EXPECT_EQ(cal.PreviousBusinessDay(D("2024-12-27")), D("2024-12-24"));
  EXPECT_EQ(cal.PreviousBusinessDay(D("2024-12-30")), D("2024-12-27"));
}

TEST(BusinessCalendarTest, BusinessDaysBetweenMatchesStepping) {
  BusinessCalendar cal("X", {D("2024-01-01"), D("2024-03-29"), D("2024-12-25")});
  EXPECT_EQ(cal.BusinessDaysBetween(D("2024-12-24"), D("2024-12-27")), 2);
  EXPECT_EQ(cal.BusinessDaysBetween(D("2024-12-27"), D("2024-12-24")), -2);
  EXPECT_EQ(cal.BusinessDaysBetween(D("2024-12-24"), D("2024-12-24")), 0);
  // Brute force over two years, including dates before the epoch.
  for (Timestamp from : {D("2023-06-01"), D("1969-12-25")}) {
    int64_t steps = 0;
    Timestamp d = from;
    for (int i = 0; i < 400; ++i) {
      d = cal.NextBusinessDay(d);
      ++steps;
      ASSERT_EQ(cal.BusinessDaysBetween(from, d), steps) << FormatTimestamp(d);
    }
  }
}

TEST(BusinessCalendarTest, FromHolidaysTableAndUnknownCalendar) {
  auto t = ReferenceTable::Make("holidays", {"Calendar", "Date", "Name"},
                                {{"CME", "2024-12-25", "Christmas"}, {"EUREX", "2024-12-24", "Christmas Eve"}}, 2);
  ASSERT_TRUE(t.ok());
  auto cme = BusinessCalendar::FromHolidays(**t, "CME");
  ASSERT_TRUE(cme.ok()) << cme.status().ToString();
  EXPECT_FALSE(cme->IsBusinessDay(D("2024-12-25")));
  EXPECT_TRUE(cme->IsBusinessDay(D("2024-12-24")));
  auto bad = BusinessCalendar::FromHolidays(**t, "NYSE");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsNotFound());
  EXPECT_NE(bad.status().message().find("CME"), std::string::npos);
}

}  // namespace
}  // namespace systore
