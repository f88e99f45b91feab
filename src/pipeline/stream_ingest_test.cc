#include "systore/ingest_stream.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "quality/quality_test_util.h"
#include "systore/quarantine.h"

namespace systore {
namespace {

using testing::PriceTable;
using testing::TempDir;

std::unique_ptr<TimeSeriesStore> OpenStore(const std::string& root) {
  TimeSeriesStoreOptions o;
  o.root = root;
  return TimeSeriesStore::Open(o).MoveValueUnsafe();
}

StreamRecord Rec(const std::string& key, Timestamp t0, int n, double start = 100) {
  std::vector<Timestamp> ts;
  std::vector<double> p;
  for (int i = 0; i < n; ++i) ts.push_back(t0 + i * kNanosPerSecond), p.push_back(start + 0.01 * (i % 7));
  return StreamRecord{"stream/prices", key, PriceTable(ts, p), Now()};
}

const Timestamp kT0 = FromCivilDate(2024, 3, 4) + 9 * 3600 * kNanosPerSecond;

TEST(StreamIngest, AppendsInOrderAndRunsTriggers) {
  TempDir root;
  auto store = OpenStore(root.path());
  StreamIngestOptions o;
  o.root = root.path();
  o.queue_capacity = 4;  // small: exercises backpressure
  auto s = StreamIngest::Open(o, store.get()).MoveValueUnsafe();
  std::atomic<int64_t> triggered{0}, visible_checks{0};
  s->AddTrigger("stream/prices", [&](const TriggerEvent& ev) {
    triggered += ev.rows;
    auto last = store->Latest(ev.dataset, ev.key, 1);
    if (last.ok() && (*last)->column(0)->chunk(0)->data()->GetValues<int64_t>(1)[0] == ev.last) ++visible_checks;
    return Status::OK();
  });
  for (int i = 0; i < 50; ++i)
    for (const char* k : {"A", "B", "C"}) ASSERT_TRUE(s->Push(Rec(k, kT0 + i * 100 * kNanosPerSecond, 100)).ok());
  ASSERT_TRUE(s->Drain().ok());
  auto st = s->stats();
  EXPECT_EQ(st.rows_in, 15000);
  EXPECT_EQ(st.rows_appended, 15000);
  EXPECT_EQ(triggered, 15000);
  EXPECT_EQ(visible_checks, st.appends);
  for (const char* k : {"A", "B", "C"}) EXPECT_EQ(store->Read("stream/prices", k).ValueOrDie()->num_rows(), 5000);
  ASSERT_TRUE(s->Close().ok());
  EXPECT_TRUE(s->Push(Rec("A", kT0, 1)).code() == StatusCode::kUnavailable);
}

TEST(StreamIngest, TryPushReportsAFullQueue) {
  TempDir root;
  auto store = OpenStore(root.path());
  StreamIngestOptions o;
  o.root = root.path();
  o.workers = 1;
  o.queue_capacity = 1;
  auto s = StreamIngest::Open(o, store.get()).MoveValueUnsafe();
  std::atomic<bool> release{false};
  s->SetTransform("stream/prices", [&](const StreamRecord& r) -> Result<std::shared_ptr<arrow::Table>> {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return r.rows;
  });
  ASSERT_TRUE(s->Push(Rec("A", kT0, 1)).ok());
  // The worker holds the first record in the transform; fill the queue, then it is full.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(s->TryPush(Rec("A", kT0 + kNanosPerSecond, 1)).ok());
  EXPECT_EQ(s->TryPush(Rec("A", kT0 + 2 * kNanosPerSecond, 1)).code(), StatusCode::kUnavailable);
  release = true;
  ASSERT_TRUE(s->Drain().ok());
  EXPECT_EQ(s->stats().rows_appended, 2);
}

TEST(StreamIngest, ProcessingErrorsGoToDeadLetterValidationErrorsToQuarantine) {
  TempDir root;
  auto store = OpenStore(root.path());
  StreamIngestOptions o;
  o.root = root.path();
  auto s = StreamIngest::Open(o, store.get()).MoveValueUnsafe();
  s->SetTransform("stream/prices", [](const StreamRecord& r) -> Result<std::shared_ptr<arrow::Table>> {
    if (r.key == "BAD") return Status::InvalidArgument("cannot transform BAD");
    return r.rows;
  });
  s->AddTrigger(
      "", [](const TriggerEvent& ev) { return ev.key == "T" ? Status::Internal("trigger failed") : Status::OK(); });
  ASSERT_TRUE(s->Push(Rec("BAD", kT0, 10)).ok());
  ASSERT_TRUE(s->Push(Rec("T", kT0, 10)).ok());
  ASSERT_TRUE(s->Push(Rec("OK", kT0, 30)).ok());
  ASSERT_TRUE(s->Drain().ok());
  // A zero price and a row before the last appended one: validation, so quarantine.
  auto z = Rec("OK", kT0 + 100 * kNanosPerSecond, 3);
  auto bad =
      PriceTable({kT0 + 5 * kNanosPerSecond, kT0 + 100 * kNanosPerSecond, kT0 + 101 * kNanosPerSecond}, {100, 0, 100});
  z.rows = bad;
  ASSERT_TRUE(s->Push(z).ok());
  ASSERT_TRUE(s->Drain().ok());
  auto st = s->stats();
  EXPECT_EQ(st.records_dead_lettered, 2);  // BAD (transform) + T (trigger)
  EXPECT_EQ(st.trigger_errors, 1);
  EXPECT_EQ(st.rows_quarantined, 2);
  EXPECT_EQ(store->Read("stream/prices", "OK").ValueOrDie()->num_rows(), 31);
  auto dl = *ListDeadLetters(root.path());
  ASSERT_EQ(dl.size(), 2u);
  std::set<std::string> stages = {dl[0].stage, dl[1].stage};
  EXPECT_TRUE(stages.count("transform"));
  EXPECT_TRUE(stages.count("trigger"));
  for (const auto& d : dl) {
    EXPECT_EQ(d.rows, 10);
    EXPECT_TRUE(std::filesystem::exists(root.path() + "/_quality/deadletter/" + std::to_string(d.id) + ".arrow"));
  }
  auto q = Quarantine::Open({.root = root.path()}).MoveValueUnsafe();
  auto entries = *q->List();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].rows, 2);
}

}  // namespace
}  // namespace systore
