#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace systore::cli {

/// `systore ts ...`: import, read, latest, list, versions, vacuum, snapshot, delete.
void AddTimeSeriesCommands(CLI::App& app, std::string& root);
/// `systore inspect log|wal`: dumps on-disk formats.
void AddInspectCommand(CLI::App& app, std::string& root);
/// `systore demo`.
void AddDemoCommand(CLI::App& app, std::string& root);
/// `systore ref ...`: list, show, set, delete, import, history, diff, as-of, verify, adopt.
void AddReferenceCommands(CLI::App& app, std::string& root);
/// `systore ops ...`: order new/ID, fill, cancel, submit, reject, orders, fills, positions, process, reconcile, audit.
void AddOperationalCommands(CLI::App& app, std::string& root);
/// `systore quality ...`: check, config, validators, quarantine list/show/release/drop/audit.
void AddQualityCommands(CLI::App& app, std::string& root);
/// `systore ingest ...`: pysystemtrade, files, simulate, deadletters.
void AddIngestCommands(CLI::App& app, std::string& root);

/// `systore analytics ...`: bars, asof, vol, forecasts.
void AddAnalyticsCommands(CLI::App& app, std::string& root);

/// `systore blob ...`: list, config, health, read (DataBlob).
void AddBlobCommands(CLI::App& app, std::string& root);
/// `systore backup create|list|verify|prune` and `systore restore`.
void AddBackupCommands(CLI::App& app, std::string& root);
/// `systore lifecycle run [--dry-run]`.
void AddLifecycleCommands(CLI::App& app, std::string& root);
/// `systore cache ...`: stats.
void AddCacheCommands(CLI::App& app, std::string& root);
void AddEodCommands(CLI::App& app, std::string& root);

}  // namespace systore::cli
