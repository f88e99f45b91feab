#include "systore/series_csv.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "core/number_text.h"

namespace systore {
namespace {

TEST(SeriesCsvTest, ParsesMultiplePricesWithContractColumnsAsStrings) {
  auto r = ParseSeriesCsv(
      "DATETIME,CARRY,CARRY_CONTRACT,PRICE,PRICE_CONTRACT\n"
      "2019-12-13 09:00:00,,20200300,1785.0,20200200\n"
      "2019-12-13 10:00:00,1790.25,20200300,1784.5,20200200\n",
      "m.csv");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->index_name, "DATETIME");
  auto t = r->table;
  EXPECT_EQ(t->num_rows(), 2);
  EXPECT_EQ(t->schema()->field(2)->type()->id(), arrow::Type::STRING);
  EXPECT_EQ(t->schema()->field(1)->type()->id(), arrow::Type::DOUBLE);
  EXPECT_TRUE(t->column(1)->chunk(0)->IsNull(0));
}

TEST(SeriesCsvTest, BadNumberNamesFileLineAndColumn) {
  auto r = ParseSeriesCsv("DATETIME,price\n2020-01-01,1.5\n2020-01-02,abc\n", "px.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_NE(r.status().message().find("px.csv: line 3, column 'price': not a number: 'abc'"), std::string::npos)
      << r.status().message();
}

TEST(SeriesCsvTest, BadTimestampAndOrderNameTheLine) {
  auto bad_ts = ParseSeriesCsv("DATETIME,price\n2020-01-01,1\n2020-13-02,2\n", "a.csv");
  ASSERT_FALSE(bad_ts.ok());
  EXPECT_NE(bad_ts.status().message().find("line 3, column 'DATETIME'"), std::string::npos);
  auto order = ParseSeriesCsv("DATETIME,price\n2020-01-02,1\n2020-01-01,2\n", "b.csv");
  ASSERT_FALSE(order.ok());
  EXPECT_NE(order.status().message().find("line 3"), std::string::npos);
  EXPECT_NE(order.status().message().find("(line 2)"), std::string::npos);
}

TEST(SeriesCsvTest, DuplicatePoliciesAreExplicit) {
  const char* csv = "DATETIME,PRICE\n2020-01-01,1\n2020-01-01,2\n2020-01-02,3\n";
  auto err = ParseSeriesCsv(csv, "fx.csv");
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("duplicate timestamp"), std::string::npos);
  CsvReadOptions last;
  last.duplicates = CsvReadOptions::Duplicates::kKeepLast;
  auto kl = ParseSeriesCsv(csv, "fx.csv", last);
  ASSERT_TRUE(kl.ok());
  EXPECT_EQ(kl->duplicates_dropped, 1);
  EXPECT_EQ(kl->table->num_rows(), 2);
  EXPECT_EQ(std::static_pointer_cast<arrow::DoubleArray>(kl->table->column(1)->chunk(0))->Value(0), 2.0);
  CsvReadOptions first;
  first.duplicates = CsvReadOptions::Duplicates::kKeepFirst;
  auto kf = ParseSeriesCsv(csv, "fx.csv", first);
  ASSERT_TRUE(kf.ok());
  EXPECT_EQ(std::static_pointer_cast<arrow::DoubleArray>(kf->table->column(1)->chunk(0))->Value(0), 1.0);
}

TEST(SeriesCsvTest, HeaderProblemsAreReported) {
  EXPECT_FALSE(ParseSeriesCsv("", "e.csv").ok());
  EXPECT_FALSE(ParseSeriesCsv("DATETIME\n2020-01-01\n", "e.csv").ok());
  EXPECT_FALSE(ParseSeriesCsv("DATETIME,a,a\n", "e.csv").ok());
  auto ragged = ParseSeriesCsv("DATETIME,a\n2020-01-01,1,2\n", "r.csv");
  ASSERT_FALSE(ragged.ok());
  EXPECT_NE(ragged.status().message().find("r.csv"), std::string::npos);
}

TEST(SeriesCsvTest, FormatDoubleRoundTripsExactly) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (std::isnan(v)) continue;
    std::string s = FormatDouble(v);
    double back = std::strtod(s.c_str(), nullptr);
    ASSERT_EQ(std::memcmp(&v, &back, sizeof v), 0) << s;
  }
  EXPECT_EQ(FormatDouble(2078.25), "2078.25");
  EXPECT_EQ(FormatDouble(0.1), "0.1");
}

TEST(SeriesCsvTest, WriteThenParseGivesSameTable) {
  auto r =
      ParseSeriesCsv("DATETIME,price,C_CONTRACT\n2020-01-01 23:00:00,0.1,\"a,b\"\n2020-01-02 23:00:00.5,,x\n", "w.csv");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::ostringstream out;
  ASSERT_TRUE(WriteSeriesCsv(*r->table, r->index_name, {}, out).ok());
  auto back = ParseSeriesCsv(out.str(), "w2.csv");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << out.str();
  EXPECT_TRUE(back->table->Equals(*r->table)) << out.str();
}

}  // namespace
}  // namespace systore
