#include "cache/lru_cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace systore::cache_internal {
namespace {

std::shared_ptr<const CachedValue> V(std::string s) {
  auto v = std::make_shared<CachedValue>();
  v->bytes = std::move(s);
  return v;
}

TEST(LruCache, HitReturnsTheSameValueAndMissIsNull) {
  LruCache c(1 << 20, 4);
  auto v = V("hello");
  c.Put(1, "SOFR", v, 1000);
  EXPECT_EQ(c.Get(1, "SOFR", 0), v);
  EXPECT_EQ(c.Get(2, "SOFR", 0), nullptr) << "the class is part of the key";
  EXPECT_EQ(c.Get(1, "ES", 0), nullptr);
}

TEST(LruCache, ExpiredEntryIsDroppedAndCounted) {
  LruCache c(1 << 20, 1);
  c.Put(0, "k", V("x"), 100);
  LruCache::Counters n;
  EXPECT_NE(c.Get(0, "k", 99, &n), nullptr);
  EXPECT_EQ(c.Get(0, "k", 100, &n), nullptr);
  EXPECT_EQ(n.expired, 1);
  EXPECT_EQ(c.entries(), 0);
}

TEST(LruCache, EvictsLeastRecentlyUsedWhenOverBudget) {
  const int64_t one = LruCache::ChargeOf("a", *V(std::string(100, 'x')));
  LruCache c(3 * one, 1);
  c.Put(0, "a", V(std::string(100, 'x')), 1 << 30);
  c.Put(0, "b", V(std::string(100, 'x')), 1 << 30);
  c.Put(0, "c", V(std::string(100, 'x')), 1 << 30);
  ASSERT_NE(c.Get(0, "a", 0), nullptr);  // a is now the most recent
  LruCache::Counters n;
  c.Put(0, "d", V(std::string(100, 'x')), 1 << 30, &n);
  EXPECT_EQ(n.evicted, 1);
  EXPECT_EQ(c.Get(0, "b", 0), nullptr);
  EXPECT_NE(c.Get(0, "a", 0), nullptr);
  EXPECT_NE(c.Get(0, "c", 0), nullptr);
  EXPECT_NE(c.Get(0, "d", 0), nullptr);
  EXPECT_LE(c.bytes(), c.capacity_bytes());
}

TEST(LruCache, ReplaceUpdatesValueAndCharge) {
  LruCache c(1 << 20, 2);
  c.Put(0, "k", V("small"), 1 << 30);
  int64_t b = c.bytes();
  c.Put(0, "k", V(std::string(1000, 'y')), 1 << 30);
  EXPECT_EQ(c.entries(), 1);
  EXPECT_EQ(c.bytes(), b + 1000 - 5);
  EXPECT_EQ(c.Get(0, "k", 0)->bytes.size(), 1000u);
  EXPECT_TRUE(c.Erase(0, "k"));
  EXPECT_FALSE(c.Erase(0, "k"));
  EXPECT_EQ(c.bytes(), 0);
}

TEST(LruCache, ValueLargerThanAShardIsNotStored) {
  LruCache c(1000, 1);
  c.Put(0, "big", V(std::string(5000, 'z')), 1 << 30);
  EXPECT_EQ(c.entries(), 0);
}

TEST(LruCache, ConcurrentReadersAndWritersKeepTheBudget) {
  LruCache c(64 << 10, 8);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        std::string k = "k" + std::to_string((i * 7 + t) % 500);
        if (i % 3 == 0) {
          c.Put(0, k, V(std::string(100, 'v')), 1 << 30);
        } else if (i % 17 == 0) {
          c.Erase(0, k);
        } else {
          auto v = c.Get(0, k, 0);
          if (v) ASSERT_EQ(v->bytes.size(), 100u);
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_LE(c.bytes(), c.capacity_bytes());
}

}  // namespace
}  // namespace systore::cache_internal
