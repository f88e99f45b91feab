// Reference-data lookups: the in-memory index behind ReferenceStore (target < 1 us per
// cached lookup). Uses the real pysystemtrade csvconfig files when present
// ($SYSTORE_SOURCE_DIR/../shared/data/csvconfig), else 600 synthetic instruments.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <random>
#include "systore/business_calendar.h"
#include "systore/reference_store.h"

namespace systore {
namespace {

struct Fixture {
  std::string root;
  std::unique_ptr<ReferenceStore> store;
  std::vector<std::string> keys;

  Fixture() {
    root = (std::filesystem::temp_directory_path() / ("systore-refbench-" + std::to_string(std::random_device{}()))).string();
    std::string src = std::string(std::getenv("SYSTORE_SOURCE_DIR") ? std::getenv("SYSTORE_SOURCE_DIR") : ".") +
                      "/../shared/data/csvconfig";
    if (!std::filesystem::exists(src + "/instrumentconfig.csv")) {
      src = root + "-src";
      std::filesystem::create_directories(src);
      std::ofstream f(src + "/instrumentconfig.csv");
      f << "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n";
      for (int i = 0; i < 600; ++i) f << "INSTR" << i << ",synthetic,50,USD,Bond,1,0,0,US\n";
    }
    ReferenceStoreOptions o;
    o.root = root;
    store = std::move(ReferenceStore::Open(o)).MoveValueUnsafe();
    auto v = store->ImportFolder(src, {"bench", "benchmark data"});
    if (!v.ok()) std::abort();
    auto t = store->GetTable("instruments").ValueOrDie();
    for (size_t i = 0; i < t->num_rows(); ++i) keys.push_back(t->KeyOf(i));
    std::shuffle(keys.begin(), keys.end(), std::mt19937(7));
  }
  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
    std::filesystem::remove_all(root + "-src", ec);
  }
};

Fixture& F() {
  static Fixture f;
  return f;
}

// A table held by the caller: hash lookup of the row, then the column.
void BM_TableGet(benchmark::State& state) {
  auto t = F().store->GetTable("instruments").ValueOrDie();
  const auto& keys = F().keys;
  size_t i = 0;
  for (auto _ : state) {
    auto v = t->Get(keys[i++ % keys.size()], "Pointsize");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_TableGet);

// Row pointer only (the index probe).
void BM_TableFind(benchmark::State& state) {
  auto t = F().store->GetTable("instruments").ValueOrDie();
  const auto& keys = F().keys;
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(t->Find(keys[i++ % keys.size()]));
}
BENCHMARK(BM_TableFind);

// Through the store: snapshot (refresh check every 100 ms), table, row, column, copy out.
void BM_StoreGetValue(benchmark::State& state) {
  auto& store = *F().store;
  const auto& keys = F().keys;
  size_t i = 0;
  for (auto _ : state) {
    auto v = store.GetValue("instruments", keys[i++ % keys.size()], "Pointsize");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_StoreGetValue);

// Parsed as a number.
void BM_TableGetNumber(benchmark::State& state) {
  auto t = F().store->GetTable("instruments").ValueOrDie();
  const auto& keys = F().keys;
  size_t i = 0;
  for (auto _ : state) {
    auto v = t->GetNumber(keys[i++ % keys.size()], "Pointsize");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_TableGetNumber);

void BM_NextBusinessDay(benchmark::State& state) {
  std::vector<Timestamp> holidays;
  for (int y = 2000; y < 2030; ++y) holidays.push_back(FromCivilDate(y, 12, 25));
  BusinessCalendar cal("X", holidays);
  Timestamp d = FromCivilDate(2024, 1, 1);
  for (auto _ : state) {
    d = cal.NextBusinessDay(d);
    if (d > FromCivilDate(2029, 1, 1)) d = FromCivilDate(2024, 1, 1);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_NextBusinessDay);

}  // namespace
}  // namespace systore
