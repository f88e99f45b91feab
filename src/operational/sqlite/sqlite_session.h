// A SQLite connection with a prepared-statement cache.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "operational/sql_internal.h"

namespace systore::operational {

class SqliteSession final : public SqlSession {
 public:
  struct Config {
    bool durable = true;  // synchronous=FULL vs NORMAL
    int busy_timeout_ms = 10000;
    bool read_only = false;  // PRAGMA query_only
  };
  static Result<std::unique_ptr<SqliteSession>> Open(const std::string& path, const Config& config);
  ~SqliteSession() override;

  Dialect dialect() const override { return Dialect::kSqlite; }
  Result<std::vector<SqlRow>> Query(std::string_view sql, const std::vector<SqlValue>& params) override;
  Status ExecScript(std::string_view sql) override;
  /// True when no transaction is open (SQLite rolled back on its own after an error).
  bool autocommit() const { return sqlite3_get_autocommit(db_) != 0; }
  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteSession(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Error(int rc, std::string_view sql) const;

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace systore::operational
