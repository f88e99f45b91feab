// The operational stores' crash test, run by each backend's test binary: a child
// process (this binary, re-executed) applies fills from 4 threads in a loop and reports
// each acknowledged fill through a pipe; the parent SIGKILLs it at random moments
// (`kills` times, or $SYSTORE_CRASH_KILLS), then reopens the store and checks that
// every acknowledged fill is there, positions equal the sum of the applied fills
// (reconcile) and every order's filled quantity equals the sum of its fills.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/test_util_internal.h"

#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "operational/conformance_internal.h"
#include "operational/crash_harness_internal.h"

namespace systore::testing {
namespace {

constexpr const char* kChildEnv = "SYSTORE_OPS_CRASH_CHILD";  // "<uri>|<fd>|<round>"

struct Ack {
  int32_t round, thread;
  int64_t n;
};
static_assert(sizeof(Ack) == 16);

std::string ExecId(int round, int thread, int64_t n) {
  return "r" + std::to_string(round) + "-t" + std::to_string(thread) + "-" + std::to_string(n);
}

[[maybe_unused]] const bool kChildRan = [] {
  const char* spec = std::getenv(kChildEnv);
  if (!spec) return false;
  std::string s(spec);
  size_t a = s.find('|'), b = s.rfind('|');
  std::string uri = s.substr(0, a);
  int fd = std::atoi(s.substr(a + 1, b - a - 1).c_str());
  int round = std::atoi(s.substr(b + 1).c_str());
  auto opened = OperationalStore::Open({.uri = uri});
  if (!opened.ok()) std::_Exit(3);
  auto store = std::move(opened).MoveValueUnsafe();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(round * 10 + t);
      int64_t n = 0;
      for (;;) {
        NewOrder o;
        o.strategy = "S" + std::to_string(t % 2);
        o.instrument = "SOFR";
        o.contract = t % 2 ? "20250300" : "20250600";
        o.side = rng() % 2 ? Side::kBuy : Side::kSell;
        o.quantity = 10;
        auto id = store->AddOrder(o);
        if (!id.ok()) std::_Exit(4);
        int64_t left = 10;
        while (left > 0) {
          int64_t q = std::min<int64_t>(left, 1 + rng() % 3);
          FillRequest f;
          f.order_id = *id;
          f.quantity = q;
          f.price = 95 + (rng() % 100) / 100.0;
          f.exec_id = ExecId(round, t, ++n);
          auto r = store->ApplyFill(f);
          if (!r.ok()) std::_Exit(5);
          Ack ack{round, t, n};
          if (::write(fd, &ack, sizeof ack) != sizeof ack) std::_Exit(6);
          left -= q;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::_Exit(0);
}();

}  // namespace

void RunFillCrashTest(const std::string& uri, int kills) {
  if (const char* k = std::getenv("SYSTORE_CRASH_KILLS")) kills = std::atoi(k);
  std::mt19937 rng(777);
  std::set<std::string> acked;
  for (int round = 0; round < kills; ++round) {
    // Kill at a random moment after the child is demonstrably applying fills (its
    // start-up time varies a lot, e.g. under ASan).
    std::uniform_int_distribution<int> delay_us(0, 60000);
    auto acks = KillChildMidWrite(
        [&](int fd) {
          return std::vector<std::pair<std::string, std::string>>{
              {kChildEnv, uri + "|" + std::to_string(fd) + "|" + std::to_string(round)}};
        },
        sizeof(Ack), delay_us(rng));
    ASSERT_TRUE(acks.ok()) << "round " << round << ": " << acks.status().ToString();
    for (const Ack& ack : DecodeAcks<Ack>(*acks)) acked.insert(ExecId(ack.round, ack.thread, ack.n));

    auto store = OperationalStore::Open({.uri = uri});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto report = (*store)->Reconcile();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->ok()) << "round " << round << ": " << report->differences.size() << " positions differ";
  }
  ASSERT_GE(acked.size(), static_cast<size_t>(kills));

  auto store = std::move(OperationalStore::Open({.uri = uri})).MoveValueUnsafe();
  std::set<std::string> stored;
  std::map<std::string, int64_t> by_strategy;
  auto orders = store->FindOrders({});
  ASSERT_TRUE(orders.ok());
  for (const auto& o : *orders) {
    auto fills = store->FillsOfOrder(o.id);
    ASSERT_TRUE(fills.ok());
    int64_t sum = 0;
    for (const auto& f : *fills) {
      stored.insert(f.exec_id);
      sum += f.quantity;
    }
    ASSERT_EQ(sum, o.filled_quantity) << "order " << o.id;
    by_strategy[o.strategy] += o.sign() * sum;
  }
  for (const auto& e : acked) ASSERT_TRUE(stored.count(e)) << "acknowledged fill " << e << " is missing";
  auto positions = store->StrategyPositions();
  ASSERT_TRUE(positions.ok());
  for (const auto& p : *positions) EXPECT_EQ(p.position, by_strategy[p.strategy]) << p.strategy;
  std::cout << "[ crash    ] " << kills << " kills, " << acked.size() << " acknowledged fills, " << stored.size()
            << " stored\n";
}

}  // namespace systore::testing
