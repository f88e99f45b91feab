#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/file_util.h"
#include "reference/csv_io.h"
#include "reference/store_impl.h"
#include "reference/validate.h"

namespace systore::reference_internal {
namespace {

Result<const TableSchema*> SchemaOrError(std::string_view table) {
  const TableSchema* s = FindReferenceSchema(table);
  if (s) return s;
  std::string names;
  for (const auto& sc : BuiltinReferenceSchemas()) names += (names.empty() ? "" : ", ") + sc.name;
  return Status::InvalidArgument("unknown reference table '" + std::string(table) + "' (tables: " + names + ")");
}

Status AppendLine(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("open '" + path + "': " + std::strerror(errno));
  // One write(2) for the whole line: readers never take a line without its '\n'.
  size_t off = 0;
  Status st;
  while (off < line.size()) {
    ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      st = Status::IOError("append to '" + path + "': " + std::strerror(errno));
      break;
    }
    off += static_cast<size_t>(n);
  }
  if (st.ok() && ::fsync(fd) != 0) st = Status::IOError("fsync '" + path + "': " + std::strerror(errno));
  ::close(fd);
  return st;
}

std::string DefaultActor(const std::string& actor) {
  if (!actor.empty()) return actor;
  const char* u = std::getenv("USER");
  return u && *u ? u : "unknown";
}

std::vector<std::string> SplitKey(std::string_view key, int parts) {
  std::vector<std::string> out;
  if (parts == 1) return {std::string(key)};
  size_t start = 0;
  for (int i = 0; i < parts - 1; ++i) {
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) return {};
    out.emplace_back(key.substr(start, slash - start));
    start = slash + 1;
  }
  out.emplace_back(key.substr(start));
  return out;
}

}  // namespace

Result<std::shared_ptr<const ReferenceTable>> TableFromCsv(const TableSchema& schema, std::string_view text,
                                                           const std::string& source,
                                                           const std::set<std::string, std::less<>>& currencies) {
  SYSTORE_ASSIGN_OR_RAISE(auto parsed, ParseCsv(text, source));
  SYSTORE_RETURN_NOT_OK(ValidateColumns(schema, parsed.columns, source));
  // Duplicate keys with the file's own line numbers (Make would count canonical lines).
  std::unordered_map<std::string, int64_t> seen;
  for (size_t r = 0; r < parsed.rows.size(); ++r) {
    std::string key = parsed.rows[r][0];
    for (int k = 1; k < schema.key_columns; ++k) key += "/" + parsed.rows[r][k];
    auto [it, inserted] = seen.emplace(key, parsed.lines[r]);
    if (!inserted) {
      return Status::InvalidArgument(source + " line " + std::to_string(parsed.lines[r]) + ", column '" +
                                     parsed.columns[0] + "' (1): duplicate key '" + key + "' (first on line " +
                                     std::to_string(it->second) + ")");
    }
  }
  auto lines = parsed.lines;
  SYSTORE_ASSIGN_OR_RAISE(auto table, ReferenceTable::Make(schema.name, std::move(parsed.columns),
                                                           std::move(parsed.rows), schema.key_columns, source));
  SYSTORE_RETURN_NOT_OK(ValidateRows(schema, *table, lines, currencies, source));
  return table;
}

Status ValidateState(const TableMap& tables, const std::vector<std::string>& changed) {
  auto config = tables.find("config");
  auto currencies = KnownCurrencies(config == tables.end() ? nullptr : config->second.get());
  bool config_changed = std::find(changed.begin(), changed.end(), "config") != changed.end();
  for (const auto& [name, table] : tables) {
    if (!config_changed && std::find(changed.begin(), changed.end(), name) == changed.end()) continue;
    const TableSchema* schema = FindReferenceSchema(name);
    if (!schema) continue;
    SYSTORE_RETURN_NOT_OK(ValidateColumns(*schema, table->columns(), name + ".csv"));
    SYSTORE_RETURN_NOT_OK(ValidateRows(*schema, *table, {}, currencies, name + ".csv"));
  }
  return Status::OK();
}

Result<int64_t> ReferenceStoreImpl::Commit(const std::string& operation, const ChangeContext& context,
                                           const Builder& build, const std::vector<std::string>& adopting) {
  if (context.reason.empty()) {
    return Status::InvalidArgument("a reason is required for every reference-data change (--reason \"...\")");
  }
  SYSTORE_ASSIGN_OR_RAISE(auto lock, LockExclusive());
  SYSTORE_RETURN_NOT_OK(Recover());
  std::unique_lock<std::mutex> g(mu_);
  SYSTORE_RETURN_NOT_OK(RefreshLocked());
  const LogState base = state_;  // a copy of shared pointers: readers keep using state_
  g.unlock();
  SYSTORE_ASSIGN_OR_RAISE(TableMap updated, build(base));

  TableMap next = base.tables;
  std::vector<std::string> changed;
  for (auto& [name, t] : updated) {
    next[name] = t;
    changed.push_back(name);
  }
  SYSTORE_RETURN_NOT_OK(ValidateState(next, changed));

  ReferenceChange entry;
  for (const auto& [name, t] : updated) {
    auto it = base.tables.find(name);
    const ReferenceTable* before = it == base.tables.end() ? nullptr : it->second.get();
    // A table whose file was edited by hand must be adopted (or restored) first, or the
    // edit would be silently overwritten.
    if (std::find(adopting.begin(), adopting.end(), name) == adopting.end()) {
      auto on_disk = ReadFileToString(TablePath(name));
      bool matches = before ? (on_disk.ok() && *on_disk == before->ToCsv()) : !on_disk.ok();
      if (!matches) {
        return Status::Conflict(TablePath(name) + " was changed outside systore since version " +
                                std::to_string(base.version) + "; run `systore ref adopt " + name +
                                " --reason ...` to record the edit, or restore the file");
      }
    }
    TableChange ch = ComputeTableChange(before, *t);
    if (!ch.empty()) entry.tables.push_back(std::move(ch));
  }
  if (entry.tables.empty()) return base.version;

  entry.version = base.version + 1;
  entry.time = std::max(Now(), base.time + 1);
  entry.actor = DefaultActor(context.actor);
  entry.reason = context.reason;
  entry.operation = operation;
  entry.prev_hash = base.head_hash;
  SYSTORE_ASSIGN_OR_RAISE(std::string line, EncodeEntry(&entry));

  // Intent first, then the files, then the log entry (the commit point), then clean up.
  nlohmann::json pending;
  pending["version"] = entry.version;
  std::vector<std::string> names;
  for (const auto& ch : entry.tables) names.push_back(ch.table);
  pending["tables"] = names;
  SYSTORE_RETURN_NOT_OK(ReplaceFileAtomically(dir_ + "/" + kPendingFileName, pending.dump()));
  for (const auto& ch : entry.tables) {
    SYSTORE_RETURN_NOT_OK(ReplaceFileAtomically(TablePath(ch.table), next[ch.table]->ToCsv()));
  }
  const bool new_log = !PathExists(LogPath());
  SYSTORE_RETURN_NOT_OK(AppendLine(LogPath(), line + "\n"));
  if (new_log) SYSTORE_RETURN_NOT_OK(FsyncPath(dir_));
  SYSTORE_RETURN_NOT_OK(RemoveFile(dir_ + "/" + kPendingFileName));

  g.lock();
  SYSTORE_RETURN_NOT_OK(RefreshLocked());
  return entry.version;
}

Result<int64_t> ReferenceStoreImpl::Set(std::string_view table, std::string_view key,
                                        const std::vector<std::pair<std::string, std::string>>& fields,
                                        const ChangeContext& context) {
  SYSTORE_ASSIGN_OR_RAISE(const TableSchema* schema, SchemaOrError(table));
  if (fields.empty()) return Status::InvalidArgument("set: give at least one FIELD=VALUE");
  std::vector<std::string> key_parts = SplitKey(key, schema->key_columns);
  if (key_parts.empty() || std::any_of(key_parts.begin(), key_parts.end(), [](auto& p) { return p.empty(); })) {
    std::string form = schema->columns[0].name;
    for (int k = 1; k < schema->key_columns; ++k) form += "/" + schema->columns[k].name;
    return Status::InvalidArgument("table '" + schema->name + "': bad key '" + std::string(key) + "', expected " +
                                   form);
  }
  return Commit("set", context, [&](const LogState& state) -> Result<TableMap> {
    auto it = state.tables.find(table);
    std::vector<std::string> columns;
    std::vector<ReferenceTable::Row> rows;
    if (it != state.tables.end()) {
      columns = it->second->columns();
      rows = it->second->rows();
    } else {
      for (const auto& c : schema->columns) columns.push_back(c.name);
    }
    int64_t r = it != state.tables.end() ? it->second->FindRow(key) : -1;
    for (const auto& [col, value] : fields) {
      auto c = std::find(columns.begin(), columns.end(), col);
      if (c - columns.begin() < schema->key_columns) {
        return Status::InvalidArgument("table '" + schema->name + "': column '" + col +
                                       "' is part of the key; add a new row and delete the old one instead");
      }
      if (c == columns.end()) {  // a new column: empty for every other row
        columns.push_back(col);
        for (auto& row : rows) row.emplace_back();
      }
    }
    if (r < 0) {
      ReferenceTable::Row row(columns.size());
      for (int k = 0; k < schema->key_columns; ++k) row[k] = key_parts[k];
      rows.push_back(std::move(row));
      r = static_cast<int64_t>(rows.size()) - 1;
    }
    for (const auto& [col, value] : fields) {
      rows[r][std::find(columns.begin(), columns.end(), col) - columns.begin()] = value;
    }
    SYSTORE_ASSIGN_OR_RAISE(auto t, ReferenceTable::Make(schema->name, std::move(columns), std::move(rows),
                                                         schema->key_columns, schema->name + ".csv"));
    return TableMap{{schema->name, std::move(t)}};
  });
}

Result<int64_t> ReferenceStoreImpl::DeleteRow(std::string_view table, std::string_view key,
                                              const ChangeContext& context) {
  SYSTORE_ASSIGN_OR_RAISE(const TableSchema* schema, SchemaOrError(table));
  return Commit("delete", context, [&](const LogState& state) -> Result<TableMap> {
    auto it = state.tables.find(table);
    int64_t r = it == state.tables.end() ? -1 : it->second->FindRow(key);
    if (r < 0) {
      return Status::NotFound("table '" + schema->name + "': no row with key '" + std::string(key) + "'");
    }
    auto rows = it->second->rows();
    rows.erase(rows.begin() + r);
    SYSTORE_ASSIGN_OR_RAISE(auto t, ReferenceTable::Make(schema->name, it->second->columns(), std::move(rows),
                                                         schema->key_columns, schema->name + ".csv"));
    return TableMap{{schema->name, std::move(t)}};
  });
}

Result<int64_t> ReferenceStoreImpl::ImportTable(std::string_view table, const std::string& csv_path,
                                                const ChangeContext& context) {
  SYSTORE_ASSIGN_OR_RAISE(const TableSchema* schema, SchemaOrError(table));
  auto text = ReadFileToString(csv_path);
  if (!text.ok()) return Status::InvalidArgument("cannot read '" + csv_path + "': " + text.status().message());
  return Commit("import", context, [&](const LogState& state) -> Result<TableMap> {
    auto config = state.tables.find("config");
    auto currencies = KnownCurrencies(config == state.tables.end() ? nullptr : config->second.get());
    SYSTORE_ASSIGN_OR_RAISE(auto t, TableFromCsv(*schema, *text, csv_path, currencies));
    return TableMap{{schema->name, std::move(t)}};
  });
}

Result<int64_t> ReferenceStoreImpl::ImportFolder(const std::string& dir, const ChangeContext& context) {
  // Read every file first; the config table (currencies) is parsed before the others.
  std::vector<std::pair<const TableSchema*, std::string>> found;
  for (const auto& schema : BuiltinReferenceSchemas()) {
    for (const std::string& file : {schema.source_file, schema.name + ".csv"}) {
      std::string path = dir + "/" + file;
      if (file.empty() || !PathExists(path)) continue;
      found.emplace_back(&schema, path);
      break;
    }
  }
  if (found.empty()) {
    return Status::InvalidArgument("no reference files in '" + dir +
                                   "' (expected instrumentconfig.csv, rollconfig.csv, spreadcosts.csv, "
                                   "moreinstrumentinfo.csv, holidays.csv, exchanges.csv or config.csv)");
  }
  std::stable_sort(found.begin(), found.end(),
                   [](auto& a, auto& b) { return a.first->name == "config" && b.first->name != "config"; });
  std::vector<std::string> texts;
  for (const auto& [schema, path] : found) {
    auto text = ReadFileToString(path);
    if (!text.ok()) return Status::InvalidArgument("cannot read '" + path + "': " + text.status().message());
    texts.push_back(std::move(*text));
  }
  return Commit("import", context, [&](const LogState& state) -> Result<TableMap> {
    TableMap out;
    auto config = state.tables.find("config");
    auto currencies = KnownCurrencies(config == state.tables.end() ? nullptr : config->second.get());
    for (size_t i = 0; i < found.size(); ++i) {
      SYSTORE_ASSIGN_OR_RAISE(auto t, TableFromCsv(*found[i].first, texts[i], found[i].second, currencies));
      if (found[i].first->name == "config") currencies = KnownCurrencies(t.get());
      out[found[i].first->name] = std::move(t);
    }
    return out;
  });
}

Result<std::vector<HandEdit>> ReferenceStoreImpl::DetectHandEdits() {
  SYSTORE_RETURN_NOT_OK(Refresh());
  auto snap = Current();
  std::vector<HandEdit> out;
  for (const auto& schema : BuiltinReferenceSchemas()) {
    const ReferenceTable* t = snap->table(schema.name);
    auto on_disk = ReadFileToString(TablePath(schema.name));
    if (!t) {
      if (on_disk.ok()) out.push_back({schema.name, TablePath(schema.name), "untracked"});
    } else if (!on_disk.ok()) {
      out.push_back({schema.name, TablePath(schema.name), "deleted"});
    } else if (*on_disk != t->ToCsv()) {
      out.push_back({schema.name, TablePath(schema.name), "modified"});
    }
  }
  return out;
}

Result<int64_t> ReferenceStoreImpl::Adopt(std::string_view table, const ChangeContext& context) {
  SYSTORE_ASSIGN_OR_RAISE(const TableSchema* schema, SchemaOrError(table));
  const std::string path = TablePath(table);
  bool unchanged_content = false;
  SYSTORE_ASSIGN_OR_RAISE(
      int64_t v,
      Commit("adopt", context,
             [&](const LogState& state) -> Result<TableMap> {
               // Read under the lock so the file cannot change in between.
               auto text = ReadFileToString(path);
               if (!text.ok()) {
                 return Status::NotFound("cannot adopt '" + path + "': " + text.status().message() +
                                         " (deleting a table is not supported; restore the file)");
               }
               auto config = state.tables.find("config");
               auto currencies = KnownCurrencies(config == state.tables.end() ? nullptr : config->second.get());
               SYSTORE_ASSIGN_OR_RAISE(auto t, TableFromCsv(*schema, *text, path, currencies));
               auto it = state.tables.find(table);
               unchanged_content = it != state.tables.end() && ComputeTableChange(it->second.get(), *t).empty();
               return TableMap{{schema->name, std::move(t)}};
             },
             {schema->name}));
  if (unchanged_content) {
    // Same rows, different bytes (quoting, line ends): rewrite the canonical form.
    SYSTORE_ASSIGN_OR_RAISE(auto lock, LockExclusive());
    auto snap = Current();
    if (const ReferenceTable* t = snap->table(table)) SYSTORE_RETURN_NOT_OK(ReplaceFileAtomically(path, t->ToCsv()));
  }
  return v;
}

}  // namespace systore::reference_internal
