// `systore quality ...`: validate stored data, inspect and decide about the quarantine.
#include <arrow/api.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/quality_gate.h"
#include "systore/series_csv.h"

namespace systore::cli {
namespace {

using json = nlohmann::json;

std::unique_ptr<QualityGate> OpenGateOrExit(const std::string& root) {
  QualityGateOptions o;
  o.root = root;
  return ValueOrExit(QualityGate::Open(o));
}

struct CheckArgs {
  std::string dataset, key, format = "text";
  int64_t max_print = 50;
};

void RunCheck(const std::string& root, const CheckArgs& a) {
  auto* store = TimeSeriesOrExit(root);
  auto gate = OpenGateOrExit(root);
  auto dopts = ValueOrExit(store->GetDatasetOptions(a.dataset));
  std::vector<std::string> keys;
  if (!a.key.empty()) {
    keys.push_back(a.key);
  } else {
    for (const auto& s : ValueOrExit(store->List(a.dataset))) keys.push_back(s.key);
  }
  std::vector<Finding> all;
  int64_t rows = 0;
  for (const auto& k : keys) {
    IngestBatch b;
    b.dataset = a.dataset;
    b.key = k;
    b.data = ValueOrExit(store->Read(a.dataset, k));
    b.dataset_options = dopts;
    rows += b.data->num_rows();
    auto f = ValueOrExit(gate->Validate(b));
    all.insert(all.end(), f.begin(), f.end());
  }
  std::map<std::string, int64_t> by_rule;
  std::map<std::string, int64_t> by_severity;
  for (const auto& f : all) {
    ++by_rule[f.rule];
    ++by_severity[SeverityName(f.severity)];
  }
  if (a.format == "json") {
    json j = {{"dataset", a.dataset}, {"series", keys.size()},      {"rows", rows},
              {"by_rule", by_rule},   {"by_severity", by_severity}, {"findings", json::array()}};
    for (const auto& f : all) j["findings"].push_back(json::parse(FindingToJsonText(f)));
    std::cout << j.dump(1) << "\n";
    return;
  }
  std::printf("%s: %zu series, %lld rows, %zu findings\n", a.dataset.c_str(), keys.size(), static_cast<long long>(rows),
              all.size());
  for (const auto& [r, n] : by_rule) std::printf("  %-22s %8lld\n", r.c_str(), static_cast<long long>(n));
  int64_t shown = 0;
  for (const auto& f : all) {
    if (shown++ >= a.max_print) {
      std::printf("... %lld more (use --format json or --max N)\n", static_cast<long long>(all.size() - a.max_print));
      break;
    }
    std::printf("%s\n", FormatFinding(f).c_str());
  }
}

void PrintEntry(const QuarantineEntry& e) {
  std::printf("%6lld  %-9s %-6s %-22s %-16s %6lld rows  %s  %s\n", static_cast<long long>(e.id), e.status.c_str(),
              e.scope.c_str(), e.dataset.c_str(), e.key.c_str(), static_cast<long long>(e.rows),
              FormatTimestamp(e.created - e.created % kNanosPerSecond).c_str(), e.reason.c_str());
}

json EntryJson(const QuarantineEntry& e) {
  json j = {{"id", e.id},
            {"status", e.status},
            {"scope", e.scope},
            {"dataset", e.dataset},
            {"key", e.key},
            {"source", e.source},
            {"rows", e.rows},
            {"reason", e.reason},
            {"created", FormatTimestamp(e.created)},
            {"findings", json::array()}};
  for (const auto& f : e.findings) j["findings"].push_back(json::parse(FindingToJsonText(f)));
  if (!e.raw_lines.empty()) j["raw_lines"] = e.raw_lines;
  return j;
}

}  // namespace

void AddQualityCommands(CLI::App& app, std::string& root) {
  auto* q = app.add_subcommand("quality", "Data quality: check stored data, quarantine, validators, configuration");
  q->require_subcommand(1);

  auto ck = std::make_shared<CheckArgs>();
  auto* c = q->add_subcommand("check", "Run the dataset's validators over stored data and report findings");
  c->add_option("dataset", ck->dataset)->required();
  c->add_option("key", ck->key, "One series (default: all)");
  c->add_option("--format", ck->format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  c->add_option("--max", ck->max_print, "Findings printed in text format")->capture_default_str();
  c->callback([&root, ck] { RunCheck(ResolveRoot(root), *ck); });

  auto cfg = std::make_shared<std::string>();
  c = q->add_subcommand("config", "Print quality.json with defaults filled in, or a dataset's effective settings");
  c->add_option("dataset", *cfg);
  c->callback([&root, cfg] {
    auto conf = ValueOrExit(QualityConfig::Load(ResolveRoot(root)));
    if (cfg->empty()) {
      std::cout << conf.ToJson() << "\n";
      return;
    }
    auto d = conf.ForDataset(*cfg);
    json j = {{"policy", QualityPolicyName(d.policy)},
              {"duplicates", DuplicatePolicyName(d.duplicates)},
              {"calendar", d.calendar},
              {"validators", json::object()}};
    for (const auto& [n, p] : d.validators) j["validators"][n] = json::parse(p.ToJson());
    std::cout << j.dump(2) << "\n";
  });

  c = q->add_subcommand("validators", "List the registered validators");
  c->callback([] {
    for (const auto& n : ValidatorRegistry::Global().Names()) std::printf("%s\n", n.c_str());
  });

  auto* qu = q->add_subcommand("quarantine", "Rows kept out of the store: list, show, release, drop, audit");
  qu->require_subcommand(1);
  auto ls = std::make_shared<std::pair<std::string, std::string>>("", "text");
  c = qu->add_subcommand("list", "Quarantine entries, oldest first");
  c->add_option("--status", ls->first, "pending, released or dropped")
      ->check(CLI::IsMember({"pending", "released", "dropped"}));
  c->add_option("--format", ls->second, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  c->callback([&root, ls] {
    auto gate = OpenGateOrExit(ResolveRoot(root));
    auto entries = ValueOrExit(gate->quarantine()->List(ls->first));
    if (ls->second == "json") {
      json j = json::array();
      for (const auto& e : entries) j.push_back(EntryJson(e));
      std::cout << j.dump(1) << "\n";
      return;
    }
    std::printf("%6s  %-9s %-6s %-22s %-16s %11s  %-19s  %s\n", "id", "status", "scope", "dataset", "key", "rows",
                "created (UTC)", "reason");
    for (const auto& e : entries) PrintEntry(e);
  });

  auto sh = std::make_shared<std::tuple<int64_t, std::string, int64_t>>(0, "text", 20);
  c = qu->add_subcommand("show", "An entry: its findings and its rows");
  c->add_option("id", std::get<0>(*sh))->required();
  c->add_option("--format", std::get<1>(*sh), "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  c->add_option("--rows", std::get<2>(*sh), "Rows printed in text format")->capture_default_str();
  c->callback([&root, sh] {
    auto gate = OpenGateOrExit(ResolveRoot(root));
    auto e = ValueOrExit(gate->quarantine()->Get(std::get<0>(*sh)));
    auto rows = ValueOrExit(gate->quarantine()->ReadRows(e.id));
    if (std::get<1>(*sh) == "json") {
      std::cout << EntryJson(e).dump(1) << "\n";
      return;
    }
    PrintEntry(e);
    std::printf("source: %s\nfindings:\n", e.source.c_str());
    for (const auto& f : e.findings) std::printf("  %s\n", FormatFinding(f).c_str());
    for (const auto& l : e.raw_lines)
      std::printf("  unparsed %s\n", l.size() > 200
                                         ? (l.substr(0, 200) + "... (" + std::to_string(l.size()) + " bytes)").c_str()
                                         : l.c_str());
    if (rows->num_rows() > 0) {
      std::printf("rows:\n");
      ExitOnError(WriteSeriesCsv(*rows->Slice(0, std::get<2>(*sh)), "DATETIME", {}, std::cout));
      if (rows->num_rows() > std::get<2>(*sh))
        std::printf("... %lld rows in all\n", static_cast<long long>(rows->num_rows()));
    }
  });

  auto rl = std::make_shared<std::tuple<int64_t, std::string, bool>>(0, "", false);
  c = qu->add_subcommand("release", "Write an entry's rows into the store (no validation: a human decided); audited");
  c->add_option("id", std::get<0>(*rl))->required();
  c->add_option("--actor", std::get<1>(*rl), "Who decides (default $USER)");
  c->add_flag("--overwrite", std::get<2>(*rl), "Replace stored rows at the same timestamps (default: only fill gaps)");
  c->callback([&root, rl] {
    std::string r = ResolveRoot(root);
    auto gate = OpenGateOrExit(r);
    auto* store = TimeSeriesOrExit(r);
    auto wr = ValueOrExit(gate->quarantine()->Release(std::get<0>(*rl), store, std::get<1>(*rl),
                                                      std::get<2>(*rl) ? MergeMode::kOverwrite : MergeMode::kFillGaps));
    std::printf("released %lld: %lld rows added, %lld conflicting with stored rows (kept %s); version %s\n",
                static_cast<long long>(std::get<0>(*rl)), static_cast<long long>(wr.rows_added),
                static_cast<long long>(wr.rows_conflicting), std::get<2>(*rl) ? "incoming" : "stored",
                wr.version < 0 ? "unchanged" : std::to_string(wr.version).c_str());
  });

  auto dr = std::make_shared<std::tuple<int64_t, std::string, std::string>>(0, "", "");
  c = qu->add_subcommand("drop", "Mark an entry dropped (its files stay for the record); audited");
  c->add_option("id", std::get<0>(*dr))->required();
  c->add_option("--reason", std::get<2>(*dr), "Why (required)")->required();
  c->add_option("--actor", std::get<1>(*dr), "Who decides (default $USER)");
  c->callback([&root, dr] {
    auto gate = OpenGateOrExit(ResolveRoot(root));
    ExitOnError(gate->quarantine()->Drop(std::get<0>(*dr), std::get<1>(*dr), std::get<2>(*dr)));
    std::printf("dropped %lld\n", static_cast<long long>(std::get<0>(*dr)));
  });

  c = qu->add_subcommand("audit", "The audit trail of quarantine decisions");
  c->callback([&root] {
    auto gate = OpenGateOrExit(ResolveRoot(root));
    for (const auto& d : ValueOrExit(gate->quarantine()->Audit())) {
      std::printf("%s  %-10s %-12s %6lld  rows written %lld  %s\n",
                  FormatTimestamp(d.time - d.time % kNanosPerSecond).c_str(), d.action.c_str(), d.actor.c_str(),
                  static_cast<long long>(d.id), static_cast<long long>(d.rows_written), d.reason.c_str());
    }
  });
}

}  // namespace systore::cli
