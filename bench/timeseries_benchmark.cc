// Micro-benchmarks of the time-series read path (Google Benchmark).
#include <benchmark/benchmark.h>

#include "systore/timeseries_store.h"
#include "testing/test_util.h"

namespace systore {
namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<TimeSeriesStore> store;
  Fixture() {
    TimeSeriesStoreOptions o;
    o.root = dir.path();
    store = std::move(TimeSeriesStore::Open(o)).MoveValueUnsafe();
    auto days = testing::Days("2000-01-01", 9000);
    std::vector<double> p(days.size());
    for (size_t i = 0; i < p.size(); ++i) p[i] = 100 + 0.25 * static_cast<double>(i % 97);
    (void)store->Write("prices/adjusted", "SOFR", testing::MakeSeries(days, {{"price", p}}));
  }
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

void BM_Latest100(benchmark::State& state) {
  auto& f = Shared();
  for (auto _ : state) {
    auto t = f.store->Latest("prices/adjusted", "SOFR", 100);
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_Latest100);

void BM_ReadWholeSeries(benchmark::State& state) {
  auto& f = Shared();
  for (auto _ : state) {
    auto t = f.store->Read("prices/adjusted", "SOFR");
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations() * 9000);
}
BENCHMARK(BM_ReadWholeSeries);

}  // namespace
}  // namespace systore
