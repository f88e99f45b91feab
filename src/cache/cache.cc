// The two-level cache: L1 (lru_cache.h) in front of an optional L2 (l2_internal.h),
// policies per data class, write-behind queue, pub/sub invalidation, degraded mode.
#include "systore/cache.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "cache/l2_internal.h"
#include "cache/latency_histogram.h"
#include "cache/lru_cache.h"

namespace systore {

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

struct LevelCounters {
  std::atomic<int64_t> hits{0}, misses{0}, puts{0}, evictions{0}, errors{0};
  LatencyHistogram latency;
  CacheLevelStats Snapshot() const {
    CacheLevelStats s;
    s.hits = hits.load(std::memory_order_relaxed);
    s.misses = misses.load(std::memory_order_relaxed);
    s.puts = puts.load(std::memory_order_relaxed);
    s.evictions = evictions.load(std::memory_order_relaxed);
    s.errors = errors.load(std::memory_order_relaxed);
    s.p50_ns = latency.Quantile(0.50);
    s.p99_ns = latency.Quantile(0.99);
    return s;
  }
};

struct ClassState {
  uint32_t id = 0;
  CachePolicy policy;
  LevelCounters l1, l2;
  std::atomic<int64_t> loads{0}, invalidations{0};
  LatencyHistogram load_latency;
};

constexpr size_t kMaxClasses = 4096;

}  // namespace

class Cache::Impl {
 public:
  explicit Impl(const CacheOptions& o) : options_(o), l1_(o.l1.capacity_bytes, o.l1.shards) {
    classes_.reserve(kMaxClasses);
    for (const auto& p : o.classes) (void)Register(p);
    std::random_device rd;
    origin_ = std::to_string(::getpid()) + "-" + std::to_string(rd());
  }

  ~Impl() { (void)Close(); }

  Status Init() {
    if (options_.l2.mode == "none" || options_.l2.mode.empty()) return Status::OK();
    SYSTORE_ASSIGN_OR_RAISE(l2_, cache_internal::MakeL2Backend(options_.l2));
    if (options_.l2.invalidation) subscriber_ = std::thread([this] { SubscriberLoop(); });
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

  std::string InvalidationMessage(const ClassState& cs, std::string_view key) const {
    std::string m = origin_;
    m += '\n';
    m += cs.policy.data_class;
    m += '\n';
    m += key;
    return m;
  }

  void Publish(ClassState* cs, std::string_view key) {
    if (!l2_ || !options_.l2.invalidation) return;
    std::string msg = InvalidationMessage(*cs, key);
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
        return Enqueue(cs, std::string(key), write);
      }
    }
    return write();
  }

  // ---- write-behind ------------------------------------------------------------------

  struct Task {
    ClassState* cs;
    std::string key;
    StoreWrite write;
  };

  Status Enqueue(ClassState* cs, std::string key, const StoreWrite& write) {
    std::unique_lock lock(wb_mu_);
    if (wb_stopping_) {
      lock.unlock();
      return write();  // closing: write synchronously
    }
    if (!wb_thread_.joinable()) wb_thread_ = std::thread([this] { WriteBehindLoop(); });
    wb_space_.wait(lock,
                   [&] { return wb_queue_.size() < static_cast<size_t>(std::max(options_.write_behind_queue, 1)); });
    wb_queue_.push_back(Task{cs, std::move(key), write});
    wb_work_.notify_one();
    return Status::OK();
  }

  void WriteBehindLoop() {
    std::unique_lock lock(wb_mu_);
    for (;;) {
      wb_work_.wait(lock, [&] { return wb_stopping_ || !wb_queue_.empty(); });
      if (wb_queue_.empty()) return;  // stopping and drained
      Task t = std::move(wb_queue_.front());
      wb_queue_.pop_front();
      ++wb_in_flight_;
      wb_space_.notify_all();
      lock.unlock();
      Status st = t.write();
      lock.lock();
      --wb_in_flight_;
      if (!st.ok()) {
        ++wb_failures_;
        if (wb_error_.ok()) wb_error_ = st;
        // The cached value was never stored: drop it so readers see the store again.
        lock.unlock();
        InvalidateClass(t.cs, t.key, true);
        Warn("write-behind store write of " + t.cs->policy.data_class + "/" + t.key + " failed: " + st.ToString());
        lock.lock();
      }
      if (wb_queue_.empty() && wb_in_flight_ == 0) wb_idle_.notify_all();
    }
  }

  Status Flush() {
    std::unique_lock lock(wb_mu_);
    wb_idle_.wait(lock, [&] { return wb_queue_.empty() && wb_in_flight_ == 0; });
    Status st = wb_error_;
    wb_error_ = Status::OK();
    return st;
  }

  Status Close() {
    if (closed_.exchange(true)) return Status::OK();
    Status st;
    {
      std::unique_lock lock(wb_mu_);
      wb_stopping_ = true;
      wb_work_.notify_all();
    }
    if (wb_thread_.joinable()) wb_thread_.join();
    {
      std::lock_guard lock(wb_mu_);
      st = wb_error_;
    }
    stop_.store(true);
    {
      std::lock_guard lock(stop_mu_);
      stop_cv_.notify_all();
    }
    if (subscriber_.joinable()) subscriber_.join();
    l2_.reset();
    return st;
  }

  // ---- invalidation subscriber -------------------------------------------------------

  void SubscriberLoop() {
    bool failed_before = false;
    while (!stop_.load()) {
      Status st = l2_->Subscribe(
          options_.l2.channel,
          [&] {
            // Invalidations may have been missed while we were not subscribed.
            if (failed_before) l1_.Clear();
          },
          [this](std::string m) { OnInvalidation(m); }, [this] { return stop_.load(); });
      if (stop_.load()) break;
      failed_before = true;
      (void)st;
      std::unique_lock lock(stop_mu_);
      stop_cv_.wait_for(lock, std::chrono::milliseconds(std::max(options_.l2.retry_interval_ms, 10)),
                        [&] { return stop_.load(); });
    }
  }

  void OnInvalidation(const std::string& m) {
    size_t a = m.find('\n');
    if (a == std::string::npos) return;
    size_t b = m.find('\n', a + 1);
    if (b == std::string::npos) return;
    if (std::string_view(m).substr(0, a) == origin_) return;
    ClassState* cs = ClassOf(std::string_view(m).substr(a + 1, b - a - 1));
    if (l1_.Erase(cs->id, std::string_view(m).substr(b + 1))) cs->invalidations.fetch_add(1);
    received_.fetch_add(1);
  }

  // ---- stats -------------------------------------------------------------------------

  CacheStats Stats() {
    CacheStats s;
    s.total.data_class = "*";
    LevelCounters total_l1, total_l2;
    LatencyHistogram total_load;
    {
      std::shared_lock lock(classes_mu_);
      for (const auto& cs : classes_) {
        CacheClassStats c;
        c.data_class = cs->policy.data_class;
        c.l1 = cs->l1.Snapshot();
        c.l2 = cs->l2.Snapshot();
        c.loads = cs->loads.load();
        c.load_p99_ns = cs->load_latency.Quantile(0.99);
        c.invalidations = cs->invalidations.load();
        total_l1.latency.Merge(cs->l1.latency);
        total_l2.latency.Merge(cs->l2.latency);
        total_load.Merge(cs->load_latency);
        Add(s.total.l1, c.l1);
        Add(s.total.l2, c.l2);
        s.total.loads += c.loads;
        s.total.invalidations += c.invalidations;
        s.classes.push_back(std::move(c));
      }
    }
    s.total.l1.p50_ns = total_l1.latency.Quantile(0.5);
    s.total.l1.p99_ns = total_l1.latency.Quantile(0.99);
    s.total.l2.p50_ns = total_l2.latency.Quantile(0.5);
    s.total.l2.p99_ns = total_l2.latency.Quantile(0.99);
    s.total.load_p99_ns = total_load.Quantile(0.99);
    std::sort(s.classes.begin(), s.classes.end(),
              [](const auto& a, const auto& b) { return a.data_class < b.data_class; });
    s.l1_entries = l1_.entries();
    s.l1_bytes = l1_.bytes();
    s.l2_mode = l2_ ? std::string(l2_->mode()) : "none";
    s.l2_connected = l2_ && l2_up_.load();
    s.l2_outages = outages_.load();
    {
      std::lock_guard lock(wb_mu_);
      s.write_behind_pending = static_cast<int64_t>(wb_queue_.size()) + wb_in_flight_;
      s.write_behind_failures = wb_failures_;
    }
    return s;
  }

  static void Add(CacheLevelStats& a, const CacheLevelStats& b) {
    a.hits += b.hits;
    a.misses += b.misses;
    a.puts += b.puts;
    a.evictions += b.evictions;
    a.errors += b.errors;
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

  std::mutex wb_mu_;
  std::condition_variable wb_work_, wb_space_, wb_idle_;
  std::deque<Task> wb_queue_;
  int64_t wb_in_flight_ = 0;
  int64_t wb_failures_ = 0;
  Status wb_error_;
  bool wb_stopping_ = false;
  std::thread wb_thread_;

  std::atomic<bool> closed_{false};
  std::atomic<bool> stop_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::thread subscriber_;
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
