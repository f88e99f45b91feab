// The L2 backend interface the cache talks to: Redis (one server) or Redis Cluster.
// Implementations report a server that cannot be reached or answers too slowly as
// Unavailable; the cache (cache.cc) turns that into degraded mode, never an error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "systore/cache.h"
#include "systore/result.h"

namespace systore::cache_internal {

class L2Backend {
 public:
  virtual ~L2Backend() = default;
  /// nullopt on a miss.
  virtual Result<std::optional<std::string>> Get(const std::string& key) = 0;
  /// SET key value PX ttl_ms.
  virtual Status Set(const std::string& key, std::string_view value, int64_t ttl_ms) = 0;
  virtual Status Del(const std::string& key) = 0;
  virtual Status Publish(const std::string& channel, const std::string& message) = 0;
  /// Subscribes on a dedicated connection and calls on_message for each message until
  /// stop() returns true (checked at least every 100 ms; returns OK) or the connection
  /// fails (returns Unavailable). on_subscribed runs once the subscription is live.
  virtual Status Subscribe(const std::string& channel, const std::function<void()>& on_subscribed,
                           const std::function<void(std::string)>& on_message, const std::function<bool()>& stop) = 0;
  /// PING every server this backend uses.
  virtual Status Ping() = 0;
  /// Server facts for `systore cache stats`: (name, value) pairs.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ServerInfo() = 0;
  /// "redis" or "cluster".
  virtual std::string_view mode() const = 0;
};

/// A backend for options.mode "redis" or "cluster". Connects lazily.
Result<std::unique_ptr<L2Backend>> MakeL2Backend(const CacheOptions::L2& options);

}  // namespace systore::cache_internal
