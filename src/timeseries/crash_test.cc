// Crash safety: a child process appends rows in a loop and reports each acknowledged
// append through a pipe; the parent kills it with SIGKILL at random moments, reopens the
// store and checks that every acknowledged row is there exactly once and nothing torn is
// visible. SYSTORE_CRASH_KILLS sets the number of kills (default 50).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>

#include "systore/timeseries_store.h"
#include "testing/test_util.h"

namespace systore {
namespace {

constexpr const char* kChildEnv = "SYSTORE_CRASH_CHILD";  // "<root>:<fd>"

// Runs before main() in the re-executed child: append forever, acknowledging each row.
[[maybe_unused]] const bool kChildRan = [] {
  const char* spec = std::getenv(kChildEnv);
  if (!spec) return false;
  std::string s(spec);
  std::string root = s.substr(0, s.rfind(':'));
  int fd = std::atoi(s.substr(s.rfind(':') + 1).c_str());
  TimeSeriesStoreOptions o;
  o.root = root;
  auto store = std::move(TimeSeriesStore::Open(o)).MoveValueUnsafe();
  auto latest = store->Latest("prices/live", "K", 1);
  int64_t next = 0;
  if (latest.ok() && (*latest)->num_rows() > 0)
    next = static_cast<int64_t>(testing::Doubles(**latest, "price").back()) + 1;
  // Single-row appends, four a day, so partitions (years) roll over during the run.
  for (int64_t i = next;; ++i) {
    Timestamp ts = i * (kNanosPerDay / 4);
    auto r = store->Append("prices/live", "K", testing::MakeSeries({ts}, {{"price", {double(i)}}}));
    if (!r.ok()) std::_Exit(3);
    int64_t ack = i;
    if (::write(fd, &ack, sizeof ack) != sizeof ack) std::_Exit(4);
  }
}();

TEST(CrashTest, AcknowledgedAppendsSurviveSigkill) {
  testing::TempDir dir;
  int kills = 50;
  if (const char* k = std::getenv("SYSTORE_CRASH_KILLS")) kills = std::atoi(k);
  std::mt19937 rng(12345);
  std::set<int64_t> acked;
  int64_t unacked_before = 0;
  for (int round = 0; round < kills; ++round) {
    std::uniform_int_distribution<int> delay_ms(5, 60);
    auto acks = testing::KillChildMidWrite(
        [&](int fd) {
          return std::vector<std::pair<std::string, std::string>>{{kChildEnv, dir.path() + ":" + std::to_string(fd)},
                                                                  {"ARROW_DEFAULT_MEMORY_POOL", "system"}};
        },
        0, delay_ms(rng) * 1000 + (round == 0 ? 300000 : 0));
    ASSERT_TRUE(acks.ok()) << "round " << round << ": " << acks.status().ToString();
    size_t acked_before = acked.size();
    for (int64_t v : testing::DecodeAcks<int64_t>(*acks)) acked.insert(v);
    if (std::getenv("SYSTORE_CRASH_VERBOSE")) {
      std::fprintf(stderr, "round %d: %zu new acks, max %lld\n", round, acked.size() - acked_before,
                   acked.empty() ? -1LL : static_cast<long long>(*acked.rbegin()));
    }

    TimeSeriesStoreOptions o;
    o.root = dir.path();
    auto store = TimeSeriesStore::Open(o);
    ASSERT_TRUE(store.ok());
    auto t = (*store)->Read("prices/live", "K");
    if (acked.empty()) continue;
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    auto prices = testing::Doubles(**t, "price");
    auto times = testing::Times(**t);
    // Every stored row is a whole row (its price matches its timestamp), rows are unique
    // and contiguous, and every acknowledged row is there.
    for (size_t i = 0; i < prices.size(); ++i) {
      ASSERT_EQ(prices[i], static_cast<double>(i)) << "round " << round;
      ASSERT_EQ(times[i], static_cast<int64_t>(i) * (kNanosPerDay / 4));
    }
    ASSERT_GE(static_cast<int64_t>(prices.size()), *acked.rbegin() + 1)
        << "acknowledged row " << *acked.rbegin() << " lost in round " << round;
    // A kill can land between an append becoming durable and its acknowledgement: each
    // round may leave at most one such row, never a half-written one (checked above).
    int64_t unacked = static_cast<int64_t>(prices.size()) - static_cast<int64_t>(acked.size());
    ASSERT_LE(unacked - unacked_before, 1) << "round " << round << " left more than one unacknowledged row";
    unacked_before = unacked;
  }
  EXPECT_GT(acked.size(), static_cast<size_t>(kills)) << "the child made too little progress to test anything";

  // Other engines read the recovered table: deltalake through the log, pyarrow the files it names.
  TimeSeriesStoreOptions o;
  o.root = dir.path();
  int64_t rows = (*(*TimeSeriesStore::Open(o))->Read("prices/live", "K"))->num_rows();
  const char* src = std::getenv("SYSTORE_SOURCE_DIR");
  std::string python = src ? std::string(src) + "/.venv/bin/python" : "";
  if (python.empty() || !PathExists(python)) {
    std::printf("crash test: interop check not run: no %s (run scripts/setup.sh)\n", python.c_str());
  } else {
    std::string cmd =
        python +
        " -c \"import sys, pyarrow.dataset as ds; from deltalake import DeltaTable; "
        "dt = DeltaTable(sys.argv[1] + '/prices/live'); n = int(sys.argv[2]); t = dt.to_pyarrow_table(); "
        "assert sorted(t.column('price').to_pylist()) == [float(i) for i in range(n)], 'deltalake rows'; "
        "live = ds.dataset([u.removeprefix('file://') for u in dt.file_uris()], format='parquet').to_table(); "
        "assert live.num_rows == n, 'pyarrow rows'\" " +
        dir.path() + " " + std::to_string(rows);
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  std::printf("crash test: %d kills, %zu acknowledged appends verified\n", kills, acked.size());
}

}  // namespace
}  // namespace systore
