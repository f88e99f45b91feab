// operational_bench: durable fill transactions per second and point-query latency of the
// operational store (db_bench style: named workloads, fixed sizes and thread counts).
//
//   operational_bench [--fills N] [--threads 1,8] [--queries N] [--dir DIR] [--postgres] [--mongodb]
//
// Workloads (each on a fresh database, synchronous=FULL / fsync on):
//   fill/store        OperationalStore::ApplyFill (the 5-step atomic helper), group commit on
//   fill/store-nogc   the same with group commit off (one SQLite transaction per fill)
//   fill/sqlite-plain baseline: the same SQL statements through plain SQLite, one
//                     connection per thread, BEGIN IMMEDIATE ... COMMIT per fill
//   fill/store-nosync group commit with synchronous=NORMAL (not durable on power loss):
//                     the engine's CPU ceiling, for comparison only
//   fill/postgres     ApplyFill on a throwaway PostgreSQL 15 cluster (--postgres)
//   fill/mongodb      ApplyFill through the MongoDB backend on a throwaway FerretDB 1.24
//                     (SQLite storage; journal commits, since FerretDB has no
//                     transactions) (--mongodb; scripts/ferretdb.sh builds the server)
//   fill/mongodb-plain   baseline: the same reads and document writes straight to the
//                     collections on that server (no journal: not atomic)
//   query/order-mongodb  GetOrder(random id) on that server, one thread: p50/p99
//   query/order       GetOrder(random id), one thread: p50/p99
//   query/positions   StrategyPositions(strategy), one thread: p50/p99
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "core/file_util.h"
#include "operational/mongo/document_view.h"
#include "operational/mongo/ferretdb_server_internal.h"
#include "operational/mongo/mongo_transaction.h"
#include "operational/postgres/pg_session.h"
#include "operational/postgres/test_server_internal.h"
#include "operational/sql_transaction.h"
#include "operational/sqlite/sqlite_session.h"
#include "systore/operational_store.h"

namespace systore {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const Status& st) {
  std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
  std::exit(1);
}
template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) Die(r.status());
  return std::move(r).MoveValueUnsafe();
}

NewOrder BigOrder(int thread) {
  NewOrder n;
  n.strategy = "S" + std::to_string(thread % 4);
  n.instrument = thread % 2 ? "SOFR" : "BUND";
  n.contract = "20250300";
  n.quantity = 1'000'000'000;
  return n;
}

FillRequest OneLot(OrderId id, int thread, int i) {
  FillRequest f;
  f.order_id = id;
  f.quantity = 1;
  f.price = 95.0 + (i % 100) / 100.0;
  f.commission = 0.5;
  f.exec_id = "t" + std::to_string(thread) + "-" + std::to_string(i);
  return f;
}

// Runs `threads` workers doing `per_thread` calls of work(thread, i); returns calls/s.
template <typename F>
double RunThreads(int threads, int per_thread, F&& work) {
  std::vector<std::thread> ts;
  std::atomic<bool> go{false};
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < per_thread; ++i) work(t, i);
    });
  }
  auto t0 = Clock::now();
  go = true;
  for (auto& th : ts) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  return threads * per_thread / secs;
}

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

// The baseline: the same statements (SqlTransaction::ApplyFill) through plain SQLite,
// one connection per thread, one BEGIN IMMEDIATE ... COMMIT per fill.
double PlainSqliteFills(const std::string& path, int threads, int per_thread) {
  std::vector<OrderId> orders;
  {
    auto store = Must(OperationalStore::Open({.uri = "sqlite://" + path}));
    for (int t = 0; t < threads; ++t) orders.push_back(Must(store->AddOrder(BigOrder(t))));
  }
  std::vector<std::unique_ptr<operational::SqliteSession>> sessions;
  for (int t = 0; t < threads; ++t) {
    operational::SqliteSession::Config c;
    c.busy_timeout_ms = 60000;
    sessions.push_back(Must(operational::SqliteSession::Open(path, c)));
  }
  return RunThreads(threads, per_thread, [&](int t, int i) {
    auto& s = *sessions[t];
    for (;;) {
      Status st = s.Exec("BEGIN IMMEDIATE");
      if (st.IsConflict()) continue;
      if (!st.ok()) Die(st);
      operational::SqlTransaction txn(s, "bench", false);
      auto r = txn.ApplyFill(OneLot(orders[t], t, i));
      if (!r.ok()) Die(r.status());
      st = s.Exec("COMMIT");
      if (!st.ok()) Die(st);
      return;
    }
  });
}

// The MongoDB baseline: the same reads and document writes (MongoTransaction through a
// DocumentView), written straight to the collections — no journal entry, no head, no
// check for concurrent commits, so not atomic (concurrent fills can lose position
// updates). What systore's commit protocol costs on top of the plain writes.
double PlainMongoFills(const std::string& uri, int threads, int per_thread) {
  std::vector<OrderId> orders;
  {
    auto store = Must(OperationalStore::Open({.uri = uri}));
    for (int t = 0; t < threads; ++t) orders.push_back(Must(store->AddOrder(BigOrder(t))));
  }
  const std::string plain_uri = uri.substr(0, uri.find('?'));
  const std::string db = plain_uri.substr(plain_uri.rfind('/') + 1);
  std::vector<mongoc_client_t*> clients;
  for (int t = 0; t < threads; ++t) {
    clients.push_back(mongoc_client_new(plain_uri.c_str()));
    if (!clients.back()) Die(Status::InvalidArgument("cannot connect to " + plain_uri));
  }
  std::atomic<int64_t> version{int64_t{1} << 40};  // newer than anything the journal wrote
  double rate = RunThreads(threads, per_thread, [&](int t, int i) {
    operational::MongoConnection conn(clients[t], db, nullptr);
    operational::DocumentView view(conn);
    operational::MongoTransaction txn(view, "bench", false);
    auto r = txn.ApplyFill(OneLot(orders[t], t, i));
    if (!r.ok()) Die(r.status());
    Status st = conn.ApplyVersioned(view.Writes(), ++version);
    if (!st.ok()) Die(st);
  });
  for (auto* c : clients) mongoc_client_destroy(c);
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
  std::string dir = "/tmp/systore-ops-bench-" + RandomHexId().substr(0, 8);
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
    if (want("fill/sqlite-plain")) {
      std::printf("%-20s %8d %14.0f\n", "fill/sqlite-plain", t, PlainSqliteFills(fresh(), t, fills));
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
      const std::string schema = "bench_" + std::to_string(t);
      auto admin = Must(operational::PgSession::Open(server->uri(), true));
      if (Status cs = admin->ExecScript("CREATE SCHEMA " + schema); !cs.ok()) Die(cs);
      std::printf("%-20s %8d %14.0f\n", "fill/postgres", t,
                  StoreFills(server->uri() + "?options=-csearch_path%3D" + schema, t, fills, true));
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
      std::printf("%-20s %8d %14.0f\n", "fill/mongodb-plain", t,
                  PlainMongoFills(server->uri("bench_plain_" + std::to_string(t)), t, mongo_fills));
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
