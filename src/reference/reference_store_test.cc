#include "systore/reference_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "reference/reference_test_util.h"
#include "systore/business_calendar.h"

namespace systore {
namespace {

using reference_test::OpenStore;
using reference_test::ReadText;
using reference_test::TempDir;
using reference_test::WriteText;

const ChangeContext kCtx{"tester", "unit test"};

const char* kInstruments =
    "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region,Extra\n"
    "SOFR,\"Secured overnight, CME\",2500,USD,STIR,2.5,0,0,US,keepme\n"
    "BUND,German 10y,1000,EUR,Bond,1.5,0,0,EMEA,\n";

class ReferenceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = tmp_.path() + "/src";
    root_ = tmp_.path() + "/root";
    std::filesystem::create_directories(src_);
    WriteText(src_ + "/instrumentconfig.csv", kInstruments);
    WriteText(src_ + "/spreadcosts.csv", "Instrument,SpreadCost\nSOFR,0.0025\nBUND,0.01\n");
    WriteText(src_ + "/holidays.csv", "Calendar,Date,Name\nCME,2024-12-25,Christmas\nCME,2025-01-01,New Year\n");
    store_ = OpenStore(root_);
    auto v = store_->ImportFolder(src_, kCtx);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    ASSERT_EQ(*v, 1);
  }
  std::string File(const std::string& table) { return root_ + "/reference/" + table + ".csv"; }

  TempDir tmp_;
  std::string src_, root_;
  std::unique_ptr<ReferenceStore> store_;
};

TEST_F(ReferenceStoreTest, ImportKeepsBytesColumnsAndUnknownColumns) {
  EXPECT_EQ(ReadText(File("instruments")), kInstruments);
  auto t = store_->GetTable("instruments");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*(*t)->Get("SOFR", "Extra"), "keepme");
  EXPECT_EQ(*(*t)->Get("SOFR", "Description"), "Secured overnight, CME");
  EXPECT_DOUBLE_EQ(*(*t)->GetNumber("BUND", "Pointsize"), 1000);
  EXPECT_EQ(*store_->GetValue("spread_costs", "SOFR", "SpreadCost"), "0.0025");
  EXPECT_TRUE(store_->GetValue("spread_costs", "NOPE", "SpreadCost").status().IsNotFound());
  auto tables = store_->ListTables();
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(tables->size(), 3u);
  auto v = store_->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems[0];
  EXPECT_EQ(v->entries, 1);
}

TEST_F(ReferenceStoreTest, SetRecordsAuditEntryWithOldAndNewValues) {
  auto v = store_->Set("spread_costs", "SOFR", {{"SpreadCost", "0.003"}}, {"alice", "new quote"});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(*store_->GetValue("spread_costs", "SOFR", "SpreadCost"), "0.003");
  EXPECT_EQ(ReadText(File("spread_costs")), "Instrument,SpreadCost\nSOFR,0.003\nBUND,0.01\n");
  // No-op set: no new version.
  EXPECT_EQ(*store_->Set("spread_costs", "SOFR", {{"SpreadCost", "0.003"}}, kCtx), 2);
  // New row is appended at the end.
  EXPECT_EQ(*store_->Set("spread_costs", "GOLD", {{"SpreadCost", "0.1"}}, kCtx), 3);
  EXPECT_EQ(ReadText(File("spread_costs")), "Instrument,SpreadCost\nSOFR,0.003\nBUND,0.01\nGOLD,0.1\n");

  auto h = store_->History("spread_costs", "SOFR");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);  // import + set
  const auto& e = (*h)[1];
  EXPECT_EQ(e.version, 2);
  EXPECT_EQ(e.actor, "alice");
  EXPECT_EQ(e.reason, "new quote");
  EXPECT_EQ(e.operation, "set");
  ASSERT_EQ(e.tables.size(), 1u);
  ASSERT_EQ(e.tables[0].rows.size(), 1u);
  ASSERT_EQ(e.tables[0].rows[0].fields.size(), 1u);
  EXPECT_EQ(e.tables[0].rows[0].fields[0].old_value, "0.0025");
  EXPECT_EQ(e.tables[0].rows[0].fields[0].new_value, "0.003");
  EXPECT_EQ(e.prev_hash, (*h)[0].hash);

  EXPECT_TRUE(store_->Set("spread_costs", "SOFR", {{"SpreadCost", "1"}}, {"x", ""}).status().IsInvalidArgument());
  auto d = store_->DeleteRow("spread_costs", "GOLD", kCtx);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, 4);
  auto v4 = store_->Verify();
  EXPECT_TRUE(v4->ok) << v4->problems[0];
}

TEST_F(ReferenceStoreTest, AsOfVersionAndTimeAndDiff) {
  Timestamp t1 = store_->Current()->time();
  ASSERT_TRUE(store_->Set("instruments", "SOFR", {{"Pointsize", "5000"}}, kCtx).ok());
  ASSERT_TRUE(
      store_
          ->Set("instruments", "GOLD",
                {{"Pointsize", "100"}, {"Currency", "USD"}, {"PerBlock", "1"}, {"Percentage", "0"}, {"PerTrade", "0"}},
                kCtx)
          .ok());
  auto v1 = store_->AsOfVersion(1);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(*(*v1)->table("instruments")->Get("SOFR", "Pointsize"), "2500");
  EXPECT_EQ((*v1)->table("instruments")->Find("GOLD"), nullptr);
  auto at = store_->AsOfTime(t1);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ((*at)->version(), 1);
  EXPECT_TRUE(store_->AsOfTime(t1 - 1).status().IsNotFound());
  EXPECT_EQ((*store_->AsOfTime(kMaxTimestamp))->version(), 3);
  EXPECT_TRUE(store_->AsOfVersion(9).status().IsNotFound());

  auto d = store_->Diff("instruments", 1, 3);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->rows.size(), 2u);
  EXPECT_EQ(d->rows[0].kind, RowChange::Kind::kModified);
  EXPECT_EQ(d->rows[1].kind, RowChange::Kind::kAdded);
  EXPECT_EQ(d->rows[1].key, "GOLD");
}

TEST_F(ReferenceStoreTest, VerifyReportsFirstTamperedEntry) {
  ASSERT_TRUE(store_->Set("spread_costs", "SOFR", {{"SpreadCost", "0.003"}}, kCtx).ok());
  ASSERT_TRUE(store_->Set("spread_costs", "SOFR", {{"SpreadCost", "0.004"}}, kCtx).ok());
  std::string log_path = root_ + "/reference/changelog.jsonl";
  std::string log = ReadText(log_path);
  std::string original = log;
  // Rewrite history: version 2's new value.
  size_t p = log.find("\"new\":\"0.003\"");
  ASSERT_NE(p, std::string::npos);
  log.replace(p, 13, "\"new\":\"0.009\"");
  WriteText(log_path, log);
  ReferenceStoreOptions o;
  o.root = root_;
  o.allow_corrupt_log = true;
  auto r = store_->Verify();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->first_bad_version, 2);
  EXPECT_EQ(r->first_bad_line, 2);
  EXPECT_NE(r->problems[0].find("edited"), std::string::npos) << r->problems[0];

  // Deleting an entry breaks the chain at the next one.
  size_t l1 = original.find('\n'), l2 = original.find('\n', l1 + 1);
  WriteText(log_path, original.substr(0, l1 + 1) + original.substr(l2 + 1));
  auto s = ReferenceStore::Open(o);
  ASSERT_TRUE(s.ok());
  r = (*s)->Verify();
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->first_bad_line, 2);
  // Without allow_corrupt_log, opening a broken log fails with Corruption.
  o.allow_corrupt_log = false;
  EXPECT_TRUE(ReferenceStore::Open(o).status().IsCorruption());
}

TEST_F(ReferenceStoreTest, HandEditIsDetectedBlocksWritesAndIsAdopted) {
  std::string edited = "Instrument,SpreadCost\nSOFR,0.0025\nBUND,0.02\nGOLD,0.3\n";
  WriteText(File("spread_costs"), edited);
  auto edits = store_->DetectHandEdits();
  ASSERT_TRUE(edits.ok());
  ASSERT_EQ(edits->size(), 1u);
  EXPECT_EQ((*edits)[0].table, "spread_costs");
  EXPECT_EQ((*edits)[0].kind, "modified");
  EXPECT_FALSE(store_->Verify()->ok);
  // Reads keep the logged version; writes refuse to overwrite the edit.
  EXPECT_EQ(*store_->GetValue("spread_costs", "BUND", "SpreadCost"), "0.01");
  EXPECT_TRUE(store_->Set("spread_costs", "SOFR", {{"SpreadCost", "1"}}, kCtx).status().IsConflict());
  EXPECT_EQ(ReadText(File("spread_costs")), edited);
  // Other tables can still be written.
  EXPECT_TRUE(store_->Set("instruments", "SOFR", {{"Region", "US"}}, kCtx).ok());

  auto v = store_->Adopt("spread_costs", {"bob", "broker sheet"});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*store_->GetValue("spread_costs", "BUND", "SpreadCost"), "0.02");
  auto h = store_->History("spread_costs");
  EXPECT_EQ(h->back().operation, "adopt");
  EXPECT_EQ(h->back().actor, "bob");
  EXPECT_TRUE(store_->DetectHandEdits()->empty());
  EXPECT_TRUE(store_->Verify()->ok);

  // A reorder plus CRLF line ends is recorded and replayed exactly.
  WriteText(File("spread_costs"), "Instrument,SpreadCost\r\nGOLD,0.3\r\nSOFR,0.0025\r\nBUND,0.02\r\n");
  ASSERT_TRUE(store_->Adopt("spread_costs", kCtx).ok());
  EXPECT_EQ(ReadText(File("spread_costs")), "Instrument,SpreadCost\nGOLD,0.3\nSOFR,0.0025\nBUND,0.02\n");
  auto r = OpenStore(root_)->Verify();
  EXPECT_TRUE(r->ok) << r->problems[0];
}

// Bad input: a clear error naming file, line and column; the current version stays.
class BadInputTest : public ReferenceStoreTest {
 protected:
  void ExpectRejected(const std::string& file, const std::string& text, const std::string& must_contain) {
    std::string bad_dir = tmp_.path() + "/bad-" + RandomHexId();
    std::filesystem::create_directories(bad_dir);
    WriteText(bad_dir + "/" + file, text);
    std::string before = ReadText(File("instruments"));
    auto r = store_->ImportFolder(bad_dir, kCtx);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsInvalidArgument());
    EXPECT_NE(r.status().message().find(must_contain), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find(file), std::string::npos) << r.status().ToString();
    EXPECT_EQ(store_->Current()->version(), 1);
    EXPECT_EQ(ReadText(File("instruments")), before);
    EXPECT_TRUE(store_->Verify()->ok);
  }
};

TEST_F(BadInputTest, MissingRequiredColumn) {
  ExpectRejected("instrumentconfig.csv", "Instrument,Description,Pointsize\nX,y,1\n",
                 "line 1: missing required column 'Currency'");
}

TEST_F(BadInputTest, DuplicateKey) {
  ExpectRejected("spreadcosts.csv", "Instrument,SpreadCost\nA,1\nB,2\nA,3\n",
                 "line 4, column 'Instrument' (1): duplicate key 'A' (first on line 2)");
}

TEST_F(BadInputTest, NonNumericValue) {
  ExpectRejected("spreadcosts.csv", "Instrument,SpreadCost\nA,1\nB,abc\n",
                 "line 3, column 'SpreadCost' (2): not a number: 'abc'");
}

TEST_F(BadInputTest, UnknownCurrency) {
  ExpectRejected("instrumentconfig.csv",
                 "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n"
                 "X,x,1,USD,Bond,0,0,0,US\nY,y,1,XYZ,Bond,0,0,0,US\n",
                 "line 3, column 'Currency' (4): unknown currency 'XYZ'");
}

TEST_F(BadInputTest, SetWithBadValuesIsRejected) {
  auto r = store_->Set("instruments", "SOFR", {{"Pointsize", "lots"}}, kCtx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("instruments.csv line 2, column 'Pointsize' (3): not a number: 'lots'"),
            std::string::npos)
      << r.status().ToString();
  r = store_->Set("instruments", "SOFR", {{"Currency", "ZZZ"}}, kCtx);
  EXPECT_NE(r.status().message().find("unknown currency 'ZZZ'"), std::string::npos);
  EXPECT_TRUE(store_->Set("nosuch", "A", {{"x", "1"}}, kCtx).status().IsInvalidArgument());
  EXPECT_TRUE(store_->Set("holidays", "CME", {{"Name", "x"}}, kCtx).status().IsInvalidArgument());
  EXPECT_EQ(store_->Current()->version(), 1);
}

TEST_F(ReferenceStoreTest, ExtraCurrenciesComeFromConfig) {
  EXPECT_FALSE(store_->Set("instruments", "SOFR", {{"Currency", "XBT"}}, kCtx).ok());
  ASSERT_TRUE(store_->Set("config", "extra_currencies", {{"Value", "XBT, ETH"}}, kCtx).ok());
  EXPECT_TRUE(store_->Set("instruments", "SOFR", {{"Currency", "XBT"}}, kCtx).ok());
  // Removing a currency still in use is rejected.
  auto r = store_->Set("config", "extra_currencies", {{"Value", "ETH"}}, kCtx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown currency 'XBT'"), std::string::npos) << r.status().ToString();
}

TEST_F(ReferenceStoreTest, HolidaysFeedBusinessCalendar) {
  ASSERT_TRUE(store_->Set("holidays", "CME/2024-12-26", {{"Name", "Boxing Day"}}, kCtx).ok());
  auto t = store_->GetTable("holidays");
  ASSERT_TRUE(t.ok());
  auto cal = BusinessCalendar::FromHolidays(**t, "CME");
  ASSERT_TRUE(cal.ok());
  EXPECT_EQ(cal->NextBusinessDay(*ParseTimestamp("2024-12-24")), *ParseTimestamp("2024-12-27"));
  EXPECT_FALSE(store_->Set("holidays", "CME/2024-13-01", {{"Name", "x"}}, kCtx).ok());
}

TEST_F(ReferenceStoreTest, OtherProcessCommitIsSeenAfterRefresh) {
  auto reader = OpenStore(root_, /*refresh_interval=*/kNanosPerSecond * 3600);
  EXPECT_EQ(*reader->GetValue("spread_costs", "SOFR", "SpreadCost"), "0.0025");
  ASSERT_TRUE(store_->Set("spread_costs", "SOFR", {{"SpreadCost", "0.007"}}, kCtx).ok());
  // Within the refresh interval the cached version is served; Refresh picks up the commit.
  EXPECT_EQ(*reader->GetValue("spread_costs", "SOFR", "SpreadCost"), "0.0025");
  ASSERT_TRUE(reader->Refresh().ok());
  EXPECT_EQ(*reader->GetValue("spread_costs", "SOFR", "SpreadCost"), "0.007");
  auto eager = OpenStore(root_, 0);
  ASSERT_TRUE(store_->Set("spread_costs", "SOFR", {{"SpreadCost", "0.008"}}, kCtx).ok());
  EXPECT_EQ(*eager->GetValue("spread_costs", "SOFR", "SpreadCost"), "0.008");
}

TEST_F(ReferenceStoreTest, ConcurrentReaderSeesOnlyWholeVersions) {
  // Each version sets A and B of one config row to the same value, and the same value in
  // a second table; a reader (its own store, as another process would have) must never
  // see them differ.
  std::atomic<bool> done{false};
  std::atomic<int64_t> checks{0};
  std::string failure;
  std::thread reader([&] {
    auto r = OpenStore(root_, 0);
    int64_t last_version = 0;
    while (!done.load()) {
      auto snap = r->Current();
      if (snap->version() < last_version) failure = "version went backwards";
      last_version = snap->version();
      const ReferenceTable* c = snap->table("config");
      if (c) {
        auto a = c->Get("k", "Value");
        auto b = c->Get("k", "B");
        if (a && b && *a != *b) failure = "torn row: " + std::string(*a) + " vs " + std::string(*b);
      }
      ++checks;
    }
  });
  while (checks.load() == 0) std::this_thread::yield();  // the reader is up before the writes start
  for (int i = 0; i < 40; ++i) {
    auto v = store_->Set("config", "k", {{"Value", std::to_string(i)}, {"B", std::to_string(i)}}, kCtx);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
  }
  done = true;
  reader.join();
  EXPECT_EQ(failure, "");
  EXPECT_GT(checks.load(), 0);
  EXPECT_TRUE(store_->Verify()->ok);
}

TEST_F(ReferenceStoreTest, InterruptedWriteIsRolledBackOnOpen) {
  // What a writer killed after renaming the CSV but before appending the log leaves:
  // PENDING, a new file, and a torn log line.
  std::string dir = root_ + "/reference";
  WriteText(dir + "/PENDING", "{\"version\":2,\"tables\":[\"spread_costs\",\"exchanges\"]}");
  WriteText(File("spread_costs"), "Instrument,SpreadCost\nSOFR,9\n");
  WriteText(File("exchanges"), "Exchange,Name\nCME,Chicago\n");
  std::string log = ReadText(dir + "/changelog.jsonl");
  WriteText(dir + "/changelog.jsonl", log + "{\"format\":1,\"version\":2,\"ti");
  auto s = OpenStore(root_);
  EXPECT_EQ(s->Current()->version(), 1);
  EXPECT_EQ(ReadText(File("spread_costs")), "Instrument,SpreadCost\nSOFR,0.0025\nBUND,0.01\n");
  EXPECT_FALSE(std::filesystem::exists(File("exchanges")));
  EXPECT_FALSE(std::filesystem::exists(dir + "/PENDING"));
  EXPECT_EQ(ReadText(dir + "/changelog.jsonl"), log);
  auto r = s->Verify();
  EXPECT_TRUE(r->ok) << r->problems[0];
  EXPECT_EQ(*s->Set("spread_costs", "SOFR", {{"SpreadCost", "0.5"}}, kCtx), 2);
}

TEST_F(ReferenceStoreTest, NewColumnIsAppendedAndReplayed) {
  ASSERT_TRUE(store_->Set("spread_costs", "BUND", {{"Source", "broker"}}, kCtx).ok());
  EXPECT_EQ(ReadText(File("spread_costs")), "Instrument,SpreadCost,Source\nSOFR,0.0025,\nBUND,0.01,broker\n");
  WriteText(tmp_.path() + "/sc.csv", "Instrument,SpreadCost\nBUND,0.02\nSOFR,0.0025\n");
  auto v = store_->ImportTable("spread_costs", tmp_.path() + "/sc.csv", kCtx);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  auto d = store_->Diff("spread_costs", 2, 3);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->columns_before.size(), 3u);
  EXPECT_EQ(d->columns_after.size(), 2u);
  EXPECT_FALSE(d->order.empty());  // BUND moved first
  auto r = OpenStore(root_)->Verify();
  EXPECT_TRUE(r->ok) << r->problems[0];
  EXPECT_EQ(*OpenStore(root_)->AsOfVersion(2).ValueOrDie()->table("spread_costs")->Get("BUND", "Source"), "broker");
}

TEST(ReferenceRealDataTest, ImportsPysystemtradeCsvConfigByteForByte) {
  std::string dir = reference_test::CsvConfigDir();
  if (dir.empty()) GTEST_SKIP() << "shared csvconfig data not found next to the source tree";
  TempDir tmp;
  auto store = OpenStore(tmp.path());
  auto v = store->ImportFolder(dir, kCtx);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const std::pair<const char*, const char*> files[] = {{"instruments", "instrumentconfig.csv"},
                                                       {"roll_config", "rollconfig.csv"},
                                                       {"spread_costs", "spreadcosts.csv"},
                                                       {"instrument_info", "moreinstrumentinfo.csv"}};
  for (const auto& [table, file] : files) {
    EXPECT_EQ(ReadText(tmp.path() + "/reference/" + table + ".csv"), ReadText(dir + "/" + file)) << table;
  }
  EXPECT_EQ(store->GetTable("instruments").ValueOrDie()->num_rows(), 586u);
  EXPECT_EQ(*store->GetValue("instruments", "USIRS10_ICE", "Description"), "Ten year dollar swapnote, ICE");
  EXPECT_EQ(*store->GetValue("roll_config", "AEX", "RollOffsetDays"), "-5");
  // Importing the same folder again changes nothing.
  EXPECT_EQ(*store->ImportFolder(dir, kCtx), *v);
  EXPECT_TRUE(store->Verify()->ok);
}

}  // namespace
}  // namespace systore
