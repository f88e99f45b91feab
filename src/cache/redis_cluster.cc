// L2 on Redis Cluster (mode "cluster").
#include "cache/redis_l2_internal.h"

namespace systore::cache_internal {

Result<std::unique_ptr<L2Backend>> MakeRedisClusterL2(const CacheOptions::L2&,
                                                       std::vector<std::pair<std::string, int>>) {
  return Status::NotImplemented("cache.l2.mode cluster is not built yet");
}

}  // namespace systore::cache_internal
