// The write path: every write plans per-partition file changes for each key, writes the
// new Parquet files (fsynced), then commits one Delta log entry. Files of a key never
// overlap in time; small partitions are rewritten rather than given another file.
#include <arrow/table.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <utility>

#include "core/file_util.h"
#include "core/parallel.h"
#include "timeseries/partitioning.h"
#include "timeseries/series_table.h"
#include "timeseries/store_impl.h"

namespace systore {
namespace {

constexpr int kMaxConflictRetries = 5;

Status ValidateKey(const std::string& key) {
  if (key.empty()) return Status::InvalidArgument("series key is empty");
  if (key.size() > 256)
    return Status::InvalidArgument("series key longer than 256 characters: '" + key.substr(0, 40) + "...'");
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f) return Status::InvalidArgument("series key contains a control character: '" + key + "'");
  }
  return Status::OK();
}

std::vector<std::pair<std::string, std::shared_ptr<arrow::Table>>> SplitByPartition(
    const std::shared_ptr<arrow::Table>& table, PartitionGranularity g) {
  std::vector<std::pair<std::string, std::shared_ptr<arrow::Table>>> out;
  if (table->num_rows() == 0) return out;
  if (g == PartitionGranularity::kNone) {
    out.emplace_back("", table);
    return out;
  }
  std::vector<Timestamp> ts = TimestampsOf(*table);
  size_t i = 0;
  while (i < ts.size()) {
    auto bounds = PartitionBounds(g, ts[i]);
    size_t j = std::lower_bound(ts.begin() + i, ts.end(), bounds.second) - ts.begin();
    out.emplace_back(PartitionValueOf(g, ts[i]), table->Slice(i, j - i));
    i = j;
  }
  return out;
}

// One Parquet file to write for a key.
struct PendingFile {
  std::string key;
  std::string partition;
  std::shared_ptr<arrow::Table> table;
};

struct KeyPlan {
  std::vector<DataFile> removes;
  std::vector<PendingFile> writes;
  std::vector<DataFile> moves;  // kMoveToCold: files copied under _cold/ (and removed)
  WriteResult result;
};

int64_t RowsOf(const std::vector<DataFile>& files) {
  int64_t n = 0;
  for (const auto& f : files) n += f.rows;
  return n;
}

using FileReader = std::function<Result<std::shared_ptr<arrow::Table>>(const std::vector<DataFile>&)>;

// Plans one key's update against a state: the files it removes, the tables it writes and
// the row counts. `meta` gains the schema when the dataset has none yet.
class KeyPlanner {
 public:
  KeyPlanner(const DatasetState& state, DatasetMeta* meta, std::string dataset, FileReader read)
      : state_(state), meta_(*meta), dataset_(std::move(dataset)), read_(std::move(read)) {}

  Result<KeyPlan> Plan(SeriesUpdate& up) {
    static const std::vector<DataFile> kNoFiles;
    auto fit = state_.files.find(up.key);
    files_ = fit == state_.files.end() ? &kNoFiles : &fit->second;
    KeyPlan plan;
    std::shared_ptr<arrow::Table> incoming;
    if (up.op == SeriesUpdate::Op::kWrite || up.op == SeriesUpdate::Op::kAppend || up.op == SeriesUpdate::Op::kMerge) {
      auto norm = NormalizeSeries(up.data, meta_.options.kind, &meta_.columns);
      if (!norm.ok()) return Where(up, norm.status());
      incoming = *norm;
    }
    switch (up.op) {
      case SeriesUpdate::Op::kCompact:
        SYSTORE_RETURN_NOT_OK(Compact(up, &plan));
        break;
      case SeriesUpdate::Op::kDelete:
        if (files_->empty()) return Where(up, Status::NotFound("series does not exist"));
        plan.removes = *files_;
        plan.result.rows_removed = RowsOf(*files_);
        break;
      case SeriesUpdate::Op::kWrite:
        plan.removes = *files_;
        plan.result.rows_removed = RowsOf(*files_);
        plan.result.rows_added = incoming->num_rows();
        for (auto& [pv, t] : SplitByPartition(incoming, meta_.options.partition)) plan.writes.push_back({up.key, pv, t});
        break;
      case SeriesUpdate::Op::kDeleteRange:
        if (files_->empty()) return Where(up, Status::NotFound("series does not exist"));
        SYSTORE_RETURN_NOT_OK(RemoveRange(up.key, up.start, up.end, {}, &plan));
        break;
      case SeriesUpdate::Op::kMoveToCold:
        for (size_t i = 0; i < files_->size(); ++i) {
          const DataFile& f = (*files_)[i];
          if (f.max_ts > up.end || f.path.rfind(kColdDirectory, 0) == 0) continue;
          // Tick files sharing a boundary timestamp are ordered by the log: re-adding one
          // would reorder them, so such a file stays.
          if (i + 1 < files_->size() && (*files_)[i + 1].min_ts == f.max_ts) continue;
          plan.removes.push_back(f);
          plan.moves.push_back(f);
        }
        break;
      case SeriesUpdate::Op::kAppend:
      case SeriesUpdate::Op::kMerge:
        if (incoming->num_rows() > 0) SYSTORE_RETURN_NOT_OK(AppendOrMerge(up, incoming, &plan));
        break;
    }
    return plan;
  }

 private:
  Status Where(const SeriesUpdate& up, const Status& st) const {
    return st.WithContext("dataset '" + dataset_ + "', key '" + up.key + "'");
  }
  std::vector<DataFile> FilesIn(const std::string& pv) const {
    std::vector<DataFile> out;
    for (const auto& f : *files_)
      if (f.partition == pv) out.push_back(f);
    return out;
  }
  void Replace(const std::vector<DataFile>& old_files, PendingFile write, KeyPlan* plan) const {
    plan->removes.insert(plan->removes.end(), old_files.begin(), old_files.end());
    if (write.table && write.table->num_rows() > 0) plan->writes.push_back(std::move(write));
  }

  // Partitions with several files become one file each.
  Status Compact(const SeriesUpdate& up, KeyPlan* plan) {
    std::set<std::string> parts, multi;
    for (const auto& f : *files_)
      if (!parts.insert(f.partition).second) multi.insert(f.partition);
    for (const auto& pv : multi) {
      auto old_files = FilesIn(pv);
      SYSTORE_ASSIGN_OR_RAISE(auto existing, read_(old_files));
      Replace(old_files, {up.key, pv, existing}, plan);
    }
    return Status::OK();
  }

  // Removes the rows in [start, end] from the partitions it touches, except `skip`.
  Status RemoveRange(const std::string& key, Timestamp start, Timestamp end, const std::set<std::string>& skip,
                     KeyPlan* plan) {
    std::set<std::string> parts;
    for (const auto& f : *files_)
      if (f.max_ts >= start && f.min_ts <= end && !skip.count(f.partition)) parts.insert(f.partition);
    for (const auto& pv : parts) {
      auto old_files = FilesIn(pv);
      SYSTORE_ASSIGN_OR_RAISE(auto existing, read_(old_files));
      SYSTORE_ASSIGN_OR_RAISE(auto kept, RemoveTimeRange(existing, start, end));
      if (kept->num_rows() == existing->num_rows()) continue;
      plan->result.rows_removed += existing->num_rows() - kept->num_rows();
      Replace(old_files, {key, pv, kept}, plan);
    }
    return Status::OK();
  }

  Status AppendOrMerge(const SeriesUpdate& up, std::shared_ptr<arrow::Table> incoming, KeyPlan* plan) {
    const PartitionGranularity g = meta_.options.partition;
    const SeriesKind kind = meta_.options.kind;
    const Timestamp last = files_->empty() ? kMinTimestamp : files_->back().max_ts;
    MergeMode mode = up.op == SeriesUpdate::Op::kAppend ? MergeMode::kNewerOnly : up.merge_mode;
    std::vector<Timestamp> ts = TimestampsOf(*incoming);
    // Ticks may append at the last stored timestamp: more trades stamped that time.
    const bool tick_append = kind == SeriesKind::kTicks && up.op == SeriesUpdate::Op::kAppend;
    if (up.op == SeriesUpdate::Op::kAppend && (ts.front() < last || (ts.front() == last && !tick_append))) {
      return Where(up, Status::InvalidArgument("append: first row " + FormatTimestamp(ts.front()) +
                                               " is not after the last stored row " + FormatTimestamp(last) +
                                               " (use merge to combine overlapping data)"));
    }
    if (mode == MergeMode::kNewerOnly && ts.front() <= last && !tick_append) {
      // Rows at or before the last stored one are not written; classify them.
      int64_t n_old = std::upper_bound(ts.begin(), ts.end(), last) - ts.begin();
      for (auto& [pv, old_part] : SplitByPartition(incoming->Slice(0, n_old), g)) {
        SYSTORE_ASSIGN_OR_RAISE(auto existing, read_(FilesIn(pv)));
        SYSTORE_ASSIGN_OR_RAISE(auto outcome, MergeSeries(existing, old_part, MergeMode::kFillGaps, kind));
        plan->result.rows_duplicate += outcome.duplicate;
        plan->result.rows_conflicting += outcome.conflicting;
        plan->result.rows_ignored += outcome.added;
      }
      incoming = incoming->Slice(n_old);
    }
    // Ticks under overwrite replace every stored tick within the incoming time range,
    // also in partitions the incoming rows do not reach.
    const bool tick_overwrite = kind == SeriesKind::kTicks && mode == MergeMode::kOverwrite;
    std::optional<std::pair<Timestamp, Timestamp>> range;
    if (tick_overwrite) range = std::make_pair(ts.front(), ts.back());
    auto parts = SplitByPartition(incoming, g);
    if (tick_overwrite) {
      std::set<std::string> reached;
      for (const auto& [pv, _] : parts) reached.insert(pv);
      SYSTORE_RETURN_NOT_OK(RemoveRange(up.key, ts.front(), ts.back(), reached, plan));
    }
    for (auto& [pv, part] : parts) {
      auto old_files = FilesIn(pv);
      const Timestamp part_last = old_files.empty() ? kMinTimestamp : old_files.back().max_ts;
      const Timestamp part_first = TimestampsOf(*part->Slice(0, 1)).front();
      if (!tick_overwrite && (part_first > part_last || (tick_append && part_first == part_last))) {  // append
        plan->result.rows_added += part->num_rows();
        if (old_files.empty() || RowsOf(old_files) >= meta_.options.rewrite_partition_below_rows) {
          plan->writes.push_back({up.key, pv, part});
        } else {  // a small partition is rewritten, not given another file
          SYSTORE_ASSIGN_OR_RAISE(auto existing, read_(old_files));
          SYSTORE_ASSIGN_OR_RAISE(auto both, ConcatTables({existing, part}, existing->schema()));
          Replace(old_files, {up.key, pv, both}, plan);
        }
        continue;
      }
      SYSTORE_ASSIGN_OR_RAISE(auto existing, read_(old_files));
      SYSTORE_ASSIGN_OR_RAISE(auto outcome, MergeSeries(existing, part, mode, kind, range));
      plan->result.rows_added += outcome.added;
      plan->result.rows_duplicate += outcome.duplicate;
      plan->result.rows_conflicting += outcome.conflicting;
      if (outcome.table == existing) continue;
      if (mode == MergeMode::kOverwrite) plan->result.rows_removed += outcome.conflicting;
      Replace(old_files, {up.key, pv, outcome.table}, plan);
    }
    return Status::OK();
  }

  const DatasetState& state_;
  DatasetMeta& meta_;
  const std::string dataset_;
  const FileReader read_;
  const std::vector<DataFile>* files_ = nullptr;  // of the key being planned
};

// Copies the files planned to move into the cold location (dir/_cold/..., fsynced) and
// returns them with their new paths; on failure removes the copies.
Result<std::vector<DataFile>> CopyToCold(const std::string& dir, const std::vector<KeyPlan>& plans) {
  std::vector<DataFile> moved;
  for (const auto& p : plans) moved.insert(moved.end(), p.moves.begin(), p.moves.end());
  Status st = ParallelFor(static_cast<int>(moved.size()), 2, [&](int i) -> Status {
    DataFile& f = moved[i];
    const std::string to = std::string(kColdDirectory) + f.path;
    SYSTORE_RETURN_NOT_OK(CreateDirectories(std::filesystem::path(dir + "/" + to).parent_path().string()));
    SYSTORE_ASSIGN_OR_RAISE(std::string bytes, ReadFileToString(dir + "/" + f.path));
    SYSTORE_RETURN_NOT_OK(WriteFileDurably(dir + "/" + to, bytes));
    f.path = to;
    f.modification_time_ms = Now() / 1'000'000;
    return Status::OK();
  });
  if (!st.ok()) {
    for (const auto& f : moved)
      if (f.path.rfind(kColdDirectory, 0) == 0) (void)RemoveFile(dir + "/" + f.path);
    return st;
  }
  return moved;
}

void RemoveDataFiles(const std::string& dir, const std::vector<DataFile>& files) {
  for (const auto& f : files)
    if (!f.path.empty()) (void)RemoveFile(dir + "/" + f.path);
}

// Writes the planned tables as new data files (in parallel, fsynced); on failure removes
// what was written.
Result<std::vector<DataFile>> WriteDataFiles(const std::string& dir, const DatasetMeta& meta, int64_t version,
                                             std::vector<KeyPlan>* plans) {
  std::vector<PendingFile> pending;
  for (auto& p : *plans)
    for (auto& w : p.writes) pending.push_back(std::move(w));
  std::vector<DataFile> added(pending.size());
  const PartitionGranularity g = meta.options.partition;
  char vbuf[16];
  std::snprintf(vbuf, sizeof vbuf, "%05lld", static_cast<long long>(version));
  Status st = ParallelFor(static_cast<int>(pending.size()), 2, [&](int i) -> Status {
    const PendingFile& p = pending[i];
    DataFile& f = added[i];
    std::string part_dir = PartitionDirectory(p.key, g, p.partition);
    SYSTORE_RETURN_NOT_OK(CreateDirectories(dir + "/" + part_dir));
    const char* codec = meta.options.compression == DatasetOptions::Compression::kLz4 ? ".lz4" : ".zstd";
    f.path = part_dir + "/part-" + vbuf + "-" + RandomHexId() + codec + ".parquet";
    SYSTORE_ASSIGN_OR_RAISE(f.size, WriteParquetFile(dir + "/" + f.path, *p.table, meta.options));
    std::vector<Timestamp> ts = TimestampsOf(*p.table->Slice(0, 1));
    std::vector<Timestamp> te = TimestampsOf(*p.table->Slice(p.table->num_rows() - 1));
    f.key = p.key;
    f.partition = p.partition;
    f.rows = p.table->num_rows();
    f.min_ts = ts.front();
    f.max_ts = te.front();
    f.modification_time_ms = Now() / 1'000'000;
    return Status::OK();
  });
  if (!st.ok()) {
    RemoveDataFiles(dir, added);
    return st;
  }
  return added;
}

}  // namespace

Result<WriteResult> TimeSeriesStoreImpl::Write(const std::string& dataset, const std::string& key,
                                               std::shared_ptr<arrow::Table> data) {
  std::vector<SeriesUpdate> u(1);
  u[0].op = SeriesUpdate::Op::kWrite;
  u[0].key = key;
  u[0].data = std::move(data);
  SYSTORE_ASSIGN_OR_RAISE(auto r, Apply(dataset, std::move(u)));
  return r[0];
}

Result<WriteResult> TimeSeriesStoreImpl::Append(const std::string& dataset, const std::string& key,
                                                std::shared_ptr<arrow::Table> data) {
  if (options_.wal.enabled) {
    SYSTORE_RETURN_NOT_OK(ValidateKey(key));
    SYSTORE_ASSIGN_OR_RAISE(Dataset * ds, GetDataset(dataset));
    if (ds->writing.load()) {
      // Already this dataset's writer: its state is current (no log check per append).
      std::shared_ptr<const DatasetState> own;
      {
        std::lock_guard<std::mutex> l(ds->state_mu);
        own = ds->state;
      }
      if (own && !own->meta.columns.empty()) return AppendThroughWal(ds, key, std::move(data));
    }
    auto state = LatestState(ds);
    // The first write to a dataset (or to a dataset with no schema yet) fixes its schema
    // through a regular commit; later appends go through the log.
    if (state.ok() && !(*state)->meta.columns.empty()) return AppendThroughWal(ds, key, std::move(data));
    if (!state.ok() && !state.status().IsNotFound()) return state.status();
  }
  std::vector<SeriesUpdate> u(1);
  u[0].op = SeriesUpdate::Op::kAppend;
  u[0].key = key;
  u[0].data = std::move(data);
  SYSTORE_ASSIGN_OR_RAISE(auto r, Apply(dataset, std::move(u)));
  return r[0];
}

Result<WriteResult> TimeSeriesStoreImpl::Merge(const std::string& dataset, const std::string& key,
                                               std::shared_ptr<arrow::Table> data, MergeMode mode) {
  std::vector<SeriesUpdate> u(1);
  u[0].op = SeriesUpdate::Op::kMerge;
  u[0].key = key;
  u[0].data = std::move(data);
  u[0].merge_mode = mode;
  SYSTORE_ASSIGN_OR_RAISE(auto r, Apply(dataset, std::move(u)));
  return r[0];
}

Result<WriteResult> TimeSeriesStoreImpl::Delete(const std::string& dataset, const std::string& key) {
  std::vector<SeriesUpdate> u(1);
  u[0].op = SeriesUpdate::Op::kDelete;
  u[0].key = key;
  SYSTORE_ASSIGN_OR_RAISE(auto r, Apply(dataset, std::move(u)));
  return r[0];
}

Result<WriteResult> TimeSeriesStoreImpl::DeleteRange(const std::string& dataset, const std::string& key,
                                                     Timestamp start, Timestamp end) {
  std::vector<SeriesUpdate> u(1);
  u[0].op = SeriesUpdate::Op::kDeleteRange;
  u[0].key = key;
  u[0].start = start;
  u[0].end = end;
  SYSTORE_ASSIGN_OR_RAISE(auto r, Apply(dataset, std::move(u)));
  return r[0];
}

Result<std::vector<WriteResult>> TimeSeriesStoreImpl::Apply(const std::string& dataset,
                                                            std::vector<SeriesUpdate> updates,
                                                            const CommitOptions& options) {
  if (updates.empty()) return std::vector<WriteResult>{};
  std::string operation;
  switch (updates[0].op) {
    case SeriesUpdate::Op::kWrite:
      operation = "WRITE";
      break;
    case SeriesUpdate::Op::kAppend:
      operation = "APPEND";
      break;
    case SeriesUpdate::Op::kMerge:
      operation = "MERGE";
      break;
    case SeriesUpdate::Op::kDelete:
      operation = "DELETE";
      break;
    case SeriesUpdate::Op::kDeleteRange:
      operation = "DELETE_RANGE";
      break;
    case SeriesUpdate::Op::kCompact:
      operation = "COMPACT";
      break;
    case SeriesUpdate::Op::kMoveToCold:
      operation = "TIER";
      break;
  }
  SYSTORE_ASSIGN_OR_RAISE(Dataset * ds, GetDataset(dataset));
  if (!options_.wal.enabled) return ApplyCommitted(ds, std::move(updates), operation, 0, options.user_metadata);
  SYSTORE_RETURN_NOT_OK(EnsureWriter(ds));
  // Appends wait while a regular write changes the dataset: the log's tail is flushed
  // first so that every key's rows stay in time order across Parquet and the tail.
  std::lock_guard<std::mutex> append_lock(ds->append_mu);
  SYSTORE_RETURN_NOT_OK(FlushDataset(ds, true));
  for (const auto& u : updates) ds->last_accepted.erase(u.key);
  return ApplyCommitted(ds, std::move(updates), operation, 0, options.user_metadata);
}

Result<WriteResult> TimeSeriesStoreImpl::Compact(const std::string& dataset) {
  SYSTORE_ASSIGN_OR_RAISE(auto keys, List(dataset, "", {}));
  std::vector<SeriesUpdate> updates;
  for (const auto& k : keys) {
    SeriesUpdate u;
    u.op = SeriesUpdate::Op::kCompact;
    u.key = k.key;
    updates.push_back(std::move(u));
  }
  SYSTORE_ASSIGN_OR_RAISE(auto results, Apply(dataset, std::move(updates)));
  WriteResult total;
  for (const auto& r : results) total.version = std::max(total.version, r.version);
  return total;
}

Result<std::vector<WriteResult>> TimeSeriesStoreImpl::ApplyCommitted(Dataset* ds, std::vector<SeriesUpdate> updates,
                                                                     const std::string& operation, uint64_t wal_seq,
                                                                     const std::string& user_metadata) {
  const std::string& dataset = ds->name;
  std::set<std::string> seen;
  for (const auto& u : updates) {
    SYSTORE_RETURN_NOT_OK(ValidateKey(u.key));
    if (!seen.insert(u.key).second) {
      return Status::InvalidArgument("key '" + u.key + "' appears twice in one commit");
    }
  }
  std::lock_guard<std::mutex> lock(ds->write_mu);
  for (int attempt = 0;; ++attempt) {
    auto r = ApplyOnce(ds, dataset, updates, operation, wal_seq, user_metadata);
    if (r.ok() || !r.status().IsConflict() || attempt == kMaxConflictRetries) return r;
  }
}

Result<std::vector<WriteResult>> TimeSeriesStoreImpl::ApplyOnce(Dataset* ds, const std::string& dataset,
                                                                std::vector<SeriesUpdate>& updates,
                                                                const std::string& operation, uint64_t wal_seq,
                                                                const std::string& user_metadata) {
  // 1. The state written on: the latest version, or an empty one for a new dataset.
  std::shared_ptr<const DatasetState> state;
  auto latest = LatestState(ds);
  if (latest.ok()) {
    state = *latest;
  } else if (latest.status().IsNotFound()) {
    auto fresh = std::make_shared<DatasetState>();
    fresh->meta.table_id = RandomHexId();
    fresh->meta.options = DatasetOptions::ForName(dataset);
    state = fresh;
  } else {
    return latest.status();
  }
  const int64_t version = state->version + 1;
  DatasetMeta meta = state->meta;
  const bool new_schema = meta.columns.empty();

  // 2. Plan every key: the files it removes and the tables it writes.
  KeyPlanner planner(*state, &meta, dataset, [&](const std::vector<DataFile>& fs) {
    return ReadFiles(*state, fs, {}, kMinTimestamp, kMaxTimestamp);
  });
  std::vector<KeyPlan> plans;
  plans.reserve(updates.size());
  for (auto& up : updates) {
    SYSTORE_ASSIGN_OR_RAISE(KeyPlan plan, planner.Plan(up));
    plans.push_back(std::move(plan));
  }

  // 3. Write the new files (in parallel, fsynced).
  const std::string dir = ds->log.dataset_dir();
  SYSTORE_ASSIGN_OR_RAISE(std::vector<DataFile> added, WriteDataFiles(dir, meta, version, &plans));
  auto moved = CopyToCold(dir, plans);
  if (!moved.ok()) {
    RemoveDataFiles(dir, added);
    return moved.status();
  }
  added.insert(added.end(), moved->begin(), moved->end());

  // 4. Commit one log entry (nothing at all when nothing changed), then publish it.
  std::vector<WriteResult> results;
  CommitPlan commit;
  commit.operation = operation;
  commit.adds = added;
  for (size_t u = 0; u < plans.size(); ++u) {
    commit.removes.insert(commit.removes.end(), plans[u].removes.begin(), plans[u].removes.end());
    commit.keys.push_back(updates[u].key);
    commit.rows_added += plans[u].result.rows_added;
    commit.rows_removed += plans[u].result.rows_removed;
    results.push_back(plans[u].result);
  }
  if (version == 0 || (new_schema && !meta.columns.empty())) commit.new_meta = meta;
  commit.layout_meta = &meta;
  commit.wal_flushed_seq = wal_seq;
  commit.user_metadata = user_metadata;
  if (commit.adds.empty() && commit.removes.empty() && !commit.new_meta && wal_seq == 0) {
    return results;  // nothing changed: no empty commit
  }
  Status st = ds->log.Commit(version, commit);
  if (!st.ok()) {
    RemoveDataFiles(dir, added);
    return st;
  }
  for (auto& r : results) r.version = version;
  {
    // Publish the new version and drop the flushed tail in one step, so that a reader
    // sees the flushed rows exactly once.
    std::lock_guard<std::mutex> l(ds->state_mu);
    auto next = std::make_shared<DatasetState>(ds->state ? *ds->state : DatasetState());
    SYSTORE_RETURN_NOT_OK(ds->log.Refresh(next.get()));
    ds->state = std::move(next);
    if (wal_seq > 0) ds->imm.reset();
  }
  if (version > 0 && version % DeltaLog::kCheckpointInterval == 0) {
    Status cp = ds->log.WriteCheckpoint(*ds->state);
    if (!cp.ok())
      std::fprintf(stderr, "systore: checkpoint of '%s' skipped: %s\n", dataset.c_str(), cp.ToString().c_str());
  }
  return results;
}

}  // namespace systore
