// A thin, synchronous wrapper of one hiredis connection, and a pool of them per server.
// No hiredis type appears outside src/cache.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "systore/result.h"

struct redisContext;

namespace systore::cache_internal {

/// A decoded RESP reply.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<RedisReply> elements;
  bool is_error() const { return type == Type::kError; }
};

/// "host:port" -> (host, port); InvalidArgument otherwise.
Result<std::pair<std::string, int>> ParseHostPort(std::string_view address);

/// One connection; not thread-safe (a pool hands it to one thread at a time).
class RedisConnection {
 public:
  /// Unavailable when the server cannot be reached within connect_timeout_ms.
  static Result<std::unique_ptr<RedisConnection>> Connect(const std::string& host, int port, int connect_timeout_ms,
                                                          int command_timeout_ms);
  ~RedisConnection();

  /// Sends one command and reads its reply. Unavailable on an I/O error or timeout (the
  /// connection is then broken); a server error comes back as a kError reply.
  Result<RedisReply> Command(const std::vector<std::string_view>& argv);
  /// Sends several commands in one round trip and reads all replies.
  Result<std::vector<RedisReply>> Pipeline(const std::vector<std::vector<std::string_view>>& commands);

  /// Sends one command without reading its reply (for subscribed connections).
  Status Send(const std::vector<std::string_view>& argv);

  /// For a subscribed connection: waits up to timeout_ms for one pushed message.
  /// nullopt-like empty array when nothing arrived; Unavailable when the link broke.
  Result<RedisReply> ReadPush(int timeout_ms);

  bool broken() const { return broken_; }
  const std::string& address() const { return address_; }

 private:
  RedisConnection() = default;
  Status Broken(const std::string& what);
  redisContext* ctx_ = nullptr;
  bool broken_ = false;
  std::string address_;
};

/// Connections to one server, opened on demand, at most `size` kept idle.
class RedisPool {
 public:
  RedisPool(std::string host, int port, int size, int connect_timeout_ms, int command_timeout_ms)
      : host_(std::move(host)),
        port_(port),
        size_(size),
        connect_ms_(connect_timeout_ms),
        command_ms_(command_timeout_ms) {}

  /// Runs fn on a connection (returned to the pool unless it broke).
  template <typename Fn>
  auto With(Fn&& fn) -> decltype(fn(std::declval<RedisConnection&>())) {
    auto c = Acquire();
    if (!c.ok()) return c.status();
    auto conn = std::move(c).MoveValueUnsafe();
    auto r = fn(*conn);
    Release(std::move(conn));
    return r;
  }
  Result<RedisReply> Command(const std::vector<std::string_view>& argv) {
    return With([&](RedisConnection& c) { return c.Command(argv); });
  }
  Result<std::unique_ptr<RedisConnection>> Acquire();
  void Release(std::unique_ptr<RedisConnection> c);
  /// Drops idle connections (after the server restarted or failed over).
  void Reset();

  std::string address() const { return host_ + ":" + std::to_string(port_); }
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  int connect_timeout_ms() const { return connect_ms_; }
  int command_timeout_ms() const { return command_ms_; }

 private:
  std::string host_;
  int port_;
  int size_;
  int connect_ms_, command_ms_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
};

}  // namespace systore::cache_internal
