// A PostgreSQL connection (libpq) with a per-connection prepared-statement cache.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "operational/sql_internal.h"

struct pg_conn;

namespace systore::operational {

class PgSession final : public SqlSession {
 public:
  /// Unavailable when the server cannot be reached.
  static Result<std::unique_ptr<PgSession>> Open(const std::string& conninfo, bool durable);
  ~PgSession() override;

  Dialect dialect() const override { return Dialect::kPostgres; }
  Result<std::vector<SqlRow>> Query(std::string_view sql, const std::vector<SqlValue>& params) override;
  Status ExecScript(std::string_view sql) override;
  /// False once the connection is lost; the pool then drops it.
  bool healthy() const;

 private:
  explicit PgSession(pg_conn* conn) : conn_(conn) {}

  pg_conn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // sql → statement name
};

}  // namespace systore::operational
