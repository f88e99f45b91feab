// L2 on Redis Cluster (mode "cluster"), routed on hiredis: Debian 12 packages no
// cluster-capable C/C++ client.
//
// Routing: a key's slot is CRC16(key or its {hash tag}) mod 16384; a slot map (slot ->
// master) comes from CLUSTER SLOTS, asked of any known node, the configured seeds
// first. One connection pool per master. A -MOVED reply updates the slot and asks for a
// full map refresh before the next command (a slot seldom moves alone); -ASK resends
// the command once to the target, preceded by ASKING on the same connection. A
// connection error drops that node's idle connections, refreshes the map and retries
// once. At most kMaxRedirects redirects per command; then, and on CLUSTERDOWN,
// TRYAGAIN or an unreachable node, the command is Unavailable and the cache degrades
// (cache.cc) exactly as with one server.
//
// Pub/sub: in a cluster a PUBLISH reaches every node, so Publish goes to the master of
// the channel's slot and Subscribe listens on the first reachable node.
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "cache/redis_cluster_internal.h"
#include "cache/redis_l2_internal.h"

namespace systore::cache_internal {

namespace {

constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  std::array<uint16_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : crc << 1;
    t[i] = crc;
  }
  return t;
}
constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();
static_assert(kCrc16Table[1] == 0x1021 && kCrc16Table[255] == 0x1EF0, "CRC16/XMODEM table");

constexpr int kMaxRedirects = 5;

}  // namespace

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[((crc >> 8) ^ c) & 0xff]);
  return crc;
}

int KeySlot(std::string_view key) {
  size_t open = key.find('{');
  if (open != std::string_view::npos) {
    size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return Crc16(key) & (kClusterSlots - 1);
}

std::optional<ClusterRedirect> ParseRedirect(std::string_view e) {
  ClusterRedirect r;
  if (e.rfind("MOVED ", 0) == 0) {
    e.remove_prefix(6);
  } else if (e.rfind("ASK ", 0) == 0) {
    r.ask = true;
    e.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  size_t sp = e.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  auto [ptr, ec] = std::from_chars(e.data(), e.data() + sp, r.slot);
  if (ec != std::errc() || ptr != e.data() + sp || r.slot < 0 || r.slot >= kClusterSlots) return std::nullopt;
  r.address = std::string(e.substr(sp + 1));
  if (r.address.empty()) return std::nullopt;
  return r;
}

namespace {

class RedisClusterL2 : public L2Backend {
 public:
  RedisClusterL2(const CacheOptions::L2& o, std::vector<std::pair<std::string, int>> seeds)
      : options_(o), seeds_(std::move(seeds)) {}

  Result<std::optional<std::string>> Get(const std::string& key) override {
    SYSTORE_ASSIGN_OR_RAISE(auto r, Run(key, {"GET", key}));
    if (r.type != RedisReply::Type::kString) return std::optional<std::string>();
    return std::optional<std::string>(std::move(r.str));
  }
  Status Set(const std::string& key, std::string_view value, int64_t ttl_ms) override {
    std::string ttl = std::to_string(std::max<int64_t>(ttl_ms, 1));
    return Run(key, {"SET", key, value, "PX", ttl}).status();
  }
  Status Del(const std::string& key) override { return Run(key, {"DEL", key}).status(); }
  Status Publish(const std::string& channel, const std::string& message) override {
    // Any node would do; the channel's slot spreads publishers of different channels.
    return Run(channel, {"PUBLISH", channel, message}).status();
  }
  Status Subscribe(const std::string& channel, const std::function<void()>& on_subscribed,
                   const std::function<void(std::string)>& on_message, const std::function<bool()>& stop) override {
    (void)Refresh();  // best effort: learn the current nodes
    Status last = Status::Unavailable("Redis Cluster: no node known");
    for (const auto& [host, port] : Candidates(/*all_nodes=*/true)) {
      bool subscribed = false;
      last = SubscribeOn(
          host, port, options_.connect_timeout_ms, channel,
          [&] {
            subscribed = true;
            on_subscribed();
          },
          on_message, stop);
      // Once subscribed, a lost node ends the subscription: the caller resubscribes
      // (and drops its L1, since invalidations may have been missed).
      if (subscribed || stop()) return last;
    }
    return last;
  }
  Status Ping() override {
    SYSTORE_RETURN_NOT_OK(Refresh());
    std::vector<std::shared_ptr<RedisPool>> masters;
    {
      std::shared_lock lock(mu_);
      if (covered_ != kClusterSlots) {
        return Status::Unavailable("Redis Cluster: " + std::to_string(kClusterSlots - covered_) +
                                   " slots have no master");
      }
      masters = masters_;
    }
    // CLUSTER INFO rather than PING: a live node of a failed cluster answers PING but
    // refuses keys (CLUSTERDOWN) until a replica took over.
    for (auto& pool : masters) {
      pool->Reset();  // after an outage, idle connections are dead
      SYSTORE_ASSIGN_OR_RAISE(auto r, pool->Command({"CLUSTER", "INFO"}));
      if (r.is_error()) return ReplyError(pool->address(), r);
      if (r.str.find("cluster_state:ok") == std::string::npos) {
        return Status::Unavailable("Redis Cluster " + pool->address() + ": cluster_state is not ok");
      }
    }
    return Status::OK();
  }
  Result<std::vector<std::pair<std::string, std::string>>> ServerInfo() override {
    std::vector<std::pair<std::string, std::string>> out;
    std::vector<std::shared_ptr<RedisPool>> masters;
    {
      std::shared_lock lock(mu_);
      masters = masters_;
    }
    out.emplace_back("cluster masters", std::to_string(masters.size()));
    out.emplace_back("cluster redirects_moved", std::to_string(moved_.load()));
    out.emplace_back("cluster redirects_ask", std::to_string(ask_.load()));
    out.emplace_back("cluster slot_map_refreshes", std::to_string(refreshes_.load()));
    for (auto& pool : masters) {
      auto info = InfoOf(*pool, options_.key_prefix);
      if (!info.ok()) return info.status();
      out.insert(out.end(), info->begin(), info->end());
    }
    return out;
  }
  std::string_view mode() const override { return "cluster"; }

 private:
  // Sends a one-key command to the master of the key's slot, following redirects.
  // Server errors other than redirects are returned as Unavailable, like the standalone
  // backend does.
  Result<RedisReply> Run(std::string_view key, const std::vector<std::string_view>& argv) {
    if (refresh_wanted_.exchange(false) || !loaded_.load(std::memory_order_acquire)) {
      Status st = Refresh();
      if (!loaded_.load(std::memory_order_acquire)) return st.ok() ? Status::Unavailable("no slot map") : st;
    }
    const int slot = KeySlot(key);
    std::shared_ptr<RedisPool> pool = PoolOfSlot(slot);
    bool asking = false;
    bool retried_io = false;
    for (int redirects = 0;;) {
      if (!pool) {
        return Status::Unavailable("Redis Cluster: no master serves slot " + std::to_string(slot));
      }
      Result<RedisReply> r = asking ? pool->With([&](RedisConnection& c) -> Result<RedisReply> {
        SYSTORE_ASSIGN_OR_RAISE(auto both, c.Pipeline({{"ASKING"}, argv}));
        return std::move(both[1]);
      })
                                    : pool->Command(argv);
      if (!r.ok()) {
        // The node went away (or restarted): its idle connections are dead too. A fresh
        // map may name a new master (failover); retry once.
        pool->Reset();
        if (retried_io) return r.status();
        retried_io = true;
        (void)Refresh();
        pool = PoolOfSlot(slot);
        asking = false;
        continue;
      }
      if (!r->is_error()) return r;
      auto redirect = ParseRedirect(r->str);
      if (!redirect) return ReplyError(pool->address(), *r);
      if (++redirects > kMaxRedirects) {
        return Status::Unavailable("Redis Cluster: more than " + std::to_string(kMaxRedirects) +
                                   " redirects for slot " + std::to_string(slot) + " (last: " + r->str + ")");
      }
      auto hp = ParseHostPort(redirect->address);
      if (!hp.ok()) return ReplyError(pool->address(), *r);
      pool = PoolOf(hp->first, hp->second);
      asking = redirect->ask;
      if (redirect->ask) {
        ask_.fetch_add(1, std::memory_order_relaxed);
      } else {
        moved_.fetch_add(1, std::memory_order_relaxed);
        std::unique_lock lock(mu_);
        if (!slots_[redirect->slot]) ++covered_;
        slots_[redirect->slot] = pool;
        refresh_wanted_.store(true);
      }
    }
  }

  std::shared_ptr<RedisPool> PoolOfSlot(int slot) {
    std::shared_lock lock(mu_);
    return slots_[slot];
  }

  // The pool of a node, created on first use; pools are kept for the backend's life
  // (a cluster has few nodes).
  std::shared_ptr<RedisPool> PoolOf(const std::string& host, int port) {
    std::string addr = host + ":" + std::to_string(port);
    std::lock_guard lock(pools_mu_);
    auto& p = pools_[addr];
    if (!p) {
      p = std::make_shared<RedisPool>(host, port, options_.pool_size, options_.connect_timeout_ms,
                                      options_.command_timeout_ms);
    }
    return p;
  }

  // Nodes to ask: the known masters (or all known nodes), then the seeds.
  std::vector<std::pair<std::string, int>> Candidates(bool all_nodes) {
    std::vector<std::pair<std::string, int>> out;
    {
      std::shared_lock lock(mu_);
      for (auto& p : masters_) out.emplace_back(p->host(), p->port());
      if (all_nodes) out.insert(out.end(), replicas_.begin(), replicas_.end());
    }
    for (const auto& s : seeds_) {
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
    return out;
  }

  // Reloads the slot map from the first node that answers CLUSTER SLOTS.
  Status Refresh() {
    std::lock_guard refresh_lock(refresh_mu_);
    Status last = Status::Unavailable("Redis Cluster: no seed node configured");
    for (const auto& [host, port] : Candidates(/*all_nodes=*/true)) {
      auto pool = PoolOf(host, port);
      auto r = pool->Command({"CLUSTER", "SLOTS"});
      if (!r.ok()) {
        pool->Reset();
        last = r.status();
        continue;
      }
      if (r->is_error() || r->type != RedisReply::Type::kArray) {
        last = r->is_error() ? ReplyError(pool->address(), *r)
                             : Status::Unavailable("Redis " + pool->address() + ": bad CLUSTER SLOTS reply");
        continue;
      }
      Install(*r, host);
      refreshes_.fetch_add(1, std::memory_order_relaxed);
      return Status::OK();
    }
    return last;
  }

  // CLUSTER SLOTS: [[start, end, [host, port, id, ...], replica...], ...]
  void Install(const RedisReply& reply, const std::string& asked_host) {
    std::vector<std::shared_ptr<RedisPool>> slots(kClusterSlots);
    std::vector<std::shared_ptr<RedisPool>> masters;
    std::vector<std::pair<std::string, int>> replicas;
    int covered = 0;
    auto node = [&](const RedisReply& n) -> std::optional<std::pair<std::string, int>> {
      if (n.type != RedisReply::Type::kArray || n.elements.size() < 2) return std::nullopt;
      std::string host = n.elements[0].str;
      // An empty or "?" endpoint means "the address you reached me on".
      if (host.empty() || host == "?") host = asked_host;
      return std::make_pair(host, static_cast<int>(n.elements[1].integer));
    };
    for (const auto& range : reply.elements) {
      if (range.type != RedisReply::Type::kArray || range.elements.size() < 3) continue;
      int64_t lo = range.elements[0].integer, hi = range.elements[1].integer;
      auto master = node(range.elements[2]);
      if (!master || lo < 0 || hi >= kClusterSlots || lo > hi) continue;
      auto pool = PoolOf(master->first, master->second);
      if (std::find(masters.begin(), masters.end(), pool) == masters.end()) masters.push_back(pool);
      for (int64_t s = lo; s <= hi; ++s) {
        if (!slots[s]) ++covered;
        slots[s] = pool;
      }
      for (size_t i = 3; i < range.elements.size(); ++i) {
        if (auto r = node(range.elements[i])) replicas.push_back(std::move(*r));
      }
    }
    std::unique_lock lock(mu_);
    slots_ = std::move(slots);
    masters_ = std::move(masters);
    replicas_ = std::move(replicas);
    covered_ = covered;
    loaded_.store(true, std::memory_order_release);
  }

  CacheOptions::L2 options_;
  std::vector<std::pair<std::string, int>> seeds_;

  std::mutex pools_mu_;
  std::map<std::string, std::shared_ptr<RedisPool>> pools_;

  std::mutex refresh_mu_;  // one CLUSTER SLOTS at a time
  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<RedisPool>> slots_ = std::vector<std::shared_ptr<RedisPool>>(kClusterSlots);
  std::vector<std::shared_ptr<RedisPool>> masters_;
  std::vector<std::pair<std::string, int>> replicas_;
  int covered_ = 0;
  std::atomic<bool> loaded_{false};
  std::atomic<bool> refresh_wanted_{false};

  std::atomic<int64_t> moved_{0}, ask_{0}, refreshes_{0};
};

}  // namespace

Result<std::unique_ptr<L2Backend>> MakeRedisClusterL2(const CacheOptions::L2& options,
                                                      std::vector<std::pair<std::string, int>> seeds) {
  if (seeds.empty()) return Status::InvalidArgument("cache.l2.nodes is empty");
  return std::unique_ptr<L2Backend>(new RedisClusterL2(options, std::move(seeds)));
}

}  // namespace systore::cache_internal
