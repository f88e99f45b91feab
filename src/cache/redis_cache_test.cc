// The cache with a real Redis L2 (integration): L2 hits promote to L1, pub/sub
// invalidation between two caches (two processes' worth), TTL in Redis, and Redis
// killed in the middle of a read loop and restarted.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "testing/redis_server.h"
#include "systore/cache.h"

namespace systore::testing {
namespace {

std::shared_ptr<const CachedValue> V(std::string s) {
  auto v = std::make_shared<CachedValue>();
  v->bytes = std::move(s);
  return v;
}

struct Warnings {
  std::mutex mu;
  std::vector<std::string> list;
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& w) {
      std::lock_guard l(mu);
      list.push_back(w);
    };
  }
  size_t size() {
    std::lock_guard l(mu);
    return list.size();
  }
};

std::unique_ptr<Cache> OpenCache(const RedisTestServer& redis, Warnings* w = nullptr,
                                 CacheStrategy strategy = CacheStrategy::kReadThrough) {
  CacheOptions o;
  o.l2.mode = "redis";
  o.l2.nodes = {redis.address()};
  o.l2.retry_interval_ms = 100;
  o.l2.command_timeout_ms = 200;
  o.classes = {{"prices", strategy, 60'000}};
  if (w) o.on_warning = w->sink();
  auto c = Cache::Open(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).MoveValueUnsafe();
}

template <typename Pred>
bool WaitFor(Pred p, int ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return p();
}

TEST(RedisCache, L2HitIsPromotedToL1) {
  auto redis = RedisTestServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  auto a = OpenCache(**redis);
  auto b = OpenCache(**redis);
  int loads = 0;
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> {
    ++loads;
    return V("series-bytes");
  };
  ASSERT_TRUE(a->Get("prices", "SOFR", loader).ok());  // loads, fills L1 of a and L2
  auto r = b->Get("prices", "SOFR", loader);           // L1 miss, L2 hit
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->bytes, "series-bytes");
  EXPECT_EQ(loads, 1);
  ASSERT_TRUE(b->Get("prices", "SOFR", loader).ok());  // L1 hit now
  auto s = b->Stats();
  EXPECT_EQ(s.total.l2.hits, 1);
  EXPECT_EQ(s.total.l1.hits, 1);
  EXPECT_TRUE(s.l2_connected);
  EXPECT_EQ(s.l2_mode, "redis");
}

TEST(RedisCache, WriterInvalidatesOtherCachesThroughPubSub) {
  auto redis = RedisTestServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  auto writer = OpenCache(**redis);
  auto reader = OpenCache(**redis);
  std::string store = "v1";
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> { return V(store); };
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // subscriptions live
  EXPECT_EQ((*reader->Get("prices", "ES", loader))->bytes, "v1");
  ASSERT_TRUE(writer
                  ->Write("prices", "ES", nullptr,
                          [&] {
                            store = "v2";
                            return Status::OK();
                          })
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return reader->Peek("prices", "ES") == nullptr; })) << "reader's L1 copy dropped";
  EXPECT_EQ((*reader->Get("prices", "ES", loader))->bytes, "v2");
}

TEST(RedisCache, WriteThroughIsVisibleToOtherProcessesThroughL2) {
  auto redis = RedisTestServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  auto writer = OpenCache(**redis, nullptr, CacheStrategy::kWriteThrough);
  auto reader = OpenCache(**redis, nullptr, CacheStrategy::kWriteThrough);
  ASSERT_TRUE(writer->Write("prices", "NQ", V("new"), [] { return Status::OK(); }).ok());
  auto hit = reader->Peek("prices", "NQ");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->bytes, "new");
}

TEST(RedisCache, RedisDownMidLoopIsInvisibleToCallersAndComesBack) {
  auto started = RedisTestServer::Start();
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  auto& redis = **started;
  Warnings warnings;
  auto cache = OpenCache(redis, &warnings);
  std::atomic<int> loads{0};
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> {
    loads.fetch_add(1);
    return V("from-store");
  };
  auto t0 = std::chrono::steady_clock::now();
  int errors = 0;
  for (int i = 0; i < 3000; ++i) {
    if (i == 1000) redis.Kill();
    if (i == 2000) ASSERT_TRUE(redis.Restart().ok());
    if (i % 50 == 0) cache->ClearL1();  // force L2 traffic
    auto r = cache->Get("prices", "K" + std::to_string(i % 20), loader);
    if (!r.ok() || (*r)->bytes != "from-store") ++errors;
    if (i >= 2000 && i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
  }
  EXPECT_EQ(errors, 0) << "no error ever reaches the caller";
  auto s = cache->Stats();
  EXPECT_EQ(s.l2_outages, 1);
  EXPECT_GT(s.total.l2.errors, 0);
  ASSERT_TRUE(WaitFor([&] {
    cache->ClearL1();
    (void)cache->Get("prices", "K0", loader);
    return cache->Stats().l2_connected;
  }));
  // Back: L2 hits again after the restart.
  cache->ClearL1();
  int64_t before = cache->Stats().total.l2.hits;
  ASSERT_TRUE(cache->Get("prices", "K0", loader).ok());
  ASSERT_TRUE(cache->Get("prices", "K0", loader).ok());
  cache->ClearL1();
  ASSERT_TRUE(cache->Get("prices", "K0", loader).ok());
  EXPECT_GT(cache->Stats().total.l2.hits, before);
  // One warning when it went down, one when it came back.
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings.list[0].find("unavailable"), std::string::npos) << warnings.list[0];
  EXPECT_NE(warnings.list[1].find("reachable again"), std::string::npos) << warnings.list[1];
}

TEST(RedisCache, UnreachableRedisAtOpenIsNotAnError) {
  auto port = RedisTestServer::FreePort();
  ASSERT_TRUE(port.ok());
  CacheOptions o;
  o.l2.mode = "redis";
  o.l2.nodes = {"127.0.0.1:" + std::to_string(*port)};
  Warnings w;
  o.on_warning = w.sink();
  auto cache = Cache::Open(o);
  ASSERT_TRUE(cache.ok());
  for (int i = 0; i < 100; ++i) {
    auto r = (*cache)->Get("prices", "k", [] { return Result<std::shared_ptr<const CachedValue>>(V("x")); });
    ASSERT_TRUE(r.ok());
  }
  EXPECT_EQ(w.size(), 1u);
}

}  // namespace
}  // namespace systore::testing
