#include "reference/csv_io.h"

#include <gtest/gtest.h>

namespace systore::reference_internal {
namespace {

TEST(ReferenceCsvTest, QuotedFieldsRoundTripCanonically) {
  std::string text = "Instrument,Description,Pointsize\nA,\"Ten year, ICE\",1000\nB,\"say \"\"hi\"\"\",5\n";
  auto p = ParseCsv(text, "x.csv");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->rows.size(), 2u);
  EXPECT_EQ(p->rows[0][1], "Ten year, ICE");
  EXPECT_EQ(p->rows[1][1], "say \"hi\"");
  EXPECT_EQ(WriteCsv(p->columns, p->rows), text);
}

TEST(ReferenceCsvTest, LineNumbersCountEmbeddedNewlinesAndCrlf) {
  std::string text = "K,V\r\nA,\"two\nlines\"\r\n\r\nB,x\r\n";
  auto p = ParseCsv(text, "x.csv");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->rows.size(), 2u);
  EXPECT_EQ(p->rows[0][1], "two\nlines");
  EXPECT_EQ(p->rows[1][1], "x");
  EXPECT_EQ(p->lines[0], 2);
  EXPECT_EQ(p->lines[1], 5);
}

TEST(ReferenceCsvTest, WrongFieldCountNamesTheLine) {
  auto p = ParseCsv("K,V\nA,1\nB\n", "bad.csv");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("bad.csv line 3"), std::string::npos) << p.status().ToString();
}

TEST(ReferenceCsvTest, UnclosedQuoteIsAnError) {
  auto p = ParseCsv("K,V\nA,\"open\n", "bad.csv");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("line 2"), std::string::npos) << p.status().ToString();
}

}  // namespace
}  // namespace systore::reference_internal
