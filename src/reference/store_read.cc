#include <algorithm>

#include "core/file_util.h"
#include "reference/store_impl.h"

namespace systore::reference_internal {

Result<std::shared_ptr<const ReferenceTable>> ReferenceStoreImpl::GetTable(std::string_view table) {
  auto snap = Current();
  auto t = snap->shared_table(table);
  if (!t) {
    return Status::NotFound("reference table '" + std::string(table) + "' does not exist at version " +
                            std::to_string(snap->version()));
  }
  return t;
}

Result<std::string> ReferenceStoreImpl::GetValue(std::string_view table, std::string_view key,
                                                 std::string_view column) {
  auto snap = Current();
  const ReferenceTable* t = snap->table(table);
  if (!t) return Status::NotFound("reference table '" + std::string(table) + "' does not exist");
  const ReferenceTable::Row* row = t->Find(key);
  if (!row) return Status::NotFound("table '" + std::string(table) + "': no row with key '" + std::string(key) + "'");
  int c = t->ColumnIndex(column);
  if (c < 0) return Status::NotFound("table '" + std::string(table) + "': no column '" + std::string(column) + "'");
  return (*row)[c];
}

Result<std::vector<ReferenceTableInfo>> ReferenceStoreImpl::ListTables() {
  SYSTORE_RETURN_NOT_OK(Refresh());
  std::lock_guard<std::mutex> g(mu_);
  std::vector<ReferenceTableInfo> out;
  for (const auto& [name, t] : state_.tables) {
    ReferenceTableInfo info;
    info.name = name;
    info.file = TablePath(name);
    info.rows = static_cast<int64_t>(t->num_rows());
    info.columns = static_cast<int64_t>(t->columns().size());
    auto lc = state_.last_change.find(name);
    if (lc != state_.last_change.end()) std::tie(info.last_version, info.last_change) = lc->second;
    out.push_back(std::move(info));
  }
  return out;
}

Result<LogState> ReferenceStoreImpl::StateAt(int64_t version) {
  SYSTORE_RETURN_NOT_OK(Refresh());
  std::lock_guard<std::mutex> g(mu_);
  if (version < 0 || version > state_.version) {
    return Status::NotFound("reference version " + std::to_string(version) + " does not exist (latest is " +
                            std::to_string(state_.version) + ")");
  }
  if (version == state_.version) return state_;
  LogState s;
  for (int64_t i = 0; i < version; ++i) {
    SYSTORE_RETURN_NOT_OK(ApplyEntry(&s, entries_[i], LogPath() + " line " + std::to_string(i + 1), false));
  }
  return s;
}

Result<std::shared_ptr<const ReferenceSnapshot>> ReferenceStoreImpl::AsOfVersion(int64_t version) {
  if (version < 1) return Status::NotFound("reference versions start at 1, got " + std::to_string(version));
  SYSTORE_ASSIGN_OR_RAISE(auto s, StateAt(version));
  return MakeSnapshot(s);
}

Result<std::shared_ptr<const ReferenceSnapshot>> ReferenceStoreImpl::AsOfTime(Timestamp t) {
  SYSTORE_RETURN_NOT_OK(Refresh());
  int64_t version = 0;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (const auto& e : entries_) {
      if (e.time > t) break;
      version = e.version;
    }
  }
  if (version == 0) {
    return Status::NotFound("no reference data as of " + FormatTimestamp(t) + ": the first version is later");
  }
  return AsOfVersion(version);
}

Result<std::vector<ReferenceChange>> ReferenceStoreImpl::History(std::string_view table, std::string_view key) {
  SYSTORE_RETURN_NOT_OK(Refresh());
  std::lock_guard<std::mutex> g(mu_);
  std::vector<ReferenceChange> out;
  for (const auto& e : entries_) {
    ReferenceChange f = e;
    f.tables.clear();
    for (const auto& ch : e.tables) {
      if (!table.empty() && ch.table != table) continue;
      if (key.empty()) {
        f.tables.push_back(ch);
        continue;
      }
      TableChange k = ch;
      k.rows.clear();
      k.order.clear();
      for (const auto& rc : ch.rows)
        if (rc.key == key) k.rows.push_back(rc);
      if (!k.rows.empty()) f.tables.push_back(std::move(k));
    }
    if (!f.tables.empty()) out.push_back(std::move(f));
  }
  return out;
}

Result<TableChange> ReferenceStoreImpl::Diff(std::string_view table, int64_t v1, int64_t v2) {
  SYSTORE_ASSIGN_OR_RAISE(auto s1, StateAt(v1));
  SYSTORE_ASSIGN_OR_RAISE(auto s2, StateAt(v2));
  auto a = s1.tables.find(table);
  auto b = s2.tables.find(table);
  const ReferenceTable* before = a == s1.tables.end() ? nullptr : a->second.get();
  const ReferenceTable* after = b == s2.tables.end() ? nullptr : b->second.get();
  if (!before && !after) {
    return Status::NotFound("table '" + std::string(table) + "' exists at neither version " + std::to_string(v1) +
                            " nor " + std::to_string(v2));
  }
  std::shared_ptr<const ReferenceTable> empty;
  if (!after) {
    SYSTORE_ASSIGN_OR_RAISE(empty, ReferenceTable::Make(before->name(), before->columns(), {}, before->key_columns()));
    after = empty.get();
  }
  return ComputeTableChange(before, *after);
}

Result<VerifyReport> ReferenceStoreImpl::Verify() {
  VerifyReport report;
  auto fail = [&](int64_t version, int64_t line, std::string problem) {
    if (report.ok) {
      report.first_bad_version = version;
      report.first_bad_line = line;
    }
    report.ok = false;
    report.problems.push_back(std::move(problem));
  };
  auto log = ReadFileToString(LogPath());
  std::string text;
  if (log.ok()) {
    text = std::move(*log);
  } else if (!log.status().IsNotFound()) {
    return log.status();
  }
  LogState state;
  size_t start = 0;
  int64_t line_no = 0;
  Timestamp last_time = kMinTimestamp;
  while (start < text.size()) {
    size_t eol = text.find('\n', start);
    ++line_no;
    const std::string where = LogPath() + " line " + std::to_string(line_no);
    if (eol == std::string::npos) {
      fail(state.version + 1, line_no,
           where + ": incomplete last entry (an interrupted write; the next write removes it)");
      break;
    }
    std::string recomputed;
    auto e = DecodeEntry(std::string_view(text).substr(start, eol - start), where, &recomputed);
    start = eol + 1;
    if (!e.ok()) {
      fail(state.version + 1, line_no, e.status().message());
      break;
    }
    if (e->hash != recomputed) {
      fail(e->version, line_no,
           where + " (version " + std::to_string(e->version) + "): hash " + e->hash +
               " does not match the entry's content (" + recomputed + "): the entry was edited");
      break;
    }
    if (e->time <= last_time) {
      fail(e->version, line_no,
           where + " (version " + std::to_string(e->version) + "): time " + FormatTimestamp(e->time) +
               " is not after the previous entry's");
      break;
    }
    last_time = e->time;
    Status st = ApplyEntry(&state, *e, where, /*check_hash=*/true);
    if (!st.ok()) {
      fail(e->version, line_no, st.message());
      break;
    }
    ++report.entries;
  }
  report.head_hash = state.head_hash;
  if (!report.ok) return report;
  if (PathExists(dir_ + "/" + kPendingFileName)) {
    fail(0, 0, dir_ + "/" + kPendingFileName + " exists: a write was interrupted (the next write or open recovers it)");
  }
  for (const auto& schema : BuiltinReferenceSchemas()) {
    auto it = state.tables.find(schema.name);
    auto on_disk = ReadFileToString(TablePath(schema.name));
    if (it == state.tables.end()) {
      if (on_disk.ok()) fail(0, 0, TablePath(schema.name) + " is not in the change log (adopt it)");
    } else if (!on_disk.ok()) {
      fail(0, 0,
           TablePath(schema.name) + " is missing; replaying the log gives version " + std::to_string(state.version) +
               " of it");
    } else if (*on_disk != it->second->ToCsv()) {
      fail(0, 0,
           TablePath(schema.name) + " differs from the replayed log at version " + std::to_string(state.version) +
               " (edited outside systore? `systore ref adopt " + schema.name + "`)");
    }
  }
  return report;
}

}  // namespace systore::reference_internal
