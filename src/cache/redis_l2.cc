// L2 on one Redis server (mode "redis"), and the factory for both modes.
#include <string>

#include "cache/l2_internal.h"
#include "cache/redis_connection.h"
#include "cache/redis_l2_internal.h"

namespace systore::cache_internal {

Status ReplyError(const std::string& address, const RedisReply& r) {
  return Status::Unavailable("Redis " + address + ": " + r.str);
}

Status SubscribeOn(const std::string& host, int port, int connect_timeout_ms, const std::string& channel,
                   const std::function<void()>& on_subscribed, const std::function<void(std::string)>& on_message,
                   const std::function<bool()>& stop) {
  // A dedicated connection without a read timeout: ReadPush polls with its own.
  SYSTORE_ASSIGN_OR_RAISE(auto conn, RedisConnection::Connect(host, port, connect_timeout_ms, 2000));
  SYSTORE_ASSIGN_OR_RAISE(auto ack, conn->Command({"SUBSCRIBE", channel}));
  if (ack.is_error()) return ReplyError(conn->address(), ack);
  on_subscribed();
  // Pings keep a dead server from going unnoticed while the channel is quiet.
  int idle_polls = 0;
  while (!stop()) {
    SYSTORE_ASSIGN_OR_RAISE(auto m, conn->ReadPush(100));
    if (m.type != RedisReply::Type::kArray || m.elements.empty()) {
      if (++idle_polls >= 10) {
        idle_polls = 0;
        // The reply (["pong", ""] in subscribed mode) is read, and ignored, below.
        SYSTORE_RETURN_NOT_OK(conn->Send({"PING"}));
      }
      continue;
    }
    idle_polls = 0;
    if (m.elements[0].str == "message" && m.elements.size() >= 3) on_message(std::move(m.elements[2].str));
  }
  return Status::OK();
}

namespace {

class RedisL2 : public L2Backend {
 public:
  RedisL2(const CacheOptions::L2& o, std::string host, int port)
      : options_(o), pool_(std::move(host), port, o.pool_size, o.connect_timeout_ms, o.command_timeout_ms) {}

  Result<std::optional<std::string>> Get(const std::string& key) override {
    SYSTORE_ASSIGN_OR_RAISE(auto r, pool_.Command({"GET", key}));
    if (r.is_error()) return ReplyError(pool_.address(), r);
    if (r.type != RedisReply::Type::kString) return std::optional<std::string>();
    return std::optional<std::string>(std::move(r.str));
  }
  Status Set(const std::string& key, std::string_view value, int64_t ttl_ms) override {
    std::string ttl = std::to_string(std::max<int64_t>(ttl_ms, 1));
    SYSTORE_ASSIGN_OR_RAISE(auto r, pool_.Command({"SET", key, value, "PX", ttl}));
    if (r.is_error()) return ReplyError(pool_.address(), r);
    return Status::OK();
  }
  Status Del(const std::string& key) override {
    SYSTORE_ASSIGN_OR_RAISE(auto r, pool_.Command({"DEL", key}));
    if (r.is_error()) return ReplyError(pool_.address(), r);
    return Status::OK();
  }
  Status Publish(const std::string& channel, const std::string& message) override {
    SYSTORE_ASSIGN_OR_RAISE(auto r, pool_.Command({"PUBLISH", channel, message}));
    if (r.is_error()) return ReplyError(pool_.address(), r);
    return Status::OK();
  }
  Status Subscribe(const std::string& channel, const std::function<void()>& on_subscribed,
                   const std::function<void(std::string)>& on_message, const std::function<bool()>& stop) override {
    return SubscribeOn(pool_.host(), pool_.port(), options_.connect_timeout_ms, channel, on_subscribed, on_message,
                       stop);
  }
  Status Ping() override {
    pool_.Reset();  // after an outage, idle connections are dead
    SYSTORE_ASSIGN_OR_RAISE(auto r, pool_.Command({"PING"}));
    if (r.is_error()) return ReplyError(pool_.address(), r);
    return Status::OK();
  }
  Result<std::vector<std::pair<std::string, std::string>>> ServerInfo() override {
    return InfoOf(pool_, options_.key_prefix);
  }
  std::string_view mode() const override { return "redis"; }

 private:
  CacheOptions::L2 options_;
  RedisPool pool_;
};

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> InfoOf(RedisPool& pool, const std::string& prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  SYSTORE_ASSIGN_OR_RAISE(auto r, pool.Command({"INFO"}));
  if (r.is_error()) return ReplyError(pool.address(), r);
  std::string_view text = r.str;
  for (const char* want : {"redis_version", "used_memory_human", "keyspace_hits", "keyspace_misses", "evicted_keys",
                           "expired_keys", "connected_clients", "role"}) {
    std::string needle = std::string(want) + ":";
    size_t p = text.find(needle);
    if (p == std::string_view::npos) continue;
    size_t e = text.find("\r\n", p);
    out.emplace_back(pool.address() + " " + want, std::string(text.substr(p + needle.size(), e - p - needle.size())));
  }
  SYSTORE_ASSIGN_OR_RAISE(auto n, pool.Command({"DBSIZE"}));
  out.emplace_back(pool.address() + " keys", std::to_string(n.integer));
  (void)prefix;
  return out;
}

Result<std::unique_ptr<L2Backend>> MakeL2Backend(const CacheOptions::L2& o) {
  if (o.nodes.empty()) return Status::InvalidArgument("cache.l2.nodes is empty");
  std::vector<std::pair<std::string, int>> nodes;
  for (const auto& n : o.nodes) {
    SYSTORE_ASSIGN_OR_RAISE(auto hp, ParseHostPort(n));
    nodes.push_back(std::move(hp));
  }
  if (o.mode == "redis") return std::unique_ptr<L2Backend>(new RedisL2(o, nodes[0].first, nodes[0].second));
  if (o.mode == "cluster") return MakeRedisClusterL2(o, std::move(nodes));
  return Status::InvalidArgument("cache.l2.mode '" + o.mode + "'");
}

}  // namespace systore::cache_internal
