// DataBlob: the registry of data classes over lazily opened, health-checked stores, with
// the two-level cache in front (include/systore/data_blob.h).
#include "systore/data_blob.h"

#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/util/byte_size.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "blob/blob_config.h"
#include "core/arrow_status_internal.h"
#include "reference/csv_io.h"
#include "systore/operational_store.h"
#include "systore/reference_store.h"

namespace systore {

using blob_internal::BlobConfig;
using blob_internal::StoreConfig;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Redact(const std::string& uri) {
  // postgresql://user:secret@host -> postgresql://user:***@host
  size_t scheme = uri.find("://");
  size_t at = uri.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return uri;
  size_t colon = uri.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return uri;
  return uri.substr(0, colon + 1) + "***" + uri.substr(at);
}

Result<std::string> EncodeTable(const arrow::Table& t) {
  auto sink = arrow::io::BufferOutputStream::Create();
  if (!sink.ok()) return FromArrow(sink.status(), "encode");
  auto w = arrow::ipc::MakeStreamWriter(*sink, t.schema());
  if (!w.ok()) return FromArrow(w.status(), "encode");
  SYSTORE_RETURN_NOT_OK(FromArrow((*w)->WriteTable(t), "encode"));
  SYSTORE_RETURN_NOT_OK(FromArrow((*w)->Close(), "encode"));
  auto buf = (*sink)->Finish();
  if (!buf.ok()) return FromArrow(buf.status(), "encode");
  return (*buf)->ToString();
}

Result<std::shared_ptr<const void>> DecodeTable(const std::string& bytes) {
  auto in = std::make_shared<arrow::io::BufferReader>(arrow::Buffer::FromString(bytes));
  auto r = arrow::ipc::RecordBatchStreamReader::Open(in);
  if (!r.ok()) return FromArrow(r.status(), "decode cached series");
  auto t = (*r)->ToTable();
  if (!t.ok()) return FromArrow(t.status(), "decode cached series");
  return std::shared_ptr<const void>(std::static_pointer_cast<arrow::Table>(*t));
}

Result<std::shared_ptr<const void>> DecodeReferenceTable(const std::string& name, const std::string& bytes) {
  // bytes: "<key_columns>\n" + canonical CSV
  size_t nl = bytes.find('\n');
  if (nl == std::string::npos) return Status::Corruption("cached reference table " + name);
  int key_columns = std::atoi(bytes.substr(0, nl).c_str());
  SYSTORE_ASSIGN_OR_RAISE(auto csv,
                          reference_internal::ParseCsv(std::string_view(bytes).substr(nl + 1), "cache:" + name));
  SYSTORE_ASSIGN_OR_RAISE(auto t, ReferenceTable::Make(name, std::move(csv.columns), std::move(csv.rows), key_columns));
  return std::shared_ptr<const void>(t);
}

}  // namespace

class DataBlob::Impl {
 public:
  struct Slot {
    StoreConfig config;
    std::mutex mu;
    std::unique_ptr<TimeSeriesStore> ts;
    std::unique_ptr<OperationalStore> ops;
    std::unique_ptr<ReferenceStore> ref;
    bool healthy = true;
    int64_t checked_at_ms = -1;
    std::string error;
    bool opened() const { return ts || ops || ref; }
  };

  DataBlobOptions options_;
  BlobConfig config_;
  std::map<std::string, std::unique_ptr<Slot>> slots_;
  std::unique_ptr<Cache> cache_;
  std::mutex failover_mu_;
  std::map<std::string, bool> on_secondary_;  // class -> reads currently on its secondary
  std::mutex close_mu_;
  bool closed_ = false;

  void Warn(const std::string& m) {
    if (options_.on_warning) {
      options_.on_warning(m);
    } else {
      std::fprintf(stderr, "systore: warning: %s\n", m.c_str());
    }
  }

  Result<const DataClassInfo*> Find(std::string_view name) const {
    auto it = config_.classes.find(AttributeNameOf(name));
    if (it == config_.classes.end()) {
      std::string known;
      for (const auto& [a, d] : config_.classes) known += (known.empty() ? "" : ", ") + a;
      return Status::NotFound("unknown data class '" + std::string(name) + "' (known: " + known + ")");
    }
    return &it->second;
  }

  // Opens the store behind a slot if needed. Caller holds slot.mu.
  Status EnsureOpen(Slot& s) {
    if (closed_) return Status::Unavailable("DataBlob is closed");
    if (s.opened()) return Status::OK();
    const auto& c = s.config;
    switch (c.kind) {
      case StoreKind::kTimeSeries: {
        TimeSeriesStoreOptions o;
        o.root = c.root;
        SYSTORE_ASSIGN_OR_RAISE(s.ts, TimeSeriesStore::Open(o));
        break;
      }
      case StoreKind::kOperational: {
        OperationalStoreOptions o;
        o.uri = c.uri;
        o.max_connections = c.pool_size;
        if (!options_.actor.empty()) o.actor = options_.actor;
        if (c.uri.rfind("sqlite://", 0) == 0) {
          std::error_code ec;
          std::filesystem::create_directories(std::filesystem::path(c.uri.substr(9)).parent_path(), ec);
        }
        SYSTORE_ASSIGN_OR_RAISE(s.ops, OperationalStore::Open(o));
        break;
      }
      case StoreKind::kReference: {
        ReferenceStoreOptions o;
        o.root = c.root;
        SYSTORE_ASSIGN_OR_RAISE(s.ref, ReferenceStore::Open(o));
        break;
      }
    }
    return Status::OK();
  }

  Result<Slot*> OpenSlot(const std::string& store) {
    Slot& s = *slots_.at(store);
    std::lock_guard lock(s.mu);
    Status st = EnsureOpen(s);
    if (!st.ok()) return st.WithContext("store '" + store + "' (" + std::string(StoreKindName(s.config.kind)) + ")");
    return &s;
  }

  // A cheap check that the backend answers. Caller holds s.mu.
  Status Probe(Slot& s) {
    SYSTORE_RETURN_NOT_OK(EnsureOpen(s));
    switch (s.config.kind) {
      case StoreKind::kTimeSeries:
        if (!std::filesystem::is_directory(s.config.root))
          return Status::IOError(s.config.root + " is not a directory");
        return s.ts->ListDatasets().status();
      case StoreKind::kOperational:
        return s.ops->Processes().status();
      case StoreKind::kReference:
        if (!std::filesystem::is_directory(s.config.root + "/reference")) {
          return Status::IOError(s.config.root + "/reference is not a directory");
        }
        return s.ref->Refresh();
    }
    return Status::OK();
  }

  bool Healthy(Slot& s, bool force = false) {
    std::lock_guard lock(s.mu);
    int64_t now = NowMs();
    if (!force && s.checked_at_ms >= 0 && now - s.checked_at_ms < config_.health_interval_ms) return s.healthy;
    Status st = Probe(s);
    s.checked_at_ms = now;
    s.healthy = st.ok();
    s.error = st.ok() ? "" : st.ToString();
    return s.healthy;
  }

  // The slot reads of `d` should use now.
  Result<Slot*> ReadSlot(const DataClassInfo& d) {
    Slot& primary = *slots_.at(d.store);
    if (d.secondary.empty()) return OpenSlot(d.store);
    bool ok = Healthy(primary);
    std::lock_guard lock(failover_mu_);
    bool& on_secondary = on_secondary_[d.attribute];
    if (ok) {
      if (on_secondary)
        Warn("data class " + d.attribute + ": primary store '" + d.store + "' is healthy again; reads are back on it");
      on_secondary = false;
      return OpenSlot(d.store);
    }
    if (!on_secondary) {
      std::string err;
      {
        std::lock_guard l(primary.mu);
        err = primary.error;
      }
      Warn("data class " + d.attribute + ": primary store '" + d.store + "' failed its health check (" + err +
           "); reads go to secondary '" + d.secondary + "', writes still to the primary");
    }
    on_secondary = true;
    return OpenSlot(d.secondary);
  }

  // The named store `name`, opened, checked to be of `kind`.
  Result<Slot*> NamedSlot(std::string_view name, StoreKind kind) {
    auto it = slots_.find(std::string(name));
    if (it == slots_.end()) {
      std::string known;
      for (const auto& [n, s] : slots_) known += (known.empty() ? "" : ", ") + n;
      return Status::NotFound("no store named '" + std::string(name) + "' in the configuration (stores: " + known +
                              ")");
    }
    if (it->second->config.kind != kind) {
      return Status::InvalidArgument("store '" + std::string(name) + "' is a " +
                                     std::string(StoreKindName(it->second->config.kind)) + " store, not " +
                                     std::string(StoreKindName(kind)));
    }
    return OpenSlot(it->first);
  }

  Result<const DataClassInfo*> FindKind(std::string_view name, StoreKind kind) {
    SYSTORE_ASSIGN_OR_RAISE(const DataClassInfo* d, Find(name));
    if (d->kind != kind) {
      return Status::InvalidArgument("data class " + d->attribute + " is a " + std::string(StoreKindName(d->kind)) +
                                     " class, not " + std::string(StoreKindName(kind)));
    }
    return d;
  }

  std::shared_ptr<const CachedValue> SeriesValue(std::shared_ptr<arrow::Table> t) {
    auto v = std::make_shared<CachedValue>();
    if (config_.cache.l2.mode != "none") {
      auto bytes = EncodeTable(*t);
      if (bytes.ok()) v->bytes = std::move(*bytes);
    }
    v->charge = arrow::util::TotalBufferSize(*t) + static_cast<int64_t>(v->bytes.size());
    v->object = std::move(t);
    return v;
  }
};

Result<std::unique_ptr<DataBlob>> DataBlob::Open(const DataBlobOptions& options) {
  if (options.root.empty()) return Status::InvalidArgument("DataBlob: empty store root");
  auto impl = std::make_unique<Impl>();
  impl->options_ = options;
  std::string root = std::filesystem::absolute(options.root).lexically_normal().string();
  if (root.size() > 1 && root.back() == '/') root.pop_back();
  std::string text = options.config_text;
  std::string source = "config text";
  if (text.empty()) {
    source = options.config_path.empty() ? root + "/systore.yaml" : options.config_path;
    std::ifstream in(source);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    } else if (!options.config_path.empty()) {
      return Status::NotFound("configuration file " + source + " not found");
    }
  }
  SYSTORE_ASSIGN_OR_RAISE(impl->config_, blob_internal::LoadBlobConfig(root, text, source));
  for (const auto& [name, s] : impl->config_.stores) {
    auto slot = std::make_unique<Impl::Slot>();
    slot->config = s;
    impl->slots_[name] = std::move(slot);
  }
  CacheOptions co = impl->config_.cache;
  co.on_warning = options.on_warning;
  SYSTORE_ASSIGN_OR_RAISE(impl->cache_, Cache::Open(co));
  return std::unique_ptr<DataBlob>(new DataBlob(std::move(impl)));
}

DataBlob::DataBlob(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataBlob::~DataBlob() { (void)CloseAll(); }

std::vector<DataClassInfo> DataBlob::ListClasses() const {
  std::vector<DataClassInfo> out;
  for (const auto& [a, d] : impl_->config_.classes) out.push_back(d);
  return out;
}

Result<DataClassInfo> DataBlob::Describe(std::string_view name) const {
  SYSTORE_ASSIGN_OR_RAISE(const DataClassInfo* d, impl_->Find(name));
  return *d;
}

Result<TimeSeriesStore*> DataBlob::TimeSeries(std::string_view name) {
  SYSTORE_ASSIGN_OR_RAISE(auto d, impl_->FindKind(name, StoreKind::kTimeSeries));
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->OpenSlot(d->store));
  return s->ts.get();
}
Result<OperationalStore*> DataBlob::Operational(std::string_view name) {
  SYSTORE_ASSIGN_OR_RAISE(auto d, impl_->FindKind(name, StoreKind::kOperational));
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->OpenSlot(d->store));
  return s->ops.get();
}
Result<ReferenceStore*> DataBlob::Reference(std::string_view name) {
  SYSTORE_ASSIGN_OR_RAISE(auto d, impl_->FindKind(name, StoreKind::kReference));
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->OpenSlot(d->store));
  return s->ref.get();
}
Result<TimeSeriesStore*> DataBlob::TimeSeriesForRead(std::string_view name) {
  SYSTORE_ASSIGN_OR_RAISE(auto d, impl_->FindKind(name, StoreKind::kTimeSeries));
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->ReadSlot(*d));
  return s->ts.get();
}
Result<OperationalStore*> DataBlob::OperationalForRead(std::string_view name) {
  SYSTORE_ASSIGN_OR_RAISE(auto d, impl_->FindKind(name, StoreKind::kOperational));
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->ReadSlot(*d));
  return s->ops.get();
}
Result<ReferenceStore*> DataBlob::ReferenceForRead(std::string_view name) {
  SYSTORE_ASSIGN_OR_RAISE(auto d, impl_->FindKind(name, StoreKind::kReference));
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->ReadSlot(*d));
  return s->ref.get();
}

Result<TimeSeriesStore*> DataBlob::TimeSeriesStoreNamed(std::string_view store) {
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->NamedSlot(store, StoreKind::kTimeSeries));
  return s->ts.get();
}
Result<OperationalStore*> DataBlob::OperationalStoreNamed(std::string_view store) {
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->NamedSlot(store, StoreKind::kOperational));
  return s->ops.get();
}
Result<ReferenceStore*> DataBlob::ReferenceStoreNamed(std::string_view store) {
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->NamedSlot(store, StoreKind::kReference));
  return s->ref.get();
}

Result<std::shared_ptr<arrow::Table>> DataBlob::ReadSeries(std::string_view name, const std::string& key) {
  SYSTORE_ASSIGN_OR_RAISE(auto d, impl_->FindKind(name, StoreKind::kTimeSeries));
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> {
    SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->ReadSlot(*d));
    SYSTORE_ASSIGN_OR_RAISE(auto t, s->ts->Read(d->location, key));
    return impl_->SeriesValue(std::move(t));
  };
  SYSTORE_ASSIGN_OR_RAISE(auto v, impl_->cache_->Get(d->attribute, key, loader, DecodeTable));
  return std::const_pointer_cast<arrow::Table>(std::static_pointer_cast<const arrow::Table>(v->object));
}

Result<WriteResult> DataBlob::WriteSeries(std::string_view name, const std::string& key,
                                          std::shared_ptr<arrow::Table> data) {
  SYSTORE_ASSIGN_OR_RAISE(auto d, impl_->FindKind(name, StoreKind::kTimeSeries));
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->OpenSlot(d->store));
  WriteResult result;
  auto value = d->cache.strategy == CacheStrategy::kWriteThrough || d->cache.strategy == CacheStrategy::kWriteBehind
                   ? impl_->SeriesValue(data)
                   : nullptr;
  TimeSeriesStore* ts = s->ts.get();
  std::string dataset = d->location;
  Status st = impl_->cache_->Write(d->attribute, key, value, [ts, dataset, key, data, &result, d]() -> Status {
    auto r = ts->Write(dataset, key, data);
    if (!r.ok()) return r.status();
    if (d->cache.strategy != CacheStrategy::kWriteBehind) result = *r;  // `result` is gone by then
    return Status::OK();
  });
  SYSTORE_RETURN_NOT_OK(st);
  return result;
}

Result<WriteResult> DataBlob::AppendSeries(std::string_view name, const std::string& key,
                                           std::shared_ptr<arrow::Table> data) {
  SYSTORE_ASSIGN_OR_RAISE(auto d, impl_->FindKind(name, StoreKind::kTimeSeries));
  SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->OpenSlot(d->store));
  auto r = s->ts->Append(d->location, key, data);
  if (!r.ok()) {
    impl_->cache_->Invalidate(d->attribute, key);
    return r;
  }
  if (d->cache.strategy == CacheStrategy::kWriteThrough) {
    auto full = s->ts->Read(d->location, key);
    if (full.ok()) {
      (void)impl_->cache_->Write(d->attribute, key, impl_->SeriesValue(*full), [] { return Status::OK(); });
      return r;
    }
  }
  impl_->cache_->Invalidate(d->attribute, key);
  return r;
}

Result<std::shared_ptr<const ReferenceTable>> DataBlob::ReadReferenceTable(std::string_view name) {
  SYSTORE_ASSIGN_OR_RAISE(auto d, impl_->FindKind(name, StoreKind::kReference));
  const std::string table = d->location;
  auto loader = [&]() -> Result<std::shared_ptr<const CachedValue>> {
    SYSTORE_ASSIGN_OR_RAISE(auto s, impl_->ReadSlot(*d));
    SYSTORE_ASSIGN_OR_RAISE(auto t, s->ref->GetTable(table));
    auto v = std::make_shared<CachedValue>();
    if (impl_->config_.cache.l2.mode != "none") v->bytes = std::to_string(t->key_columns()) + "\n" + t->ToCsv();
    v->charge = static_cast<int64_t>(v->bytes.size()) + 64 * static_cast<int64_t>(t->num_rows() * t->columns().size());
    v->object = t;
    return std::shared_ptr<const CachedValue>(std::move(v));
  };
  auto decode = [&](const std::string& b) { return DecodeReferenceTable(table, b); };
  SYSTORE_ASSIGN_OR_RAISE(auto v, impl_->cache_->Get(d->attribute, table, loader, decode));
  return std::static_pointer_cast<const ReferenceTable>(v->object);
}

std::vector<StoreHealth> DataBlob::CheckHealth(bool open) {
  std::vector<StoreHealth> out;
  for (auto& [name, slot] : impl_->slots_) {
    StoreHealth h;
    h.store = name;
    h.kind = slot->config.kind;
    h.backend = blob_internal::BackendOf(slot->config);
    h.location = slot->config.kind == StoreKind::kOperational ? Redact(slot->config.uri) : slot->config.root;
    bool was_open;
    {
      std::lock_guard l(slot->mu);
      was_open = slot->opened();
    }
    if (was_open || open) {
      h.healthy = impl_->Healthy(*slot, /*force=*/true);
      std::lock_guard l(slot->mu);
      h.error = slot->error;
      h.opened = slot->opened();
    } else {
      h.healthy = true;  // not opened yet: nothing known against it
    }
    out.push_back(std::move(h));
  }
  return out;
}

Cache& DataBlob::cache() { return *impl_->cache_; }

Status DataBlob::SaveCacheStats() {
  std::string dir = impl_->config_.stores.at("timeseries").root + "/cache/stats";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  std::string path = dir + "/" + std::to_string(::getpid()) + ".json";
  std::ofstream out(path + ".tmp");
  out << Cache::StatsToJson(impl_->cache_->Stats());
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  std::filesystem::rename(path + ".tmp", path, ec);
  if (ec) return Status::IOError("cannot rename " + path + ": " + ec.message());
  return Status::OK();
}

Status DataBlob::CloseAll() {
  std::lock_guard lock(impl_->close_mu_);
  if (impl_->closed_) return Status::OK();
  Status first = impl_->cache_->Close();
  bool used = false;
  for (const auto& c : impl_->cache_->Stats().classes) used |= c.l1.hits + c.l1.misses + c.loads > 0;
  if (used) {
    Status st = SaveCacheStats();
    if (first.ok()) first = st;
  }
  for (auto& [name, slot] : impl_->slots_) {
    std::lock_guard l(slot->mu);
    slot->ts.reset();
    slot->ops.reset();
    slot->ref.reset();
  }
  impl_->closed_ = true;
  return first;
}

std::string DataBlob::EffectiveConfig() const { return blob_internal::ToYaml(impl_->config_); }

}  // namespace systore
