#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "timeseries/partitioning.h"
#include "timeseries/series_table.h"
#include "timeseries/store_impl.h"

namespace systore {

namespace fs = std::filesystem;
using json = nlohmann::json;

DatasetOptions DatasetOptions::ForName(const std::string& dataset) {
  DatasetOptions o;
  auto has = [&](const char* s) { return dataset.find(s) != std::string::npos; };
  if (has("tick")) {
    o.kind = SeriesKind::kTicks;
    o.partition = PartitionGranularity::kDay;
    o.zstd_level = 3;
    o.compression = DatasetOptions::Compression::kLz4;
  } else if (has("hourly") || has("intraday") || has("minute")) {
    o.partition = PartitionGranularity::kMonth;
  }
  if (has("contract")) o.kind = SeriesKind::kOhlcv;
  if (has("adjusted") || has("multiple") || has("fx")) o.partition = PartitionGranularity::kNone;
  return o;
}

Result<std::unique_ptr<TimeSeriesStore>> TimeSeriesStore::Open(const TimeSeriesStoreOptions& options) {
  if (options.root.empty()) return Status::InvalidArgument("store root is empty");
  if (!PathExists(options.root)) {
    if (!options.create_if_missing) return Status::NotFound("store root '" + options.root + "' does not exist");
    SYSTORE_RETURN_NOT_OK(CreateDirectories(options.root));
  }
  EnsureArrowCompute();
  return std::unique_ptr<TimeSeriesStore>(new TimeSeriesStoreImpl(options));
}

TimeSeriesStoreImpl::TimeSeriesStoreImpl(TimeSeriesStoreOptions options)
    : options_(std::move(options)), cache_(options_.file_cache_bytes) {
  if (options_.wal.enabled) flush_thread_ = std::thread([this] { FlushLoop(); });
}

Status TimeSeriesStoreImpl::ValidateDatasetName(const std::string& dataset) {
  if (dataset.empty()) return Status::InvalidArgument("dataset name is empty");
  size_t start = 0;
  while (start <= dataset.size()) {
    size_t end = dataset.find('/', start);
    if (end == std::string::npos) end = dataset.size();
    std::string seg = dataset.substr(start, end - start);
    bool ok = !seg.empty() && seg != "." && seg != ".." && seg[0] != '_' && seg[0] != '.' &&
              seg.find('=') == std::string::npos;
    for (char c : seg) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
    if (!ok) {
      return Status::InvalidArgument("invalid dataset name '" + dataset +
                                     "': use segments of letters, digits, '_', '-', '.' separated by '/'"
                                     " (e.g. prices/adjusted)");
    }
    start = end + 1;
  }
  return Status::OK();
}

Result<TimeSeriesStoreImpl::Dataset*> TimeSeriesStoreImpl::GetDataset(const std::string& dataset) {
  SYSTORE_RETURN_NOT_OK(ValidateDatasetName(dataset));
  Dataset* ds;
  {
    std::lock_guard<std::mutex> lock(datasets_mu_);
    auto& slot = datasets_[dataset];
    if (!slot) slot = std::make_unique<Dataset>(dataset, options_.root + "/" + dataset);
    ds = slot.get();
  }
  // First touch in this process: a crashed writer's log is replayed before anyone reads.
  std::call_once(ds->recovery_once, [&] { RecoverIfAbandoned(ds); });
  return ds;
}

Result<std::shared_ptr<const DatasetState>> TimeSeriesStoreImpl::LatestState(Dataset* ds) {
  std::lock_guard<std::mutex> lock(ds->state_mu);
  if (!ds->state) {
    auto fresh = std::make_shared<DatasetState>();
    SYSTORE_RETURN_NOT_OK(ds->log.Refresh(fresh.get()));
    ds->state = std::move(fresh);
  } else if (ds->log.HasNewerThan(ds->state->version)) {
    auto next = std::make_shared<DatasetState>(*ds->state);
    SYSTORE_RETURN_NOT_OK(ds->log.Refresh(next.get()));
    ds->state = std::move(next);
  }
  return ds->state;
}

Result<std::shared_ptr<const DatasetState>> TimeSeriesStoreImpl::StateForRead(const std::string& dataset,
                                                                              const ReadOptions& options) {
  SYSTORE_ASSIGN_OR_RAISE(Dataset * ds, GetDataset(dataset));
  std::optional<int64_t> version = options.as_of_version;
  if (options.snapshot) {
    auto path = options_.root + "/_snapshots/" + *options.snapshot + ".json";
    auto text = ReadFileToString(path);
    if (!text.ok()) return Status::NotFound("snapshot '" + *options.snapshot + "' does not exist");
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) return Status::Corruption(path + ": not valid JSON");
    if (!j["datasets"].contains(dataset)) {
      return Status::NotFound("dataset '" + dataset + "' did not exist when snapshot '" + *options.snapshot +
                              "' was taken");
    }
    version = j["datasets"][dataset].get<int64_t>();
  }
  auto latest = LatestState(ds);
  if (!latest.ok()) {
    if (latest.status().IsNotFound()) return Status::NotFound("dataset '" + dataset + "' does not exist");
    return latest.status();
  }
  if (!version || *version == (*latest)->version) return latest;
  if (*version < 0 || *version > (*latest)->version) {
    return Status::NotFound("dataset '" + dataset + "' has no version " + std::to_string(*version) + " (latest is " +
                            std::to_string((*latest)->version) + ")");
  }
  auto past = std::make_shared<DatasetState>();
  SYSTORE_RETURN_NOT_OK(ds->log.Refresh(past.get(), *version));
  return std::shared_ptr<const DatasetState>(std::move(past));
}

Status TimeSeriesStoreImpl::CreateDataset(const std::string& dataset, const DatasetOptions& options) {
  SYSTORE_ASSIGN_OR_RAISE(Dataset * ds, GetDataset(dataset));
  std::lock_guard<std::mutex> lock(ds->write_mu);
  auto state = LatestState(ds);
  if (state.ok()) {
    const DatasetOptions& have = (*state)->meta.options;
    if (have.kind == options.kind && have.partition == options.partition) return Status::OK();
    return Status::AlreadyExists("dataset '" + dataset + "' exists with kind " +
                                 std::string(SeriesKindName(have.kind)) + ", partition by " +
                                 std::string(GranularityName(have.partition)));
  }
  if (!state.status().IsNotFound()) return state.status();
  if (options.zstd_level < 1 || options.zstd_level > 22) {
    return Status::InvalidArgument("zstd_level must be 1..22");
  }
  CommitPlan plan;
  plan.operation = "CREATE";
  DatasetMeta meta;
  meta.table_id = RandomHexId();
  meta.options = options;
  plan.new_meta = meta;
  return ds->log.Commit(0, plan);
}

Result<std::vector<std::string>> TimeSeriesStoreImpl::ListDatasets() {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(options_.root, ec), end;
  if (ec) return Status::IOError("list '" + options_.root + "': " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    if (!it->is_directory()) continue;
    std::string name = it->path().filename().string();
    if (name.rfind("key=", 0) == 0 || name[0] == '_' || name[0] == '.') {
      if (name == "_delta_log") {
        out.push_back(fs::relative(it->path().parent_path(), options_.root).string());
      }
      it.disable_recursion_pending();
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<DatasetOptions> TimeSeriesStoreImpl::GetDatasetOptions(const std::string& dataset) {
  SYSTORE_ASSIGN_OR_RAISE(auto state, StateForRead(dataset, {}));
  return state->meta.options;
}

TimeSeriesStats TimeSeriesStoreImpl::Stats() const {
  return {cold_files_read_.load(std::memory_order_relaxed), cold_rows_read_.load(std::memory_order_relaxed)};
}

Result<int64_t> TimeSeriesStoreImpl::CurrentVersion(const std::string& dataset) {
  SYSTORE_ASSIGN_OR_RAISE(auto state, StateForRead(dataset, {}));
  return state->version;
}

Status TimeSeriesStoreImpl::CreateSnapshot(const std::string& name) {
  SYSTORE_RETURN_NOT_OK(ValidateDatasetName(name).WithContext("snapshot name"));
  if (name.find('/') != std::string::npos) return Status::InvalidArgument("snapshot name must not contain '/'");
  SYSTORE_ASSIGN_OR_RAISE(auto datasets, ListDatasets());
  json j = {{"name", name}, {"createdAt", Now()}, {"datasets", json::object()}};
  for (const auto& d : datasets) {
    SYSTORE_ASSIGN_OR_RAISE(int64_t v, CurrentVersion(d));
    j["datasets"][d] = v;
  }
  SYSTORE_RETURN_NOT_OK(CreateDirectories(options_.root + "/_snapshots"));
  Status st = CreateFileExclusive(options_.root + "/_snapshots/" + name + ".json", j.dump(2) + "\n");
  if (st.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("snapshot '" + name + "' already exists");
  return st;
}

Result<std::vector<SnapshotInfo>> TimeSeriesStoreImpl::ListSnapshots() {
  std::vector<SnapshotInfo> out;
  auto names = ListDirectory(options_.root + "/_snapshots");
  if (!names.ok()) {
    if (names.status().IsNotFound()) return out;
    return names.status();
  }
  for (const auto& n : *names) {
    if (n.size() < 6 || n.substr(n.size() - 5) != ".json" || n[0] == '.') continue;
    std::string path = options_.root + "/_snapshots/" + n;
    SYSTORE_ASSIGN_OR_RAISE(std::string text, ReadFileToString(path));
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return Status::Corruption(path + ": not valid JSON");
    SnapshotInfo info;
    info.name = j.value("name", n.substr(0, n.size() - 5));
    info.created_at = j.value("createdAt", int64_t{0});
    for (auto& [d, v] : j["datasets"].items()) info.dataset_versions.emplace_back(d, v.get<int64_t>());
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Status TimeSeriesStoreImpl::DeleteSnapshot(const std::string& name) {
  std::string path = options_.root + "/_snapshots/" + name + ".json";
  if (name.empty() || name.find('/') != std::string::npos || !PathExists(path)) {
    return Status::NotFound("snapshot '" + name + "' does not exist");
  }
  return RemoveFile(path);
}

Result<std::map<std::string, int64_t>> TimeSeriesStoreImpl::SnapshotVersions(const std::string& dataset) {
  std::map<std::string, int64_t> out;
  SYSTORE_ASSIGN_OR_RAISE(auto snaps, ListSnapshots());
  for (const auto& s : snaps) {
    for (const auto& [d, v] : s.dataset_versions) {
      if (d == dataset) out[s.name] = v;
    }
  }
  return out;
}

Result<VacuumResult> TimeSeriesStoreImpl::Vacuum(const std::string& dataset, int64_t retention_ns, bool dry_run) {
  SYSTORE_ASSIGN_OR_RAISE(Dataset * ds, GetDataset(dataset));
  std::lock_guard<std::mutex> lock(ds->write_mu);
  SYSTORE_ASSIGN_OR_RAISE(auto state, StateForRead(dataset, {}));
  std::set<std::string> referenced;
  auto add_refs = [&](const DatasetState& s) {
    for (const auto& [k, files] : s.files)
      for (const auto& f : files) referenced.insert(f.path);
  };
  add_refs(*state);
  SYSTORE_ASSIGN_OR_RAISE(auto pinned, SnapshotVersions(dataset));
  for (const auto& [name, v] : pinned) {
    ReadOptions ro;
    ro.as_of_version = v;
    auto s = StateForRead(dataset, ro);
    if (s.ok()) add_refs(**s);
  }
  const int64_t cutoff_ms = (Now() - retention_ns) / 1'000'000;
  VacuumResult result;
  std::string dir = ds->log.dataset_dir();
  // The dataset directory, then the cold location behind its _cold link (lifecycle):
  // files there are named "_cold/<path>" in the log.
  auto sweep = [&](const std::string& base, const std::string& prefix) -> Status {
    std::error_code ec;
    if (!fs::exists(base, ec)) return Status::OK();
    for (fs::recursive_directory_iterator it(base, ec), end; it != end; it.increment(ec)) {
      if (ec) return Status::IOError("vacuum walk '" + base + "': " + ec.message());
      if (it->is_directory()) {
        // _cold (a link, or a directory in a restored root) is swept on its own below.
        if (it->path().filename() == "_delta_log" || (prefix.empty() && it.depth() == 0 && it->path().filename() == "_cold"))
          it.disable_recursion_pending();
        continue;
      }
      if (it->path().extension() != ".parquet") continue;
      std::string rel = prefix + fs::relative(it->path(), base).string();
      if (referenced.count(rel)) continue;
      int64_t unreferenced_since_ms;
      auto tomb = state->tombstones.find(rel);
      if (tomb != state->tombstones.end()) {
        unreferenced_since_ms = tomb->second;
      } else {  // orphan of an interrupted write: its age is the file's age
        struct stat st;
        if (::stat(it->path().c_str(), &st) != 0) continue;
        unreferenced_since_ms = static_cast<int64_t>(st.st_mtime) * 1000;
      }
      if (unreferenced_since_ms > cutoff_ms) {
        ++result.files_kept_for_retention;
        continue;
      }
      ++result.files_deleted;
      result.bytes_deleted += static_cast<int64_t>(it->file_size());
      if (!dry_run) SYSTORE_RETURN_NOT_OK(RemoveFile(it->path().string()));
    }
    return Status::OK();
  };
  SYSTORE_RETURN_NOT_OK(sweep(dir, ""));
  SYSTORE_RETURN_NOT_OK(sweep(dir + "/" + std::string(kColdDirectory), kColdDirectory));
  return result;
}

}  // namespace systore
