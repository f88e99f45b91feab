// The SQL layer shared by the SQLite and PostgreSQL backends: a session runs
// statements written once, with `?` placeholders, in the subset of SQL both accept
// (UPSERT ... ON CONFLICT, RETURNING, FULL OUTER JOIN). The PostgreSQL session rewrites
// `?` to `$n`; dialect differences are confined to Schema() and ForUpdate().
#pragma once

#include <charconv>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "systore/result.h"

namespace systore::operational {

using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;
inline SqlValue SqlNull() { return std::monostate{}; }
inline SqlValue SqlText(std::string_view s) { return std::string(s); }

/// One result row. SQLite returns typed values, PostgreSQL text; the accessors convert.
struct SqlRow {
  std::vector<SqlValue> values;

  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(values[i]); }
  int64_t Int(size_t i) const {
    const SqlValue& v = values[i];
    if (auto* p = std::get_if<int64_t>(&v)) return *p;
    if (auto* p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
    if (auto* p = std::get_if<std::string>(&v)) {
      int64_t out = 0;
      std::from_chars(p->data(), p->data() + p->size(), out);
      return out;
    }
    return 0;
  }
  double Double(size_t i) const {
    const SqlValue& v = values[i];
    if (auto* p = std::get_if<double>(&v)) return *p;
    if (auto* p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
    if (auto* p = std::get_if<std::string>(&v)) return std::strtod(p->c_str(), nullptr);
    return 0;
  }
  std::string Text(size_t i) const {
    const SqlValue& v = values[i];
    if (auto* p = std::get_if<std::string>(&v)) return *p;
    if (auto* p = std::get_if<int64_t>(&v)) return std::to_string(*p);
    if (auto* p = std::get_if<double>(&v)) return std::to_string(*p);
    return "";
  }
};

enum class Dialect { kSqlite, kPostgres };

/// A connection. Not thread-safe: one thread at a time.
/// Errors: a unique-constraint violation is AlreadyExists, a lost race (busy,
/// deadlock, serialization failure) a retryable Conflict, a lost connection Unavailable.
class SqlSession {
 public:
  virtual ~SqlSession() = default;
  virtual Dialect dialect() const = 0;
  /// Runs one statement (cached prepared) and returns its rows.
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql, const std::vector<SqlValue>& params) = 0;
  Status Exec(std::string_view sql, const std::vector<SqlValue>& params = {}) {
    auto r = Query(sql, params);
    return r.status();
  }
  /// Runs several ;-separated statements without parameters (schema, BEGIN, ...).
  virtual Status ExecScript(std::string_view sql) = 0;
};

/// The schema for a dialect (idempotent: CREATE ... IF NOT EXISTS).
std::string Schema(Dialect d);
/// " FOR UPDATE" on PostgreSQL (row lock for read-modify-write), "" on SQLite, where
/// the single writer already serializes.
inline const char* ForUpdate(Dialect d) { return d == Dialect::kPostgres ? " FOR UPDATE" : ""; }

}  // namespace systore::operational
