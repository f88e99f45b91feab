#include "timeseries/delta_log.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/file_util.h"
#include "timeseries/partitioning.h"

namespace systore {
namespace {

using json = nlohmann::json;

int64_t NowMs() { return Now() / 1'000'000; }

std::string DeltaType(const std::string& t) { return t; }  // double/long/string are Delta names

json SchemaJson(const DatasetMeta& meta) {
  json fields = json::array();
  auto field = [](const std::string& name, const std::string& type, bool nullable) {
    return json{{"name", name}, {"type", type}, {"nullable", nullable}, {"metadata", json::object()}};
  };
  fields.push_back(field("key", "string", false));
  PartitionGranularity g = meta.options.partition;
  if (g != PartitionGranularity::kNone) {
    fields.push_back(
        field(std::string(PartitionColumnName(g)), g == PartitionGranularity::kYear ? "integer" : "string", false));
  }
  fields.push_back(field(kTimestampColumn, "timestamp", false));
  for (const auto& c : meta.columns) fields.push_back(field(c.name, DeltaType(c.type), true));
  return json{{"type", "struct"}, {"fields", fields}};
}

json MetaJson(const DatasetMeta& meta) {
  json partition_cols = json::array({"key"});
  if (meta.options.partition != PartitionGranularity::kNone) {
    partition_cols.push_back(std::string(PartitionColumnName(meta.options.partition)));
  }
  json aliases = json::object();
  for (const auto& [k, v] : meta.options.csv_aliases) aliases[k] = v;
  json config = {
      {"systore.kind", std::string(SeriesKindName(meta.options.kind))},
      {"systore.partition", std::string(GranularityName(meta.options.partition))},
      {"systore.zstdLevel", std::to_string(meta.options.zstd_level)},
      {"systore.compression", meta.options.compression == DatasetOptions::Compression::kLz4 ? "lz4" : "zstd"},
      {"systore.rewriteBelowRows", std::to_string(meta.options.rewrite_partition_below_rows)},
      {"systore.rowGroupRows", std::to_string(meta.options.row_group_rows)},
      {"systore.csvIndexName", meta.options.csv_index_name},
      {"systore.csvAliases", aliases.dump()},
  };
  return json{{"metaData",
               {{"id", meta.table_id},
                {"format", {{"provider", "parquet"}, {"options", json::object()}}},
                {"schemaString", SchemaJson(meta).dump()},
                {"partitionColumns", partition_cols},
                {"configuration", config},
                {"createdTime", NowMs()}}}};
}

Result<DatasetMeta> ParseMeta(const json& m) {
  DatasetMeta meta;
  meta.table_id = m.value("id", "");
  const json& conf = m.at("configuration");
  auto get = [&](const char* k, const std::string& def) {
    return conf.contains(k) ? conf.at(k).get<std::string>() : def;
  };
  SYSTORE_ASSIGN_OR_RAISE(meta.options.kind, ParseSeriesKind(get("systore.kind", "generic")));
  SYSTORE_ASSIGN_OR_RAISE(meta.options.partition, ParseGranularity(get("systore.partition", "year")));
  meta.options.zstd_level = std::stoi(get("systore.zstdLevel", "9"));
  const std::string codec = get("systore.compression", "zstd");  // absent before lz4 existed
  if (codec != "zstd" && codec != "lz4") return Status::Corruption("unknown systore.compression '" + codec + "'");
  meta.options.compression = codec == "lz4" ? DatasetOptions::Compression::kLz4 : DatasetOptions::Compression::kZstd;
  meta.options.rewrite_partition_below_rows = std::stoll(get("systore.rewriteBelowRows", "200000"));
  meta.options.row_group_rows = std::stoll(get("systore.rowGroupRows", "1048576"));
  meta.options.csv_index_name = get("systore.csvIndexName", "DATETIME");
  json aliases = json::parse(get("systore.csvAliases", "{}"));
  for (auto& [k, v] : aliases.items()) meta.options.csv_aliases[k] = v.get<std::string>();
  json schema = json::parse(m.at("schemaString").get<std::string>());
  for (const auto& f : schema.at("fields")) {
    std::string name = f.at("name");
    if (name == "key" || name == kTimestampColumn || name == PartitionColumnName(meta.options.partition)) continue;
    meta.columns.push_back({name, f.at("type").get<std::string>()});
  }
  return meta;
}

json AddJson(const DataFile& f, const DatasetMeta& meta) {
  json pv = {{"key", f.key}};
  if (meta.options.partition != PartitionGranularity::kNone) {
    pv[std::string(PartitionColumnName(meta.options.partition))] = f.partition;
  }
  json stats = {{"numRecords", f.rows}, {"nullCount", {{kTimestampColumn, 0}}}};
  return json{{"add",
               {{"path", PathToUri(f.path)},
                {"partitionValues", pv},
                {"size", f.size},
                {"modificationTime", f.modification_time_ms},
                {"dataChange", true},
                {"stats", stats.dump()},
                {"tags", {{"systore.minTs", std::to_string(f.min_ts)}, {"systore.maxTs", std::to_string(f.max_ts)}}}}}};
}

json RemoveJson(const DataFile& f, const DatasetMeta& meta, int64_t now_ms) {
  json pv = {{"key", f.key}};
  if (meta.options.partition != PartitionGranularity::kNone) {
    pv[std::string(PartitionColumnName(meta.options.partition))] = f.partition;
  }
  return json{{"remove",
               {{"path", PathToUri(f.path)},
                {"deletionTimestamp", now_ms},
                {"dataChange", true},
                {"extendedFileMetadata", true},
                {"partitionValues", pv},
                {"size", f.size}}}};
}

}  // namespace

DeltaLog::DeltaLog(std::string dataset_dir) : dir_(std::move(dataset_dir)) {}

std::string DeltaLog::CommitFileName(int64_t version) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld.json", static_cast<long long>(version));
  return buf;
}

bool DeltaLog::HasNewerThan(int64_t version) const { return PathExists(log_dir() + "/" + CommitFileName(version + 1)); }

Status DeltaLog::WriteCheckpoint(const DatasetState& state) const {
  json files = json::array();
  for (const auto& [key, vec] : state.files) {
    for (const auto& f : vec) {
      files.push_back({f.path, f.key, f.partition, f.rows, f.size, f.min_ts, f.max_ts, f.modification_time_ms});
    }
  }
  json tombs = json::object();
  for (const auto& [path, when] : state.tombstones) tombs[path] = when;
  json j = {{"version", state.version},
            {"walSeq", state.wal_flushed_seq},
            {"metaData", MetaJson(state.meta)["metaData"]},
            {"files", files},
            {"tombstones", tombs}};
  std::string dir = dir_ + "/_systore";
  SYSTORE_RETURN_NOT_OK(CreateDirectories(dir));
  char name[64];
  std::snprintf(name, sizeof name, "/checkpoint-%020lld.json", static_cast<long long>(state.version));
  return ReplaceFileAtomically(dir + name, j.dump());
}

Status DeltaLog::LoadCheckpoint(DatasetState* state, std::optional<int64_t> max_version) const {
  auto names = ListDirectory(dir_ + "/_systore");
  if (!names.ok()) return Status::OK();  // no checkpoints: replay from version 0
  int64_t best = -1;
  for (const auto& n : *names) {
    if (n.size() != 11 + 20 + 5 || n.compare(0, 11, "checkpoint-") != 0) continue;
    int64_t v = std::stoll(n.substr(11, 20));
    if ((!max_version || v <= *max_version) && v > best) best = v;
  }
  if (best < 0) return Status::OK();
  char name[64];
  std::snprintf(name, sizeof name, "/_systore/checkpoint-%020lld.json", static_cast<long long>(best));
  auto text = ReadFileToString(dir_ + name);
  if (!text.ok()) return Status::OK();
  try {
    json j = json::parse(*text);
    DatasetState loaded;
    loaded.dir = dir_;
    loaded.version = j.at("version").get<int64_t>();
    loaded.wal_flushed_seq = j.value("walSeq", uint64_t{0});
    SYSTORE_ASSIGN_OR_RAISE(loaded.meta, ParseMeta(j.at("metaData")));
    for (const auto& f : j.at("files")) {
      DataFile d;
      d.path = f[0];
      d.key = f[1];
      d.partition = f[2];
      d.rows = f[3];
      d.size = f[4];
      d.min_ts = f[5];
      d.max_ts = f[6];
      d.modification_time_ms = f[7];
      loaded.files[d.key].push_back(std::move(d));
    }
    for (auto& [path, when] : j.at("tombstones").items()) loaded.tombstones[path] = when.get<int64_t>();
    *state = std::move(loaded);
  } catch (const std::exception& e) {
    // A damaged checkpoint is only a lost shortcut: the commits are the source of truth.
    std::fprintf(stderr, "systore: ignoring checkpoint %s%s: %s\n", dir_.c_str(), name, e.what());
  }
  return Status::OK();
}

Status DeltaLog::Refresh(DatasetState* state, std::optional<int64_t> max_version) const {
  state->dir = dir_;
  if (state->version < 0) SYSTORE_RETURN_NOT_OK(LoadCheckpoint(state, max_version));
  for (int64_t v = state->version + 1; !max_version || v <= *max_version; ++v) {
    std::string path = log_dir() + "/" + CommitFileName(v);
    auto text = ReadFileToString(path);
    if (!text.ok()) {
      if (text.status().IsNotFound()) {
        if (v == 0) return Status::NotFound("dataset '" + dir_ + "' has no transaction log");
        if (max_version)
          return Status::NotFound("version " + std::to_string(*max_version) + " does not exist (latest is " +
                                  std::to_string(v - 1) + ")");
        break;
      }
      return text.status();
    }
    SYSTORE_RETURN_NOT_OK(ApplyCommit(v, *text, state).WithContext(path));
  }
  return Status::OK();
}

Status DeltaLog::ApplyCommit(int64_t version, const std::string& text, DatasetState* state) const {
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    try {
      json action = json::parse(line);
      if (action.contains("commitInfo")) {
        const json& ci = action["commitInfo"];
        if (ci.contains("systore") && ci["systore"].contains("walSeq")) {
          state->wal_flushed_seq = ci["systore"]["walSeq"].get<uint64_t>();
        }
      } else if (action.contains("metaData")) {
        SYSTORE_ASSIGN_OR_RAISE(state->meta, ParseMeta(action["metaData"]));
      } else if (action.contains("add")) {
        const json& a = action["add"];
        DataFile f;
        SYSTORE_ASSIGN_OR_RAISE(f.path, PercentDecode(a.at("path").get<std::string>()));
        f.key = a.at("partitionValues").at("key").get<std::string>();
        std::string pcol(PartitionColumnName(state->meta.options.partition));
        if (!pcol.empty()) f.partition = a.at("partitionValues").at(pcol).get<std::string>();
        f.size = a.at("size").get<int64_t>();
        f.modification_time_ms = a.value("modificationTime", int64_t{0});
        const json& tags = a.at("tags");
        f.min_ts = std::stoll(tags.at("systore.minTs").get<std::string>());
        f.max_ts = std::stoll(tags.at("systore.maxTs").get<std::string>());
        f.rows = json::parse(a.at("stats").get<std::string>()).at("numRecords").get<int64_t>();
        auto& vec = state->files[f.key];
        // After files starting at the same time: tick files may share a boundary
        // timestamp, and log order is arrival order.
        auto pos = std::upper_bound(vec.begin(), vec.end(), f.min_ts,
                                    [](Timestamp t, const DataFile& x) { return t < x.min_ts; });
        state->tombstones.erase(f.path);
        vec.insert(pos, std::move(f));
      } else if (action.contains("remove")) {
        const json& r = action["remove"];
        SYSTORE_ASSIGN_OR_RAISE(std::string path, PercentDecode(r.at("path").get<std::string>()));
        std::string key = r.at("partitionValues").at("key").get<std::string>();
        auto it = state->files.find(key);
        if (it != state->files.end()) {
          auto& vec = it->second;
          vec.erase(std::remove_if(vec.begin(), vec.end(), [&](const DataFile& x) { return x.path == path; }),
                    vec.end());
          if (vec.empty()) state->files.erase(it);
        }
        state->tombstones[path] = r.value("deletionTimestamp", int64_t{0});
      }
    } catch (const std::exception& e) {
      return Status::Corruption("line " + std::to_string(line_no) + ": " + e.what());
    }
  }
  state->version = version;
  return Status::OK();
}

Status DeltaLog::Commit(int64_t version, const CommitPlan& plan) const {
  const DatasetMeta* meta = plan.new_meta ? &*plan.new_meta : nullptr;
  std::string out;
  int64_t now_ms = NowMs();
  json info = {
      {"commitInfo",
       {{"timestamp", now_ms},
        {"operation", plan.operation},
        {"operationParameters", {{"mode", plan.operation}}},
        {"engineInfo", "systore/0.1"},
        {"systore", {{"keys", plan.keys}, {"rowsAdded", plan.rows_added}, {"rowsRemoved", plan.rows_removed}}}}}};
  if (plan.wal_flushed_seq > 0) info["commitInfo"]["systore"]["walSeq"] = plan.wal_flushed_seq;
  if (!plan.user_metadata.empty()) info["commitInfo"]["userMetadata"] = plan.user_metadata;
  out += info.dump() + "\n";
  if (version == 0) {
    out += json{{"protocol", {{"minReaderVersion", 1}, {"minWriterVersion", 2}}}}.dump() + "\n";
  }
  if (meta) out += MetaJson(*meta).dump() + "\n";
  // add/remove actions name partition columns, so they need the (new or current) layout.
  const DatasetMeta* layout = meta ? meta : plan.layout_meta;
  if (!layout && (!plan.adds.empty() || !plan.removes.empty())) {
    return Status::Internal("commit with files but no dataset metadata");
  }
  for (const auto& f : plan.removes) out += RemoveJson(f, *layout, now_ms).dump() + "\n";
  for (const auto& f : plan.adds) out += AddJson(f, *layout).dump() + "\n";
  SYSTORE_RETURN_NOT_OK(CreateDirectories(log_dir()));
  Status st = CreateFileExclusive(log_dir() + "/" + CommitFileName(version), out);
  if (st.code() == StatusCode::kAlreadyExists) {
    return Status::Conflict("another writer committed version " + std::to_string(version) + " of '" + dir_ +
                            "' first; nothing was written, retry");
  }
  return st;
}

Result<std::vector<VersionInfo>> DeltaLog::History() const {
  std::vector<VersionInfo> out;
  for (int64_t v = 0;; ++v) {
    std::string path = log_dir() + "/" + CommitFileName(v);
    auto text = ReadFileToString(path);
    if (!text.ok()) {
      if (text.status().IsNotFound()) break;
      return text.status();
    }
    std::istringstream in(*text);
    std::string line;
    VersionInfo info;
    info.version = v;
    while (std::getline(in, line)) {
      if (line.find("\"commitInfo\"") == std::string::npos) continue;
      try {
        json ci = json::parse(line).at("commitInfo");
        info.committed_at = ci.value("timestamp", int64_t{0}) * 1'000'000;
        info.operation = ci.value("operation", "");
        info.user_metadata = ci.value("userMetadata", "");
        if (ci.contains("systore")) {
          const json& s = ci["systore"];
          info.keys = s.value("keys", std::vector<std::string>{});
          info.rows_added = s.value("rowsAdded", int64_t{0});
          info.rows_removed = s.value("rowsRemoved", int64_t{0});
        }
      } catch (const std::exception& e) {
        return Status::Corruption(path + ": " + e.what());
      }
      break;
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace systore
