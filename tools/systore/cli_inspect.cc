// `systore inspect ...`: dumps on-disk formats for humans (docs/formats/).
#include <iostream>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/timeseries_inspect.h"

namespace systore::cli {

void AddInspectCommand(CLI::App& app, std::string& root) {
  auto* in = app.add_subcommand("inspect", "Dump on-disk formats for humans (see docs/formats/)");
  in->require_subcommand(1);
  auto args = std::make_shared<std::pair<std::string, int64_t>>("", -1);
  auto* c = in->add_subcommand("log", "The Delta transaction log of a dataset: every commit's actions");
  c->add_option("dataset", args->first)->required();
  c->add_option("--version", args->second, "Only this version");
  c->callback(
      [&root, args] { std::cout << ValueOrExit(DescribeDeltaLog(ResolveRoot(root), args->first, args->second)); });
  auto wal = std::make_shared<std::string>();
  c = in->add_subcommand("wal", "The write-ahead log of a dataset: segments, records, a torn tail if any (read-only)");
  c->add_option("dataset", *wal)->required();
  c->callback([&root, wal] { std::cout << ValueOrExit(DescribeWal(ResolveRoot(root), *wal)); });
}

}  // namespace systore::cli
