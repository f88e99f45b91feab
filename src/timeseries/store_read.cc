// The read path: pick the live files of a key that overlap the range (files of a key are
// disjoint and sorted by time), read them through the decoded-file cache, concatenate.
#include <arrow/api.h>

#include <algorithm>
#include <map>

#include "core/parallel.h"
#include "timeseries/series_table.h"
#include "timeseries/store_impl.h"

namespace systore {
namespace {

// Files larger than this many rows are read with row-group pruning instead of cached whole.
constexpr int64_t kMaxCachedFileRows = 1 << 20;

}  // namespace

Result<std::shared_ptr<arrow::Table>> TimeSeriesStoreImpl::ReadFile(const DatasetState& state, const DataFile& file,
                                                                    const std::vector<std::string>& columns,
                                                                    Timestamp start, Timestamp end, bool fill_cache) {
  std::string path = state.dir + "/" + file.path;
  if (file.path.rfind(kColdDirectory, 0) == 0) {  // lifecycle moved it to the cold location
    cold_files_read_.fetch_add(1, std::memory_order_relaxed);
    cold_rows_read_.fetch_add(file.rows, std::memory_order_relaxed);
  }
  std::shared_ptr<arrow::Table> table;
  if (cache_.capacity() > 0 && file.rows <= kMaxCachedFileRows) {
    table = cache_.Get(path);
    if (!table && !fill_cache) return ReadParquetFile(path, columns.empty() ? nullptr : &columns, start, end);
    if (!table) {
      SYSTORE_ASSIGN_OR_RAISE(table, ReadParquetFile(path, nullptr, kMinTimestamp, kMaxTimestamp));
      int64_t bytes = 0;
      for (const auto& col : table->columns())
        for (const auto& chunk : col->chunks())
          for (const auto& buf : chunk->data()->buffers)
            if (buf) bytes += buf->size();
      cache_.Put(path, table, bytes);
    }
    SYSTORE_ASSIGN_OR_RAISE(table, ProjectColumns(table, columns));
    if (start > file.min_ts || end < file.max_ts) return SliceByTime(table, start, end);
    return table;
  }
  return ReadParquetFile(path, columns.empty() ? nullptr : &columns, start, end);
}

Result<std::shared_ptr<arrow::Table>> TimeSeriesStoreImpl::ReadFiles(const DatasetState& state,
                                                                     const std::vector<DataFile>& files,
                                                                     const std::vector<std::string>& columns,
                                                                     Timestamp start, Timestamp end, bool fill_cache) {
  std::vector<std::shared_ptr<arrow::Table>> parts;
  for (const auto& f : files) {
    if (f.max_ts < start || f.min_ts > end) continue;
    SYSTORE_ASSIGN_OR_RAISE(auto t, ReadFile(state, f, columns, start, end, fill_cache));
    parts.push_back(std::move(t));
  }
  std::shared_ptr<arrow::Schema> schema = SeriesSchema(state.meta.columns);
  if (parts.empty()) {
    SYSTORE_ASSIGN_OR_RAISE(auto empty, ConcatTables({}, schema));
    return ProjectColumns(empty, columns);
  }
  return ConcatTables(parts, parts[0]->schema());
}

Result<TimeSeriesStoreImpl::View> TimeSeriesStoreImpl::ViewForRead(const std::string& dataset,
                                                                   const ReadOptions& options) {
  View view;
  if (options.as_of_version || options.snapshot) {
    SYSTORE_ASSIGN_OR_RAISE(view.state, StateForRead(dataset, options));
    return view;
  }
  SYSTORE_ASSIGN_OR_RAISE(Dataset * ds, GetDataset(dataset));
  auto latest = StateForRead(dataset, options);  // refreshes ds->state
  if (!latest.ok()) return latest.status();
  std::lock_guard<std::mutex> lock(ds->state_mu);
  view.state = ds->state;
  view.imm = ds->imm;
  view.mem = ds->mem;
  return view;
}

Result<std::shared_ptr<arrow::Table>> TimeSeriesStoreImpl::TailOf(const View& view, const std::string& key) {
  std::vector<std::shared_ptr<arrow::Table>> parts;
  for (const auto& m : {view.imm, view.mem}) {
    if (!m) continue;
    if (auto t = m->Get(key)) parts.push_back(std::move(t));
  }
  if (parts.empty()) return std::shared_ptr<arrow::Table>();
  return ConcatTables(parts, parts[0]->schema());
}

namespace {

// Parquet rows then tail rows (all newer), range-sliced and projected.
Result<std::shared_ptr<arrow::Table>> WithTail(std::shared_ptr<arrow::Table> stored, std::shared_ptr<arrow::Table> tail,
                                               const ReadOptions& options) {
  if (!tail) return stored;
  SYSTORE_ASSIGN_OR_RAISE(tail, SliceByTime(tail, options.start, options.end));
  SYSTORE_ASSIGN_OR_RAISE(tail, ProjectColumns(tail, options.columns));
  if (tail->num_rows() == 0) return stored;
  if (!stored || stored->num_rows() == 0) return tail;
  return ConcatTables({stored, tail}, stored->schema());
}

}  // namespace

Result<std::shared_ptr<arrow::Table>> TimeSeriesStoreImpl::Read(const std::string& dataset, const std::string& key,
                                                                const ReadOptions& options) {
  if (options.start > options.end) return Status::InvalidArgument("read range start is after end");
  SYSTORE_ASSIGN_OR_RAISE(View view, ViewForRead(dataset, options));
  SYSTORE_ASSIGN_OR_RAISE(auto tail, TailOf(view, key));
  auto it = view.state->files.find(key);
  if (it == view.state->files.end() && !tail) {
    return Status::NotFound("series '" + key + "' not found in dataset '" + dataset + "' (version " +
                            std::to_string(view.state->version) + ")");
  }
  static const std::vector<DataFile> kNone;
  SYSTORE_ASSIGN_OR_RAISE(auto stored, ReadFiles(*view.state, it == view.state->files.end() ? kNone : it->second,
                                                 options.columns, options.start, options.end, options.fill_cache));
  return WithTail(stored, tail, options);
}

Result<std::vector<std::shared_ptr<arrow::Table>>> TimeSeriesStoreImpl::ReadMany(const std::string& dataset,
                                                                                 const std::vector<std::string>& keys,
                                                                                 const ReadOptions& options) {
  SYSTORE_ASSIGN_OR_RAISE(View view, ViewForRead(dataset, options));
  std::vector<std::shared_ptr<arrow::Table>> out(keys.size());
  SYSTORE_RETURN_NOT_OK(ParallelFor(static_cast<int>(keys.size()), options_.read_threads, [&](int i) -> Status {
    SYSTORE_ASSIGN_OR_RAISE(auto tail, TailOf(view, keys[i]));
    auto it = view.state->files.find(keys[i]);
    if (it == view.state->files.end() && !tail) {
      return Status::NotFound("series '" + keys[i] + "' not found in dataset '" + dataset + "'");
    }
    static const std::vector<DataFile> kNone;
    SYSTORE_ASSIGN_OR_RAISE(auto stored, ReadFiles(*view.state, it == view.state->files.end() ? kNone : it->second,
                                                   options.columns, options.start, options.end, options.fill_cache));
    SYSTORE_ASSIGN_OR_RAISE(out[i], WithTail(stored, tail, options));
    return Status::OK();
  }));
  return out;
}

Result<std::shared_ptr<arrow::Table>> TimeSeriesStoreImpl::Latest(const std::string& dataset, const std::string& key,
                                                                  int64_t n, const ReadOptions& options) {
  if (n < 0) return Status::InvalidArgument("latest: n must be >= 0");
  if (options.start != kMinTimestamp || options.end != kMaxTimestamp) {
    // The last n rows within a range (an ingest's seam before a merge in the middle).
    SYSTORE_ASSIGN_OR_RAISE(auto ranged, Read(dataset, key, options));
    return ranged->num_rows() > n ? ranged->Slice(ranged->num_rows() - n) : ranged;
  }
  SYSTORE_ASSIGN_OR_RAISE(View view, ViewForRead(dataset, options));
  SYSTORE_ASSIGN_OR_RAISE(auto tail, TailOf(view, key));
  if (tail) {
    SYSTORE_ASSIGN_OR_RAISE(tail, ProjectColumns(tail, options.columns));
  }
  auto it = view.state->files.find(key);
  if (it == view.state->files.end() && !tail) {
    return Status::NotFound("series '" + key + "' not found in dataset '" + dataset + "'");
  }
  const int64_t tail_rows = tail ? tail->num_rows() : 0;
  if (tail && tail_rows >= n) return tail->Slice(tail_rows - n);
  std::shared_ptr<arrow::Table> stored;
  if (it != view.state->files.end()) {
    const auto& files = it->second;
    size_t first = files.size();
    int64_t rows = 0;
    // At least one file, so that n == 0 still returns the schema.
    while (first > 0 && (rows < n - tail_rows || first == files.size())) rows += files[--first].rows;
    std::vector<DataFile> last_files(files.begin() + first, files.end());
    SYSTORE_ASSIGN_OR_RAISE(stored, ReadFiles(*view.state, last_files, options.columns, kMinTimestamp, kMaxTimestamp));
    if (tail) {
      SYSTORE_ASSIGN_OR_RAISE(stored, ConcatTables({stored, tail}, stored->schema()));
    }
  } else {
    stored = tail;
  }
  if (stored->num_rows() > n) return stored->Slice(stored->num_rows() - n);
  return stored;
}

Result<std::shared_ptr<arrow::Table>> TimeSeriesStoreImpl::ReadMerged(const std::string& low_freq_dataset,
                                                                      const std::string& high_freq_dataset,
                                                                      const std::string& key,
                                                                      const ReadOptions& options) {
  auto high = Read(high_freq_dataset, key, options);
  auto low = Read(low_freq_dataset, key, options);
  if (!high.ok() && !high.status().IsNotFound()) return high.status();
  if (!low.ok() && !low.status().IsNotFound()) return low.status();
  if (!high.ok() && !low.ok()) {
    return Status::NotFound("series '" + key + "' is in neither '" + low_freq_dataset + "' nor '" + high_freq_dataset +
                            "'");
  }
  if (!high.ok() || (*high)->num_rows() == 0) return low;
  if (!low.ok()) return high;
  if (!(*low)->schema()->Equals(*(*high)->schema())) {
    return Status::InvalidArgument("cannot merge '" + low_freq_dataset + "' and '" + high_freq_dataset +
                                   "': their columns differ");
  }
  Timestamp first_high = TimestampsOf(*(*high)->Slice(0, 1)).front();
  SYSTORE_ASSIGN_OR_RAISE(auto before, SliceByTime(*low, kMinTimestamp, first_high - 1));
  return ConcatTables({before, *high}, (*high)->schema());
}

Result<std::vector<SeriesInfo>> TimeSeriesStoreImpl::List(const std::string& dataset, const std::string& prefix,
                                                          const ReadOptions& options) {
  SYSTORE_ASSIGN_OR_RAISE(View view, ViewForRead(dataset, options));
  std::map<std::string, SeriesInfo> infos;
  for (auto it = view.state->files.lower_bound(prefix); it != view.state->files.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    SeriesInfo& info = infos[it->first];
    info.key = it->first;
    info.first = it->second.front().min_ts;
    info.last = it->second.back().max_ts;
    for (const auto& f : it->second) {
      info.rows += f.rows;
      info.bytes += f.size;
      ++info.files;
    }
  }
  // Keys with rows still in the write-ahead-log tail.
  for (const auto& m : {view.imm, view.mem}) {
    if (!m) continue;
    for (const auto& key : m->Keys()) {
      if (key.compare(0, prefix.size(), prefix) != 0) continue;
      auto t = m->Get(key);
      if (!t || t->num_rows() == 0) continue;
      std::vector<Timestamp> ts = TimestampsOf(*t);
      SeriesInfo& info = infos[key];
      if (info.key.empty()) {
        info.key = key;
        info.first = ts.front();
      }
      info.last = ts.back();
      info.rows += t->num_rows();
    }
  }
  std::vector<SeriesInfo> out;
  for (auto& [k, v] : infos) out.push_back(std::move(v));
  return out;
}

Result<std::vector<VersionInfo>> TimeSeriesStoreImpl::Versions(const std::string& dataset, const std::string& key) {
  SYSTORE_ASSIGN_OR_RAISE(Dataset * ds, GetDataset(dataset));
  SYSTORE_ASSIGN_OR_RAISE(auto history, ds->log.History());
  if (history.empty()) return Status::NotFound("dataset '" + dataset + "' does not exist");
  if (key.empty()) return history;
  std::vector<VersionInfo> out;
  for (auto& v : history) {
    if (std::find(v.keys.begin(), v.keys.end(), key) != v.keys.end()) out.push_back(std::move(v));
  }
  return out;
}

}  // namespace systore
