// Cross-process invalidation over the L2's pub/sub channel: the message format, and the
// subscriber thread that keeps a subscription alive (resubscribing after a failure).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "cache/l2_internal.h"

namespace systore::cache_internal {

/// "<origin>\n<data class>\n<key>": origin lets a process ignore its own messages.
std::string EncodeInvalidation(std::string_view origin, std::string_view data_class, std::string_view key);

struct Invalidation {
  std::string_view origin, data_class, key;  // views into the message
};
/// False for a malformed message.
bool DecodeInvalidation(std::string_view message, Invalidation* out);

class InvalidationSubscriber {
 public:
  ~InvalidationSubscriber() { Stop(); }
  /// Subscribes on `l2` (not owned; must outlive Stop) until Stop. After a failed
  /// subscription it retries every retry_ms and calls on_resubscribed once live again
  /// (messages may have been missed meanwhile).
  void Start(L2Backend* l2, std::string channel, int retry_ms, std::function<void(const std::string&)> on_message,
             std::function<void()> on_resubscribed);
  void Stop();

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace systore::cache_internal
