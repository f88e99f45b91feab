// fill_baseline_bench: the baselines below the operational store, for comparison with
// bench/operational_bench.cc's fill/store workloads (same orders, fills and threads:
// testing/fill_workload.h). They drive the backends' internals, so they live here.
//
//   fill_baseline_bench [--fills N] [--threads 1,8] [--dir DIR] [--mongodb] [--mongo-fills N]
//
//   fill/sqlite-plain    the same SQL statements (SqlTransaction) through plain SQLite, one
//                        connection per thread, BEGIN IMMEDIATE ... COMMIT per fill
//   fill/mongodb-plain   the same reads and document writes straight to the collections
//                        of a throwaway FerretDB (no journal: not atomic) (--mongodb)
#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "operational/mongo/document_view.h"
#include "operational/mongo/mongo_transaction.h"
#include "operational/sql_transaction.h"
#include "operational/sqlite/sqlite_session.h"
#include "systore/operational_store.h"
#include "testing/ferretdb_server.h"
#include "testing/fill_workload.h"

namespace systore {
namespace {

using testing::BigOrder;
using testing::Die;
using testing::Must;
using testing::OneLot;
using testing::RunThreads;

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

}  // namespace
}  // namespace systore

int main(int argc, char** argv) {
  using namespace systore;
  CLI::App app{"fill_baseline_bench: fills/s of the baselines below the operational store"};
  int fills = 2000;
  std::vector<int> thread_counts = {1, 8};
  std::string dir =
      (std::filesystem::temp_directory_path() / ("systore-fill-baseline-" + std::to_string(::getpid()))).string();
  bool mongodb = false;
  int mongo_fills = 150;
  app.add_option("--fills", fills, "Fill transactions per thread")->capture_default_str();
  app.add_option("--threads", thread_counts, "Thread counts")->delimiter(',');
  app.add_option("--dir", dir, "Scratch directory (deleted afterwards)");
  app.add_flag("--mongodb", mongodb, "Also run fill/mongodb-plain on a throwaway FerretDB");
  app.add_option("--mongo-fills", mongo_fills, "Fill transactions per thread on FerretDB")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(dir);
  int db = 0;
  std::printf("%-20s %8s %14s\n", "workload", "threads", "fills/s");
  for (int t : thread_counts) {
    const std::string path = dir + "/ops-" + std::to_string(++db) + ".sqlite";
    std::printf("%-20s %8d %14.0f\n", "fill/sqlite-plain", t, PlainSqliteFills(path, t, fills));
    std::fflush(stdout);
  }
  if (mongodb) {
    if (!std::getenv("SYSTORE_SOURCE_DIR")) ::setenv("SYSTORE_SOURCE_DIR", SYSTORE_SOURCE_DIR, 0);
    const std::string bin = testing::FerretDbServer::FindBinary();
    if (bin.empty()) Die(Status::NotFound("no ferretdb binary: run scripts/ferretdb.sh or set SYSTORE_FERRETDB"));
    auto server = Must(testing::FerretDbServer::Start(bin));
    for (int t : thread_counts) {
      std::printf("%-20s %8d %14.0f\n", "fill/mongodb-plain", t,
                  PlainMongoFills(server->uri("bench_plain_" + std::to_string(t)), t, mongo_fills));
      std::fflush(stdout);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
