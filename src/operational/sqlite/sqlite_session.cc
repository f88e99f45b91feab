#include "operational/sqlite/sqlite_session.h"

namespace systore::operational {

Result<std::unique_ptr<SqliteSession>> SqliteSession::Open(const std::string& path, const Config& config) {
  sqlite3* db = nullptr;
  // NOMUTEX: a session is used by one thread at a time (the store's pools guarantee it).
  int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::IOError("cannot open SQLite database " + path + ": " + msg);
  }
  std::unique_ptr<SqliteSession> s(new SqliteSession(db, path));
  sqlite3_busy_timeout(db, config.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=";
  pragmas += config.durable ? "FULL;" : "NORMAL;";
  pragmas += " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=8000;";
  if (config.read_only) pragmas += " PRAGMA query_only=1;";
  SYSTORE_RETURN_NOT_OK(s->ExecScript(pragmas));
  return s;
}

SqliteSession::~SqliteSession() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status SqliteSession::Error(int rc, std::string_view sql) const {
  std::string msg = std::string(sqlite3_errmsg(db_)) + " (" + path_ + "; in: " + std::string(sql.substr(0, 120)) + ")";
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) return Status::AlreadyExists(msg);
      return Status::InvalidArgument(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Conflict(msg);
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return Status::IOError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    default:
      return Status::Internal(msg);
  }
}

Result<std::vector<SqlRow>> SqliteSession::Query(std::string_view sql, const std::vector<SqlValue>& params) {
  sqlite3_stmt* stmt = nullptr;
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end()) {
    stmt = it->second;
  } else {
    int rc =
        sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, sql);
    cache_.emplace(std::string(sql), stmt);
  }
  struct Reset {
    sqlite3_stmt* s;
    ~Reset() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  } reset{stmt};
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
    return Status::Internal("statement expects " + std::to_string(sqlite3_bind_parameter_count(stmt)) +
                            " parameters, got " + std::to_string(params.size()) + ": " + std::string(sql));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int idx = static_cast<int>(i) + 1;
    const SqlValue& v = params[i];
    int rc = SQLITE_OK;
    if (auto* p = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, idx, *p);
    } else if (auto* p = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, idx, *p);
    } else if (auto* p = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text(stmt, idx, p->data(), static_cast<int>(p->size()), SQLITE_TRANSIENT);
    } else {
      rc = sqlite3_bind_null(stmt, idx);
    }
    if (rc != SQLITE_OK) return Error(rc, sql);
  }
  std::vector<SqlRow> rows;
  const int ncol = sqlite3_column_count(stmt);
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return Error(rc, sql);
    SqlRow row;
    row.values.reserve(ncol);
    for (int c = 0; c < ncol; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          row.values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT:
          row.values.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_NULL:
          row.values.emplace_back(std::monostate{});
          break;
        default: {
          const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.values.emplace_back(std::string(t ? t : "", sqlite3_column_bytes(stmt, c)));
        }
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Status SqliteSession::ExecScript(std::string_view sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Status st = Error(rc, sql);
    return Status(st.code(), msg + " (" + path_ + "; in: " + std::string(sql.substr(0, 120)) + ")", st.retryable());
  }
  return Status::OK();
}

}  // namespace systore::operational
