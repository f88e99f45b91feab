#include "pipeline/raw_csv.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

namespace systore::pipeline_internal {
namespace {

TEST(RawCsv, KeepsFileOrderAndLineNumbers) {
  auto r = ParseRawCsv("DATETIME,price\n2024-01-02 23:00:00,2\n\n2024-01-01 23:00:00,1\n2024-01-01 23:00:00,1.5\n",
                       "x.csv", {}, 1 << 20);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->table->num_rows(), 3);
  EXPECT_EQ(r->source_lines, (std::vector<int64_t>{2, 4, 5}));
  EXPECT_TRUE(r->findings.empty());
  EXPECT_EQ(r->index_name, "DATETIME");
}

TEST(RawCsv, BadLinesBecomeFindingsNamingLineColumnAndValue) {
  auto r = ParseRawCsv(
      "DATETIME,price,PRICE_CONTRACT\n2024-01-02 23:00:00,abc,20240300\n2024-13-01,1,x\n"
      "2024-01-03 23:00:00,3\n2024-01-04 23:00:00,,20240300\n",
      "m.csv", {}, 1 << 20);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->table->num_rows(), 1);  // the empty price is a missing value (null)
  EXPECT_EQ(r->table->column(1)->null_count(), 1);
  EXPECT_EQ(r->table->schema()->field(2)->type()->id(), arrow::Type::STRING);
  ASSERT_EQ(r->findings.size(), 3u);
  EXPECT_EQ(r->findings[0].source, "m.csv:2");
  EXPECT_NE(r->findings[0].message.find("column price: 'abc' is not a number"), std::string::npos);
  EXPECT_NE(r->findings[1].message.find("bad timestamp '2024-13-01'"), std::string::npos);
  EXPECT_NE(r->findings[2].message.find("2 fields, expected 3"), std::string::npos);
  ASSERT_EQ(r->bad_lines.size(), 3u);
  EXPECT_EQ(r->bad_lines[0], "line 2: 2024-01-02 23:00:00,abc,20240300");
}

TEST(RawCsv, EmptyFileAndWrongDelimiterAreCritical) {
  auto e = ParseRawCsv("", "e.csv", {}, 1 << 20);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->findings.size(), 1u);
  EXPECT_EQ(e->findings[0].severity, Severity::kCritical);
  auto d = ParseRawCsv("DATETIME;price\n2024-01-01;1\n", "d.csv", {}, 1 << 20);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->findings.size(), 1u);
  EXPECT_NE(d->findings[0].message.find("wrong delimiter"), std::string::npos);
}

TEST(RawCsv, MappingPicksTimestampRenamesAndSelects) {
  ColumnMapping m;
  m.timestamp_column = "time";
  m.rename = {{"Last", "CLOSE"}};
  m.columns = {"CLOSE"};
  auto r = ParseRawCsv("sym,time,Last,Bid\nX,2024-01-01 10:00:00,5,4\n", "g.csv", m, 1 << 20);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->table->num_columns(), 2);
  EXPECT_EQ(r->table->field(1)->name(), "CLOSE");
}

}  // namespace
}  // namespace systore::pipeline_internal
