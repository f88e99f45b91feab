// Cache: the two-level cache in front of the stores (docs/cache-and-blob.md).
//
//   caller ─► L1 (in-process, sharded LRU, TTL per data class)
//              │ miss
//              ▼
//             L2 (Redis or Redis Cluster, TTL per data class; optional)
//              │ miss                       a hit is promoted to L1
//              ▼
//             loader (the store read the caller passes in)
//
// Values are cached per (data class, key). A data class has a policy: a strategy
// (how writes reach the cache) and a TTL. Writers publish invalidations on a Redis
// pub/sub channel so that other processes drop their L1 copies.
//
// L2 never makes a call fail: when Redis is down or slow, reads fall through to the
// loader, writes reach the store, one warning is logged, and the cache reconnects by
// itself (at most every l2.retry_interval_ms). Keys written while Redis was down are
// deleted from L2 when it returns, so it does not serve values older than the store.
//
// Thread-safety: every method may be called from any number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "systore/result.h"
#include "systore/status.h"

namespace systore {

/// How writes of a data class reach the cache and the store.
enum class CacheStrategy {
  kNone,          // never cached
  kReadThrough,   // lazy loading: a miss loads from the store and fills L1/L2;
                  // a write goes to the store and invalidates the key
  kWriteThrough,  // a write goes to the store, then the new value into L1 and L2
  kWriteBehind,   // a write puts the value into L1 and L2 at once and queues the store
                  // write (bounded queue, flushed by Flush() and on Close())
};

/// "none", "read_through", "write_through", "write_behind".
std::string_view CacheStrategyName(CacheStrategy strategy);
/// Parses the names above ("lazy" is accepted for read_through). InvalidArgument otherwise.
Result<CacheStrategy> ParseCacheStrategy(std::string_view name);

/// The cache policy of one data class.
struct CachePolicy {
  /// Data class name (the DataBlob attribute name, e.g. "db_futures_adjusted_prices").
  std::string data_class;
  CacheStrategy strategy = CacheStrategy::kReadThrough;
  /// Time to live in L1 and L2, milliseconds (defaults by group: prices 300 s,
  /// analytics 3600 s, reference 86400 s).
  int64_t ttl_ms = 300'000;
};

/// A cached value: its serialised bytes (what L2 stores) and, optionally, a decoded
/// object kept in L1 so that a hit costs no decoding. Immutable once shared.
struct CachedValue {
  std::string bytes;
  /// The decoded form (e.g. an arrow::Table); may be null.
  std::shared_ptr<const void> object;
  /// Bytes this value is charged in L1 (bytes.size() when 0).
  int64_t charge = 0;
};

struct CacheOptions {
  struct L1 {
    /// Total budget of L1 across shards, bytes. 0 disables L1.
    int64_t capacity_bytes = 256ll << 20;
    /// Number of independently locked shards (rounded up to a power of two).
    int shards = 16;
  } l1;
  struct L2 {
    /// "none", "redis" (one server) or "cluster" (Redis Cluster, slot routing).
    std::string mode = "none";
    /// host:port of the server, or of one or more cluster nodes (seeds).
    std::vector<std::string> nodes = {"127.0.0.1:6379"};
    /// Prefix of every key systore writes.
    std::string key_prefix = "systore:";
    /// Connection and per-command timeouts: a slower Redis counts as down.
    int connect_timeout_ms = 200;
    int command_timeout_ms = 200;
    /// While Redis is down, try to reconnect at most this often.
    int retry_interval_ms = 1000;
    /// Connections kept per server.
    int pool_size = 4;
    /// Publish and subscribe to invalidations (cross-process L1 coherence).
    bool invalidation = true;
    /// Pub/sub channel of invalidations.
    std::string channel = "systore:invalidate";
  } l2;
  /// Policies of the known data classes; a class not listed uses default_policy.
  std::vector<CachePolicy> classes;
  CachePolicy default_policy;
  /// Pending store writes of write-behind classes; a write waits when the queue is full.
  int write_behind_queue = 10'000;
  /// Where warnings go (default: one line on stderr, "systore: warning: ...").
  std::function<void(const std::string&)> on_warning;
};

/// Counters of one cache level (L1 or L2), for one data class or all.
struct CacheLevelStats {
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t puts = 0;
  int64_t evictions = 0;  // L1: LRU evictions and TTL expiries
  int64_t errors = 0;     // L2: commands that failed (Redis down/slow)
  int64_t p50_ns = 0;     // latency of lookups at this level
  int64_t p99_ns = 0;
  double hit_rate() const { return hits + misses == 0 ? 0.0 : double(hits) / double(hits + misses); }
};

struct CacheClassStats {
  std::string data_class;
  CacheLevelStats l1;
  CacheLevelStats l2;
  int64_t loads = 0;  // misses served by the loader (the store)
  int64_t load_p99_ns = 0;
  int64_t invalidations = 0;  // keys dropped by writes here or in other processes
};

struct CacheStats {
  std::vector<CacheClassStats> classes;  // sorted by name
  CacheClassStats total;                 // data_class "*"
  int64_t l1_entries = 0;
  int64_t l1_bytes = 0;
  std::string l2_mode;  // "none", "redis", "cluster"
  bool l2_connected = false;
  int64_t l2_outages = 0;  // times Redis was found down
  int64_t write_behind_pending = 0;
  int64_t write_behind_failures = 0;
};

class Cache {
 public:
  /// A store read: the value for a key, or an error (NotFound is not cached).
  using Loader = std::function<Result<std::shared_ptr<const CachedValue>>()>;
  /// Rebuilds the decoded object from bytes read from L2 (null: keep bytes only).
  using Decoder = std::function<Result<std::shared_ptr<const void>>(const std::string& bytes)>;
  /// A store write.
  using StoreWrite = std::function<Status()>;

  /// Opens the cache; with L2 enabled, connects lazily (an unreachable Redis is not an
  /// error). InvalidArgument for a bad mode or node address.
  static Result<std::unique_ptr<Cache>> Open(const CacheOptions& options);
  /// Flushes write-behind writes and closes connections (Close()).
  ~Cache();

  /// L1, then L2 (promoting a hit to L1), then `loader` (filling L1 and L2 unless the
  /// strategy is kNone). Returns the loader's error when every level misses and the
  /// load fails. Never fails because of L2.
  Result<std::shared_ptr<const CachedValue>> Get(std::string_view data_class, std::string_view key,
                                                 const Loader& loader, const Decoder& decode = nullptr);
  /// L1 then L2 only; null on a miss.
  std::shared_ptr<const CachedValue> Peek(std::string_view data_class, std::string_view key,
                                          const Decoder& decode = nullptr);
  /// Writes per the class's strategy (see CacheStrategy). `value` is the key's new full
  /// value (may be null for kNone/kReadThrough, where the key is only invalidated).
  /// Returns the store write's error for synchronous strategies; for kWriteBehind, OK
  /// once queued (a later store failure is logged, counted and returned by Flush()).
  /// Other processes are told to drop their L1 copy.
  Status Write(std::string_view data_class, std::string_view key, std::shared_ptr<const CachedValue> value,
               const StoreWrite& write);
  /// Drops the key from L1 and L2 here and, through pub/sub, from other processes' L1.
  void Invalidate(std::string_view data_class, std::string_view key);
  /// Drops every entry of L1 (L2 is shared and left alone).
  void ClearL1();
  /// Waits until every queued write-behind write reached the store; returns the first
  /// store error since the last Flush.
  Status Flush();
  /// Flushes, stops background threads, closes Redis connections. Idempotent.
  Status Close();

  /// A consistent-enough snapshot of the counters (each counter is exact; counters are
  /// not read atomically together).
  CacheStats Stats() const;
  /// The policy used for a data class.
  CachePolicy PolicyOf(std::string_view data_class) const;

  /// Stats as JSON text (what `systore cache stats --format json` prints).
  static std::string StatsToJson(const CacheStats& stats);

  class Impl;

 private:
  explicit Cache(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace systore
