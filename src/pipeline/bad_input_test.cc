// The bad-input corpus (tests/data/bad_input, documented in its README.md and in
// docs/quality-and-ingest.md): each file gets its documented outcome under the default
// policy, judged as rows merged after stored history are ("first_import": "judge"; a
// first import would only report the value findings), and the store is otherwise
// unchanged.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "quality/quality_test_util.h"
#include "systore/batch_ingest.h"
#include "systore/quality_gate.h"

namespace systore {
namespace {

using testing::Day;
using testing::TempDir;

struct Expected {
  const char* file;
  const char* dataset;
  int64_t rows_added;
  int64_t rows_quarantined;
  const char* rule;  // a finding of this rule is reported
  bool rejected;     // the whole file was rejected (nothing written)
  size_t raw_lines;  // unparsable lines kept in the quarantine entry
};

const Expected kCorpus[] = {
    {"truncated_line.csv", "bad/prices", 10, 0, "parse", false, 1},
    {"wrong_delimiter.csv", "bad/prices", 0, 0, "schema", true, 0},
    {"text_in_number.csv", "bad/prices", 9, 0, "parse", false, 1},
    {"duplicated_timestamps.csv", "bad/prices", 10, 1, "duplicate_timestamp", false, 0},
    {"unsorted_rows.csv", "bad/prices", 7, 3, "unsorted", false, 0},
    {"ohlc_violations.csv", "prices/contract_daily", 8, 2, "ohlc", false, 0},
    {"spike_50x.csv", "bad/prices", 59, 1, "spike", false, 0},
    {"empty.csv", "bad/prices", 0, 0, "schema", true, 0},
    {"huge_line.csv", "bad/prices", 10, 0, "parse", false, 1},
};

class BadInput : public ::testing::TestWithParam<Expected> {};

TEST_P(BadInput, GetsItsDocumentedOutcomeAndLeavesTheRestUnchanged) {
  const Expected& e = GetParam();
  const char* src = std::getenv("SYSTORE_SOURCE_DIR");
  if (!src) GTEST_SKIP() << "SYSTORE_SOURCE_DIR not set";
  std::string path = std::string(src) + "/tests/data/bad_input/" + e.file;
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  TempDir root;
  {
    std::ofstream q(root.path() + "/quality.json");
    q << R"({"defaults": {"first_import": "judge"}})";
  }
  BatchIngestOptions o;
  o.root = root.path();
  o.now = Day(2030, 1, 1);
  o.max_line_bytes = 64 << 10;
  auto ingest = BatchIngest::Open(o).MoveValueUnsafe();
  // What is there before: a series in the same dataset and one in another dataset.
  auto base = testing::WeekdayWalk(Day(2023, 1, 2), 30, 100, 9);
  ASSERT_TRUE(ingest->store()->Write("bad/prices", "BASE", base).ok());
  ASSERT_TRUE(ingest->store()->Write("other/prices", "BASE", base).ok());
  auto contract =
      testing::MakeTable({"OPEN", "HIGH", "LOW", "CLOSE", "VOLUME"}, {Day(2023, 1, 2)}, {{1}, {2}, {0.5}, {1}, {5}});
  ASSERT_TRUE(ingest->store()->Write("prices/contract_daily", "BASE", contract).ok());
  int64_t v_same = *ingest->store()->CurrentVersion(e.dataset);
  int64_t v_other = *ingest->store()->CurrentVersion("other/prices");

  auto r = ingest->ImportFiles(e.dataset, {path});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_added, e.rows_added);
  EXPECT_EQ(r->rows_quarantined, e.rows_quarantined);
  EXPECT_GT(r->findings_by_rule[e.rule], 0) << "no " << e.rule << " finding";
  EXPECT_EQ(r->rejected.size(), e.rejected ? 1u : 0u);
  std::string key = std::filesystem::path(e.file).stem().string();
  auto stored = ingest->store()->Read(e.dataset, key);
  if (e.rows_added == 0) {
    EXPECT_TRUE(stored.status().IsNotFound());
    EXPECT_EQ(*ingest->store()->CurrentVersion(e.dataset), v_same);
  } else {
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ((*stored)->num_rows(), e.rows_added);
    EXPECT_EQ(*ingest->store()->CurrentVersion(e.dataset), v_same + 1);  // one commit
  }
  // Untouched: the other series and the other dataset.
  EXPECT_TRUE(ingest->store()
                  ->Read(e.dataset, "BASE")
                  .ValueOrDie()
                  ->Equals(*ingest->store()->Read(e.dataset, "BASE").ValueOrDie()));
  EXPECT_EQ(ingest->store()->Read(e.dataset, "BASE").ValueOrDie()->num_rows(),
            e.dataset == std::string("bad/prices") ? 30 : 1);
  EXPECT_EQ(*ingest->store()->CurrentVersion("other/prices"), v_other);
  // Whatever was kept out is in the quarantine, with its findings (nothing silently lost).
  auto entries = *ingest->gate()->quarantine()->List();
  if (e.rows_quarantined == 0 && e.raw_lines == 0 && !e.rejected) {
    EXPECT_TRUE(entries.empty());
  } else {
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].rows, e.rows_quarantined);
    EXPECT_FALSE(entries[0].findings.empty());
    EXPECT_EQ(ingest->gate()->quarantine()->Get(entries[0].id)->raw_lines.size(), e.raw_lines);
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInput, ::testing::ValuesIn(kCorpus),
                         [](const ::testing::TestParamInfo<Expected>& i) {
                           std::string n = std::filesystem::path(i.param.file).stem().string();
                           for (auto& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace systore
