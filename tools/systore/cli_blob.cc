// `systore blob ...`: the DataBlob registry, configuration and store health.
#include <arrow/api.h>

#include <iomanip>
#include <iostream>
#include <memory>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/data_blob.h"

namespace systore::cli {

std::unique_ptr<DataBlob> OpenBlobOrExit(const std::string& root_flag) {
  DataBlobOptions o;
  o.root = ResolveRoot(root_flag);
  return ValueOrExit(DataBlob::Open(o));
}

void AddBlobCommands(CLI::App& app, std::string& root) {
  auto* blob = app.add_subcommand("blob", "Data classes and the stores behind them (<root>/systore.yaml)");
  blob->require_subcommand(1);

  auto* list = blob->add_subcommand("list", "Print every data class: attribute, class name, store, backend, cache");
  list->callback([&root] {
    auto b = OpenBlobOrExit(root);
    std::cout << std::left << std::setw(36) << "ATTRIBUTE" << std::setw(42) << "CLASS" << std::setw(12) << "KIND"
              << std::setw(14) << "STORE" << std::setw(24) << "LOCATION" << std::setw(15) << "CACHE"
              << "TTL_S  SECONDARY\n";
    for (const auto& c : b->ListClasses()) {
      std::cout << std::setw(36) << c.attribute << std::setw(42) << c.class_name << std::setw(12)
                << StoreKindName(c.kind) << std::setw(14) << c.store << std::setw(24)
                << (c.location.empty() ? "-" : c.location) << std::setw(15) << CacheStrategyName(c.cache.strategy)
                << std::setw(7) << c.cache.ttl_ms / 1000 << (c.secondary.empty() ? "-" : c.secondary) << "\n";
    }
  });

  auto* config = blob->add_subcommand("config", "Print the effective configuration (defaults filled in) as YAML");
  config->callback([&root] { std::cout << OpenBlobOrExit(root)->EffectiveConfig(); });

  auto* health = blob->add_subcommand("health", "Open every store and check that it answers");
  health->callback([&root] {
    auto b = OpenBlobOrExit(root);
    bool all = true;
    for (const auto& h : b->CheckHealth(/*open=*/true)) {
      all &= h.healthy;
      std::cout << std::left << std::setw(14) << h.store << std::setw(12) << StoreKindName(h.kind) << std::setw(10)
                << h.backend << std::setw(6) << (h.healthy ? "ok" : "FAIL") << h.location
                << (h.error.empty() ? "" : "  " + h.error) << "\n";
    }
    (void)b->CloseAll();
    if (!all) std::exit(1);
  });

  static std::string cls, key;
  static int repeat = 1;
  auto* read = blob->add_subcommand("read", "Read a series through the cache and report where it came from");
  read->add_option("class", cls, "Data class (attribute or class name)")->required();
  read->add_option("key", key, "Series key")->required();
  read->add_option("--repeat", repeat, "Read this many times (shows L1 hits)");
  read->callback([&root] {
    auto b = OpenBlobOrExit(root);
    std::shared_ptr<arrow::Table> t;
    for (int i = 0; i < std::max(repeat, 1); ++i) t = ValueOrExit(b->ReadSeries(cls, key));
    std::cout << t->num_rows() << " rows, columns:";
    for (const auto& f : t->schema()->fields()) std::cout << " " << f->name();
    std::cout << "\n" << Cache::StatsToJson(b->cache().Stats()) << "\n";
    ExitOnError(b->CloseAll());
  });
}

}  // namespace systore::cli
