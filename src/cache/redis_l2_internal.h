// Pieces shared by the Redis backends (redis_l2.cc, redis_cluster.cc).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cache/l2_internal.h"
#include "cache/redis_connection.h"

namespace systore::cache_internal {

Status ReplyError(const std::string& address, const RedisReply& r);
/// The SUBSCRIBE loop of L2Backend::Subscribe on one server.
Status SubscribeOn(const std::string& host, int port, int connect_timeout_ms, const std::string& channel,
                   const std::function<void()>& on_subscribed, const std::function<void(std::string)>& on_message,
                   const std::function<bool()>& stop);
/// A few INFO fields and DBSIZE of one server.
Result<std::vector<std::pair<std::string, std::string>>> InfoOf(RedisPool& pool, const std::string& prefix);
/// Mode "cluster": slot routing with MOVED/ASK handling (redis_cluster.cc).
Result<std::unique_ptr<L2Backend>> MakeRedisClusterL2(const CacheOptions::L2& options,
                                                      std::vector<std::pair<std::string, int>> seeds);

}  // namespace systore::cache_internal
