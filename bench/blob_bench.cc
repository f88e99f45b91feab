// Reads of a hot series through DataBlob: L1 hit, L2 (Redis) hit, miss (store read
// plus cache fill), and a direct TimeSeriesStore read; then hit rates for a zipf(1.0)
// access pattern over 200 instruments with an L1 that holds 50 of them.
// Starts its own redis-server on loopback (src/testing/redis_server.h), or
// with --cluster a 3-master Redis Cluster with one replica each
// (src/testing/redis_test_cluster.h) and runs the same through mode "cluster".
//   blob_bench [--iterations N] [--cluster] [--no-invalidation]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "testing/redis_test_cluster.h"
#include "testing/redis_server.h"
#include "systore/data_blob.h"
#include "testing/test_util.h"

using namespace systore;
using Clock = std::chrono::steady_clock;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename Fn>
double TimeUs(int n, Fn fn) {
  std::vector<double> t;
  for (int i = 0; i < n; ++i) {
    auto a = Clock::now();
    fn(i);
    t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  return Median(t);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 2000;
  bool cluster_mode = false;
  bool invalidation = true;  // --no-invalidation: no PUBLISH on writes, no subscriber
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--iterations") && i + 1 < argc) n = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--cluster")) cluster_mode = true;
    if (!std::strcmp(argv[i], "--no-invalidation")) invalidation = false;
  }
  testing::TempDir dir;
  std::unique_ptr<testing::RedisTestServer> redis;
  std::unique_ptr<testing::RedisTestCluster> cluster;
  std::string l2_config;
  if (cluster_mode) {
    auto c = testing::RedisTestCluster::Start(3, 1);
    if (!c.ok()) {
      std::fprintf(stderr, "%s\n", c.status().ToString().c_str());
      return 1;
    }
    cluster = std::move(c).MoveValueUnsafe();
    l2_config = "{mode: cluster, nodes: [";
    for (const auto& a : cluster->addresses()) l2_config += "\"" + a + "\",";
    l2_config.back() = ']';
    l2_config += "}";
  } else {
    auto r = testing::RedisTestServer::Start();
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
    redis = std::move(r).MoveValueUnsafe();
    l2_config = "{mode: redis, nodes: [\"" + redis->address() + "\"]}";
  }
  std::printf("L2: %s\n", cluster_mode ? "Redis Cluster, 3 masters + 3 replicas" : "Redis, one server");
  DataBlobOptions o;
  o.root = dir.path();
  if (!invalidation) l2_config.insert(l2_config.size() - 1, ", invalidation: false");
  o.config_text = "cache:\n  l1: {capacity_mb: 4}\n  l2: " + l2_config + "\n";
  auto blob = std::move(DataBlob::Open(o)).MoveValueUnsafe();
  const std::string cls = "db_futures_adjusted_prices";
  auto ts = *blob->TimeSeries(cls);
  // 200 instruments, 2500 daily rows each (~10 years): ~40 KB of values per series.
  std::vector<double> prices(2500);
  for (int i = 0; i < 2500; ++i) prices[i] = 100 + std::sin(i * 0.01);
  auto table = testing::MakeSeries(testing::Days("2015-01-02", 2500), {{"price", prices}});
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back("INSTR" + std::to_string(i));
    (void)ts->Write("prices/adjusted", keys.back(), table);
  }
  auto& cache = blob->cache();
  (void)blob->ReadSeries(cls, keys[0]);
  double l1 = TimeUs(n, [&](int) { (void)blob->ReadSeries(cls, keys[0]); });
  double l2 = TimeUs(n / 4, [&](int) {
    cache.ClearL1();
    (void)blob->ReadSeries(cls, keys[0]);
  });
  double miss = TimeUs(n / 4, [&](int i) {
    cache.Invalidate(cls, keys[1 + i % 199]);
    (void)blob->ReadSeries(cls, keys[1 + i % 199]);
  });
  double direct = TimeUs(n / 4, [&](int i) { (void)ts->Read("prices/adjusted", keys[1 + i % 199]); });
  std::printf("read of one series (2500 rows), median:\n");
  std::printf(
      "  L1 hit          %10.2f us\n  L2 hit          %10.2f us\n  miss            %10.2f us\n"
      "  direct store    %10.2f us\n",
      l1, l2, miss, direct);

  // Zipf over 200 instruments; L1 of 4 MB (16 shards) holds about 45 of the 80 KB entries.
  (void)cache.Flush();
  cache.ClearL1();
  auto base = cache.Stats().total;
  std::vector<double> w(200);
  for (int i = 0; i < 200; ++i) w[i] = 1.0 / (i + 1);
  std::discrete_distribution<int> zipf(w.begin(), w.end());
  std::mt19937 rng(42);
  const int reads = 20000;
  auto t0 = Clock::now();
  for (int i = 0; i < reads; ++i) (void)blob->ReadSeries(cls, keys[zipf(rng)]);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  auto s = cache.Stats().total;
  int64_t l1h = s.l1.hits - base.l1.hits, l1m = s.l1.misses - base.l1.misses;
  int64_t l2h = s.l2.hits - base.l2.hits, loads = s.loads - base.loads;
  std::printf("zipf(1.0) over 200 instruments, %d reads, L1 4 MB (~45 series):\n", reads);
  std::printf("  L1 hit rate %.3f, L2 hit rate of L1 misses %.3f, store loads %lld, %.1f us/read\n",
              double(l1h) / double(l1h + l1m), l1m ? double(l2h) / double(l1m) : 0.0, (long long)loads,
              secs * 1e6 / reads);
  if (cluster) {
    auto info = cache.Stats();
    std::printf("  L2 mode %s, connected %d, L2 errors %lld\n", info.l2_mode.c_str(), int(info.l2_connected),
                (long long)info.total.l2.errors);
  }
  (void)blob->CloseAll();
  return 0;
}
