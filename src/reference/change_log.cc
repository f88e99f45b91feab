#include "reference/change_log.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/file_util.h"

namespace systore {

std::string SummarizeTableChange(const TableChange& change) {
  int64_t added = 0, removed = 0, modified = 0;
  for (const auto& r : change.rows) {
    if (r.kind == RowChange::Kind::kAdded) ++added;
    if (r.kind == RowChange::Kind::kRemoved) ++removed;
    if (r.kind == RowChange::Kind::kModified) ++modified;
  }
  std::string s = change.table + ": ";
  if (change.created) s += "created, ";
  s += "+" + std::to_string(added) + " -" + std::to_string(removed) + " ~" + std::to_string(modified) + " rows";
  if (change.columns_before != change.columns_after && !change.created) s += ", columns changed";
  if (!change.order.empty()) s += ", rows reordered";
  return s;
}

namespace reference_internal {
namespace {

using json = nlohmann::json;

std::vector<std::string> Remap(const std::vector<std::string>& row, const std::vector<std::string>& from,
                               const std::vector<std::string>& to) {
  if (from == to) return row;
  std::vector<std::string> out(to.size());
  for (size_t i = 0; i < to.size(); ++i) {
    auto it = std::find(from.begin(), from.end(), to[i]);
    if (it != from.end()) out[i] = row[it - from.begin()];
  }
  return out;
}

int KeyColumnsOf(std::string_view table) {
  const TableSchema* s = FindReferenceSchema(table);
  return s ? s->key_columns : 1;
}

// Key order after removals and positioned insertions, as ApplyTableChange produces it.
void InsertAdded(std::vector<std::vector<std::string>>* rows, std::vector<const RowChange*> added) {
  std::sort(added.begin(), added.end(),
            [](const RowChange* a, const RowChange* b) { return a->position < b->position; });
  for (const RowChange* a : added) {
    size_t pos = std::min<size_t>(static_cast<size_t>(std::max<int64_t>(a->position, 0)), rows->size());
    rows->insert(rows->begin() + static_cast<std::ptrdiff_t>(pos), a->values);
  }
}

std::string KeyOfRow(const std::vector<std::string>& row, int key_columns) {
  std::string k = row.empty() ? std::string() : row[0];
  for (int c = 1; c < key_columns && c < static_cast<int>(row.size()); ++c) k += "/" + row[c];
  return k;
}

}  // namespace

TableChange ComputeTableChange(const ReferenceTable* before, const ReferenceTable& after) {
  TableChange ch;
  ch.table = after.name();
  ch.created = before == nullptr;
  if (before) ch.columns_before = before->columns();
  ch.columns_after = after.columns();
  std::vector<std::string> all_columns = ch.columns_after;
  for (const auto& c : ch.columns_before)
    if (std::find(all_columns.begin(), all_columns.end(), c) == all_columns.end()) all_columns.push_back(c);

  std::vector<std::vector<std::string>> simulated;  // before's surviving rows, after's columns
  if (before) {
    for (size_t i = 0; i < before->num_rows(); ++i) {
      std::string key = before->KeyOf(i);
      int64_t j = after.FindRow(key);
      if (j < 0) {
        RowChange rc;
        rc.kind = RowChange::Kind::kRemoved;
        rc.key = key;
        rc.values = before->row(i);
        ch.rows.push_back(std::move(rc));
        continue;
      }
      auto old_full = Remap(before->row(i), before->columns(), all_columns);
      auto new_full = Remap(after.row(j), after.columns(), all_columns);
      RowChange rc;
      rc.kind = RowChange::Kind::kModified;
      rc.key = key;
      for (size_t c = 0; c < all_columns.size(); ++c) {
        if (old_full[c] != new_full[c]) rc.fields.push_back({all_columns[c], old_full[c], new_full[c]});
      }
      if (!rc.fields.empty()) ch.rows.push_back(std::move(rc));
      simulated.push_back(after.row(j));
    }
  }
  std::vector<const RowChange*> added_ptrs;
  size_t first_added = ch.rows.size();
  for (size_t j = 0; j < after.num_rows(); ++j) {
    std::string key = after.KeyOf(j);
    if (before && before->FindRow(key) >= 0) continue;
    RowChange rc;
    rc.kind = RowChange::Kind::kAdded;
    rc.key = key;
    rc.values = after.row(j);
    rc.position = static_cast<int64_t>(j);
    ch.rows.push_back(std::move(rc));
  }
  for (size_t i = first_added; i < ch.rows.size(); ++i) added_ptrs.push_back(&ch.rows[i]);
  InsertAdded(&simulated, added_ptrs);
  bool same_order = simulated.size() == after.num_rows();
  for (size_t j = 0; same_order && j < simulated.size(); ++j) {
    same_order = KeyOfRow(simulated[j], after.key_columns()) == after.KeyOf(j);
  }
  if (!same_order) {
    for (size_t j = 0; j < after.num_rows(); ++j) ch.order.push_back(after.KeyOf(j));
  }
  ch.content_sha256 = after.ContentHash();
  ch.rows_after = static_cast<int64_t>(after.num_rows());
  return ch;
}

Result<std::shared_ptr<const ReferenceTable>> ApplyTableChange(const ReferenceTable* before, const TableChange& change,
                                                               const std::string& where, bool check_hash) {
  auto bad = [&](const std::string& msg) {
    return Status::Corruption(where + ", table '" + change.table + "': " + msg);
  };
  if (change.created != (before == nullptr)) {
    return bad(change.created ? "creates a table that already exists" : "changes a table that does not exist");
  }
  if (before && before->columns() != change.columns_before) return bad("columns_before does not match the table");
  const int key_columns = KeyColumnsOf(change.table);
  std::vector<std::vector<std::string>> rows;
  std::unordered_map<std::string, size_t> pos;
  std::unordered_set<std::string> removed;
  for (const auto& rc : change.rows) {
    if (rc.kind == RowChange::Kind::kRemoved) removed.insert(rc.key);
  }
  if (before) {
    for (size_t i = 0; i < before->num_rows(); ++i) {
      std::string key = before->KeyOf(i);
      if (removed.count(key)) {
        removed.erase(key);
        continue;
      }
      pos[key] = rows.size();
      rows.push_back(Remap(before->row(i), before->columns(), change.columns_after));
    }
  }
  if (!removed.empty()) return bad("removes row '" + *removed.begin() + "' that does not exist");
  std::vector<const RowChange*> added;
  for (const auto& rc : change.rows) {
    if (rc.kind == RowChange::Kind::kAdded) {
      if (pos.count(rc.key)) return bad("adds row '" + rc.key + "' that already exists");
      if (rc.values.size() != change.columns_after.size()) return bad("row '" + rc.key + "' has the wrong width");
      added.push_back(&rc);
    } else if (rc.kind == RowChange::Kind::kModified) {
      auto it = pos.find(rc.key);
      if (it == pos.end()) return bad("modifies row '" + rc.key + "' that does not exist");
      auto& row = rows[it->second];
      for (const auto& f : rc.fields) {
        auto c = std::find(change.columns_after.begin(), change.columns_after.end(), f.column);
        std::string current;
        bool in_before = before && before->ColumnIndex(f.column) >= 0;
        if (in_before) current = before->row(before->FindRow(rc.key))[before->ColumnIndex(f.column)];
        if (current != f.old_value) {
          return bad("row '" + rc.key + "', column '" + f.column + "': old value '" + f.old_value +
                     "' does not match '" + current + "'");
        }
        if (c != change.columns_after.end()) row[c - change.columns_after.begin()] = f.new_value;
      }
    }
  }
  InsertAdded(&rows, added);
  if (!change.order.empty()) {
    std::unordered_map<std::string, size_t> at;
    for (size_t i = 0; i < rows.size(); ++i) at[KeyOfRow(rows[i], key_columns)] = i;
    if (change.order.size() != rows.size()) return bad("row order lists the wrong number of keys");
    std::vector<std::vector<std::string>> ordered;
    ordered.reserve(rows.size());
    for (const auto& k : change.order) {
      auto it = at.find(k);
      if (it == at.end()) return bad("row order names unknown key '" + k + "'");
      ordered.push_back(std::move(rows[it->second]));
      at.erase(it);
    }
    rows = std::move(ordered);
  }
  auto t = ReferenceTable::Make(change.table, change.columns_after, std::move(rows), key_columns, where);
  if (!t.ok()) return bad(t.status().message());
  if (check_hash && (*t)->ContentHash() != change.content_sha256) {
    return bad("replayed content hash " + (*t)->ContentHash() + " differs from the recorded " + change.content_sha256);
  }
  return t;
}

namespace {

json EncodeTableChange(const TableChange& ch) {
  json rows = json::array();
  for (const auto& rc : ch.rows) {
    json r;
    r["key"] = rc.key;
    switch (rc.kind) {
      case RowChange::Kind::kAdded:
        r["op"] = "add";
        r["position"] = rc.position;
        r["values"] = rc.values;
        break;
      case RowChange::Kind::kRemoved:
        r["op"] = "remove";
        r["values"] = rc.values;
        break;
      case RowChange::Kind::kModified: {
        r["op"] = "modify";
        json fields = json::array();
        for (const auto& f : rc.fields)
          fields.push_back({{"column", f.column}, {"old", f.old_value}, {"new", f.new_value}});
        r["fields"] = std::move(fields);
        break;
      }
    }
    rows.push_back(std::move(r));
  }
  json j;
  j["table"] = ch.table;
  j["created"] = ch.created;
  j["columns"] = ch.columns_after;
  if (!ch.created && ch.columns_before != ch.columns_after) j["columns_before"] = ch.columns_before;
  j["rows"] = std::move(rows);
  if (!ch.order.empty()) j["order"] = ch.order;
  j["sha256"] = ch.content_sha256;
  j["rows_after"] = ch.rows_after;
  return j;
}

TableChange DecodeTableChange(const json& j) {
  TableChange ch;
  ch.table = j.at("table").get<std::string>();
  ch.created = j.at("created").get<bool>();
  ch.columns_after = j.at("columns").get<std::vector<std::string>>();
  if (!ch.created)
    ch.columns_before =
        j.contains("columns_before") ? j["columns_before"].get<std::vector<std::string>>() : ch.columns_after;
  for (const auto& r : j.at("rows")) {
    RowChange rc;
    rc.key = r.at("key").get<std::string>();
    std::string op = r.at("op").get<std::string>();
    if (op == "add") {
      rc.kind = RowChange::Kind::kAdded;
      rc.position = r.at("position").get<int64_t>();
      rc.values = r.at("values").get<std::vector<std::string>>();
    } else if (op == "remove") {
      rc.kind = RowChange::Kind::kRemoved;
      rc.values = r.at("values").get<std::vector<std::string>>();
    } else if (op == "modify") {
      rc.kind = RowChange::Kind::kModified;
      for (const auto& f : r.at("fields")) {
        rc.fields.push_back(
            {f.at("column").get<std::string>(), f.at("old").get<std::string>(), f.at("new").get<std::string>()});
      }
    } else {
      throw std::runtime_error("unknown row op '" + op + "'");
    }
    ch.rows.push_back(std::move(rc));
  }
  if (j.contains("order")) ch.order = j["order"].get<std::vector<std::string>>();
  ch.content_sha256 = j.at("sha256").get<std::string>();
  ch.rows_after = j.at("rows_after").get<int64_t>();
  return ch;
}

}  // namespace

Result<std::string> EncodeEntry(ReferenceChange* entry) {
  try {
    json j;
    j["format"] = kLogFormatVersion;
    j["version"] = entry->version;
    j["time"] = FormatTimestamp(entry->time);
    j["time_ns"] = entry->time;
    j["actor"] = entry->actor;
    j["reason"] = entry->reason;
    j["operation"] = entry->operation;
    json tables = json::array();
    for (const auto& t : entry->tables) tables.push_back(EncodeTableChange(t));
    j["tables"] = std::move(tables);
    j["prev_hash"] = entry->prev_hash;
    entry->hash = Sha256Hex(j.dump());
    j["hash"] = entry->hash;
    return j.dump();
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("change cannot be logged (values must be valid UTF-8): ") + e.what());
  }
}

Result<ReferenceChange> DecodeEntry(std::string_view line, const std::string& where, std::string* recomputed_hash) {
  try {
    json j = json::parse(line);
    ReferenceChange e;
    e.version = j.at("version").get<int64_t>();
    e.time = j.at("time_ns").get<int64_t>();
    e.actor = j.at("actor").get<std::string>();
    e.reason = j.at("reason").get<std::string>();
    e.operation = j.at("operation").get<std::string>();
    for (const auto& t : j.at("tables")) e.tables.push_back(DecodeTableChange(t));
    e.prev_hash = j.at("prev_hash").get<std::string>();
    e.hash = j.at("hash").get<std::string>();
    if (recomputed_hash) {
      j.erase("hash");
      *recomputed_hash = Sha256Hex(j.dump());
    }
    return e;
  } catch (const std::exception& e) {
    return Status::Corruption(where + ": not a valid change-log entry: " + e.what());
  }
}

Status ApplyEntry(LogState* state, const ReferenceChange& entry, const std::string& where, bool check_hash) {
  if (entry.version != state->version + 1) {
    return Status::Corruption(where + ": version " + std::to_string(entry.version) + " follows version " +
                              std::to_string(state->version));
  }
  if (entry.prev_hash != state->head_hash) {
    return Status::Corruption(where + " (version " + std::to_string(entry.version) + "): prev_hash " + entry.prev_hash +
                              " is not the hash of the previous entry " + state->head_hash);
  }
  std::map<std::string, std::shared_ptr<const ReferenceTable>, std::less<>> updated;
  for (const auto& ch : entry.tables) {
    auto it = state->tables.find(ch.table);
    const ReferenceTable* before = it == state->tables.end() ? nullptr : it->second.get();
    SYSTORE_ASSIGN_OR_RAISE(
        auto t, ApplyTableChange(before, ch, where + " (version " + std::to_string(entry.version) + ")", check_hash));
    updated[ch.table] = std::move(t);
  }
  for (auto& [name, t] : updated) {
    state->tables[name] = std::move(t);
    state->last_change[name] = {entry.version, entry.time};
  }
  state->version = entry.version;
  state->time = entry.time;
  state->head_hash = entry.hash;
  return Status::OK();
}

}  // namespace reference_internal
}  // namespace systore
