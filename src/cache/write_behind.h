// The write-behind queue: store writes acknowledged once cached, done by one background
// thread in order. Bounded (a full queue makes the caller wait), drained by Flush and
// Stop; a failed write is reported once through the task's on_failure.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "systore/status.h"

namespace systore::cache_internal {

class WriteBehindQueue {
 public:
  struct Task {
    std::function<Status()> write;
    std::function<void(const Status&)> on_failure;  // the cached value was never stored
  };

  explicit WriteBehindQueue(int capacity) : capacity_(capacity < 1 ? 1 : capacity) {}
  ~WriteBehindQueue() { (void)Stop(); }

  /// Queues the task (waits while the queue is full); once stopping, writes it now.
  Status Enqueue(Task task);
  /// Waits until every queued write is done; returns (and clears) the first failure.
  Status Flush();
  /// Drains the queue, ends the thread; returns the first failure not yet returned.
  Status Stop();
  int64_t pending();
  int64_t failures();

 private:
  void Loop();

  const int capacity_;
  std::mutex mu_;
  std::condition_variable work_, space_, idle_;
  std::deque<Task> queue_;
  int64_t in_flight_ = 0;
  int64_t failures_ = 0;
  Status error_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace systore::cache_internal
