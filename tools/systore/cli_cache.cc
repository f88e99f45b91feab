// `systore cache ...`: statistics of the two-level cache.
#include <dirent.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/data_blob.h"

namespace systore::cli {

namespace {

void PrintLevel(const std::string& name, const nlohmann::json& l) {
  std::cout << "  " << std::left << std::setw(4) << name << " hits " << std::setw(10) << l.value("hits", 0)
            << " misses " << std::setw(10) << l.value("misses", 0) << " hit rate " << std::fixed << std::setprecision(3)
            << std::setw(7) << l.value("hit_rate", 0.0) << " evictions " << std::setw(8) << l.value("evictions", 0)
            << " errors " << std::setw(6) << l.value("errors", 0) << " p99 " << l.value("p99_ns", 0) << " ns\n";
}

}  // namespace

void AddCacheCommands(CLI::App& app, std::string& root) {
  auto* cache = app.add_subcommand("cache", "The two-level cache (L1 in-process, L2 Redis)");
  cache->require_subcommand(1);
  static std::string format = "table";
  auto* stats = cache->add_subcommand(
      "stats", "Statistics per level and data class, as saved by each process (<root>/cache/stats/<pid>.json)");
  stats->add_option("--format", format, "table or json");
  stats->callback([&root] {
    std::string dir = ResolveRoot(root) + "/cache/stats";
    nlohmann::json all = nlohmann::json::array();
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() != ".json") continue;
      std::ifstream in(e.path());
      try {
        nlohmann::json j = nlohmann::json::parse(in);
        std::string pid = e.path().stem().string();
        j["pid"] = pid;
        j["running"] = ::kill(std::atoi(pid.c_str()), 0) == 0;
        all.push_back(std::move(j));
      } catch (const std::exception&) {
      }
    }
    if (format == "json") {
      std::cout << all.dump(2) << "\n";
      return;
    }
    if (all.empty()) {
      std::cout << "no cache statistics under " << dir << " (processes save them when they close their DataBlob)\n";
      return;
    }
    for (const auto& p : all) {
      std::cout << "process " << p["pid"].get<std::string>() << (p["running"].get<bool>() ? " (running)" : "")
                << ": L1 " << p.value("l1_entries", 0) << " entries, " << p.value("l1_bytes", 0) << " bytes; L2 "
                << p.value("l2_mode", "none") << (p.value("l2_connected", false) ? " connected" : "") << ", outages "
                << p.value("l2_outages", 0) << "\n";
      auto print = [](const nlohmann::json& c) {
        std::cout << " " << c.value("data_class", "") << "  (store loads " << c.value("loads", 0) << ", load p99 "
                  << c.value("load_p99_ns", 0) << " ns, invalidations " << c.value("invalidations", 0) << ")\n";
        PrintLevel("L1", c["l1"]);
        PrintLevel("L2", c["l2"]);
      };
      for (const auto& c : p["classes"]) print(c);
      print(p["total"]);
    }
  });
}

}  // namespace systore::cli
