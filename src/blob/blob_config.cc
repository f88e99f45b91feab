#include "blob/blob_config.h"

#include <yaml-cpp/yaml.h>

#include "systore/end_of_day.h"

#include <cctype>
#include <filesystem>

namespace systore {

std::string_view StoreKindName(StoreKind k) {
  switch (k) {
    case StoreKind::kTimeSeries:
      return "timeseries";
    case StoreKind::kOperational:
      return "operational";
    case StoreKind::kReference:
      return "reference";
  }
  return "?";
}

std::string AttributeNameOf(std::string_view name) {
  if (name.substr(0, 3) == "db_") return std::string(name);
  size_t i = 0;
  while (i < name.size() && std::islower(static_cast<unsigned char>(name[i]))) ++i;  // backend prefix
  std::string_view body = name.substr(i);
  if (body.size() > 4 && body.substr(body.size() - 4) == "Data") body.remove_suffix(4);
  std::string out = "db";
  for (size_t j = 0; j < body.size(); ++j) {
    char c = body[j];
    if (std::isupper(static_cast<unsigned char>(c))) {
      // A new word starts at an upper-case letter that follows a lower-case one, or that
      // precedes a lower-case one inside a run of capitals (FXPrices -> fx_prices).
      bool prev_lower = j > 0 && !std::isupper(static_cast<unsigned char>(body[j - 1]));
      bool next_lower = j + 1 < body.size() && std::islower(static_cast<unsigned char>(body[j + 1]));
      bool prev_upper = j > 0 && std::isupper(static_cast<unsigned char>(body[j - 1]));
      if (j == 0 || prev_lower || (prev_upper && next_lower)) out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      if (j == 0) out += '_';
      out += c;
    }
  }
  return out;
}

namespace blob_internal {

namespace {

struct Builtin {
  const char* attribute;
  StoreKind kind;
  const char* location;
  const char* group;  // TTL group: prices, analytics, reference, operational
};

// The built-in data classes (docs/cache-and-blob.md lists them).
const Builtin kBuiltins[] = {
    {"db_futures_contract_prices", StoreKind::kTimeSeries, "prices/contract_daily", "prices"},
    {"db_futures_contract_hourly_prices", StoreKind::kTimeSeries, "prices/contract_hourly", "prices"},
    {"db_futures_adjusted_prices", StoreKind::kTimeSeries, "prices/adjusted", "prices"},
    {"db_futures_multiple_prices", StoreKind::kTimeSeries, "prices/multiple", "prices"},
    {"db_fx_prices", StoreKind::kTimeSeries, "fx/spot", "prices"},
    {"db_volatility", StoreKind::kTimeSeries, "analytics/volatility", "analytics"},
    {"db_orders", StoreKind::kOperational, "", "operational"},
    {"db_positions", StoreKind::kOperational, "", "operational"},
    {"db_process_control", StoreKind::kOperational, "", "operational"},
    {"db_production_controls", StoreKind::kOperational, "", "operational"},
    {"db_audit_log", StoreKind::kOperational, "", "operational"},
    {"db_instruments", StoreKind::kReference, "instruments", "reference"},
    {"db_roll_parameters", StoreKind::kReference, "roll_config", "reference"},
    {"db_spread_costs", StoreKind::kReference, "spread_costs", "reference"},
    {"db_instrument_info", StoreKind::kReference, "instrument_info", "reference"},
    {"db_holidays", StoreKind::kReference, "holidays", "reference"},
    {"db_exchanges", StoreKind::kReference, "exchanges", "reference"},
    {"db_config", StoreKind::kReference, "config", "reference"},
};

Status Bad(const std::string& source, const YAML::Node& n, const std::string& what) {
  std::string where = source;
  if (n.Mark().line >= 0) where += " line " + std::to_string(n.Mark().line + 1);
  return Status::InvalidArgument(where + ": " + what);
}

Result<StoreKind> ParseKind(const std::string& s) {
  if (s == "timeseries") return StoreKind::kTimeSeries;
  if (s == "operational") return StoreKind::kOperational;
  if (s == "reference") return StoreKind::kReference;
  return Status::InvalidArgument("kind '" + s + "' (expected timeseries, operational or reference)");
}

std::string ResolvePath(const std::string& root, const std::string& p) {
  if (p.empty() || p == ".") return root;
  if (p[0] == '/') return p;
  return (std::filesystem::path(root) / p).lexically_normal().string();
}

std::string Substitute(std::string s, const std::string& root) {
  for (size_t p; (p = s.find("${root}")) != std::string::npos;) s.replace(p, 7, root);
  return s;
}

template <typename T>
Status Read(const std::string& source, const YAML::Node& map, const char* key, T* out) {
  YAML::Node n = map[key];
  if (!n) return Status::OK();
  try {
    *out = n.as<T>();
  } catch (const YAML::Exception& e) {
    return Bad(source, n, std::string("key '") + key + "': " + e.what());
  }
  return Status::OK();
}

Status CheckKeys(const std::string& source, const YAML::Node& map, std::initializer_list<const char*> allowed,
                 const std::string& section) {
  if (!map.IsMap()) return Bad(source, map, section + " must be a mapping");
  for (const auto& kv : map) {
    std::string k = kv.first.as<std::string>();
    bool ok = false;
    for (const char* a : allowed) ok |= (k == a);
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      return Bad(source, kv.first, "unknown key '" + k + "' in " + section + " (known: " + list + ")");
    }
  }
  return Status::OK();
}

Status ReadEod(const std::string& source, const std::string& root, const YAML::Node& eod, EodConfig* out) {
  SYSTORE_RETURN_NOT_OK(
      CheckKeys(source, eod, {"steps", "broker_positions", "backup_repository", "base_currency", "correlations"}, "eod"));
  if (YAML::Node steps = eod["steps"]) {
    if (!steps.IsMap()) return Bad(source, steps, "eod.steps must be a mapping of step -> {enabled, critical}");
    for (const auto& kv : steps) {
      const std::string name = kv.first.as<std::string>();
      auto it = out->steps.find(name);
      if (it == out->steps.end()) {
        std::string known;
        for (std::string_view s : kEndOfDaySteps) known += (known.empty() ? "" : ", ") + std::string(s);
        return Bad(source, kv.first, "unknown end-of-day step '" + name + "' (the steps: " + known + ")");
      }
      SYSTORE_RETURN_NOT_OK(CheckKeys(source, kv.second, {"enabled", "critical"}, "eod.steps." + name));
      SYSTORE_RETURN_NOT_OK(Read(source, kv.second, "enabled", &it->second.enabled));
      SYSTORE_RETURN_NOT_OK(Read(source, kv.second, "critical", &it->second.critical));
    }
  }
  std::string broker, repo;
  SYSTORE_RETURN_NOT_OK(Read(source, eod, "broker_positions", &broker));
  SYSTORE_RETURN_NOT_OK(Read(source, eod, "backup_repository", &repo));
  SYSTORE_RETURN_NOT_OK(Read(source, eod, "base_currency", &out->base_currency));
  SYSTORE_RETURN_NOT_OK(Read(source, eod, "correlations", &out->correlations));
  if (!broker.empty()) out->broker_positions = ResolvePath(root, Substitute(broker, root));
  if (!repo.empty()) {
    repo = Substitute(repo, root);
    out->backup_repository = repo.rfind("s3://", 0) == 0 ? repo : ResolvePath(root, repo);
  }
  return Status::OK();
}

}  // namespace

Result<int64_t> ParseLifecycleDuration(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  const std::string unit = text.substr(i);
  const int64_t days = unit == "d" ? 1 : unit == "w" ? 7 : unit == "mo" ? 30 : unit == "y" ? 365 : 0;
  if (i == 0 || days == 0 || i > 6)
    return Status::InvalidArgument("duration '" + text + "' is not a number followed by d, w, mo or y (e.g. 10y)");
  return std::stoll(text.substr(0, i)) * days * 86'400 * 1'000'000'000LL;
}

std::string BackendOf(const StoreConfig& s) {
  switch (s.kind) {
    case StoreKind::kTimeSeries:
      return "parquet";
    case StoreKind::kReference:
      return "csv";
    case StoreKind::kOperational:
      if (s.uri.rfind("postgres", 0) == 0) return "postgres";
      if (s.uri.rfind("mongodb", 0) == 0) return "mongo";
      return "sqlite";
  }
  return "";
}

std::string ClassNameOf(const std::string& attribute, const std::string& backend) {
  std::string out = backend;
  std::string_view body = attribute;
  if (body.substr(0, 3) == "db_") body.remove_prefix(3);
  bool upper = true;
  for (char c : body) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out + "Data";
}

Result<BlobConfig> LoadBlobConfig(const std::string& root, const std::string& text, const std::string& source) {
  BlobConfig c;
  c.source = source;
  for (std::string_view step : kEndOfDaySteps) c.eod.steps[std::string(step)] = {};
  c.eod.steps["reconcile_positions"].critical = true;
  c.eod.backup_repository = root + ".backups";
  c.stores["timeseries"] = {"timeseries", StoreKind::kTimeSeries, root, "", 16};
  c.stores["operational"] = {"operational", StoreKind::kOperational, "", "sqlite://" + root + "/operational/ops.sqlite",
                             16};
  c.stores["reference"] = {"reference", StoreKind::kReference, root, "", 1};
  std::map<std::string, int64_t> ttl_s = {
      {"prices", 300}, {"analytics", 3600}, {"reference", 86400}, {"operational", 5}};
  std::map<std::string, std::string> group_of;
  for (const auto& b : kBuiltins) {
    DataClassInfo d;
    d.attribute = b.attribute;
    d.kind = b.kind;
    d.store = std::string(StoreKindName(b.kind));  // each kind's default store is named after it
    d.location = b.location;
    d.cache.data_class = b.attribute;
    d.cache.strategy = b.kind == StoreKind::kOperational ? CacheStrategy::kNone : CacheStrategy::kReadThrough;
    c.classes[d.attribute] = d;
    group_of[d.attribute] = b.group;
  }
  std::map<std::string, int64_t> class_ttl_s;

  YAML::Node doc;
  if (!text.empty()) {
    try {
      doc = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument(source + ": " + e.what());
    }
  }
  if (doc && !doc.IsNull()) {
    SYSTORE_RETURN_NOT_OK(
        CheckKeys(source, doc, {"stores", "cache", "classes", "health_interval_ms", "lifecycle", "eod"}, "the file"));
    if (YAML::Node eod = doc["eod"]) SYSTORE_RETURN_NOT_OK(ReadEod(source, root, eod, &c.eod));
    if (YAML::Node lc = doc["lifecycle"]) {
      SYSTORE_RETURN_NOT_OK(CheckKeys(source, lc, {"cold_root", "rules"}, "lifecycle"));
      std::string cold;
      SYSTORE_RETURN_NOT_OK(Read(source, lc, "cold_root", &cold));
      if (!cold.empty()) c.cold_root = ResolvePath(root, Substitute(cold, root));
      if (YAML::Node rules = lc["rules"]) {
        if (!rules.IsSequence()) return Bad(source, rules, "lifecycle.rules must be a list");
        for (const auto& r : rules) {
          SYSTORE_RETURN_NOT_OK(CheckKeys(source, r, {"datasets", "retention", "cold_after"}, "a lifecycle rule"));
          LifecycleRule rule;
          std::string retention, cold_after;
          SYSTORE_RETURN_NOT_OK(Read(source, r, "datasets", &rule.datasets));
          SYSTORE_RETURN_NOT_OK(Read(source, r, "retention", &retention));
          SYSTORE_RETURN_NOT_OK(Read(source, r, "cold_after", &cold_after));
          if (rule.datasets.empty()) return Bad(source, r, "a lifecycle rule needs 'datasets'");
          for (auto [text, out] : {std::pair{&retention, &rule.retention_ns}, std::pair{&cold_after, &rule.cold_after_ns}}) {
            if (text->empty()) continue;
            auto d = ParseLifecycleDuration(*text);
            if (!d.ok()) return Bad(source, r, d.status().message());
            *out = *d;
          }
          if (rule.cold_after_ns > 0 && c.cold_root.empty())
            return Bad(source, r, "cold_after needs lifecycle.cold_root (a directory)");
          if (rule.retention_ns > 0 && rule.cold_after_ns >= rule.retention_ns)
            return Bad(source, r, "cold_after must be shorter than retention");
          c.lifecycle.push_back(rule);
        }
      }
    }
    SYSTORE_RETURN_NOT_OK(Read(source, doc, "health_interval_ms", &c.health_interval_ms));
    if (YAML::Node stores = doc["stores"]) {
      if (!stores.IsMap()) return Bad(source, stores, "stores must be a mapping of name -> store");
      for (const auto& kv : stores) {
        std::string name = kv.first.as<std::string>();
        const YAML::Node& n = kv.second;
        SYSTORE_RETURN_NOT_OK(CheckKeys(source, n, {"kind", "root", "uri", "pool_size"}, "stores." + name));
        StoreConfig s = c.stores.count(name) ? c.stores[name] : StoreConfig{};
        s.name = name;
        std::string kind = std::string(StoreKindName(s.kind));
        if (!c.stores.count(name) && !n["kind"]) return Bad(source, n, "stores." + name + ": 'kind' is required");
        SYSTORE_RETURN_NOT_OK(Read(source, n, "kind", &kind));
        auto k = ParseKind(kind);
        if (!k.ok()) return Bad(source, n["kind"], "stores." + name + ": " + k.status().message());
        s.kind = *k;
        std::string r;
        SYSTORE_RETURN_NOT_OK(Read(source, n, "root", &r));
        if (n["root"]) s.root = ResolvePath(root, Substitute(r, root));
        if (s.root.empty()) s.root = root;
        SYSTORE_RETURN_NOT_OK(Read(source, n, "uri", &s.uri));
        s.uri = Substitute(s.uri, root);
        SYSTORE_RETURN_NOT_OK(Read(source, n, "pool_size", &s.pool_size));
        if (s.kind == StoreKind::kOperational && s.uri.empty()) {
          s.uri = "sqlite://" + root + "/operational/" + name + ".sqlite";
        }
        if (s.pool_size < 1) return Bad(source, n, "stores." + name + ".pool_size must be >= 1");
        c.stores[name] = s;
      }
    }
    if (YAML::Node cache = doc["cache"]) {
      SYSTORE_RETURN_NOT_OK(CheckKeys(source, cache, {"l1", "l2", "ttl_s", "write_behind_queue"}, "cache"));
      SYSTORE_RETURN_NOT_OK(Read(source, cache, "write_behind_queue", &c.cache.write_behind_queue));
      if (YAML::Node l1 = cache["l1"]) {
        SYSTORE_RETURN_NOT_OK(CheckKeys(source, l1, {"capacity_mb", "shards"}, "cache.l1"));
        int64_t mb = c.cache.l1.capacity_bytes >> 20;
        SYSTORE_RETURN_NOT_OK(Read(source, l1, "capacity_mb", &mb));
        c.cache.l1.capacity_bytes = mb << 20;
        SYSTORE_RETURN_NOT_OK(Read(source, l1, "shards", &c.cache.l1.shards));
      }
      if (YAML::Node l2 = cache["l2"]) {
        SYSTORE_RETURN_NOT_OK(CheckKeys(source, l2,
                                        {"mode", "nodes", "key_prefix", "connect_timeout_ms", "command_timeout_ms",
                                         "retry_interval_ms", "pool_size", "invalidation", "channel"},
                                        "cache.l2"));
        auto& o = c.cache.l2;
        SYSTORE_RETURN_NOT_OK(Read(source, l2, "mode", &o.mode));
        SYSTORE_RETURN_NOT_OK(Read(source, l2, "nodes", &o.nodes));
        SYSTORE_RETURN_NOT_OK(Read(source, l2, "key_prefix", &o.key_prefix));
        SYSTORE_RETURN_NOT_OK(Read(source, l2, "connect_timeout_ms", &o.connect_timeout_ms));
        SYSTORE_RETURN_NOT_OK(Read(source, l2, "command_timeout_ms", &o.command_timeout_ms));
        SYSTORE_RETURN_NOT_OK(Read(source, l2, "retry_interval_ms", &o.retry_interval_ms));
        SYSTORE_RETURN_NOT_OK(Read(source, l2, "pool_size", &o.pool_size));
        SYSTORE_RETURN_NOT_OK(Read(source, l2, "invalidation", &o.invalidation));
        SYSTORE_RETURN_NOT_OK(Read(source, l2, "channel", &o.channel));
        if (o.mode != "none" && o.mode != "redis" && o.mode != "cluster") {
          return Bad(source, l2["mode"], "cache.l2.mode must be none, redis or cluster, not '" + o.mode + "'");
        }
      }
      if (YAML::Node t = cache["ttl_s"]) {
        if (!t.IsMap()) return Bad(source, t, "cache.ttl_s must map a group to seconds");
        for (const auto& kv : t) ttl_s[kv.first.as<std::string>()] = kv.second.as<int64_t>();
      }
    }
    if (YAML::Node classes = doc["classes"]) {
      if (!classes.IsMap()) return Bad(source, classes, "classes must be a mapping of name -> settings");
      for (const auto& kv : classes) {
        std::string attr = AttributeNameOf(kv.first.as<std::string>());
        const YAML::Node& n = kv.second;
        SYSTORE_RETURN_NOT_OK(CheckKeys(
            source, n, {"store", "dataset", "table", "secondary", "strategy", "ttl_s", "group"}, "classes." + attr));
        DataClassInfo d;
        bool known = c.classes.count(attr);
        if (known) d = c.classes[attr];
        if (!known && !n["store"]) return Bad(source, n, "classes." + attr + ": 'store' is required for a new class");
        SYSTORE_RETURN_NOT_OK(Read(source, n, "store", &d.store));
        SYSTORE_RETURN_NOT_OK(Read(source, n, "dataset", &d.location));
        SYSTORE_RETURN_NOT_OK(Read(source, n, "table", &d.location));
        SYSTORE_RETURN_NOT_OK(Read(source, n, "secondary", &d.secondary));
        std::string group = known ? group_of[attr] : "prices";
        SYSTORE_RETURN_NOT_OK(Read(source, n, "group", &group));
        group_of[attr] = group;
        if (n["strategy"]) {
          auto s = ParseCacheStrategy(n["strategy"].as<std::string>());
          if (!s.ok()) return Bad(source, n["strategy"], "classes." + attr + ": " + s.status().message());
          d.cache.strategy = *s;
        } else if (!known) {
          d.cache.strategy = CacheStrategy::kReadThrough;
        }
        if (n["ttl_s"]) {
          int64_t t = 0;
          SYSTORE_RETURN_NOT_OK(Read(source, n, "ttl_s", &t));
          class_ttl_s[attr] = t;
        }
        d.attribute = attr;
        d.cache.data_class = attr;
        c.classes[attr] = d;
      }
    }
  }
  // Resolve kinds, backends, class names and TTLs; check references between sections.
  for (auto& [attr, d] : c.classes) {
    auto it = c.stores.find(d.store);
    if (it == c.stores.end())
      return Status::InvalidArgument(source + ": class " + attr + " names unknown store '" + d.store + "'");
    d.kind = it->second.kind;
    if (d.kind == StoreKind::kOperational) d.cache.strategy = CacheStrategy::kNone;  // ACID data is not cached
    if (d.kind != StoreKind::kOperational && d.location.empty()) {
      return Status::InvalidArgument(source + ": class " + attr + " needs a " +
                                     (d.kind == StoreKind::kReference ? "table" : "dataset"));
    }
    if (!d.secondary.empty()) {
      auto s = c.stores.find(d.secondary);
      if (s == c.stores.end())
        return Status::InvalidArgument(source + ": class " + attr + " names unknown secondary store '" + d.secondary +
                                       "'");
      if (s->second.kind != d.kind)
        return Status::InvalidArgument(source + ": class " + attr + ": secondary store '" + d.secondary +
                                       "' is not a " + std::string(StoreKindName(d.kind)) + " store");
      if (d.secondary == d.store)
        return Status::InvalidArgument(source + ": class " + attr + ": secondary is the primary");
    }
    d.backend = BackendOf(it->second);
    d.class_name = ClassNameOf(attr, d.backend);
    int64_t t =
        class_ttl_s.count(attr) ? class_ttl_s[attr] : (ttl_s.count(group_of[attr]) ? ttl_s[group_of[attr]] : 300);
    d.cache.ttl_ms = t * 1000;
    c.cache.classes.push_back(d.cache);
  }
  c.cache.default_policy = {"default", CacheStrategy::kReadThrough, ttl_s["prices"] * 1000};
  return c;
}

std::string ToYaml(const BlobConfig& c) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "health_interval_ms" << YAML::Value << c.health_interval_ms;
  e << YAML::Key << "stores" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, s] : c.stores) {
    e << YAML::Key << name << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "kind" << YAML::Value << std::string(StoreKindName(s.kind));
    if (s.kind == StoreKind::kOperational) {
      e << YAML::Key << "uri" << YAML::Value << s.uri;
      e << YAML::Key << "pool_size" << YAML::Value << s.pool_size;
    } else {
      e << YAML::Key << "root" << YAML::Value << s.root;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  e << YAML::Key << "cache" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "l1" << YAML::Value << YAML::BeginMap << YAML::Key << "capacity_mb" << YAML::Value
    << (c.cache.l1.capacity_bytes >> 20) << YAML::Key << "shards" << YAML::Value << c.cache.l1.shards << YAML::EndMap;
  const auto& l2 = c.cache.l2;
  e << YAML::Key << "l2" << YAML::Value << YAML::BeginMap << YAML::Key << "mode" << YAML::Value << l2.mode << YAML::Key
    << "nodes" << YAML::Value << YAML::Flow << l2.nodes << YAML::Key << "key_prefix" << YAML::Value << l2.key_prefix
    << YAML::Key << "connect_timeout_ms" << YAML::Value << l2.connect_timeout_ms << YAML::Key << "command_timeout_ms"
    << YAML::Value << l2.command_timeout_ms << YAML::Key << "retry_interval_ms" << YAML::Value << l2.retry_interval_ms
    << YAML::Key << "pool_size" << YAML::Value << l2.pool_size << YAML::Key << "invalidation" << YAML::Value
    << l2.invalidation << YAML::Key << "channel" << YAML::Value << l2.channel << YAML::EndMap;
  e << YAML::Key << "write_behind_queue" << YAML::Value << c.cache.write_behind_queue;
  e << YAML::EndMap;
  e << YAML::Key << "classes" << YAML::Value << YAML::BeginMap;
  for (const auto& [attr, d] : c.classes) {
    e << YAML::Key << attr << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "store" << YAML::Value << d.store;
    if (d.kind == StoreKind::kTimeSeries) e << YAML::Key << "dataset" << YAML::Value << d.location;
    if (d.kind == StoreKind::kReference) e << YAML::Key << "table" << YAML::Value << d.location;
    if (!d.secondary.empty()) e << YAML::Key << "secondary" << YAML::Value << d.secondary;
    e << YAML::Key << "strategy" << YAML::Value << std::string(CacheStrategyName(d.cache.strategy));
    e << YAML::Key << "ttl_s" << YAML::Value << d.cache.ttl_ms / 1000;
    e << YAML::EndMap;
  }
  e << YAML::EndMap << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace blob_internal
}  // namespace systore
