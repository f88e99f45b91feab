#include "systore/quality_gate.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <thread>

#include "quality/quality_test_util.h"
#include "testing/test_util.h"
#include "systore/timeseries_store.h"

namespace systore {
namespace {

using testing::Day;
using testing::PriceTable;
using testing::TempDir;
using testing::WeekdayWalk;

// The policy tests judge BadBatch as new rows merged after stored history would be
// ("first_import": "judge"); FirstImport* tests cover the default.
constexpr const char* kJudge = R"({"defaults": {"first_import": "judge"}})";

std::unique_ptr<QualityGate> OpenGate(const std::string& root, const std::string& config_json = kJudge) {
  QualityGateOptions o;
  o.root = root;
  o.now = Day(2030, 1, 1);
  if (!config_json.empty()) {
    auto c = QualityConfig::Parse(config_json, "test");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    o.config = *c;
  }
  auto g = QualityGate::Open(o);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return std::move(*g);
}

// 200 weekday closes with a 50x spike at row 150 and a duplicate of row 10.
IngestBatch BadBatch() {
  std::vector<Timestamp> ts;
  std::vector<double> p;
  WeekdayWalk(Day(2020, 1, 1), 200, 100, 3, &ts, &p);
  p[150] = p[149] + 12.5;
  ts.insert(ts.begin() + 11, ts[10]);
  p.insert(p.begin() + 11, p[10] + 0.01);
  IngestBatch b;
  b.dataset = "fx/spot";
  b.key = "GBPUSD";
  b.data = PriceTable(ts, p);
  b.source = "GBPUSD.csv";
  for (size_t i = 0; i < ts.size(); ++i) b.source_lines.push_back(static_cast<int64_t>(i) + 2);
  return b;
}

TEST(QualityGate, QuarantinePolicyKeepsOffendingRowsOutAndAcceptsTheRest) {
  TempDir dir;
  auto gate = OpenGate(dir.path());
  auto r = gate->Process(BadBatch());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->decision, GateDecision::kPartial);
  EXPECT_EQ(r->accepted->num_rows(), 199);
  ASSERT_EQ(r->quarantined_rows.size(), 2u);
  EXPECT_EQ(r->quarantined_rows[0], 10);   // keep-last discards the first of the pair
  EXPECT_EQ(r->quarantined_rows[1], 151);  // the spike (shifted by the duplicate)
  ASSERT_GT(r->quarantine_id, 0);
  auto e = gate->quarantine()->Get(r->quarantine_id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->rows, 2);
  EXPECT_EQ(e->status, "pending");
  bool saw_spike = false;
  for (const auto& f : e->findings) {
    if (f.rule == "spike") {
      saw_spike = true;
      EXPECT_EQ(f.source, "GBPUSD.csv:153");
    }
  }
  EXPECT_TRUE(saw_spike);
  // Accepted rows are sorted and unique.
  auto ts = r->accepted->column(0)->chunk(0)->data()->GetValues<int64_t>(1);
  for (int64_t i = 1; i < r->accepted->num_rows(); ++i) ASSERT_LT(ts[i - 1], ts[i]);
}

TEST(QualityGate, TicksKeepRepeatedTimestampsAndIdenticalTicks) {
  TempDir dir;
  // Trades in one millisecond, two of them identical: all are data, in arrival order.
  const Timestamp t0 = Day(2024, 3, 4, 14);
  std::vector<Timestamp> ts = {t0, t0 + 1'000'000, t0 + 1'000'000, t0 + 1'000'000, t0 + 2'000'000};
  IngestBatch b;
  b.dataset = "ticks/ES";
  b.key = "ESH4";
  b.data = testing::MakeTable({"price", "size"}, ts, {{100, 100.25, 100.25, 100.5, 100.5}, {1, 2, 2, 1, 3}});
  b.source = "ticks.csv";
  auto gate = OpenGate(dir.path(), "");
  auto r = gate->Process(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->decision, GateDecision::kAccepted);
  EXPECT_EQ(r->accepted->num_rows(), 5);
  for (const auto& f : r->findings) EXPECT_NE(f.rule, "duplicate_timestamp");
  // A dataset entry in quality.json still decides for itself.
  auto strict = OpenGate(dir.path(), R"({"datasets": {"ticks/*": {"duplicates": "keep-last"}}})");
  r = strict->Process(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted->num_rows(), 3);
  // keep-all is for ticks only: other series have unique timestamps.
  IngestBatch fx = BadBatch();
  fx.duplicates = DuplicatePolicy::kKeepAll;
  auto bad = gate->Process(fx);
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_NE(bad.status().message().find("tick datasets only"), std::string::npos);
}

TEST(Quarantine, ReleasedTicksJoinTheirTimestampGroup) {
  // One trade of a millisecond is kept out (a negative price); its siblings are stored.
  // Released, it is added after them: a tick is data, never a replacement.
  TempDir dir;
  auto gate = OpenGate(dir.path());
  TimeSeriesStoreOptions so;
  so.root = dir.path();
  auto store = TimeSeriesStore::Open(so).MoveValueUnsafe();
  const Timestamp t0 = Day(2024, 3, 4, 14);
  std::vector<Timestamp> ts = {t0, t0 + 1'000'000, t0 + 1'000'000, t0 + 1'000'000, t0 + 2'000'000};
  IngestBatch b;
  b.dataset = "ticks/ES";
  b.key = "ESH4";
  b.data = testing::MakeTable({"price", "size"}, ts, {{100, 100.25, -1, 100.5, 100.75}, {1, 2, 3, 4, 5}});
  auto r = gate->Process(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->quarantined_rows, (std::vector<int64_t>{2}));
  ASSERT_TRUE(store->Write(b.dataset, b.key, r->accepted).ok());
  auto wr = gate->quarantine()->Release(r->quarantine_id, store.get(), "alice");
  ASSERT_TRUE(wr.ok()) << wr.status().ToString();
  EXPECT_EQ(wr->rows_added, 1);
  auto stored = *store->Read(b.dataset, b.key);
  EXPECT_EQ(testing::Doubles(*stored, "price"), (std::vector<double>{100, 100.25, 100.5, -1, 100.75}));
  EXPECT_EQ(testing::Doubles(*stored, "size"), (std::vector<double>{1, 2, 4, 3, 5}));
}

TEST(QualityGate, RejectPolicyRejectsTheWholeBatch) {
  TempDir dir;
  auto gate = OpenGate(dir.path(), R"({"defaults": {"policy": "reject", "first_import": "judge"}})");
  auto r = gate->Process(BadBatch());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision, GateDecision::kRejected);
  EXPECT_EQ(r->accepted->num_rows(), 0);
  EXPECT_NE(r->reason.find("policy reject"), std::string::npos);
  auto e = gate->quarantine()->Get(r->quarantine_id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->scope, "batch");
  EXPECT_EQ(e->rows, 201);
}

TEST(QualityGate, AcceptPolicyWritesErrorsButStillResolvesDuplicates) {
  TempDir dir;
  auto gate = OpenGate(dir.path(), R"({"defaults": {"policy": "accept", "first_import": "judge"}})");
  auto r = gate->Process(BadBatch());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted->num_rows(), 200);  // spike written with a warning
  EXPECT_EQ(r->quarantined_rows.size(), 1u);
}

TEST(QualityGate, CriticalFindingStopsTheBatch) {
  TempDir dir;
  auto gate = OpenGate(dir.path());
  IngestBatch b = BadBatch();
  b.dataset = "prices/contract_daily";  // OHLCV: price alone misses required columns
  b.dataset_options = DatasetOptions::ForName("prices/contract_daily");
  auto r = gate->Process(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision, GateDecision::kRejected);
  EXPECT_NE(r->reason.find("critical schema"), std::string::npos) << r->reason;
}

TEST(QualityGate, DisabledGatePassesRowsThrough) {
  TempDir dir;
  QualityGateOptions o;
  o.root = dir.path();
  o.enabled = false;
  auto gate = QualityGate::Open(o);
  ASSERT_TRUE(gate.ok());
  IngestBatch b = BadBatch();
  b.data = WeekdayWalk(Day(2020, 1, 1), 50, 100, 1);
  auto r = (*gate)->Process(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted->num_rows(), 50);
  EXPECT_TRUE(r->findings.empty());
}

TEST(QualityGate, FirstImportReportsValueFindingsAndWithholdsNothing) {
  TempDir dir;
  auto gate = OpenGate(dir.path(), R"({})");  // defaults: first_import = warn
  auto r = gate->Process(BadBatch());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->decision, GateDecision::kPartial);  // the repeated timestamp still resolves
  EXPECT_EQ(r->accepted->num_rows(), 200);         // the spike is stored
  ASSERT_EQ(r->quarantined_rows.size(), 1u);
  EXPECT_EQ(r->quarantined_rows[0], 10);
  bool saw_spike = false;
  for (const auto& f : r->findings) {
    if (f.rule != "spike") continue;
    saw_spike = true;
    EXPECT_EQ(f.severity, Severity::kWarning);
    EXPECT_NE(f.message.find("first import"), std::string::npos) << f.message;
  }
  EXPECT_TRUE(saw_spike);
}

TEST(QualityGate, RowsAfterStoredHistoryAreJudgedByDefault) {
  TempDir dir;
  auto gate = OpenGate(dir.path(), R"({})");
  IngestBatch b = BadBatch();
  b.history = PriceTable({Day(2019, 12, 31)}, {100.0});
  auto r = gate->Process(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted->num_rows(), 199);
  ASSERT_EQ(r->quarantined_rows.size(), 2u);
  EXPECT_EQ(r->quarantined_rows[1], 151);  // the spike
}

TEST(QualityConfig, FirstImportMustBeWarnOrJudge) {
  auto bad = QualityConfig::Parse(R"({"datasets": {"fx/spot": {"first_import": "maybe"}}})", "q.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("datasets.fx/spot.first_import"), std::string::npos) << bad.status().ToString();
  auto c = QualityConfig::Parse(R"({"datasets": {"fx/*": {"first_import": "judge"}}})", "q.json");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->ForDataset("fx/spot").judge_first_import);
  EXPECT_FALSE(c->ForDataset("prices/adjusted").judge_first_import);
}

TEST(Quarantine, ReleaseWritesRowsAndAuditRecordsDecisions) {
  TempDir dir;
  auto gate = OpenGate(dir.path());
  TimeSeriesStoreOptions so;
  so.root = dir.path();
  auto store = TimeSeriesStore::Open(so).MoveValueUnsafe();
  IngestBatch b = BadBatch();
  auto r = *gate->Process(b);
  ASSERT_TRUE(store->Write(b.dataset, b.key, r.accepted).ok());
  auto* q = gate->quarantine();
  // The same put again (a re-run) returns the same entry.
  auto again = *gate->Process(b);
  EXPECT_EQ(again.quarantine_id, r.quarantine_id);
  EXPECT_EQ(q->List()->size(), 1u);

  auto wr = q->Release(r.quarantine_id, store.get(), "alice");
  ASSERT_TRUE(wr.ok()) << wr.status().ToString();
  EXPECT_EQ(wr->rows_added, 1);  // the spike; the duplicate's timestamp is stored already
  EXPECT_EQ(store->Read(b.dataset, b.key).ValueOrDie()->num_rows(), 200);
  EXPECT_EQ(q->Release(r.quarantine_id, store.get(), "bob").status().code(), StatusCode::kConflict);
  EXPECT_EQ(q->Get(r.quarantine_id)->status, "released");

  // A second entry, dropped with a reason.
  IngestBatch b2 = BadBatch();
  b2.key = "EURUSD";
  auto r2 = *gate->Process(b2);
  EXPECT_TRUE(q->Drop(r2.quarantine_id, "carol", "").IsInvalidArgument());
  ASSERT_TRUE(q->Drop(r2.quarantine_id, "carol", "bad tick from vendor").ok());
  EXPECT_EQ(q->List("pending")->size(), 0u);
  EXPECT_EQ(q->List("dropped")->size(), 1u);
  auto audit = *q->Audit();
  ASSERT_EQ(audit.size(), 4u);
  EXPECT_EQ(audit[1].action, "release");
  EXPECT_EQ(audit[1].actor, "alice");
  EXPECT_EQ(audit[1].rows_written, 1);
  EXPECT_EQ(audit[3].action, "drop");
  EXPECT_EQ(audit[3].reason, "bad tick from vendor");
  EXPECT_TRUE(q->Get(99).status().IsNotFound());
  auto rows = q->ReadRows(r2.quarantine_id);
  ASSERT_TRUE(rows.ok());
  EXPECT_GE((*rows)->schema()->GetFieldIndex("_row"), 0);
}

TEST(Quarantine, ConcurrentPutsGetDistinctIds) {
  TempDir dir;
  auto q = Quarantine::Open({.root = dir.path()}).MoveValueUnsafe();
  std::vector<std::thread> threads;
  std::vector<int64_t> ids(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      QuarantineEntry e;
      e.dataset = "d";
      e.key = "k" + std::to_string(i);
      e.reason = "test";
      ids[i] = *q->Put(e, PriceTable({Day(2024, 1, 1)}, {1.0 * i}), {0});
    });
  }
  for (auto& t : threads) t.join();
  std::sort(ids.begin(), ids.end());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(ids[i], i + 1);
}

}  // namespace
}  // namespace systore
