// The cache without L2: strategies, TTL, stats, write-behind. Redis tests are in
// redis_cache_test.cc (integration).
#include "systore/cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace systore {
namespace {

std::shared_ptr<const CachedValue> V(std::string s) {
  auto v = std::make_shared<CachedValue>();
  v->bytes = std::move(s);
  return v;
}

std::unique_ptr<Cache> OpenCache(std::vector<CachePolicy> classes) {
  CacheOptions o;
  o.classes = std::move(classes);
  auto c = Cache::Open(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).MoveValueUnsafe();
}

TEST(Cache, ReadThroughLoadsOnceThenHits) {
  auto cache = OpenCache({{"prices", CacheStrategy::kReadThrough, 60'000}});
  int loads = 0;
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> {
    ++loads;
    return V("v1");
  };
  for (int i = 0; i < 20; ++i) {
    auto r = cache->Get("prices", "SOFR", loader);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)->bytes, "v1");
  }
  EXPECT_EQ(loads, 1);
  auto s = cache->Stats();
  ASSERT_EQ(s.classes.size(), 2u);  // default + prices
  const auto& p = s.classes[1];
  EXPECT_EQ(p.data_class, "prices");
  EXPECT_EQ(p.l1.hits, 19);
  EXPECT_EQ(p.l1.misses, 1);
  EXPECT_EQ(p.loads, 1);
  EXPECT_DOUBLE_EQ(p.l1.hit_rate(), 0.95);
  EXPECT_GT(p.l1.p99_ns, 0);  // one lookup in 8 is timed
  EXPECT_EQ(s.total.l1.hits, 19);
}

TEST(Cache, LoaderErrorIsReturnedAndNotCached) {
  auto cache = OpenCache({{"prices", CacheStrategy::kReadThrough, 60'000}});
  int loads = 0;
  auto failing = [&]() -> Result<std::shared_ptr<const CachedValue>> {
    ++loads;
    return Status::NotFound("no series SOFR");
  };
  EXPECT_TRUE(cache->Get("prices", "SOFR", failing).status().IsNotFound());
  EXPECT_TRUE(cache->Get("prices", "SOFR", failing).status().IsNotFound());
  EXPECT_EQ(loads, 2);
}

TEST(Cache, TtlExpiresPerClass) {
  auto cache = OpenCache({{"fast", CacheStrategy::kReadThrough, 20}, {"slow", CacheStrategy::kReadThrough, 60'000}});
  int loads = 0;
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> {
    ++loads;
    return V("x");
  };
  ASSERT_TRUE(cache->Get("fast", "k", loader).ok());
  ASSERT_TRUE(cache->Get("slow", "k", loader).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  ASSERT_TRUE(cache->Get("fast", "k", loader).ok());
  ASSERT_TRUE(cache->Get("slow", "k", loader).ok());
  EXPECT_EQ(loads, 3) << "only the 20 ms class reloads";
}

TEST(Cache, StrategyNoneNeverCaches) {
  auto cache = OpenCache({{"orders", CacheStrategy::kNone, 60'000}});
  int loads = 0;
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> {
    ++loads;
    return V("x");
  };
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cache->Get("orders", "1", loader).ok());
  EXPECT_EQ(loads, 3);
}

TEST(Cache, ReadThroughWriteInvalidates) {
  auto cache = OpenCache({{"prices", CacheStrategy::kReadThrough, 60'000}});
  std::string store = "old";
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> { return V(store); };
  EXPECT_EQ((*cache->Get("prices", "k", loader))->bytes, "old");
  ASSERT_TRUE(cache
                  ->Write("prices", "k", nullptr,
                          [&] {
                            store = "new";
                            return Status::OK();
                          })
                  .ok());
  EXPECT_EQ(cache->Peek("prices", "k"), nullptr);
  EXPECT_EQ((*cache->Get("prices", "k", loader))->bytes, "new");
}

TEST(Cache, WriteThroughPutsTheNewValueAfterTheStoreWrite) {
  auto cache = OpenCache({{"prices", CacheStrategy::kWriteThrough, 60'000}});
  std::string store;
  ASSERT_TRUE(cache
                  ->Write("prices", "k", V("v2"),
                          [&] {
                            store = "v2";
                            return Status::OK();
                          })
                  .ok());
  EXPECT_EQ(store, "v2");
  auto hit = cache->Peek("prices", "k");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->bytes, "v2");
  // A failed store write leaves nothing cached and returns the error.
  Status st = cache->Write("prices", "k", V("v3"), [] { return Status::IOError("disk full"); });
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(cache->Peek("prices", "k"), nullptr);
}

TEST(Cache, WriteBehindServesAtOnceAndFlushesOnClose) {
  auto cache = OpenCache({{"analytics", CacheStrategy::kWriteBehind, 60'000}});
  std::atomic<int> stored{0};
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(cache
                    ->Write("analytics", "k" + std::to_string(i), V(std::to_string(i)),
                            [&] {
                              std::this_thread::sleep_for(std::chrono::microseconds(50));
                              stored.fetch_add(1);
                              return Status::OK();
                            })
                    .ok());
    EXPECT_EQ(cache->Peek("analytics", "k" + std::to_string(i))->bytes, std::to_string(i));
  }
  ASSERT_TRUE(cache->Close().ok());
  EXPECT_EQ(stored.load(), 100);
}

TEST(Cache, WriteBehindFailureIsReportedByFlushAndDropsTheValue) {
  std::vector<std::string> warnings;
  CacheOptions o;
  o.classes = {{"analytics", CacheStrategy::kWriteBehind, 60'000}};
  o.write_behind_queue = 2;
  o.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  auto cache = std::move(Cache::Open(o)).MoveValueUnsafe();
  ASSERT_TRUE(cache->Write("analytics", "k", V("x"), [] { return Status::IOError("disk full"); }).ok());
  Status st = cache->Flush();
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(cache->Peek("analytics", "k"), nullptr);
  EXPECT_EQ(cache->Stats().write_behind_failures, 1);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("disk full"), std::string::npos);
  EXPECT_TRUE(cache->Flush().ok()) << "the error is reported once";
}

TEST(Cache, UnknownClassUsesTheDefaultPolicy) {
  CacheOptions o;
  o.default_policy = {"default", CacheStrategy::kReadThrough, 1234};
  auto cache = std::move(Cache::Open(o)).MoveValueUnsafe();
  EXPECT_EQ(cache->PolicyOf("whatever").ttl_ms, 1234);
  EXPECT_EQ(cache->PolicyOf("whatever").data_class, "whatever");
}

TEST(Cache, BadL2ModeIsRejected) {
  CacheOptions o;
  o.l2.mode = "memcached";
  EXPECT_TRUE(Cache::Open(o).status().IsInvalidArgument());
  EXPECT_TRUE(ParseCacheStrategy("sometimes").status().IsInvalidArgument());
  EXPECT_EQ(*ParseCacheStrategy("lazy"), CacheStrategy::kReadThrough);
}

TEST(Cache, StatsJsonHasLevels) {
  auto cache = OpenCache({{"prices", CacheStrategy::kReadThrough, 60'000}});
  (void)cache->Get("prices", "k", [] { return Result<std::shared_ptr<const CachedValue>>(V("x")); });
  std::string j = Cache::StatsToJson(cache->Stats());
  EXPECT_NE(j.find("\"prices\""), std::string::npos);
  EXPECT_NE(j.find("\"p99_ns\""), std::string::npos);
}

}  // namespace
}  // namespace systore
