// A lock-free latency histogram: log2 buckets with 8 linear sub-buckets (about 12%
// resolution), relaxed atomic counters. Record() is a few instructions.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

namespace systore::cache_internal {

class LatencyHistogram {
 public:
  static constexpr int kSub = 8;
  static constexpr int kBuckets = 64 * kSub;

  void Record(int64_t ns) {
    if (ns < 0) ns = 0;
    counts_[Index(static_cast<uint64_t>(ns))].fetch_add(1, std::memory_order_relaxed);
  }
  /// The value below which a fraction q of the samples fall (upper bound of the bucket).
  int64_t Quantile(double q) const {
    std::array<int64_t, kBuckets> c{};
    int64_t total = 0;
    for (int i = 0; i < kBuckets; ++i) total += c[i] = counts_[i].load(std::memory_order_relaxed);
    if (total == 0) return 0;
    int64_t want = static_cast<int64_t>(q * static_cast<double>(total));
    if (want >= total) want = total - 1;
    int64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += c[i];
      if (seen > want) return UpperBound(i);
    }
    return UpperBound(kBuckets - 1);
  }
  void Merge(const LatencyHistogram& o) {
    for (int i = 0; i < kBuckets; ++i)
      counts_[i].fetch_add(o.counts_[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
  }

 private:
  static int Index(uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    int log = 63 - std::countl_zero(v);  // >= 3
    int sub = static_cast<int>((v >> (log - 3)) & (kSub - 1));
    return (log - 2) * kSub + sub;
  }
  static int64_t UpperBound(int i) {
    if (i < kSub) return i;
    int log = i / kSub + 2;
    int sub = i % kSub;
    if (log >= 62) return INT64_MAX;
    return static_cast<int64_t>(((uint64_t{kSub} + sub + 1) << (log - 3)) - 1);
  }
  std::array<std::atomic<int64_t>, kBuckets> counts_{};
};

}  // namespace systore::cache_internal
