// The fill workload shared by bench/operational_bench.cc (the store, public API) and
// src/operational/fill_baseline_bench.cc (the baselines below the store): the orders,
// the one-lot fills and the thread runner, so both measure the same thing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "systore/operational_store.h"

namespace systore::testing {

using Clock = std::chrono::steady_clock;

[[noreturn]] inline void Die(const Status& st) {
  std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
  std::exit(1);
}
template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) Die(r.status());
  return std::move(r).MoveValueUnsafe();
}

inline NewOrder BigOrder(int thread) {
  NewOrder n;
  n.strategy = "S" + std::to_string(thread % 4);
  n.instrument = thread % 2 ? "SOFR" : "BUND";
  n.contract = "20250300";
  n.quantity = 1'000'000'000;
  return n;
}

inline FillRequest OneLot(OrderId id, int thread, int i) {
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

}  // namespace systore::testing
