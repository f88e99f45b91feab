// `systore inspect ...`: dumps on-disk formats for humans (docs/formats/).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_commands.h"
#include "cli_util.h"
#include "core/file_util.h"
#include "timeseries/delta_log.h"
#include "timeseries/wal.h"

namespace systore::cli {
namespace {

void CheckDatasetName(const std::string& dataset) {
  if (dataset.empty() || dataset.find("..") != std::string::npos || dataset[0] == '/') {
    ExitOnError(Status::InvalidArgument("invalid dataset name '" + dataset + "'"));
  }
}

void InspectLog(const std::string& root, const std::string& dataset, int64_t only_version) {
  CheckDatasetName(dataset);
  DeltaLog log(root + "/" + dataset);
  int64_t shown = 0;
  for (int64_t v = only_version >= 0 ? only_version : 0;; ++v) {
    std::string path = log.log_dir() + "/" + DeltaLog::CommitFileName(v);
    auto text = ReadFileToString(path);
    if (!text.ok()) {
      if (text.status().IsNotFound()) break;
      ExitOnError(text.status());
    }
    std::printf("version %lld  (%s, %zu bytes)\n", static_cast<long long>(v), path.c_str(), text->size());
    std::istringstream in(*text);
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || j.empty()) {
        std::printf("  line %d: NOT VALID JSON: %.80s\n", line_no, line.c_str());
        continue;
      }
      const std::string kind = j.begin().key();
      const auto& a = j.begin().value();
      if (kind == "add" || kind == "remove") {
        std::printf("  %-10s %s  key=%s", kind.c_str(), a.value("path", "").c_str(),
                    a.contains("partitionValues") ? a["partitionValues"].value("key", "").c_str() : "");
        if (kind == "add" && a.contains("tags")) {
          std::printf("  ts %s .. %s", FormatTimestamp(std::stoll(a["tags"].value("systore.minTs", "0"))).c_str(),
                      FormatTimestamp(std::stoll(a["tags"].value("systore.maxTs", "0"))).c_str());
        }
        std::printf("  %lld bytes\n", static_cast<long long>(a.value("size", int64_t{0})));
      } else if (kind == "commitInfo") {
        std::printf("  commitInfo operation=%s %s\n", a.value("operation", "").c_str(),
                    a.contains("systore") ? a["systore"].dump().c_str() : "");
      } else {
        std::printf("  %-10s %s\n", kind.c_str(), a.dump().substr(0, 160).c_str());
      }
    }
    ++shown;
    if (only_version >= 0) break;
  }
  if (shown == 0) ExitOnError(Status::NotFound("no commits in " + log.log_dir()));
}

void InspectWal(const std::string& root, const std::string& dataset) {
  CheckDatasetName(dataset);
  const std::string dir = root + "/" + dataset + "/_wal";
  auto read = ValueOrExit(ReadWal(dir));
  std::printf("%s: %zu segment(s), %zu record(s)\n", dir.c_str(), read.segments.size(), read.records.size());
  for (const auto& s : read.segments) std::printf("  segment %s\n", s.c_str());
  for (const auto& r : read.records) {
    uint32_t n = 0;
    for (int i = 3; i >= 0 && r.payload.size() >= 4; --i) n = (n << 8) | static_cast<unsigned char>(r.payload[i]);
    std::string key = r.payload.size() >= 4 + n ? r.payload.substr(4, n) : "?";
    std::printf("  seq %-10llu key %-24s %zu bytes\n", static_cast<unsigned long long>(r.seq), key.c_str(),
                r.payload.size());
  }
  if (!read.cut_reason.empty()) {
    std::printf("  TORN TAIL: %s (%lld bytes after the last good record)\n", read.cut_reason.c_str(),
                static_cast<long long>(read.bytes_cut));
  }
}

}  // namespace

void AddInspectCommand(CLI::App& app, std::string& root) {
  auto* in = app.add_subcommand("inspect", "Dump on-disk formats for humans (see docs/formats/)");
  in->require_subcommand(1);
  auto args = std::make_shared<std::pair<std::string, int64_t>>("", -1);
  auto* c = in->add_subcommand("log", "The Delta transaction log of a dataset: every commit's actions");
  c->add_option("dataset", args->first)->required();
  c->add_option("--version", args->second, "Only this version");
  c->callback([&root, args] { InspectLog(ResolveRoot(root), args->first, args->second); });
  auto wal = std::make_shared<std::string>();
  c = in->add_subcommand("wal", "The write-ahead log of a dataset: segments, records, a torn tail if any (read-only)");
  c->add_option("dataset", *wal)->required();
  c->callback([&root, wal] { InspectWal(ResolveRoot(root), *wal); });
}

}  // namespace systore::cli
