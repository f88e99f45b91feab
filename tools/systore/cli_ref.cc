// `systore ref ...`: versioned reference data from the command line (docs/reference-data.md).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_util.h"
#include "systore/reference_store.h"

namespace systore::cli {
namespace {

struct RefArgs {
  std::string table, key, dir, time, actor, reason, format = "table";
  std::vector<std::string> assignments;
  int64_t v1 = 0, v2 = 0;
};

// The configuration's reference store. `ref verify` alone opens the store itself: it must
// open a log whose hash chain is broken to say where.
ReferenceStore* OpenRefOrExit(const std::string& root) { return ReferenceOrExit(root); }

std::unique_ptr<ReferenceStore> OpenCorruptibleRefOrExit(const std::string& root) {
  ReferenceStoreOptions o;
  o.root = root;
  for (const auto& h : StoresOrExit(root).CheckHealth(/*open=*/false)) {
    if (h.store == "reference") o.root = h.location;  // where systore.yaml puts it
  }
  o.allow_corrupt_log = true;
  return ValueOrExit(ReferenceStore::Open(o));
}

void WarnHandEdits(ReferenceStore& store) {
  auto edits = store.DetectHandEdits();
  if (!edits.ok()) return;
  for (const auto& e : *edits) {
    std::fprintf(stderr,
                 "warning: %s is %s outside systore; showing the logged version (`systore ref adopt %s --reason ...` "
                 "records it)\n",
                 e.file.c_str(), e.kind == "untracked" ? "not tracked: created" : e.kind.c_str(), e.table.c_str());
  }
}

std::string Csvish(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
  return out;
}

void PrintTable(const ReferenceTable& t, const std::string& key, const std::string& format) {
  if (!key.empty()) {
    const auto* row = t.Find(key);
    if (!row) ExitOnError(Status::NotFound("table '" + t.name() + "': no row with key '" + key + "'"));
    if (format == "json") {
      nlohmann::json j;
      for (size_t c = 0; c < t.columns().size(); ++c) j[t.columns()[c]] = (*row)[c];
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    for (size_t c = 0; c < t.columns().size(); ++c)
      std::printf("%-18s %s\n", t.columns()[c].c_str(), (*row)[c].c_str());
    return;
  }
  if (format == "json") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& row : t.rows()) {
      nlohmann::json j;
      for (size_t c = 0; c < t.columns().size(); ++c) j[t.columns()[c]] = row[c];
      arr.push_back(std::move(j));
    }
    std::printf("%s\n", arr.dump(2).c_str());
    return;
  }
  std::fputs(t.ToCsv().c_str(), stdout);
}

void PrintChange(const TableChange& ch) {
  std::printf("  %s\n", SummarizeTableChange(ch).c_str());
  for (const auto& rc : ch.rows) {
    switch (rc.kind) {
      case RowChange::Kind::kAdded:
        std::printf("    + %s: %s\n", rc.key.c_str(), Csvish(rc.values).c_str());
        break;
      case RowChange::Kind::kRemoved:
        std::printf("    - %s: %s\n", rc.key.c_str(), Csvish(rc.values).c_str());
        break;
      case RowChange::Kind::kModified:
        for (const auto& f : rc.fields) {
          std::printf("    ~ %s.%s: '%s' -> '%s'\n", rc.key.c_str(), f.column.c_str(), f.old_value.c_str(),
                      f.new_value.c_str());
        }
        break;
    }
  }
}

ChangeContext Context(const RefArgs& a) { return ChangeContext{a.actor, a.reason}; }

void AddWriteFlags(CLI::App* c, RefArgs& a) {
  c->add_option("--reason", a.reason, "Why the change is made (recorded in the change log)")->required();
  c->add_option("--actor", a.actor, "Who makes the change (default: $USER)");
}

// One handler per command: its options and what it runs.
void AddListCommand(CLI::App* ref, std::string& root, const std::shared_ptr<RefArgs>& a) {
  auto* c = ref->add_subcommand("list", "List tables with row counts and the version that last changed each");
  c->callback([&root] {
    auto* store = OpenRefOrExit(ResolveRoot(root));
    auto snap = store->Current();
    std::printf("%-16s %6s %5s %8s  %-19s  %s\n", "table", "rows", "cols", "version", "last change (UTC)", "file");
    for (const auto& t : ValueOrExit(store->ListTables())) {
      std::printf("%-16s %6lld %5lld %8lld  %-19s  %s\n", t.name.c_str(), static_cast<long long>(t.rows),
                  static_cast<long long>(t.columns), static_cast<long long>(t.last_version),
                  FormatTimestamp(t.last_change - t.last_change % kNanosPerSecond).c_str(), t.file.c_str());
    }
    std::printf("store version %lld\n", static_cast<long long>(snap->version()));
    WarnHandEdits(*store);
  });
}

void AddShowCommand(CLI::App* ref, std::string& root, const std::shared_ptr<RefArgs>& a) {
  auto* c = ref->add_subcommand("show", "Print a table as CSV, or one row (KEY) field by field");
  c->add_option("table", a->table, "Table name (see `systore ref list`)")->required();
  c->add_option("key", a->key, "Row key, e.g. an instrument code (holidays: CALENDAR/YYYY-MM-DD)");
  c->add_option("--format", a->format, "table (CSV / field list) or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  c->callback([&root, a] {
    auto* store = OpenRefOrExit(ResolveRoot(root));
    auto t = ValueOrExit(store->GetTable(a->table));
    PrintTable(*t, a->key, a->format);
    WarnHandEdits(*store);
  });
}

void AddSetCommand(CLI::App* ref, std::string& root, const std::shared_ptr<RefArgs>& a) {
  auto* c = ref->add_subcommand("set", "Set fields of one row (adding the row if new) as a new version");
  c->add_option("table", a->table, "Table name")->required();
  c->add_option("key", a->key, "Row key (holidays: CALENDAR/YYYY-MM-DD)")->required();
  c->add_option("assignments", a->assignments, "FIELD=VALUE pairs, e.g. SpreadCost=0.0025")->required();
  AddWriteFlags(c, *a);
  c->callback([&root, a] {
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& s : a->assignments) {
      size_t eq = s.find('=');
      if (eq == std::string::npos || eq == 0)
        ExitOnError(Status::InvalidArgument("expected FIELD=VALUE, got '" + s + "'"));
      fields.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    }
    auto* store = OpenRefOrExit(ResolveRoot(root));
    int64_t before = store->Current()->version();
    int64_t v = ValueOrExit(store->Set(a->table, a->key, fields, Context(*a)));
    if (v == before) {
      std::printf("no change (version %lld)\n", static_cast<long long>(v));
    } else {
      std::printf("version %lld\n", static_cast<long long>(v));
    }
  });
}

void AddDeleteCommand(CLI::App* ref, std::string& root, const std::shared_ptr<RefArgs>& a) {
  auto* c = ref->add_subcommand("delete", "Remove one row as a new version");
  c->add_option("table", a->table, "Table name")->required();
  c->add_option("key", a->key, "Row key")->required();
  AddWriteFlags(c, *a);
  c->callback([&root, a] {
    auto* store = OpenRefOrExit(ResolveRoot(root));
    std::printf("version %lld\n", static_cast<long long>(ValueOrExit(store->DeleteRow(a->table, a->key, Context(*a)))));
  });
}

void AddImportCommand(CLI::App* ref, std::string& root, const std::shared_ptr<RefArgs>& a) {
  auto* c = ref->add_subcommand(
      "import",
      "Import a pysystemtrade csvconfig folder (instrumentconfig.csv, rollconfig.csv, spreadcosts.csv,\n"
      "moreinstrumentinfo.csv; holidays.csv, exchanges.csv, config.csv when present) as one version,\n"
      "or one CSV file into --table");
  c->add_option("path", a->dir, "Folder, or a CSV file with --table")->required();
  c->add_option("--table", a->table, "Import the single file PATH into this table");
  c->add_option("--reason", a->reason, "Why (default: \"import <path>\")");
  c->add_option("--actor", a->actor, "Who (default: $USER)");
  c->callback([&root, a] {
    auto* store = OpenRefOrExit(ResolveRoot(root));
    ChangeContext ctx = Context(*a);
    if (ctx.reason.empty()) ctx.reason = "import " + a->dir;
    int64_t before = store->Current()->version();
    int64_t v = a->table.empty() ? ValueOrExit(store->ImportFolder(a->dir, ctx))
                                 : ValueOrExit(store->ImportTable(a->table, a->dir, ctx));
    if (v == before) {
      std::printf("no change (version %lld)\n", static_cast<long long>(v));
      return;
    }
    for (const auto& e : ValueOrExit(store->History())) {
      if (e.version != v) continue;
      std::printf("version %lld\n", static_cast<long long>(v));
      for (const auto& ch : e.tables)
        std::printf("  %s (%lld rows)\n", SummarizeTableChange(ch).c_str(), static_cast<long long>(ch.rows_after));
    }
  });
}

void AddHistoryCommand(CLI::App* ref, std::string& root, const std::shared_ptr<RefArgs>& a) {
  auto* c = ref->add_subcommand("history", "Change log of a table (only the changes of KEY when given), oldest first");
  c->add_option("table", a->table, "Table name")->required();
  c->add_option("key", a->key, "Row key");
  c->callback([&root, a] {
    auto* store = OpenRefOrExit(ResolveRoot(root));
    for (const auto& e : ValueOrExit(store->History(a->table, a->key))) {
      std::printf("version %lld  %s  %s  %s: %s\n", static_cast<long long>(e.version), FormatTimestamp(e.time).c_str(),
                  e.actor.c_str(), e.operation.c_str(), e.reason.c_str());
      for (const auto& ch : e.tables) {
        if (ch.rows.size() > 20 && a->key.empty()) {
          std::printf("  %s\n", SummarizeTableChange(ch).c_str());
        } else {
          PrintChange(ch);
        }
      }
    }
  });
}

void AddDiffCommand(CLI::App* ref, std::string& root, const std::shared_ptr<RefArgs>& a) {
  auto* c = ref->add_subcommand("diff", "What changed in a table between two versions (0: before the table existed)");
  c->add_option("table", a->table, "Table name")->required();
  c->add_option("v1", a->v1, "From version")->required();
  c->add_option("v2", a->v2, "To version")->required();
  c->callback([&root, a] {
    auto* store = OpenRefOrExit(ResolveRoot(root));
    PrintChange(ValueOrExit(store->Diff(a->table, a->v1, a->v2)));
  });
}

void AddAsOfCommand(CLI::App* ref, std::string& root, const std::shared_ptr<RefArgs>& a) {
  auto* c = ref->add_subcommand("as-of", "A table as it was at time T (a date/time, UTC) or at version vN");
  c->add_option("table", a->table, "Table name")->required();
  c->add_option("time", a->time, "\"YYYY-MM-DD[ HH:MM[:SS]]\" (UTC) or vN for version N")->required();
  c->add_option("--key", a->key, "Show only this row");
  c->add_option("--format", a->format, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  c->callback([&root, a] {
    auto* store = OpenRefOrExit(ResolveRoot(root));
    std::shared_ptr<const ReferenceSnapshot> snap;
    if (!a->time.empty() && a->time[0] == 'v') {
      snap = ValueOrExit(store->AsOfVersion(std::stoll(a->time.substr(1))));
    } else {
      snap = ValueOrExit(store->AsOfTime(ParseTimeArg(a->time, 0)));
    }
    const ReferenceTable* t = snap->table(a->table);
    if (!t)
      ExitOnError(
          Status::NotFound("table '" + a->table + "' did not exist at version " + std::to_string(snap->version())));
    std::fprintf(stderr, "version %lld (%s)\n", static_cast<long long>(snap->version()),
                 FormatTimestamp(snap->time()).c_str());
    PrintTable(*t, a->key, a->format);
  });
}

void AddVerifyCommand(CLI::App* ref, std::string& root, const std::shared_ptr<RefArgs>& a) {
  auto* c = ref->add_subcommand("verify",
                          "Check the change log's hash chain and that replaying it reproduces the CSV files;\n"
                          "reports the first bad entry. Exit code 1 when a check fails.");
  c->callback([&root] {
    auto store = OpenCorruptibleRefOrExit(ResolveRoot(root));
    auto r = ValueOrExit(store->Verify());
    for (const auto& p : r.problems) std::printf("FAIL: %s\n", p.c_str());
    if (!r.ok) {
      if (r.first_bad_version > 0) {
        std::printf("first bad entry: version %lld (log line %lld)\n", static_cast<long long>(r.first_bad_version),
                    static_cast<long long>(r.first_bad_line));
      }
      std::exit(1);
    }
    std::printf("OK: %lld entries, hash chain intact, files match the log; head hash %s\n",
                static_cast<long long>(r.entries), r.head_hash.c_str());
  });
}

void AddAdoptCommand(CLI::App* ref, std::string& root, const std::shared_ptr<RefArgs>& a) {
  auto* c = ref->add_subcommand(
      "adopt", "Record a table's CSV file, edited outside systore, as a new version (validated like any write)");
  c->add_option("table", a->table, "Table name")->required();
  AddWriteFlags(c, *a);
  c->callback([&root, a] {
    auto* store = OpenRefOrExit(ResolveRoot(root));
    int64_t before = store->Current()->version();
    int64_t v = ValueOrExit(store->Adopt(a->table, Context(*a)));
    if (v == before) {
      std::printf("no change in content (version %lld); file rewritten in canonical form\n", static_cast<long long>(v));
      return;
    }
    auto d = ValueOrExit(store->Diff(a->table, before, v));
    std::printf("version %lld\n", static_cast<long long>(v));
    PrintChange(d);
  });
}

}  // namespace

void AddReferenceCommands(CLI::App& app, std::string& root) {
  auto* ref = app.add_subcommand(
      "ref",
      "Reference data: versioned CSV tables (instruments, roll_config, spread_costs, instrument_info, holidays,\n"
      "exchanges, config) under <root>/reference with a hash-chained change log.\n"
      "Examples:\n"
      "  systore ref import /path/to/csvconfig --reason \"initial load\"\n"
      "  systore ref show instruments SOFR\n"
      "  systore ref set spread_costs SOFR SpreadCost=0.0025 --reason \"new broker quote\"\n"
      "  systore ref history spread_costs SOFR\n"
      "  systore ref as-of spread_costs \"2026-01-01 00:00\" --key SOFR\n"
      "  systore ref verify");
  ref->require_subcommand(1);
  auto a = std::make_shared<RefArgs>();
  AddListCommand(ref, root, a);
  AddShowCommand(ref, root, a);
  AddSetCommand(ref, root, a);
  AddDeleteCommand(ref, root, a);
  AddImportCommand(ref, root, a);
  AddHistoryCommand(ref, root, a);
  AddDiffCommand(ref, root, a);
  AddAsOfCommand(ref, root, a);
  AddVerifyCommand(ref, root, a);
  AddAdoptCommand(ref, root, a);
}

}  // namespace systore::cli
