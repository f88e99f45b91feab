// Per data class: its policy and the counters `systore cache stats` reports.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "cache/latency_histogram.h"
#include "systore/cache.h"

namespace systore::cache_internal {

struct LevelCounters {
  std::atomic<int64_t> hits{0}, misses{0}, puts{0}, evictions{0}, errors{0};
  LatencyHistogram latency;
  CacheLevelStats Snapshot() const;
};

struct ClassState {
  uint32_t id = 0;
  CachePolicy policy;
  LevelCounters l1, l2;
  std::atomic<int64_t> loads{0}, invalidations{0};
  LatencyHistogram load_latency;
};

/// Every class's statistics and their totals (sorted by class name); the caller adds
/// the cache-wide fields (L1 size, L2 state, write-behind queue).
CacheStats CollectClassStats(const std::vector<std::unique_ptr<ClassState>>& classes);

}  // namespace systore::cache_internal
