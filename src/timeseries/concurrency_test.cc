// Readers in other processes while a writer appends (through the log, flushing often)
// and compacts: every read sees a whole version, sorted and duplicate-free.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "systore/timeseries_store.h"
#include "testing/test_util.h"

namespace systore {
namespace {

constexpr const char* kReaderEnv = "SYSTORE_READER_CHILD";  // store root

// Runs before main() in a re-executed reader: reads until the writer is done (a file
// appears), checks each read, exits 0 when all were consistent.
[[maybe_unused]] const bool kReaderRan = [] {
  const char* root = std::getenv(kReaderEnv);
  if (!root) return false;
  TimeSeriesStoreOptions o;
  o.root = root;
  o.file_cache_bytes = 1 << 20;
  auto store = std::move(TimeSeriesStore::Open(o)).MoveValueUnsafe();
  int reads = 0;
  const std::string done = std::string(root) + "/writer-done";
  while (!PathExists(done) || reads < 20) {
    for (const char* key : {"A", "B"}) {
      auto t = store->Read("prices/live", key);
      if (!t.ok()) {
        if (t.status().IsNotFound()) continue;
        std::fprintf(stderr, "reader: %s\n", t.status().ToString().c_str());
        std::_Exit(2);
      }
      auto ts = testing::Times(**t);
      auto px = testing::Doubles(**t, "price");
      for (size_t i = 0; i < ts.size(); ++i) {
        // Rows are 0..n-1 in order: sorted, no duplicates, no gaps, whole rows.
        if (ts[i] != static_cast<Timestamp>(i) || px[i] != static_cast<double>(i)) {
          std::fprintf(stderr, "reader: key %s row %zu is (%lld, %g)\n", key, i, static_cast<long long>(ts[i]), px[i]);
          std::_Exit(3);
        }
      }
      ++reads;
    }
  }
  std::_Exit(0);
}();

TEST(ConcurrencyTest, ReaderProcessesSeeConsistentVersionsWhileWriterAppendsAndCompacts) {
  testing::TempDir dir;
  std::vector<pid_t> readers;
  for (int r = 0; r < 3; ++r) {
    pid_t pid = testing::SpawnSelf({{kReaderEnv, dir.path()}, {"ARROW_DEFAULT_MEMORY_POOL", "system"}});
    ASSERT_GE(pid, 0);
    readers.push_back(pid);
  }
  {
    TimeSeriesStoreOptions o;
    o.root = dir.path();
    o.wal.flush_rows = 25;  // many small flushes: many versions for the readers to race
    auto store = std::move(TimeSeriesStore::Open(o)).MoveValueUnsafe();
    DatasetOptions d;
    d.rewrite_partition_below_rows = 0;  // every flush adds files: compaction has work
    ASSERT_TRUE(store->CreateDataset("prices/live", d).ok());
    for (const char* key : {"A", "B"}) {
      ASSERT_TRUE(store->Write("prices/live", key, testing::MakeSeries({0}, {{"price", {0}}})).ok());
    }
    for (int i = 1; i <= 600; ++i) {
      for (const char* key : {"A", "B"}) {
        auto r = store->Append("prices/live", key, testing::MakeSeries({i}, {{"price", {double(i)}}}));
        ASSERT_TRUE(r.ok()) << r.status().ToString();
      }
      if (i % 150 == 0) ASSERT_TRUE(store->Compact("prices/live").ok());
    }
    ASSERT_TRUE(store->Flush("prices/live").ok());
    EXPECT_EQ((*store->Read("prices/live", "A"))->num_rows(), 601);
  }
  ASSERT_TRUE(WriteFileDurably(dir.path() + "/writer-done", "").ok());
  for (pid_t pid : readers) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "a reader saw an inconsistent series";
  }
}

}  // namespace
}  // namespace systore
