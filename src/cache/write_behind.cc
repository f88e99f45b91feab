#include "cache/write_behind.h"

#include <utility>

namespace systore::cache_internal {

Status WriteBehindQueue::Enqueue(Task task) {
  std::unique_lock lock(mu_);
  if (stopping_) {
    lock.unlock();
    return task.write();  // closing: write synchronously
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  space_.wait(lock, [&] { return queue_.size() < static_cast<size_t>(capacity_); });
  queue_.push_back(std::move(task));
  work_.notify_one();
  return Status::OK();
}

void WriteBehindQueue::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    Task t = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    space_.notify_all();
    lock.unlock();
    Status st = t.write();
    if (!st.ok() && t.on_failure) t.on_failure(st);
    lock.lock();
    --in_flight_;
    if (!st.ok()) {
      ++failures_;
      if (error_.ok()) error_ = st;
    }
    if (queue_.empty() && in_flight_ == 0) idle_.notify_all();
  }
}

Status WriteBehindQueue::Flush() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && in_flight_ == 0; });
  Status st = error_;
  error_ = Status::OK();
  return st;
}

Status WriteBehindQueue::Stop() {
  {
    std::unique_lock lock(mu_);
    stopping_ = true;
    work_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  return error_;
}

int64_t WriteBehindQueue::pending() {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(queue_.size()) + in_flight_;
}

int64_t WriteBehindQueue::failures() {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace systore::cache_internal
