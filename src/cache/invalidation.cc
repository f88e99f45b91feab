#include "cache/invalidation.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace systore::cache_internal {

std::string EncodeInvalidation(std::string_view origin, std::string_view data_class, std::string_view key) {
  std::string m(origin);
  m += '\n';
  m += data_class;
  m += '\n';
  m += key;
  return m;
}

bool DecodeInvalidation(std::string_view m, Invalidation* out) {
  size_t a = m.find('\n');
  if (a == std::string_view::npos) return false;
  size_t b = m.find('\n', a + 1);
  if (b == std::string_view::npos) return false;
  out->origin = m.substr(0, a);
  out->data_class = m.substr(a + 1, b - a - 1);
  out->key = m.substr(b + 1);
  return true;
}

void InvalidationSubscriber::Start(L2Backend* l2, std::string channel, int retry_ms,
                                   std::function<void(const std::string&)> on_message,
                                   std::function<void()> on_resubscribed) {
  thread_ = std::thread([this, l2, channel = std::move(channel), retry_ms, on_message = std::move(on_message),
                         on_resubscribed = std::move(on_resubscribed)] {
    bool failed_before = false;
    while (!stop_.load()) {
      (void)l2->Subscribe(
          channel,
          [&] {
            if (failed_before) on_resubscribed();
          },
          [&](std::string m) { on_message(m); }, [this] { return stop_.load(); });
      if (stop_.load()) break;
      failed_before = true;
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(std::max(retry_ms, 10)), [&] { return stop_.load(); });
    }
  });
}

void InvalidationSubscriber::Stop() {
  stop_.store(true);
  {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace systore::cache_internal
