#include <algorithm>

#include "cache/class_state.h"

namespace systore::cache_internal {

namespace {

void Add(CacheLevelStats& a, const CacheLevelStats& b) {
  a.hits += b.hits;
  a.misses += b.misses;
  a.puts += b.puts;
  a.evictions += b.evictions;
  a.errors += b.errors;
}

}  // namespace

CacheLevelStats LevelCounters::Snapshot() const {
  CacheLevelStats s;
  s.hits = hits.load(std::memory_order_relaxed);
  s.misses = misses.load(std::memory_order_relaxed);
  s.puts = puts.load(std::memory_order_relaxed);
  s.evictions = evictions.load(std::memory_order_relaxed);
  s.errors = errors.load(std::memory_order_relaxed);
  s.p50_ns = latency.Quantile(0.50);
  s.p99_ns = latency.Quantile(0.99);
  return s;
}

CacheStats CollectClassStats(const std::vector<std::unique_ptr<ClassState>>& classes) {
  CacheStats s;
  s.total.data_class = "*";
  LevelCounters total_l1, total_l2;
  LatencyHistogram total_load;
  for (const auto& cs : classes) {
    CacheClassStats c;
    c.data_class = cs->policy.data_class;
    c.l1 = cs->l1.Snapshot();
    c.l2 = cs->l2.Snapshot();
    c.loads = cs->loads.load();
    c.load_p99_ns = cs->load_latency.Quantile(0.99);
    c.invalidations = cs->invalidations.load();
    total_l1.latency.Merge(cs->l1.latency);
    total_l2.latency.Merge(cs->l2.latency);
    total_load.Merge(cs->load_latency);
    Add(s.total.l1, c.l1);
    Add(s.total.l2, c.l2);
    s.total.loads += c.loads;
    s.total.invalidations += c.invalidations;
    s.classes.push_back(std::move(c));
  }
  s.total.l1.p50_ns = total_l1.latency.Quantile(0.5);
  s.total.l1.p99_ns = total_l1.latency.Quantile(0.99);
  s.total.l2.p50_ns = total_l2.latency.Quantile(0.5);
  s.total.l2.p99_ns = total_l2.latency.Quantile(0.99);
  s.total.load_p99_ns = total_load.Quantile(0.99);
  std::sort(s.classes.begin(), s.classes.end(),
            [](const auto& a, const auto& b) { return a.data_class < b.data_class; });
  return s;
}

}  // namespace systore::cache_internal
