// The two-level cache: L1 (lru_cache.h) in front of an optional L2 (l2_internal.h),
// policies per data class, degraded mode while L2 is down. Lookups and writes are here;
// the write-behind queue (write_behind.h), pub/sub invalidation (invalidation.h) and the
// statistics (class_state.h) are their own units.
#include "systore/cache.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include "cache/class_state.h"
#include "cache/invalidation.h"
#include "cache/l2_internal.h"
#include "cache/latency_histogram.h"
#include "cache/lru_cache.h"
#include "cache/write_behind.h"

namespace systore {

using cache_internal::ClassState;
using cache_internal::L2Backend;
using cache_internal::LatencyHistogram;
using cache_internal::LruCache;

std::string_view CacheStrategyName(CacheStrategy s) {
  switch (s) {
    case CacheStrategy::kNone:
      return "none";
    case CacheStrategy::kReadThrough:
      return "read_through";
    case CacheStrategy::kWriteThrough:
      return "write_through";
    case CacheStrategy::kWriteBehind:
      return "write_behind";
  }
  return "?";
}

Result<CacheStrategy> ParseCacheStrategy(std::string_view n) {
  if (n == "none") return CacheStrategy::kNone;
  if (n == "read_through" || n == "lazy" || n == "read-through") return CacheStrategy::kReadThrough;
  if (n == "write_through" || n == "write-through") return CacheStrategy::kWriteThrough;
  if (n == "write_behind" || n == "write-behind") return CacheStrategy::kWriteBehind;
  return Status::InvalidArgument("unknown cache strategy '" + std::string(n) +
                                 "' (expected none, read_through, write_through or write_behind)");
}

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// TTL checks use the coarse monotonic clock (a few ns to read, resolution of a few ms,
// far below any TTL); latency is measured with the precise clock on one lookup in
// kLatencySample, which keeps an L1 hit cheap and the percentiles representative.
int64_t CoarseNowNs() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
constexpr uint32_t kLatencySample = 8;
bool SampleLatency() {
  thread_local uint32_t n = 0;
  return (n++ % kLatencySample) == 0;
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

constexpr size_t kMaxClasses = 4096;

}  // namespace

class Cache::Impl {
 public:
  explicit Impl(const CacheOptions& o)
      : options_(o), l1_(o.l1.capacity_bytes, o.l1.shards), write_behind_(o.write_behind_queue) {
    classes_.reserve(kMaxClasses);
    for (const auto& p : o.classes) (void)Register(p);
    std::random_device rd;
    origin_ = std::to_string(::getpid()) + "-" + std::to_string(rd());
  }

  ~Impl() { (void)Close(); }

  Status Init() {
    if (options_.l2.mode == "none" || options_.l2.mode.empty()) return Status::OK();
    SYSTORE_ASSIGN_OR_RAISE(l2_, cache_internal::MakeL2Backend(options_.l2));
    if (options_.l2.invalidation) {
      // Invalidations may have been missed while not subscribed: L1 starts over.
      subscriber_.Start(
          l2_.get(), options_.l2.channel, options_.l2.retry_interval_ms,
          [this](const std::string& m) { OnInvalidation(m); }, [this] { l1_.Clear(); });
    }
    return Status::OK();
  }

  ClassState* Register(const CachePolicy& p) {
    std::unique_lock lock(classes_mu_);
    auto it = class_index_.find(p.data_class);
    if (it != class_index_.end()) return classes_[it->second].get();
    if (classes_.size() >= kMaxClasses) return nullptr;
    auto cs = std::make_unique<ClassState>();
    cs->id = static_cast<uint32_t>(classes_.size());
    cs->policy = p;
    class_index_.emplace(p.data_class, cs->id);
    classes_.push_back(std::move(cs));
    return classes_.back().get();
  }

  ClassState* ClassOf(std::string_view name) {
    {
      std::shared_lock lock(classes_mu_);
      auto it = class_index_.find(name);
      if (it != class_index_.end()) return classes_[it->second].get();
    }
    CachePolicy p = options_.default_policy;
    p.data_class = std::string(name);
    ClassState* cs = Register(p);
    return cs ? cs : classes_[0].get();
  }

  std::string L2Key(const ClassState& cs, std::string_view key) const {
    std::string k = options_.l2.key_prefix;
    k += cs.policy.data_class;
    k += ':';
    k += key;
    return k;
  }

  // ---- L2 health ---------------------------------------------------------------------

  // True when L2 may be used now; while down, one caller per retry interval probes it.
  bool L2Usable() {
    if (!l2_ || closed_.load()) return false;
    if (l2_up_.load(std::memory_order_acquire)) return true;
    int64_t now = NowNs();
    int64_t at = l2_retry_at_.load();
    if (now < at || !l2_retry_at_.compare_exchange_strong(at, now + RetryNs())) return false;
    if (!l2_->Ping().ok()) return false;
    RepairAfterOutage();
    l2_up_.store(true, std::memory_order_release);
    Warn("cache L2 (" + std::string(l2_->mode()) + ") is reachable again; L2 caching resumed");
    return true;
  }

  void OnL2Error(ClassState* cs, const Status& st) {
    if (cs) cs->l2.errors.fetch_add(1, std::memory_order_relaxed);
    l2_retry_at_.store(NowNs() + RetryNs());
    if (l2_up_.exchange(false)) {
      outages_.fetch_add(1);
      Warn("cache L2 (" + std::string(l2_->mode()) + ") unavailable, serving from L1 and the stores until it " +
           "returns: " + st.ToString());
    }
  }

  int64_t RetryNs() const { return std::max<int64_t>(options_.l2.retry_interval_ms, 1) * 1'000'000; }

  // Keys written while L2 was down may hold older values in L2: delete them and tell
  // other processes, before L2 is used again.
  void RepairAfterOutage() {
    std::vector<std::string> keys;
    std::vector<std::string> messages;
    {
      std::lock_guard lock(dirty_mu_);
      keys.assign(dirty_.begin(), dirty_.end());
      messages.swap(dirty_messages_);
      dirty_.clear();
    }
    for (const auto& k : keys) (void)l2_->Del(k);
    for (const auto& m : messages) (void)l2_->Publish(options_.l2.channel, m);
  }

  void MarkDirty(std::string l2_key, std::string message) {
    std::lock_guard lock(dirty_mu_);
    if (dirty_.size() < 1'000'000) {
      dirty_.insert(std::move(l2_key));
      if (!message.empty()) dirty_messages_.push_back(std::move(message));
    }
  }

  void L2Set(ClassState* cs, std::string_view key, const CachedValue& v) {
    if (!L2Usable()) {
      if (l2_) MarkDirty(L2Key(*cs, key), "");
      return;
    }
    Status st = l2_->Set(L2Key(*cs, key), v.bytes, cs->policy.ttl_ms);
    if (st.ok()) {
      cs->l2.puts.fetch_add(1, std::memory_order_relaxed);
    } else {
      OnL2Error(cs, st);
      MarkDirty(L2Key(*cs, key), "");
    }
  }

  // ---- reads -------------------------------------------------------------------------

  std::shared_ptr<const CachedValue> Lookup(ClassState* cs, std::string_view key, const Decoder& decode) {
    const bool sample = SampleLatency();
    int64_t t0 = sample ? NowNs() : 0;
    LruCache::Counters c;
    auto v = l1_.Get(cs->id, key, CoarseNowNs(), &c);
    int64_t t1 = 0;
    if (sample) {
      t1 = NowNs();
      cs->l1.latency.Record(t1 - t0);
    }
    if (c.expired) cs->l1.evictions.fetch_add(c.expired, std::memory_order_relaxed);
    if (v) {
      cs->l1.hits.fetch_add(1, std::memory_order_relaxed);
      return v;
    }
    cs->l1.misses.fetch_add(1, std::memory_order_relaxed);
    if (!L2Usable()) return nullptr;
    t1 = NowNs();
    auto r = l2_->Get(L2Key(*cs, key));
    int64_t t2 = NowNs();
    if (!r.ok()) {
      OnL2Error(cs, r.status());
      return nullptr;
    }
    cs->l2.latency.Record(t2 - t1);
    if (!r->has_value()) {
      cs->l2.misses.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    auto value = std::make_shared<CachedValue>();
    value->bytes = std::move(**r);
    if (decode) {
      auto obj = decode(value->bytes);
      if (!obj.ok()) {  // an undecodable L2 entry is a miss; the loader replaces it
        cs->l2.errors.fetch_add(1, std::memory_order_relaxed);
        cs->l2.misses.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
      }
      value->object = std::move(*obj);
    }
    cs->l2.hits.fetch_add(1, std::memory_order_relaxed);
    PutL1(cs, key, value);
    return value;
  }

  void PutL1(ClassState* cs, std::string_view key, std::shared_ptr<const CachedValue> v) {
    if (l1_.capacity_bytes() <= 0) return;
    LruCache::Counters c;
    l1_.Put(cs->id, key, std::move(v), CoarseNowNs() + cs->policy.ttl_ms * 1'000'000, &c);
    cs->l1.puts.fetch_add(1, std::memory_order_relaxed);
    if (c.evicted) cs->l1.evictions.fetch_add(c.evicted, std::memory_order_relaxed);
  }

  Result<std::shared_ptr<const CachedValue>> Get(std::string_view data_class, std::string_view key,
                                                 const Loader& loader, const Decoder& decode) {
    ClassState* cs = ClassOf(data_class);
    if (cs->policy.strategy != CacheStrategy::kNone) {
      if (auto v = Lookup(cs, key, decode)) return v;
    }
    int64_t t0 = NowNs();
    auto r = loader();
    cs->load_latency.Record(NowNs() - t0);
    cs->loads.fetch_add(1, std::memory_order_relaxed);
    if (!r.ok() || cs->policy.strategy == CacheStrategy::kNone || !*r) return r;
    PutL1(cs, key, *r);
    if (l2_) L2Set(cs, key, **r);
    return r;
  }

  std::shared_ptr<const CachedValue> Peek(std::string_view data_class, std::string_view key, const Decoder& decode) {
    ClassState* cs = ClassOf(data_class);
    if (cs->policy.strategy == CacheStrategy::kNone) return nullptr;
    return Lookup(cs, key, decode);
  }

  // ---- writes ------------------------------------------------------------------------

  void Publish(ClassState* cs, std::string_view key) {
    if (!l2_ || !options_.l2.invalidation) return;
    std::string msg = cache_internal::EncodeInvalidation(origin_, cs->policy.data_class, key);
    if (!L2Usable()) {
      MarkDirty(L2Key(*cs, key), std::move(msg));
      return;
    }
    Status st = l2_->Publish(options_.l2.channel, msg);
    if (!st.ok()) {
      OnL2Error(cs, st);
      MarkDirty(L2Key(*cs, key), std::move(msg));
    }
  }

  void InvalidateClass(ClassState* cs, std::string_view key, bool publish) {
    l1_.Erase(cs->id, key);
    cs->invalidations.fetch_add(1, std::memory_order_relaxed);
    if (!l2_) return;
    if (L2Usable()) {
      Status st = l2_->Del(L2Key(*cs, key));
      if (!st.ok()) {
        OnL2Error(cs, st);
        MarkDirty(L2Key(*cs, key), "");
      }
    } else {
      MarkDirty(L2Key(*cs, key), "");
    }
    if (publish) Publish(cs, key);
  }

  Status Write(std::string_view data_class, std::string_view key, std::shared_ptr<const CachedValue> value,
               const StoreWrite& write) {
    ClassState* cs = ClassOf(data_class);
    switch (cs->policy.strategy) {
      case CacheStrategy::kNone:
        return write();
      case CacheStrategy::kReadThrough: {
        Status st = write();
        InvalidateClass(cs, key, true);  // also after a failure: the store may have changed
        return st;
      }
      case CacheStrategy::kWriteThrough: {
        Status st = write();
        if (!st.ok() || !value) {
          InvalidateClass(cs, key, true);
          return st;
        }
        PutL1(cs, key, value);
        if (l2_) L2Set(cs, key, *value);
        Publish(cs, key);
        return Status::OK();
      }
      case CacheStrategy::kWriteBehind: {
        if (!value)
          return Status::InvalidArgument("write-behind class '" + cs->policy.data_class +
                                         "' needs the key's new value");
        PutL1(cs, key, value);
        if (l2_) L2Set(cs, key, *value);
        Publish(cs, key);
        return write_behind_.Enqueue(
            {write, [this, cs, key = std::string(key)](const Status& st) {
               // The cached value was never stored: drop it so readers see the store again.
               InvalidateClass(cs, key, true);
               Warn("write-behind store write of " + cs->policy.data_class + "/" + key + " failed: " + st.ToString());
             }});
      }
    }
    return write();
  }

  Status Flush() { return write_behind_.Flush(); }

  Status Close() {
    if (closed_.exchange(true)) return Status::OK();
    Status st = write_behind_.Stop();
    subscriber_.Stop();
    l2_.reset();
    return st;
  }

  // ---- invalidation subscriber -------------------------------------------------------

  void OnInvalidation(const std::string& m) {
    cache_internal::Invalidation inv;
    if (!cache_internal::DecodeInvalidation(m, &inv) || inv.origin == origin_) return;
    ClassState* cs = ClassOf(inv.data_class);
    if (l1_.Erase(cs->id, inv.key)) cs->invalidations.fetch_add(1);
    received_.fetch_add(1);
  }

  // ---- stats -------------------------------------------------------------------------

  CacheStats Stats() {
    CacheStats s;
    {
      std::shared_lock lock(classes_mu_);
      s = cache_internal::CollectClassStats(classes_);
    }
    s.l1_entries = l1_.entries();
    s.l1_bytes = l1_.bytes();
    s.l2_mode = l2_ ? std::string(l2_->mode()) : "none";
    s.l2_connected = l2_ && l2_up_.load();
    s.l2_outages = outages_.load();
    s.write_behind_pending = write_behind_.pending();
    s.write_behind_failures = write_behind_.failures();
    return s;
  }

  CachePolicy PolicyOf(std::string_view data_class) { return ClassOf(data_class)->policy; }

  void Warn(const std::string& msg) {
    if (options_.on_warning) {
      options_.on_warning(msg);
    } else {
      std::fprintf(stderr, "systore: warning: %s\n", msg.c_str());
    }
  }

  void ClearL1() { l1_.Clear(); }

  CacheOptions options_;
  LruCache l1_;
  std::unique_ptr<L2Backend> l2_;
  std::string origin_;

  mutable std::shared_mutex classes_mu_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> class_index_;
  std::vector<std::unique_ptr<ClassState>> classes_;

  std::atomic<bool> l2_up_{true};
  std::atomic<int64_t> l2_retry_at_{0};
  std::atomic<int64_t> outages_{0};
  std::atomic<int64_t> received_{0};
  std::mutex dirty_mu_;
  std::unordered_set<std::string> dirty_;
  std::vector<std::string> dirty_messages_;

  cache_internal::WriteBehindQueue write_behind_;
  cache_internal::InvalidationSubscriber subscriber_;

  std::atomic<bool> closed_{false};
};

Result<std::unique_ptr<Cache>> Cache::Open(const CacheOptions& options) {
  if (options.l2.mode != "none" && options.l2.mode != "redis" && options.l2.mode != "cluster" &&
      !options.l2.mode.empty()) {
    return Status::InvalidArgument("cache.l2.mode must be none, redis or cluster, not '" + options.l2.mode + "'");
  }
  CacheOptions o = options;
  if (o.default_policy.data_class.empty()) o.default_policy.data_class = "default";
  auto impl = std::make_unique<Impl>(o);
  (void)impl->Register(o.default_policy);
  SYSTORE_RETURN_NOT_OK(impl->Init());
  return std::unique_ptr<Cache>(new Cache(std::move(impl)));
}

Cache::Cache(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cache::~Cache() { (void)Close(); }

Result<std::shared_ptr<const CachedValue>> Cache::Get(std::string_view data_class, std::string_view key,
                                                      const Loader& loader, const Decoder& decode) {
  return impl_->Get(data_class, key, loader, decode);
}
std::shared_ptr<const CachedValue> Cache::Peek(std::string_view data_class, std::string_view key,
                                               const Decoder& decode) {
  return impl_->Peek(data_class, key, decode);
}
Status Cache::Write(std::string_view data_class, std::string_view key, std::shared_ptr<const CachedValue> value,
                    const StoreWrite& write) {
  return impl_->Write(data_class, key, std::move(value), write);
}
void Cache::Invalidate(std::string_view data_class, std::string_view key) {
  impl_->InvalidateClass(impl_->ClassOf(data_class), key, true);
}
void Cache::ClearL1() { impl_->ClearL1(); }
Status Cache::Flush() { return impl_->Flush(); }
Status Cache::Close() { return impl_->Close(); }
CacheStats Cache::Stats() const { return impl_->Stats(); }
CachePolicy Cache::PolicyOf(std::string_view data_class) const { return impl_->PolicyOf(data_class); }

namespace {
nlohmann::json LevelJson(const CacheLevelStats& l) {
  return {{"hits", l.hits},           {"misses", l.misses}, {"hit_rate", l.hit_rate()}, {"puts", l.puts},
          {"evictions", l.evictions}, {"errors", l.errors}, {"p50_ns", l.p50_ns},       {"p99_ns", l.p99_ns}};
}
nlohmann::json ClassJson(const CacheClassStats& c) {
  return {{"data_class", c.data_class}, {"l1", LevelJson(c.l1)},        {"l2", LevelJson(c.l2)},
          {"loads", c.loads},           {"load_p99_ns", c.load_p99_ns}, {"invalidations", c.invalidations}};
}
}  // namespace

std::string Cache::StatsToJson(const CacheStats& s) {
  nlohmann::json j;
  j["total"] = ClassJson(s.total);
  j["classes"] = nlohmann::json::array();
  for (const auto& c : s.classes) {
    if (c.l1.hits + c.l1.misses + c.loads + c.invalidations + c.l2.errors == 0) continue;
    j["classes"].push_back(ClassJson(c));
  }
  j["l1_entries"] = s.l1_entries;
  j["l1_bytes"] = s.l1_bytes;
  j["l2_mode"] = s.l2_mode;
  j["l2_connected"] = s.l2_connected;
  j["l2_outages"] = s.l2_outages;
  j["write_behind_pending"] = s.write_behind_pending;
  j["write_behind_failures"] = s.write_behind_failures;
  return j.dump(2);
}

}  // namespace systore
