// operational_bench: durable fill transactions per second and point-query latency of the
// operational store (db_bench style: named workloads, fixed sizes and thread counts).
//
//   operational_bench [--fills N] [--threads 1,8] [--queries N] [--dir DIR] [--postgres] [--mongodb]
//
// Workloads (each on a fresh database, synchronous=FULL / fsync on):
//   fill/store        OperationalStore::ApplyFill (the 5-step atomic helper), group commit on
//   fill/store-nogc   the same with group commit off (one SQLite transaction per fill)
//   fill/store-nosync group commit with synchronous=NORMAL (not durable on power loss):
//                     the engine's CPU ceiling, for comparison only
//   fill/postgres     ApplyFill on a throwaway PostgreSQL 15 cluster (--postgres)
//   fill/mongodb      ApplyFill through the MongoDB backend on a throwaway FerretDB 1.24
//                     (SQLite storage; journal commits, since FerretDB has no
//                     transactions) (--mongodb; scripts/ferretdb.sh builds the server)
//   query/order-mongodb  GetOrder(random id) on that server, one thread: p50/p99
//   query/order       GetOrder(random id), one thread: p50/p99
//   query/positions   StrategyPositions(strategy), one thread: p50/p99
//
// It uses the public API only. The baselines below the store (the same statements on
// plain SQLite, the same documents without the journal) need the backends' internals and
// live beside them: src/operational/fill_baseline_bench.cc.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include <unistd.h>

#include "testing/ferretdb_server.h"
#include "testing/fill_workload.h"
#include "testing/postgres_server.h"
#include "systore/operational_store.h"

namespace systore {
namespace {

using testing::BigOrder;
using testing::Clock;
using testing::Die;
using testing::Must;
using testing::OneLot;
using testing::RunThreads;

double StoreFills(const std::string& uri, int threads, int per_thread, bool group_commit, bool durable = true) {
  OperationalStoreOptions o;
  o.uri = uri;
  o.group_commit = group_commit;
  o.durable = durable;
  auto store = Must(OperationalStore::Open(o));
  std::vector<OrderId> orders;
  for (int t = 0; t < threads; ++t) orders.push_back(Must(store->AddOrder(BigOrder(t))));
  double rate = RunThreads(threads, per_thread, [&](int t, int i) { Must(store->ApplyFill(OneLot(orders[t], t, i))); });
  auto rec = Must(store->Reconcile());
  if (!rec.ok()) Die(Status::Internal("positions do not reconcile after the benchmark"));
  return rate;
}

struct Latency {
  double p50_us, p99_us;
};

template <typename F>
Latency Measure(int n, F&& op) {
  std::vector<double> us;
  us.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    op(i);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return {us[n / 2], us[std::min<size_t>(n - 1, static_cast<size_t>(n * 0.99))]};
}

}  // namespace
}  // namespace systore

int main(int argc, char** argv) {
  using namespace systore;
  CLI::App app{"operational store benchmark"};
  int fills = 2000, queries = 20000, orders = 10000;
  std::vector<int> thread_counts = {1, 8};
  std::string dir =
      (std::filesystem::temp_directory_path() / ("systore-ops-bench-" + std::to_string(::getpid()))).string();
  bool postgres = false;
  app.add_option("--fills", fills, "Fill transactions per thread")->capture_default_str();
  app.add_option("--threads", thread_counts, "Thread counts")->delimiter(',');
  app.add_option("--queries", queries, "Point queries per query workload")->capture_default_str();
  app.add_option("--orders", orders, "Orders in the store for the query workloads")->capture_default_str();
  app.add_option("--dir", dir, "Scratch directory (deleted afterwards)");
  app.add_flag("--postgres", postgres, "Also run fill/postgres on a throwaway PostgreSQL cluster");
  bool mongodb = false;
  int mongo_fills = 150;
  app.add_flag("--mongodb", mongodb, "Also run fill/mongodb and query/order-mongodb on a throwaway FerretDB");
  app.add_option("--mongo-fills", mongo_fills, "Fill transactions per thread on FerretDB")->capture_default_str();
  std::string only;
  app.add_option("--benchmarks", only, "Comma-separated workload names to run (default: all)");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(dir);
  auto want = [&](const std::string& name) {
    return only.empty() || ("," + only + ",").find("," + name + ",") != std::string::npos;
  };
  int db = 0;
  auto fresh = [&] { return dir + "/ops-" + std::to_string(++db) + ".sqlite"; };

  std::printf("%-20s %8s %14s\n", "workload", "threads", "fills/s");
  for (int t : thread_counts) {
    if (want("fill/store")) {
      std::printf("%-20s %8d %14.0f\n", "fill/store", t, StoreFills("sqlite://" + fresh(), t, fills, true));
    }
    std::fflush(stdout);
    if (want("fill/store-nogc")) {
      std::printf("%-20s %8d %14.0f\n", "fill/store-nogc", t, StoreFills("sqlite://" + fresh(), t, fills, false));
    }
    std::fflush(stdout);
    if (want("fill/store-nosync")) {
      std::printf("%-20s %8d %14.0f\n", "fill/store-nosync", t,
                  StoreFills("sqlite://" + fresh(), t, fills, true, /*durable=*/false));
    }
    std::fflush(stdout);
  }
  if (postgres && want("fill/postgres")) {
    testing::PgTestServer::Options o;
    o.fsync = true;
    auto server = Must(testing::PgTestServer::Start(o));
    for (int t : thread_counts) {
      const std::string db = "bench_" + std::to_string(t);
      if (Status cs = server->CreateDatabase(db); !cs.ok()) Die(cs);
      std::printf("%-20s %8d %14.0f\n", "fill/postgres", t, StoreFills(server->uri(db), t, fills, true));
      std::fflush(stdout);
    }
    (void)server->Stop();
  }

  if (mongodb && (want("fill/mongodb") || want("query/order-mongodb"))) {
    if (!std::getenv("SYSTORE_SOURCE_DIR")) ::setenv("SYSTORE_SOURCE_DIR", SYSTORE_SOURCE_DIR, 0);
    const std::string bin = testing::FerretDbServer::FindBinary();
    if (bin.empty()) Die(Status::NotFound("no ferretdb binary: run scripts/ferretdb.sh or set SYSTORE_FERRETDB"));
    auto server = Must(testing::FerretDbServer::Start(bin));
    for (int t : thread_counts) {
      if (!want("fill/mongodb")) break;
      std::printf("%-20s %8d %14.0f\n", "fill/mongodb", t,
                  StoreFills(server->uri("bench_" + std::to_string(t)), t, mongo_fills, true));
      std::fflush(stdout);
    }
    if (want("query/order-mongodb")) {
      auto mstore = Must(OperationalStore::Open({.uri = server->uri("bench_queries")}));
      std::vector<OrderId> mids;
      for (int i = 0; i < 500; ++i) {
        NewOrder n = BigOrder(i);
        mids.push_back(Must(mstore->AddOrder(n)));
      }
      std::mt19937 rng(1);
      Latency lm = Measure(2000, [&](int) { Must(mstore->GetOrder(mids[rng() % mids.size()])); });
      std::printf("%-20s %10s %10s   (500 orders, 2000 queries, 1 thread)\n", "workload", "p50 us", "p99 us");
      std::printf("%-20s %10.1f %10.1f\n\n", "query/order-mongodb", lm.p50_us, lm.p99_us);
    }
  }

  if (!want("query/order") && !want("query/positions")) {
    std::filesystem::remove_all(dir);
    return 0;
  }
  // Point queries on a store holding `orders` orders with fills.
  auto store = Must(OperationalStore::Open({.uri = "sqlite://" + fresh()}));
  std::vector<OrderId> ids;
  Status st = store->Transact([&](Transaction& t) -> Status {
    for (int i = 0; i < orders; ++i) {
      NewOrder n = BigOrder(i);
      n.strategy = "S" + std::to_string(i % 20);
      n.instrument = "I" + std::to_string(i % 50);
      SYSTORE_ASSIGN_OR_RAISE(OrderId id, t.AddOrder(n));
      ids.push_back(id);
      SYSTORE_RETURN_NOT_OK(t.ApplyFill(OneLot(id, 0, i)).status());
    }
    return Status::OK();
  });
  if (!st.ok()) Die(st);
  std::mt19937 rng(1);
  (void)store->GetOrder(ids[0]);  // warm the reader connection and its statement cache
  Latency lo = Measure(queries, [&](int) { Must(store->GetOrder(ids[rng() % ids.size()])); });
  Latency lp = Measure(queries, [&](int i) { Must(store->StrategyPositions("S" + std::to_string(i % 20))); });
  std::printf("\n%-20s %10s %10s   (%d orders, %d queries, 1 thread)\n", "workload", "p50 us", "p99 us", orders,
              queries);
  std::printf("%-20s %10.1f %10.1f\n", "query/order", lo.p50_us, lo.p99_us);
  std::printf("%-20s %10.1f %10.1f\n", "query/positions", lp.p50_us, lp.p99_us);
  store.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
