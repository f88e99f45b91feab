// The cache on a real Redis Cluster (integration): 3 masters with one replica each on
// loopback (testing/redis_test_cluster.h). Slot hashing against the server's CLUSTER
// KEYSLOT, keys spread over every master, ASK during a slot migration and MOVED after
// it, a master killed in the middle of a read loop (callers never see an error; the
// replica takes over and L2 resumes), pub/sub invalidation across nodes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "cache/l2_internal.h"
#include "cache/redis_cluster_internal.h"
#include "testing/redis_test_cluster.h"
#include "systore/cache.h"

namespace systore::testing {
namespace {

using cache_internal::KeySlot;

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
  std::vector<std::string> copy() {
    std::lock_guard l(mu);
    return list;
  }
};

CacheOptions::L2 L2Options(RedisTestCluster& cluster) {
  CacheOptions::L2 o;
  o.mode = "cluster";
  o.nodes = cluster.addresses();
  o.retry_interval_ms = 100;
  o.command_timeout_ms = 200;
  return o;
}

std::unique_ptr<Cache> OpenCache(RedisTestCluster& cluster, Warnings* w = nullptr,
                                 CacheStrategy strategy = CacheStrategy::kReadThrough,
                                 const std::string& channel = "systore:invalidate") {
  CacheOptions o;
  o.l2 = L2Options(cluster);
  o.l2.channel = channel;
  o.classes = {{"prices", strategy, 60'000}};
  if (w) o.on_warning = w->sink();
  auto c = Cache::Open(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).MoveValueUnsafe();
}

template <typename Pred>
bool WaitFor(Pred p, int ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return p();
}

std::string InfoValue(const std::vector<std::pair<std::string, std::string>>& info, const std::string& name) {
  for (auto& [k, v] : info) {
    if (k == name) return v;
  }
  return "";
}

// One cluster for the whole suite: starting six servers and joining them takes seconds.
// Tests that change the topology (migration, a killed master) run last and leave a
// healthy cluster behind, or are the last test.
class RedisClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = RedisTestCluster::Start(3, 1, 1000);
    if (!c.ok()) {
      start_error_ = new std::string(c.status().ToString());
      return;
    }
    cluster_ = c.MoveValueUnsafe().release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(cluster_, nullptr) << (start_error_ ? *start_error_ : ""); }

  static RedisTestCluster* cluster_;
  static std::string* start_error_;
};
RedisTestCluster* RedisClusterTest::cluster_ = nullptr;
std::string* RedisClusterTest::start_error_ = nullptr;

TEST(ClusterKeySlot, KnownValuesAndHashTags) {
  EXPECT_EQ(cache_internal::Crc16("123456789"), 0x31C3);
  EXPECT_EQ(KeySlot("123456789"), 12739);
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("{user1000}.followers"), KeySlot("{user1000}.following"));
  EXPECT_EQ(KeySlot("foo{}{bar}"), KeySlot("foo{}{bar}"));  // empty tag: the whole key
  EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar"));
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));
  EXPECT_EQ(KeySlot("{abc"), KeySlot("{abc"));
  EXPECT_EQ(KeySlot(""), 0);
}

TEST(ClusterKeySlot, ParsesRedirects) {
  auto m = cache_internal::ParseRedirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->ask);
  EXPECT_EQ(m->slot, 3999);
  EXPECT_EQ(m->address, "127.0.0.1:6381");
  auto a = cache_internal::ParseRedirect("ASK 12 10.0.0.2:7000");
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->ask);
  EXPECT_EQ(a->slot, 12);
  EXPECT_FALSE(cache_internal::ParseRedirect("ERR wrong kind").has_value());
  EXPECT_FALSE(cache_internal::ParseRedirect("MOVED 99999 h:1").has_value());
  EXPECT_FALSE(cache_internal::ParseRedirect("MOVED x h:1").has_value());
}

TEST_F(RedisClusterTest, KeySlotAgreesWithTheServer) {
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string key = "systore:prices:" + std::to_string(rng());
    if (i % 3 == 0) key = "{tag" + std::to_string(i) + "}" + key;
    auto r = cluster_->Command(0, {"CLUSTER", "KEYSLOT", key});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->integer, KeySlot(key)) << key;
  }
}

TEST_F(RedisClusterTest, KeysOnEveryMasterAreWrittenAndReadThroughTheCache) {
  auto writer = OpenCache(*cluster_);
  auto reader = OpenCache(*cluster_);
  const int n = 300;
  int loads = 0;
  for (int i = 0; i < n; ++i) {
    std::string key = "spread" + std::to_string(i);
    auto r = writer->Get("prices", key, [&]() -> Result<std::shared_ptr<const CachedValue>> {
      ++loads;
      return V("value-" + key);
    });
    ASSERT_TRUE(r.ok());
  }
  EXPECT_EQ(loads, n);
  for (int i = 0; i < n; ++i) {  // the other process: every read an L2 hit
    std::string key = "spread" + std::to_string(i);
    auto r = reader->Get("prices", key, [&]() -> Result<std::shared_ptr<const CachedValue>> {
      ++loads;
      return V("wrong");
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)->bytes, "value-" + key);
  }
  EXPECT_EQ(loads, n);
  auto s = reader->Stats();
  EXPECT_EQ(s.total.l2.hits, n);
  EXPECT_EQ(s.total.l2.errors, 0);
  EXPECT_EQ(s.l2_mode, "cluster");
  EXPECT_TRUE(s.l2_connected);
  // The keys really are spread: every master holds some.
  auto masters = cluster_->Masters();
  ASSERT_TRUE(masters.ok());
  ASSERT_EQ(masters->size(), 3u);
  for (int m : *masters) {
    auto keys = cluster_->Command(m, {"DBSIZE"});
    ASSERT_TRUE(keys.ok());
    EXPECT_GT(keys->integer, n / 6) << "master " << cluster_->server(m).address();
  }
}

TEST_F(RedisClusterTest, WriterInvalidatesOtherCachesAcrossNodes) {
  // Subscribers listen on the master of slot 0 (the first node of the slot map);
  // publishers publish on the master of the channel's slot. A channel hashed to the
  // last master makes the message cross the cluster bus.
  std::string channel;
  for (int i = 0; channel.empty() && i < 1000; ++i) {
    std::string c = "systore:invalidate:" + std::to_string(i);
    if (KeySlot(c) > 12000) channel = c;
  }
  ASSERT_FALSE(channel.empty());
  auto sub_node = cluster_->MasterOfSlot(0);
  auto pub_node = cluster_->MasterOfSlot(KeySlot(channel));
  ASSERT_TRUE(sub_node.ok() && pub_node.ok());
  EXPECT_NE(*sub_node, *pub_node);

  auto writer = OpenCache(*cluster_, nullptr, CacheStrategy::kReadThrough, channel);
  auto reader = OpenCache(*cluster_, nullptr, CacheStrategy::kReadThrough, channel);
  std::string store = "v1";
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> { return V(store); };
  // The reader's subscription is live once the subscribe node counts it.
  ASSERT_TRUE(WaitFor([&] {
    auto r = cluster_->Command(*sub_node, {"PUBSUB", "NUMSUB", channel});
    return r.ok() && r->elements.size() == 2 && r->elements[1].integer >= 2;
  }));
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
  EXPECT_GE(reader->Stats().total.invalidations, 1);
}

TEST_F(RedisClusterTest, FollowsAskDuringASlotMigrationAndMovedAfterIt) {
  auto made = cache_internal::MakeL2Backend(L2Options(*cluster_));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto& l2 = **made;
  const std::string moved_key = "{mig}moved", staying_key = "{mig}staying", new_key = "{mig}new";
  const int slot = KeySlot(moved_key);
  ASSERT_TRUE(l2.Set(moved_key, "m", 60'000).ok());
  ASSERT_TRUE(l2.Set(staying_key, "s", 60'000).ok());  // the client now has the slot map
  auto src = cluster_->MasterOfSlot(slot);
  auto masters = cluster_->Masters();
  ASSERT_TRUE(src.ok() && masters.ok());
  int dst = (*masters)[0] == *src ? (*masters)[1] : (*masters)[0];
  auto src_id = cluster_->NodeId(*src);
  auto dst_id = cluster_->NodeId(dst);
  ASSERT_TRUE(src_id.ok() && dst_id.ok());
  const std::string s = std::to_string(slot);
  auto ok = [](const Result<cache_internal::RedisReply>& r) { return r.ok() && !r->is_error(); };

  // Migration half done: one key moved, one still on the source.
  ASSERT_TRUE(ok(cluster_->Command(dst, {"CLUSTER", "SETSLOT", s, "IMPORTING", *src_id})));
  ASSERT_TRUE(ok(cluster_->Command(*src, {"CLUSTER", "SETSLOT", s, "MIGRATING", *dst_id})));
  auto mig = cluster_->Command(
      *src, {"MIGRATE", "127.0.0.1", std::to_string(cluster_->server(dst).port()), moved_key, "0", "5000"});
  ASSERT_TRUE(ok(mig)) << (mig.ok() ? mig->str : mig.status().ToString());

  auto v = l2.Get(moved_key);  // source answers ASK; ASKING + GET on the target
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, "m");
  auto st = l2.Get(staying_key);  // still served by the source, no redirect
  ASSERT_TRUE(st.ok() && st->has_value());
  EXPECT_EQ(**st, "s");
  ASSERT_TRUE(l2.Set(new_key, "n", 60'000).ok());  // a new key of a migrating slot: ASK
  auto info = l2.ServerInfo();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(InfoValue(*info, "cluster redirects_ask"), "2");
  EXPECT_EQ(InfoValue(*info, "cluster redirects_moved"), "0");
  {  // the importing node answers for the slot only after ASKING
    auto conn = cache_internal::RedisConnection::Connect("127.0.0.1", cluster_->server(dst).port(), 1000, 5000);
    ASSERT_TRUE(conn.ok());
    auto on_dst = (*conn)->Pipeline({{"ASKING"}, {"EXISTS", new_key}});
    ASSERT_TRUE(on_dst.ok());
    EXPECT_EQ((*on_dst)[1].integer, 1) << "ASKed SET landed on the importing node: " << (*on_dst)[1].str;
  }

  // Finish: move the last key, hand the slot to the target everywhere.
  ASSERT_TRUE(ok(cluster_->Command(
      *src, {"MIGRATE", "127.0.0.1", std::to_string(cluster_->server(dst).port()), staying_key, "0", "5000"})));
  ASSERT_TRUE(ok(cluster_->Command(dst, {"CLUSTER", "SETSLOT", s, "NODE", *dst_id})));
  ASSERT_TRUE(ok(cluster_->Command(*src, {"CLUSTER", "SETSLOT", s, "NODE", *dst_id})));
  for (int m : *masters) {
    if (m != dst && m != *src) {
      ASSERT_TRUE(ok(cluster_->Command(m, {"CLUSTER", "SETSLOT", s, "NODE", *dst_id})));
    }
  }
  // The client still routes the slot to the source: MOVED, then the map is updated.
  st = l2.Get(staying_key);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_TRUE(st->has_value());
  EXPECT_EQ(**st, "s");
  v = l2.Get(moved_key);
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(**v, "m");
  info = l2.ServerInfo();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(InfoValue(*info, "cluster redirects_moved"), "1") << "one MOVED, then the map knows";
  EXPECT_EQ(InfoValue(*info, "cluster redirects_ask"), "2");
  ASSERT_TRUE(WaitFor([&] { return cluster_->MasterOfSlot(slot).ok() && *cluster_->MasterOfSlot(slot) == dst; }));
}

TEST_F(RedisClusterTest, StaleSlotMapFollowsMoved) {
  // A client whose map predates the reassignment of a slot: its first access is a
  // MOVED, after which the refreshed map routes directly.
  auto made = cache_internal::MakeL2Backend(L2Options(*cluster_));
  ASSERT_TRUE(made.ok());
  auto& l2 = **made;
  ASSERT_TRUE(l2.Set("stale:probe", "x", 60'000).ok());  // loads the map
  auto masters = cluster_->Masters();
  ASSERT_TRUE(masters.ok());
  // Move slot of "{stale}k" (if it is not on masters[0]) to masters[0].
  const std::string key = "{stale}k";
  const int slot = KeySlot(key);
  auto src = cluster_->MasterOfSlot(slot);
  ASSERT_TRUE(src.ok());
  int dst = (*masters)[0] == *src ? (*masters)[1] : (*masters)[0];
  auto dst_id = cluster_->NodeId(dst);
  ASSERT_TRUE(dst_id.ok());
  const std::string s = std::to_string(slot);
  auto src_id = cluster_->NodeId(*src);
  ASSERT_TRUE(src_id.ok());
  auto ok = [](const Result<cache_internal::RedisReply>& r) { return r.ok() && !r->is_error(); };
  // An empty slot: IMPORTING then NODE on the target (which bumps its epoch), then the rest.
  ASSERT_TRUE(ok(cluster_->Command(dst, {"CLUSTER", "SETSLOT", s, "IMPORTING", *src_id})));
  ASSERT_TRUE(ok(cluster_->Command(dst, {"CLUSTER", "SETSLOT", s, "NODE", *dst_id})));
  for (int m : *masters) {
    if (m != dst) {
      ASSERT_TRUE(ok(cluster_->Command(m, {"CLUSTER", "SETSLOT", s, "NODE", *dst_id})));
    }
  }
  ASSERT_TRUE(l2.Set(key, "v", 60'000).ok());
  auto v = l2.Get(key);
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(**v, "v");
  auto on_dst = cluster_->Command(dst, {"EXISTS", key});
  ASSERT_TRUE(on_dst.ok());
  EXPECT_EQ(on_dst->integer, 1);
  auto info = l2.ServerInfo();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(InfoValue(*info, "cluster redirects_moved"), "1");
}

// Last: it leaves the cluster with a promoted replica and no spare for it.
TEST_F(RedisClusterTest, ZZMasterKilledMidLoopIsInvisibleToCallersAndL2Resumes) {
  Warnings warnings;
  auto cache = OpenCache(*cluster_, &warnings);
  std::atomic<int> loads{0};
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> {
    loads.fetch_add(1);
    return V("from-store");
  };
  auto masters = cluster_->Masters();
  ASSERT_TRUE(masters.ok());
  const int victim = (*masters)[1];
  const int keys = 60;  // over every master
  std::atomic<int> errors{0};
  auto t0 = std::chrono::steady_clock::now();
  auto read = [&](int i) {
    if (i % 20 == 0) cache->ClearL1();  // force L2 traffic
    auto r = cache->Get("prices", "K" + std::to_string(i % keys), loader);
    if (!r.ok() || (*r)->bytes != "from-store") errors.fetch_add(1);
  };
  // A second reader throughout: routing, refreshes and degradation race with it.
  std::atomic<bool> stop{false};
  std::thread other([&] {
    for (int k = 0; k < 200'000 && !stop.load(); ++k) {
      read(k * 7 + 3);
      if (k % 16 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop.store(true);
      t.join();
    }
  } join{stop, other};
  int i = 0;
  for (; i < 1000; ++i) read(i);
  ASSERT_TRUE(cache->Stats().l2_connected);
  cluster_->server(victim).Kill();
  auto killed_at = std::chrono::steady_clock::now();
  // Bounded: until L2 is back (the replica took over), at most 30 s.
  bool back = false;
  for (int j = 0; j < 30'000 && std::chrono::steady_clock::now() - killed_at < std::chrono::seconds(30); ++j, ++i) {
    read(i);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (j > 100 && cache->Stats().l2_connected) {
      back = true;
      break;
    }
  }
  auto recovered_after = std::chrono::steady_clock::now() - killed_at;
  ASSERT_TRUE(back) << "L2 did not resume after the failover";
  std::printf("[ info ] master killed: L2 back after %lld ms (failover + probe)\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(recovered_after).count()));
  // After the failover, reads hit L2 again, on every master including the promoted one.
  auto before = cache->Stats();
  for (int k = 0; k < 1000; ++k, ++i) read(i);
  auto after = cache->Stats();
  stop.store(true);
  EXPECT_EQ(errors.load(), 0) << "no error ever reaches the caller";
  EXPECT_GT(after.total.l2.hits, before.total.l2.hits);
  EXPECT_EQ(after.total.l2.errors, before.total.l2.errors) << "no L2 error after recovery";
  EXPECT_TRUE(after.l2_connected);
  EXPECT_GE(after.l2_outages, 1);
  auto w = warnings.copy();
  ASSERT_GE(w.size(), 2u);
  EXPECT_EQ(w.size(), 2 * static_cast<size_t>(after.l2_outages)) << "one warning per outage and per return";
  EXPECT_NE(w.front().find("unavailable"), std::string::npos) << w.front();
  EXPECT_NE(w.back().find("reachable again"), std::string::npos) << w.back();
  auto new_masters = cluster_->Masters((*masters)[0]);
  ASSERT_TRUE(new_masters.ok());
  EXPECT_EQ(std::count(new_masters->begin(), new_masters->end(), victim), 0) << "a replica took over";
  ASSERT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
}

}  // namespace
}  // namespace systore::testing
