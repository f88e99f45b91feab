// Micro-benchmarks of the cache: an L1 hit (target < 200 ns), an L1 miss, a put, and the
// same through the Cache API (stats and latency recording included), single- and
// multi-threaded.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "cache/lru_cache.h"
#include "systore/cache.h"

namespace {

using systore::Cache;
using systore::CachedValue;
using systore::cache_internal::LruCache;

std::vector<std::string> Keys(int n) {
  std::vector<std::string> k;
  for (int i = 0; i < n; ++i) k.push_back("prices/adjusted/INSTRUMENT_" + std::to_string(i));
  return k;
}

std::shared_ptr<const CachedValue> Value() {
  auto v = std::make_shared<CachedValue>();
  v->bytes.assign(4096, 'x');
  return v;
}

LruCache& SharedLru() {
  static LruCache* c = [] {
    auto* c = new LruCache(256 << 20, 16);
    auto v = Value();
    for (const auto& k : Keys(1000)) c->Put(1, k, v, INT64_MAX);
    return c;
  }();
  return *c;
}

void BM_L1Hit(benchmark::State& state) {
  LruCache& c = SharedLru();
  auto keys = Keys(1000);
  size_t i = state.thread_index() * 131;
  for (auto _ : state) {
    auto v = c.Get(1, keys[i++ % keys.size()], 0);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_L1Hit)->Threads(1)->Threads(2)->UseRealTime();

void BM_L1Miss(benchmark::State& state) {
  LruCache& c = SharedLru();
  auto keys = Keys(1000);
  for (auto& k : keys) k += "_absent";
  size_t i = 0;
  for (auto _ : state) {
    auto v = c.Get(1, keys[i++ % keys.size()], 0);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_L1Miss);

void BM_L1Put(benchmark::State& state) {
  LruCache c(64 << 20, 16);
  auto keys = Keys(10000);
  auto v = Value();
  size_t i = 0;
  for (auto _ : state) c.Put(1, keys[i++ % keys.size()], v, INT64_MAX);
}
BENCHMARK(BM_L1Put);

// Through the public Cache API: class lookup, TTL check, hit counters, latency histogram.
void BM_CacheGetHit(benchmark::State& state) {
  static std::unique_ptr<Cache> cache = [] {
    systore::CacheOptions o;
    o.classes = {{"db_futures_adjusted_prices", systore::CacheStrategy::kReadThrough, 3'600'000}};
    return std::move(Cache::Open(o)).MoveValueUnsafe();
  }();
  auto keys = Keys(1000);
  auto v = Value();
  Cache::Loader loader = [&]() -> systore::Result<std::shared_ptr<const CachedValue>> { return v; };
  for (const auto& k : keys) (void)cache->Get("db_futures_adjusted_prices", k, loader);
  size_t i = state.thread_index() * 131;
  for (auto _ : state) {
    auto r = cache->Get("db_futures_adjusted_prices", keys[i++ % keys.size()], loader);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_CacheGetHit)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
