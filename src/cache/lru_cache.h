// L1: an in-process, sharded LRU cache with a per-entry expiry time and a byte budget.
//
// Keys are (class id, key bytes); values are shared immutable CachedValues, so a hit
// copies one shared_ptr under the shard's lock. Each shard is a hash map into an
// intrusive recency list; expired entries are dropped when looked up or when they reach
// the cold end of the list. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "systore/cache.h"

namespace systore::cache_internal {

class LruCache {
 public:
  /// capacity_bytes is split evenly between `shards` (rounded up to a power of two).
  LruCache(int64_t capacity_bytes, int shards);

  struct Counters {
    int64_t evicted = 0;  // entries dropped for space
    int64_t expired = 0;  // entries dropped because their TTL passed
  };

  /// The live value or null. `now_ns` is a steady-clock reading; an entry with
  /// expires_ns <= now_ns is dropped (and counted in *c) instead of returned.
  std::shared_ptr<const CachedValue> Get(uint32_t class_id, std::string_view key, int64_t now_ns,
                                         Counters* c = nullptr);
  /// Inserts or replaces, then evicts from the cold end until the shard fits its budget.
  /// A value larger than a shard's budget is not stored.
  void Put(uint32_t class_id, std::string_view key, std::shared_ptr<const CachedValue> value, int64_t expires_ns,
           Counters* c = nullptr);
  /// True when an entry was removed.
  bool Erase(uint32_t class_id, std::string_view key);
  void Clear();

  int64_t entries() const;
  int64_t bytes() const;
  int64_t capacity_bytes() const { return per_shard_ * static_cast<int64_t>(shards_.size()); }

  static int64_t ChargeOf(std::string_view key, const CachedValue& v) {
    return static_cast<int64_t>(key.size()) + (v.charge > 0 ? v.charge : static_cast<int64_t>(v.bytes.size())) +
           96;  // node, map slot and control block overhead
  }

 private:
  struct KeyView {
    uint32_t class_id;
    std::string_view key;
  };
  struct Key {
    uint32_t class_id;
    std::string key;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(const KeyView& k) const noexcept {
      return std::hash<std::string_view>{}(k.key) ^ (static_cast<size_t>(k.class_id) * 0x9E3779B97F4A7C15ull);
    }
    size_t operator()(const Key& k) const noexcept { return (*this)(KeyView{k.class_id, k.key}); }
  };
  struct Eq {
    using is_transparent = void;
    static KeyView V(const Key& k) { return {k.class_id, k.key}; }
    static KeyView V(const KeyView& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const noexcept {
      KeyView x = V(a), y = V(b);
      return x.class_id == y.class_id && x.key == y.key;
    }
  };
  struct Node;
  using List = std::list<Node>;
  struct Node {
    Key key;
    std::shared_ptr<const CachedValue> value;
    int64_t expires_ns;
    int64_t charge;
  };
  struct alignas(64) Shard {
    std::mutex mu;
    List lru;  // front = most recently used
    std::unordered_map<Key, List::iterator, Hash, Eq> map;
    int64_t bytes = 0;
  };

  Shard& ShardOf(size_t hash) { return *shards_[(hash >> 7) & mask_]; }
  void EraseNode(Shard& s, List::iterator it);

  std::vector<std::unique_ptr<Shard>> shards_;
  size_t mask_;
  int64_t per_shard_;
};

}  // namespace systore::cache_internal
