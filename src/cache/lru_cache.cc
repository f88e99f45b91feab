#include "cache/lru_cache.h"

#include <algorithm>

namespace systore::cache_internal {

LruCache::LruCache(int64_t capacity_bytes, int shards) {
  size_t n = 1;
  while (n < static_cast<size_t>(std::max(shards, 1))) n <<= 1;
  mask_ = n - 1;
  per_shard_ = std::max<int64_t>(capacity_bytes, 0) / static_cast<int64_t>(n);
  shards_.reserve(n);
  for (size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>());
}

void LruCache::EraseNode(Shard& s, List::iterator it) {
  s.bytes -= it->charge;
  s.map.erase(it->key);
  s.lru.erase(it);
}

std::shared_ptr<const CachedValue> LruCache::Get(uint32_t class_id, std::string_view key, int64_t now_ns, Counters* c) {
  KeyView k{class_id, key};
  size_t h = Hash{}(k);
  Shard& s = ShardOf(h);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(k);
  if (it == s.map.end()) return nullptr;
  List::iterator node = it->second;
  if (node->expires_ns <= now_ns) {
    EraseNode(s, node);
    if (c) ++c->expired;
    return nullptr;
  }
  if (node != s.lru.begin()) s.lru.splice(s.lru.begin(), s.lru, node);
  return node->value;
}

void LruCache::Put(uint32_t class_id, std::string_view key, std::shared_ptr<const CachedValue> value,
                   int64_t expires_ns, Counters* c) {
  if (!value) return;
  const int64_t charge = ChargeOf(key, *value);
  KeyView k{class_id, key};
  Shard& s = ShardOf(Hash{}(k));
  std::lock_guard lock(s.mu);
  auto it = s.map.find(k);
  if (it != s.map.end()) EraseNode(s, it->second);
  if (charge > per_shard_) return;
  s.lru.push_front(Node{Key{class_id, std::string(key)}, std::move(value), expires_ns, charge});
  s.map.emplace(s.lru.front().key, s.lru.begin());
  s.bytes += charge;
  while (s.bytes > per_shard_ && !s.lru.empty()) {
    EraseNode(s, std::prev(s.lru.end()));
    if (c) ++c->evicted;
  }
}

bool LruCache::Erase(uint32_t class_id, std::string_view key) {
  KeyView k{class_id, key};
  Shard& s = ShardOf(Hash{}(k));
  std::lock_guard lock(s.mu);
  auto it = s.map.find(k);
  if (it == s.map.end()) return false;
  EraseNode(s, it->second);
  return true;
}

void LruCache::Clear() {
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    s->map.clear();
    s->lru.clear();
    s->bytes = 0;
  }
}

int64_t LruCache::entries() const {
  int64_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += static_cast<int64_t>(s->map.size());
  }
  return n;
}

int64_t LruCache::bytes() const {
  int64_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += s->bytes;
  }
  return n;
}

}  // namespace systore::cache_internal
