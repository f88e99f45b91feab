// `systore ts ...`: the time-series store from the command line.
#include <arrow/api.h>

#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/batch_ingest.h"
#include "systore/series_csv.h"

namespace systore::cli {
namespace {

struct ImportArgs {
  std::string dataset;
  std::vector<std::string> paths;
  std::string key;
  bool key_from_filename = false;
  std::string format;  // "", csv, parquet
  std::string mode = "write";
  std::string merge_mode = "newer";
  std::string duplicates;  // "" = the dataset's policy (quality.json)
  std::string kind;
  std::string partition;
  std::string string_columns;
  std::string actor;
  bool no_validate = false;
};

struct ReadArgs {
  std::string dataset, key, start, end, columns, format = "csv", output, snapshot;
  int64_t as_of = -1;
  int64_t n = 10;
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t c = s.find(',', start);
    if (c == std::string::npos) c = s.size();
    if (c > start) out.push_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

void RunImport(const std::string& root, const ImportArgs& a) {
  if (a.key.empty() && !a.key_from_filename) {
    ExitOnError(Status::InvalidArgument("give --key KEY or --key-from-filename"));
  }
  ColumnMapping m;
  m.key = a.key;
  m.format = a.format;
  m.string_columns = SplitComma(a.string_columns);
  ImportMode mode;
  if (a.mode == "write") {
    mode.op = SeriesUpdate::Op::kWrite;
  } else if (a.mode == "append") {
    mode.op = SeriesUpdate::Op::kAppend;
  } else {
    mode.merge_mode = a.merge_mode == "overwrite"   ? MergeMode::kOverwrite
                      : a.merge_mode == "fill-gaps" ? MergeMode::kFillGaps
                                                    : MergeMode::kNewerOnly;
  }
  if (!a.duplicates.empty()) {
    mode.duplicates = a.duplicates == "error"        ? DuplicatePolicy::kError
                      : a.duplicates == "keep-first" ? DuplicatePolicy::kKeepFirst
                      : a.duplicates == "keep-all"   ? DuplicatePolicy::kKeepAll
                                                     : DuplicatePolicy::kKeepLast;
  }
  static const std::map<std::string, SeriesKind> kKinds = {
      {"generic", SeriesKind::kGeneric}, {"ohlcv", SeriesKind::kOhlcv}, {"ticks", SeriesKind::kTicks}};
  static const std::map<std::string, PartitionGranularity> kPartitions = {{"none", PartitionGranularity::kNone},
                                                                          {"year", PartitionGranularity::kYear},
                                                                          {"month", PartitionGranularity::kMonth},
                                                                          {"day", PartitionGranularity::kDay}};
  if (!a.kind.empty()) mode.kind = kKinds.at(a.kind);  // CLI11 checked the names
  if (!a.partition.empty()) mode.partition = kPartitions.at(a.partition);

  std::mutex mu;
  std::unique_ptr<ProgressBar> bar;
  BatchIngestOptions o;
  o.root = root;
  o.store = TimeSeriesOrExit(root);
  o.validate = !a.no_validate;
  o.actor = a.actor;
  o.progress = [&](int64_t done, int64_t total) {
    std::lock_guard<std::mutex> lock(mu);
    if (!bar) bar = std::make_unique<ProgressBar>("import", total);
    bar->Advance();
  };
  auto ingest = ValueOrExit(BatchIngest::Open(o));
  auto d = ValueOrExit(ingest->ImportFiles(a.dataset, a.paths, m, mode));
  if (bar) bar->Finish();
  std::cout << "imported " << d.files << " file(s) into " << a.dataset << " (mode " << a.mode
            << (a.mode == "merge" ? "/" + a.merge_mode : "") << (a.no_validate ? ", validation off: --no-validate" : "")
            << "): " << d.rows_read << " rows read, " << d.rows_added << " added, " << d.rows_already_stored
            << " already stored, " << d.rows_unchanged << " unchanged, " << d.rows_conflicting << " conflicting, "
            << d.rows_removed << " replaced/removed, " << d.rows_quarantined << " quarantined";
  if (d.rows_already_quarantined) std::cout << ", " << d.rows_already_quarantined << " already quarantined";
  std::cout << "; version " << (d.version < 0 ? std::string("unchanged") : std::to_string(d.version)) << "; "
            << d.seconds << " s" << std::endl;
  for (const auto& r : d.rejected) std::cout << "  rejected " << r << std::endl;
  for (size_t i = 0; i < d.serious_findings.size() && i < 10; ++i) {
    const Finding& f = d.serious_findings[i];
    std::cout << "  " << SeverityName(f.severity) << " " << f.rule << (f.source.empty() ? "" : " at " + f.source)
              << ": " << f.message << std::endl;
  }
  if (d.serious_findings.size() > 10) std::cout << "  ... " << d.serious_findings.size() - 10 << " more" << std::endl;
  if (d.rows_quarantined > 0 || !d.rejected.empty() || !d.serious_findings.empty()) {
    std::cout << "see: systore quality quarantine list" << std::endl;
  }
}

ReadOptions ToReadOptions(const ReadArgs& a) {
  ReadOptions ro;
  ro.start = ParseTimeArg(a.start, kMinTimestamp);
  ro.end = ParseTimeArg(a.end, kMaxTimestamp);
  ro.columns = SplitComma(a.columns);
  if (a.as_of >= 0) ro.as_of_version = a.as_of;
  if (!a.snapshot.empty()) ro.snapshot = a.snapshot;
  return ro;
}

// One handler per command: its options and what it runs.
void AddImportCommand(CLI::App* ts, std::string& root) {
  auto imp = std::make_shared<ImportArgs>();
  auto* c = ts->add_subcommand("import",
                         "Import CSV (pysystemtrade layout: DATETIME,<columns>) or Parquet files as series,\n"
                         "through the quality gate like `systore ingest` (quality.json decides; rows kept out go\n"
                         "to the quarantine: systore quality quarantine list), one commit for all files.\n"
                         "A bad line or value is kept out (quarantined) and never stops the import; --no-validate\n"
                         "(a trusted restore) skips the validators. The summary counts every row.\n"
                         "  systore ts import prices/adjusted ../shared/data/adjusted_prices_csv --key-from-filename\n"
                         "  systore ts import prices/adjusted today/ --key-from-filename --mode merge");
  c->add_option("dataset", imp->dataset, "Dataset, e.g. prices/adjusted")->required();
  c->add_option("paths", imp->paths, "Files or directories (every .csv/.parquet inside)")->required();
  auto* key_opt = c->add_option("--key", imp->key, "Series key (single file)");
  c->add_flag("--key-from-filename", imp->key_from_filename, "Key = file name without extension")->excludes(key_opt);
  c->add_option("--format", imp->format, "csv or parquet (default: by extension)")
      ->check(CLI::IsMember({"csv", "parquet"}));
  c->add_option("--mode", imp->mode, "write (replace series), append (after last row) or merge")
      ->check(CLI::IsMember({"write", "append", "merge"}))
      ->capture_default_str();
  c->add_option("--merge-mode", imp->merge_mode,
                "newer: only rows after the last stored; fill-gaps: only missing timestamps; "
                "overwrite: replace overlapping rows")
      ->check(CLI::IsMember({"newer", "fill-gaps", "overwrite"}))
      ->capture_default_str();
  c->add_option("--duplicates", imp->duplicates,
                "Repeated timestamps in a file: error, keep-first, keep-last or keep-all (ticks only) (default:\n"
                "the dataset's policy in quality.json; keep-last, keep-all for tick datasets); the rows not kept\n"
                "go to the quarantine")
      ->check(CLI::IsMember({"error", "keep-first", "keep-last", "keep-all"}));
  c->add_option("--string-columns", imp->string_columns, "CSV columns read as text (besides *_CONTRACT)");
  c->add_flag("--no-validate", imp->no_validate, "Skip the validators (a trusted restore); printed in the summary");
  c->add_option("--actor", imp->actor, "Recorded in quarantine entries (default $USER)");
  c->add_option("--kind", imp->kind, "For a new dataset: generic, ohlcv or ticks (default from its name)")
      ->check(CLI::IsMember({"generic", "ohlcv", "ticks"}));
  c->add_option("--partition", imp->partition, "For a new dataset: year, month, day or none")
      ->check(CLI::IsMember({"year", "month", "day", "none"}));
  c->callback([&root, imp] { RunImport(ResolveRoot(root), *imp); });
}

void AddReadCommand(CLI::App* ts, std::string& root) {
  auto rd = std::make_shared<ReadArgs>();
  auto* c = ts->add_subcommand("read", "Read a series (optionally a time range, some columns, an older version)");
  c->add_option("dataset", rd->dataset)->required();
  c->add_option("key", rd->key)->required();
  c->add_option("--start", rd->start, "Inclusive start, e.g. 2024-01-01 or '2024-01-01 23:00:00'");
  c->add_option("--end", rd->end, "Inclusive end");
  c->add_option("--columns", rd->columns, "Comma-separated value columns (default: all)");
  c->add_option("--as-of", rd->as_of, "Dataset version to read (see ts versions)");
  c->add_option("--snapshot", rd->snapshot, "Named snapshot to read");
  c->add_option("--format", rd->format, "csv, json or parquet")
      ->check(CLI::IsMember({"csv", "json", "parquet"}))
      ->capture_default_str();
  c->add_option("--output,-o", rd->output, "Write to FILE instead of stdout");
  c->callback([&root, rd] {
    auto* store = TimeSeriesOrExit(ResolveRoot(root));
    auto t = ValueOrExit(store->Read(rd->dataset, rd->key, ToReadOptions(*rd)));
    OutputTable(t, ValueOrExit(store->GetDatasetOptions(rd->dataset)), rd->format, rd->output);
  });
}

void AddLatestCommand(CLI::App* ts, std::string& root) {
  auto lt = std::make_shared<ReadArgs>();
  auto* c = ts->add_subcommand("latest", "The last N rows of a series");
  c->add_option("dataset", lt->dataset)->required();
  c->add_option("key", lt->key)->required();
  c->add_option("-n", lt->n, "Number of rows")->capture_default_str();
  c->add_option("--columns", lt->columns, "Comma-separated value columns (default: all)");
  c->add_option("--format", lt->format, "csv or json")->check(CLI::IsMember({"csv", "json"}))->capture_default_str();
  c->callback([&root, lt] {
    auto* store = TimeSeriesOrExit(ResolveRoot(root));
    auto t = ValueOrExit(store->Latest(lt->dataset, lt->key, lt->n, ToReadOptions(*lt)));
    OutputTable(t, ValueOrExit(store->GetDatasetOptions(lt->dataset)), lt->format, "");
  });
}

void AddListCommand(CLI::App* ts, std::string& root) {
  auto ls = std::make_shared<ReadArgs>();
  auto* c = ts->add_subcommand("list", "List datasets, or the series of one dataset");
  c->add_option("dataset", ls->dataset, "Dataset (omit to list datasets)");
  c->add_option("--prefix", ls->key, "Only keys starting with this");
  c->callback([&root, ls] {
    auto* store = TimeSeriesOrExit(ResolveRoot(root));
    if (ls->dataset.empty()) {
      for (const auto& d : ValueOrExit(store->ListDatasets())) {
        auto series = ValueOrExit(store->List(d));
        int64_t rows = 0;
        for (const auto& s : series) rows += s.rows;
        std::printf("%-32s %6zu series %12lld rows  version %lld\n", d.c_str(), series.size(),
                    static_cast<long long>(rows), static_cast<long long>(ValueOrExit(store->CurrentVersion(d))));
      }
      return;
    }
    std::printf("%-28s %10s  %-19s  %-19s %6s %10s\n", "key", "rows", "first", "last", "files", "bytes");
    for (const auto& s : ValueOrExit(store->List(ls->dataset, ls->key))) {
      std::printf("%-28s %10lld  %-19s  %-19s %6lld %10lld\n", s.key.c_str(), static_cast<long long>(s.rows),
                  FormatTimestamp(s.first).c_str(), FormatTimestamp(s.last).c_str(), static_cast<long long>(s.files),
                  static_cast<long long>(s.bytes));
    }
  });
}

void AddVersionsCommand(CLI::App* ts, std::string& root) {
  auto vs = std::make_shared<ReadArgs>();
  auto* c = ts->add_subcommand("versions", "Commits of a dataset (only those touching KEY when given)");
  c->add_option("dataset", vs->dataset)->required();
  c->add_option("key", vs->key);
  c->callback([&root, vs] {
    auto* store = TimeSeriesOrExit(ResolveRoot(root));
    std::printf("%8s  %-19s  %-12s %10s %10s  keys\n", "version", "committed (UTC)", "operation", "added", "removed");
    for (const auto& v : ValueOrExit(store->Versions(vs->dataset, vs->key))) {
      std::string keys;
      for (size_t i = 0; i < v.keys.size() && i < 5; ++i) keys += (i ? "," : "") + v.keys[i];
      if (v.keys.size() > 5) keys += ",... (" + std::to_string(v.keys.size()) + ")";
      std::printf("%8lld  %-19s  %-12s %10lld %10lld  %s\n", static_cast<long long>(v.version),
                  FormatTimestamp(v.committed_at - v.committed_at % kNanosPerSecond).c_str(), v.operation.c_str(),
                  static_cast<long long>(v.rows_added), static_cast<long long>(v.rows_removed), keys.c_str());
    }
  });
}

void AddVacuumCommand(CLI::App* ts, std::string& root) {
  auto vac = std::make_shared<std::tuple<std::string, double, bool>>("", 168.0, false);
  auto* c = ts->add_subcommand("vacuum", "Delete data files no longer referenced (after the retention period)");
  c->add_option("dataset", std::get<0>(*vac))->required();
  c->add_option("--retention-hours", std::get<1>(*vac),
                "Keep unreferenced files this long, so readers of older versions keep working")
      ->capture_default_str();
  c->add_flag("--dry-run", std::get<2>(*vac), "Only report what would be deleted");
  c->callback([&root, vac] {
    auto* store = TimeSeriesOrExit(ResolveRoot(root));
    auto r = ValueOrExit(
        store->Vacuum(std::get<0>(*vac), static_cast<int64_t>(std::get<1>(*vac) * 3600e9), std::get<2>(*vac)));
    std::printf("%s %lld files (%lld bytes); %lld unreferenced files kept for retention\n",
                std::get<2>(*vac) ? "would delete" : "deleted", static_cast<long long>(r.files_deleted),
                static_cast<long long>(r.bytes_deleted), static_cast<long long>(r.files_kept_for_retention));
  });
}

void AddFlushCommand(CLI::App* ts, std::string& root) {
  auto fl = std::make_shared<std::string>();
  auto* c = ts->add_subcommand("flush",
                         "Write rows still in the write-ahead log to Parquet (one commit), so that other\n"
                         "processes see them; also recovers the log of a writer that died. Fails, naming\n"
                         "its pid, if another process is writing the dataset.");
  c->add_option("dataset", *fl)->required();
  c->callback([&root, fl] {
    auto* store = TimeSeriesOrExit(ResolveRoot(root));
    ExitOnError(store->Flush(*fl));
    for (const auto& r : store->RecoveryReports()) {
      std::printf("recovered %lld log records (%lld rows)%s%s\n", static_cast<long long>(r.records_replayed),
                  static_cast<long long>(r.rows_replayed), r.cut_reason.empty() ? "" : "; cut: ", r.cut_reason.c_str());
    }
    std::printf("flushed %s; version %lld\n", fl->c_str(),
                static_cast<long long>(ValueOrExit(store->CurrentVersion(*fl))));
  });
}

void AddCompactCommand(CLI::App* ts, std::string& root) {
  auto cp = std::make_shared<std::string>();
  auto* c = ts->add_subcommand("compact",
                         "Merge each partition's files into one (one commit; vacuum removes the old files later)");
  c->add_option("dataset", *cp)->required();
  c->callback([&root, cp] {
    auto* store = TimeSeriesOrExit(ResolveRoot(root));
    size_t before = 0, after = 0;
    for (const auto& s : ValueOrExit(store->List(*cp))) before += s.files;
    auto r = ValueOrExit(store->Compact(*cp));
    for (const auto& s : ValueOrExit(store->List(*cp))) after += s.files;
    std::printf("%zu files -> %zu; version %s\n", before, after,
                r.version < 0 ? "unchanged" : std::to_string(r.version).c_str());
  });
}

void AddDeleteCommand(CLI::App* ts, std::string& root) {
  auto del = std::make_shared<ReadArgs>();
  auto* c = ts->add_subcommand("delete", "Delete a series, or the rows of a time range (--start/--end)");
  c->add_option("dataset", del->dataset)->required();
  c->add_option("key", del->key)->required();
  c->add_option("--start", del->start, "Inclusive start of the rows to delete");
  c->add_option("--end", del->end, "Inclusive end of the rows to delete");
  c->callback([&root, del] {
    auto* store = TimeSeriesOrExit(ResolveRoot(root));
    WriteResult r =
        del->start.empty() && del->end.empty()
            ? ValueOrExit(store->Delete(del->dataset, del->key))
            : ValueOrExit(store->DeleteRange(del->dataset, del->key, ParseTimeArg(del->start, kMinTimestamp),
                                             ParseTimeArg(del->end, kMaxTimestamp)));
    std::printf("removed %lld rows; version %lld\n", static_cast<long long>(r.rows_removed),
                static_cast<long long>(r.version));
  });
}

void AddSnapshotCommand(CLI::App* ts, std::string& root) {
  auto snap = std::make_shared<std::pair<std::string, std::string>>();
  auto* c = ts->add_subcommand("snapshot", "Named snapshots pin the current version of every dataset");
  c->add_option("action", snap->first, "create, list or delete")
      ->required()
      ->check(CLI::IsMember({"create", "list", "delete"}));
  c->add_option("name", snap->second, "Snapshot name");
  c->callback([&root, snap] {
    auto* store = TimeSeriesOrExit(ResolveRoot(root));
    if (snap->first == "list") {
      for (const auto& s : ValueOrExit(store->ListSnapshots())) {
        std::printf("%-24s %s  %zu datasets\n", s.name.c_str(), FormatTimestamp(s.created_at).c_str(),
                    s.dataset_versions.size());
      }
      return;
    }
    if (snap->second.empty()) ExitOnError(Status::InvalidArgument("snapshot " + snap->first + " needs a NAME"));
    ExitOnError(snap->first == "create" ? store->CreateSnapshot(snap->second) : store->DeleteSnapshot(snap->second));
    std::printf("snapshot %s %s\n", snap->second.c_str(), snap->first == "create" ? "created" : "deleted");
  });
}

}  // namespace

void AddTimeSeriesCommands(CLI::App& app, std::string& root) {
  auto* ts =
      app.add_subcommand("ts", "Time series: import, read, latest, list, versions, flush, compact, vacuum, snapshots");
  ts->require_subcommand(1);
  AddImportCommand(ts, root);
  AddReadCommand(ts, root);
  AddLatestCommand(ts, root);
  AddListCommand(ts, root);
  AddVersionsCommand(ts, root);
  AddVacuumCommand(ts, root);
  AddFlushCommand(ts, root);
  AddCompactCommand(ts, root);
  AddDeleteCommand(ts, root);
  AddSnapshotCommand(ts, root);
}

}  // namespace systore::cli
