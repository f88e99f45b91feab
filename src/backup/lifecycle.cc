// Retention and hot/cold tiering of time-series data files (include/systore/lifecycle.h).
// The cut-offs are planned from the log; the changes are ordinary store commits
// (DeleteRange for retention, kMoveToCold for tiering), so readers and older versions
// behave as after any other write.
#include "systore/lifecycle.h"

#include <filesystem>
#include <map>

#include "blob/blob_config.h"
#include "core/file_util.h"
#include "systore/timeseries_store.h"
#include "timeseries/delta_log.h"

namespace systore {
namespace {
namespace fs = std::filesystem;

const blob_internal::LifecycleRule* RuleFor(const std::vector<blob_internal::LifecycleRule>& rules,
                                            const std::string& dataset) {
  for (const auto& r : rules) {
    if (r.datasets == dataset) return &r;
    if (!r.datasets.empty() && r.datasets.back() == '*' &&
        dataset.rfind(r.datasets.substr(0, r.datasets.size() - 1), 0) == 0)
      return &r;
  }
  return nullptr;
}

// The leading files of a key whose rows all end before `cutoff` (and do not share their
// last timestamp with the next file); `skip_cold` leaves out files already cold.
struct Cut {
  Timestamp through = kMinTimestamp;
  int64_t files = 0, rows = 0, bytes = 0;
};
// `floor`: files ending before it are left to retention (not counted for a move).
Cut PlanCut(const std::vector<DataFile>& files, Timestamp cutoff, bool skip_cold, Timestamp floor) {
  Cut c;
  for (size_t i = 0; i < files.size(); ++i) {
    const DataFile& f = files[i];
    if (f.max_ts >= cutoff) break;
    if (i + 1 < files.size() && files[i + 1].min_ts == f.max_ts) break;
    c.through = f.max_ts;
    if (f.max_ts < floor || (skip_cold && f.path.rfind(kColdDirectory, 0) == 0)) continue;
    ++c.files;
    c.rows += f.rows;
    c.bytes += f.size;
  }
  return c;
}

// <dataset>/_cold -> <cold_root>/<dataset>, created once.
Status EnsureColdLink(const std::string& dataset_dir, const std::string& cold_root, const std::string& dataset) {
  const fs::path link = fs::path(dataset_dir) / "_cold";
  const fs::path target = fs::path(cold_root) / dataset;
  SYSTORE_RETURN_NOT_OK(CreateDirectories(target.string()));
  std::error_code ec;
  if (fs::is_symlink(link, ec)) {
    if (fs::read_symlink(link, ec) != target)
      return Status::InvalidArgument(link.string() + " links to " + fs::read_symlink(link, ec).string() +
                                     ", not to lifecycle.cold_root's " + target.string());
    return Status::OK();
  }
  if (fs::exists(link, ec)) return Status::OK();  // a real directory (a restored root): cold files are local
  fs::create_directory_symlink(target, link, ec);
  if (ec) return Status::IOError("linking " + link.string() + " to " + target.string() + ": " + ec.message());
  return FsyncPath(dataset_dir);
}

}  // namespace

Result<LifecycleReport> RunLifecycle(const LifecycleOptions& options) {
  if (!options.store) return Status::InvalidArgument("RunLifecycle needs the root's TimeSeriesStore");
  std::string text;
  const std::string config_path = options.root + "/systore.yaml";
  if (auto t = ReadFileToString(config_path); t.ok()) text = std::move(*t);
  SYSTORE_ASSIGN_OR_RAISE(auto config, blob_internal::LoadBlobConfig(options.root, text, config_path));
  const Timestamp now = options.now ? options.now : Now();
  LifecycleReport report;
  SYSTORE_ASSIGN_OR_RAISE(auto datasets, options.store->ListDatasets());
  for (const auto& dataset : datasets) {
    const auto* rule = RuleFor(config.lifecycle, dataset);
    if (!rule) continue;
    const std::string dir = options.root + "/" + dataset;
    for (int pass = 0; pass < 2; ++pass) {
      const bool retention = pass == 0;
      const int64_t age = retention ? rule->retention_ns : rule->cold_after_ns;
      if (age <= 0) continue;
      DatasetState state;
      SYSTORE_RETURN_NOT_OK(DeltaLog(dir).Refresh(&state));
      std::vector<SeriesUpdate> updates;
      for (const auto& [key, files] : state.files) {
        const Timestamp floor = retention || rule->retention_ns <= 0 ? kMinTimestamp : now - rule->retention_ns;
        Cut cut = PlanCut(files, now - age, /*skip_cold=*/!retention, floor);
        if (cut.files == 0) continue;
        report.actions.push_back({dataset, key, retention ? "remove" : "move to cold", cut.files, cut.rows, cut.bytes,
                                  cut.through});
        SeriesUpdate u;
        u.op = retention ? SeriesUpdate::Op::kDeleteRange : SeriesUpdate::Op::kMoveToCold;
        u.key = key;
        u.start = kMinTimestamp;
        u.end = cut.through;
        updates.push_back(std::move(u));
        if (retention) {
          report.files_removed += cut.files;
          report.rows_removed += cut.rows;
        } else {
          report.files_moved += cut.files;
          report.bytes_moved += cut.bytes;
        }
      }
      if (updates.empty() || options.dry_run) continue;
      if (!retention) SYSTORE_RETURN_NOT_OK(EnsureColdLink(dir, config.cold_root, dataset));
      CommitOptions co;
      co.user_metadata = retention ? "lifecycle: retention" : "lifecycle: cold_after";
      SYSTORE_ASSIGN_OR_RAISE(auto results, options.store->Apply(dataset, std::move(updates), co));
      int64_t v = -1;
      for (const auto& r : results) v = std::max(v, r.version);
      if (v >= 0) report.commits.push_back({dataset, v});
    }
  }
  return report;
}

}  // namespace systore
