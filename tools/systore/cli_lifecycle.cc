// `systore lifecycle run`: retention and hot/cold tiering of time-series partitions by
// the rules in <root>/systore.yaml (include/systore/lifecycle.h).
#include <cstdio>
#include <memory>
#include <string>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/lifecycle.h"
#include "systore/time.h"
#include "systore/timeseries_store.h"

namespace systore::cli {

void AddLifecycleCommands(CLI::App& app, std::string& root) {
  auto* lc = app.add_subcommand(
      "lifecycle",
      "Retention and cold tiering of time-series partitions, by systore.yaml's lifecycle rules:\n"
      "  lifecycle:\n"
      "    cold_root: /mnt/cold\n"
      "    rules:\n"
      "      - {datasets: \"prices/*\", retention: 10y, cold_after: 2y}");
  lc->require_subcommand(1);
  auto* run = lc->add_subcommand(
      "run", "Remove data files older than `retention`, move those older than `cold_after` to cold_root (each one "
             "commit per dataset; older versions read until vacuum)");
  auto dry = std::make_shared<bool>(false);
  auto now = std::make_shared<std::string>();
  run->add_flag("--dry-run", *dry, "List what would be removed or moved; change nothing");
  run->add_option("--now", *now, "Cut-offs relative to this date instead of today (UTC)");
  run->callback([&root, dry, now] {
    LifecycleOptions o;
    o.root = ResolveRoot(root);
    o.store = TimeSeriesOrExit(o.root);
    o.dry_run = *dry;
    if (!now->empty()) o.now = ValueOrExit(ParseTimestamp(*now));
    auto r = ValueOrExit(RunLifecycle(o));
    const char* would = *dry ? "would " : "";
    for (const auto& a : r.actions)
      std::printf("%s%s %s/%s: %lld files, %lld rows through %s\n", would, a.action.c_str(), a.dataset.c_str(),
                  a.key.c_str(), static_cast<long long>(a.files), static_cast<long long>(a.rows),
                  FormatTimestamp(a.through).substr(0, 10).c_str());
    for (const auto& [d, v] : r.commits) std::printf("committed %s version %lld\n", d.c_str(), static_cast<long long>(v));
    std::printf("%sremove %lld files (%lld rows), %smove %lld files (%.1f MB) to cold\n", would,
                static_cast<long long>(r.files_removed), static_cast<long long>(r.rows_removed), would,
                static_cast<long long>(r.files_moved), r.bytes_moved / 1e6);
  });
}

}  // namespace systore::cli
