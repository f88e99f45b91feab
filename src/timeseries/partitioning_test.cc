#include "timeseries/partitioning.h"

#include <gtest/gtest.h>

namespace systore {
namespace {

TEST(PartitioningTest, KeysWithSlashesAreEscapedAndDecodable) {
  EXPECT_EQ(PartitionDirectory("SOFR/20250300", PartitionGranularity::kYear, "2024"), "key=SOFR%2F20250300/year=2024");
  EXPECT_EQ(*PercentDecode(HiveEscape("a b/c%d=e")), "a b/c%d=e");
  EXPECT_EQ(PathToUri("key=SOFR%2F2025/x.parquet"), "key=SOFR%252F2025/x.parquet");
  EXPECT_FALSE(PercentDecode("bad%2").ok());
}

TEST(PartitioningTest, ValuesAndBoundsAgree) {
  Timestamp t = *ParseTimestamp("2024-05-17 13:00:00");
  EXPECT_EQ(PartitionValueOf(PartitionGranularity::kYear, t), "2024");
  EXPECT_EQ(PartitionValueOf(PartitionGranularity::kMonth, t), "2024-05");
  EXPECT_EQ(PartitionValueOf(PartitionGranularity::kDay, t), "2024-05-17");
  auto [b, e] = PartitionBounds(PartitionGranularity::kMonth, t);
  EXPECT_EQ(b, *ParseTimestamp("2024-05-01"));
  EXPECT_EQ(e, *ParseTimestamp("2024-06-01"));
  auto [yb, ye] = PartitionBounds(PartitionGranularity::kYear, *ParseTimestamp("2024-12-31 23:59:59.999999999"));
  EXPECT_EQ(ye, *ParseTimestamp("2025-01-01"));
  EXPECT_EQ(yb, *ParseTimestamp("2024-01-01"));
}

}  // namespace
}  // namespace systore
