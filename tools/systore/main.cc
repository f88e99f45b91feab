// systore: the command-line program. Subcommands are defined in cli_*.cc.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli_commands.h"
#include "cli_util.h"

int main(int argc, char** argv) {
  CLI::App app{
      "systore: a data platform for systematic trading.\n"
      "Time series live in partitioned Parquet tables with a Delta Lake log under the store root.\n"
      "Examples:\n"
      "  systore demo                                  end-to-end run on synthetic data\n"
      "  systore ts import prices/adjusted data/*.csv --key-from-filename\n"
      "  systore ts read prices/adjusted SOFR --start 2024-01-01 --format csv\n"
      "  systore ts latest prices/adjusted SOFR -n 5\n"
      "  systore analytics vol prices/adjusted --out analytics/volatility\n"
      "  systore backup create --repo /backups/systore\n"
      "  systore restore --repo /backups/systore --time \"2026-12-04 14:30:00\" --to /tmp/at1430"};
  app.require_subcommand(1);
  std::string root;
  app.add_option("--root", root, "Store root directory (default: $SYSTORE_ROOT, else ./systore-data)");
  systore::cli::AddTimeSeriesCommands(app, root);
  systore::cli::AddDemoCommand(app, root);
  systore::cli::AddInspectCommand(app, root);
  systore::cli::AddReferenceCommands(app, root);
  systore::cli::AddOperationalCommands(app, root);
  systore::cli::AddQualityCommands(app, root);
  systore::cli::AddIngestCommands(app, root);
  systore::cli::AddAnalyticsCommands(app, root);
  systore::cli::AddBlobCommands(app, root);
  systore::cli::AddCacheCommands(app, root);
  systore::cli::AddBackupCommands(app, root);
  systore::cli::AddLifecycleCommands(app, root);
  systore::cli::AddEodCommands(app, root);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  systore::cli::CloseStores();
  return 0;
}
