#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace systore::cli {

/// `systore ts ...`: import, read, latest, list, versions, vacuum, snapshot, delete.
void AddTimeSeriesCommands(CLI::App& app, std::string& root);
/// `systore demo`.
void AddDemoCommand(CLI::App& app, std::string& root);

}  // namespace systore::cli
