// `systore backup create|list|verify|prune` and `systore restore`: backups of a whole
// root into a content-addressed repository (a directory or s3://bucket/prefix), restore
// and point-in-time recovery (docs/backup-and-recovery.md).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/backup.h"
#include "systore/time.h"

namespace systore::cli {
namespace {

struct RepoFlag {
  std::string uri;
  void Add(CLI::App* cmd) {
    cmd->add_option("--repo", uri,
                    "Backup repository: a directory or s3://bucket/prefix (default: $SYSTORE_BACKUP_REPO). S3 "
                    "endpoint and keys come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
                    "AWS_REGION, AWS_ALLOW_HTTP");
  }
  std::unique_ptr<BackupRepository> OpenOrExit() const {
    std::string u = uri;
    if (u.empty())
      if (const char* env = std::getenv("SYSTORE_BACKUP_REPO"); env && *env) u = env;
    if (u.empty()) ExitOnError(Status::InvalidArgument("no backup repository: give --repo DIR|s3://bucket/prefix"));
    return ValueOrExit(BackupRepository::Open(u));
  }
};

// Byte progress for long copies (a line every 10% off a terminal).
struct ByteProgress {
  std::unique_ptr<ProgressBar> bar;
  int64_t last = 0;
  std::string label;
  BackupProgress Callback() {
    return [this](int64_t done, int64_t total) {
      if (!bar) bar = std::make_unique<ProgressBar>(label + " (bytes)", total);
      bar->Advance(done - last);
      last = done;
    };
  }
  void Finish() {
    if (bar) bar->Finish();
  }
};

std::string Mb(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  return buf;
}

void PrintInfo(const BackupInfo& b) {
  std::printf("%-26s  %-19s  %-7s  %6lld files  %10s  %s\n", b.id.c_str(), FormatTimestamp(b.captured_at).substr(0, 19).c_str(),
              b.tier.c_str(), static_cast<long long>(b.files), Mb(b.bytes).c_str(), b.label.c_str());
}

void AddCreate(CLI::App* backup, std::string& root) {
  auto* cmd = backup->add_subcommand(
      "create",
      "Back up every store of the root (time series with their WAL tails, the operational database, reference "
      "tables and change log, systore.yaml, quality.json, the quarantine) at one consistent point, while writers "
      "run. Files already in the repository are not copied again.\n"
      "Example: systore --root data backup create --repo /backups/systore --label eod");
  auto repo = std::make_shared<RepoFlag>();
  repo->Add(cmd);
  auto tier = std::make_shared<std::string>("local");
  auto label = std::make_shared<std::string>();
  cmd->add_option("--tier", *tier, "local or offsite (recorded in the manifest; --repo decides where)")
      ->check(CLI::IsMember({"local", "offsite"}));
  cmd->add_option("--label", *label, "Free text shown by backup list");
  cmd->callback([&root, repo, tier, label] {
    auto r = repo->OpenOrExit();
    ByteProgress progress{.label = "backup"};
    auto info = ValueOrExit(r->Create({.root = ResolveRoot(root), .label = *label, .tier = *tier, .progress = progress.Callback()}));
    progress.Finish();
    std::printf("backup %s of %s: %lld files (%s), %lld datasets\n", info.id.c_str(), ResolveRoot(root).c_str(),
                static_cast<long long>(info.files), Mb(info.bytes).c_str(), static_cast<long long>(info.datasets));
    std::printf("copied %lld new files (%s); the rest were already in %s\n", static_cast<long long>(info.files_copied),
                Mb(info.bytes_copied).c_str(), r->uri().c_str());
    std::printf("captured %s .. %s UTC, %.3f s\n", FormatTimestamp(info.started_at).c_str(),
                FormatTimestamp(info.captured_at).c_str(), info.seconds);
  });
}

void AddList(CLI::App* backup) {
  auto* cmd = backup->add_subcommand("list", "Complete backups in the repository, oldest first");
  auto repo = std::make_shared<RepoFlag>();
  repo->Add(cmd);
  auto format = std::make_shared<std::string>("table");
  cmd->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([repo, format] {
    auto list = ValueOrExit(repo->OpenOrExit()->List());
    if (*format == "json") {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& b : list) {
        j.push_back({{"id", b.id}, {"label", b.label}, {"tier", b.tier}, {"started_at", FormatTimestamp(b.started_at)},
                     {"captured_at", FormatTimestamp(b.captured_at)}, {"captured_at_ns", b.captured_at},
                     {"files", b.files}, {"bytes", b.bytes}, {"files_copied", b.files_copied},
                     {"bytes_copied", b.bytes_copied}, {"datasets", b.datasets}});
      }
      std::cout << j.dump(1) << "\n";
      return;
    }
    std::printf("%-26s  %-19s  %-7s  %12s  %10s  %s\n", "id", "captured (UTC)", "tier", "files", "size", "label");
    for (const auto& b : list) PrintInfo(b);
    if (list.empty()) std::printf("(no backups)\n");
  });
}

void AddVerify(CLI::App* backup) {
  auto* cmd = backup->add_subcommand(
      "verify", "Read every object of a backup (all backups without ID) and check its size and SHA-256; exit 1 and "
                "name each damaged file when one fails");
  auto repo = std::make_shared<RepoFlag>();
  repo->Add(cmd);
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "Backup id (default: every backup)");
  cmd->callback([repo, id] {
    auto report = ValueOrExit(repo->OpenOrExit()->Verify(*id));
    for (const auto& p : report.problems)
      std::printf("DAMAGED  backup %s  file %s  object %s: %s\n", p.backup_id.c_str(), p.path.c_str(), p.object.c_str(),
                  p.problem.c_str());
    std::printf("%s: %lld backups, %lld files, %s checked, %zu problems\n", report.ok() ? "ok" : "FAILED",
                static_cast<long long>(report.backups), static_cast<long long>(report.files_checked),
                Mb(report.bytes_checked).c_str(), report.problems.size());
    if (!report.ok()) {
      CloseStores();
      std::exit(1);
    }
  });
}

void AddPrune(CLI::App* backup, std::string& root) {
  auto* cmd = backup->add_subcommand(
      "prune",
      "Keep the newest backup of each of the last N days, ISO weeks and months (UTC); remove the other backups, "
      "then every object no kept backup needs (also what killed backups left). Do not run while a backup runs.");
  auto repo = std::make_shared<RepoFlag>();
  repo->Add(cmd);
  auto opts = std::make_shared<BackupPruneOptions>();
  cmd->add_option("--keep-daily", opts->keep_daily, "Days to keep a backup of (default 7)");
  cmd->add_option("--keep-weekly", opts->keep_weekly, "Weeks (default 4)");
  cmd->add_option("--keep-monthly", opts->keep_monthly, "Months (default 12)");
  cmd->add_flag("--dry-run", opts->dry_run, "List what would be removed; remove nothing");
  cmd->add_option("--orphan-grace", opts->orphan_grace_s,
                  "Seconds an object no backup lists is kept (a running backup's; default 21600)");
  auto trim = std::make_shared<bool>(false);
  cmd->add_flag("--trim-journal", *trim,
                "Also trim the live root's (--root) point-in-time journal of what the oldest kept backup of it holds");
  cmd->callback([&root, repo, opts, trim] {
    if (*trim) opts->live_root = ResolveRoot(root);
    auto r = ValueOrExit(repo->OpenOrExit()->Prune(*opts));
    if (*trim) std::printf("trimmed %lld point-in-time journal entries\n", static_cast<long long>(r.journal_entries_trimmed));
    const char* verb = opts->dry_run ? "would remove" : "removed";
    for (const auto& id : r.removed) std::printf("%s backup %s\n", verb, id.c_str());
    std::printf("kept %zu backups; %s %zu backups and %lld objects (%s)", r.kept.size(), verb, r.removed.size(),
                static_cast<long long>(r.objects_removed), Mb(r.bytes_removed).c_str());
    if (r.orphans_kept > 0)
      std::printf("; kept %lld recent unlisted objects (a running backup's?)", static_cast<long long>(r.orphans_kept));
    std::printf("\n");
  });
}

void AddRestore(CLI::App& app, std::string& root) {
  auto* cmd = app.add_subcommand(
      "restore",
      "Restore a backup, or every store as it was at a time, into an empty directory; the result is checked "
      "(checksums, every series reads, positions reconcile with fills, the reference chain verifies) before it "
      "appears at --to. The live root is only read.\n"
      "Examples:\n"
      "  systore restore --repo /backups/systore 20261204T221530Z-3f9a1c --to /tmp/restored\n"
      "  systore --root data restore --repo /backups/systore --time \"2026-12-04 14:30:00\" --to /tmp/at1430\n"
      "  (PostgreSQL operational store: add --pg-wal-archive DIR)");
  auto repo = std::make_shared<RepoFlag>();
  repo->Add(cmd);
  auto id = std::make_shared<std::string>();
  auto time = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  cmd->add_option("id", *id, "Backup id (backup list)");
  cmd->add_option("--time", *time,
                  "Point in time, UTC (\"YYYY-MM-DD HH:MM:SS[.fff]\"): the newest backup captured at or before it, "
                  "rolled forward with the logs the live root (--root) kept since");
  cmd->add_option("--to", *to, "Target directory: new or empty")->required();
  auto archive = std::make_shared<std::string>();
  cmd->add_option("--pg-wal-archive", *archive,
                  "PostgreSQL operational store with --time: the directory the server's archive_command copies WAL "
                  "into (replayed up to the time)");
  auto ops_uri = std::make_shared<std::string>();
  cmd->add_option("--ops-uri", *ops_uri,
                  "MongoDB operational store: load the backed-up dump into this empty database and check it there");
  auto stop = std::make_shared<bool>(false);
  cmd->add_flag("--stop-processes", *stop,
                "Tell the live root's processes to stop (process control STOP), wait until none runs, and give them "
                "their control back when the restore ends");
  cmd->callback([&root, repo, id, time, to, archive, stop, ops_uri] {
    RestoreOptions o;
    o.operational_uri = *ops_uri;
    o.postgres_wal_archive = *archive;
    o.stop_processes = *stop;
    if (*stop) o.live_root = ResolveRoot(root);
    o.backup_id = *id;
    o.target = *to;
    if (!time->empty()) {
      o.time = ValueOrExit(ParseTimestamp(*time));
      o.live_root = ResolveRoot(root);
    }
    ByteProgress progress{.label = "restore"};
    o.progress = progress.Callback();
    auto r = ValueOrExit(repo->OpenOrExit()->Restore(o));
    progress.Finish();
    std::printf("restored backup %s", r.backup_id.c_str());
    if (r.target_time) std::printf(" rolled forward to %s UTC", FormatTimestamp(*r.target_time).c_str());
    std::printf(" into %s: %lld files (%s) in %.3f s\n", to->c_str(), static_cast<long long>(r.files), Mb(r.bytes).c_str(),
                r.seconds);
    for (const auto& l : r.lines) std::printf("  %s\n", l.c_str());
    std::printf("checks:\n");
    for (const auto& c : r.checks) std::printf("  %s\n", c.c_str());
  });
}

}  // namespace

void AddBackupCommands(CLI::App& app, std::string& root) {
  auto* backup = app.add_subcommand(
      "backup",
      "Backups of the whole root into a content-addressed repository (directory or s3://bucket/prefix); see also "
      "`systore restore`");
  backup->require_subcommand(1);
  AddCreate(backup, root);
  AddList(backup);
  AddVerify(backup);
  AddPrune(backup, root);
  AddRestore(app, root);
}

}  // namespace systore::cli
