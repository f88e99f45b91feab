#include "operational/postgres/pg_session.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>

namespace systore::operational {
namespace {

// `?` → `$1, $2, ...` (our statements have no '?' inside literals).
std::string ToDollarParams(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (char c : sql) {
    if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

Status ResultError(PGconn* conn, PGresult* res, std::string_view sql) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  msg += " (in: " + std::string(sql.substr(0, 120)) + ")";
  if (PQstatus(conn) != CONNECTION_OK) return Status::Unavailable("PostgreSQL connection lost: " + msg);
  std::string s = state ? state : "";
  if (s == "23505") return Status::AlreadyExists(msg);
  if (s == "40001" || s == "40P01" || s == "55P03") return Status::Conflict(msg);
  if (s.rfind("23", 0) == 0 || s.rfind("22", 0) == 0) return Status::InvalidArgument(msg);
  if (s.rfind("08", 0) == 0 || s.rfind("57", 0) == 0) return Status::Unavailable(msg);
  return Status::Internal("PostgreSQL error " + s + ": " + msg);
}

}  // namespace

Result<std::unique_ptr<PgSession>> PgSession::Open(const std::string& conninfo, bool durable) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Status::Unavailable("cannot connect to PostgreSQL (" + conninfo + "): " + msg);
  }
  std::unique_ptr<PgSession> s(new PgSession(conn));
  // Quiet NOTICEs ("relation already exists, skipping") and choose durability.
  SYSTORE_RETURN_NOT_OK(s->ExecScript(std::string("SET client_min_messages = warning; SET synchronous_commit = ") +
                                      (durable ? "on" : "off")));
  return s;
}

PgSession::~PgSession() { PQfinish(conn_); }

bool PgSession::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

Result<std::vector<SqlRow>> PgSession::Query(std::string_view sql, const std::vector<SqlValue>& params) {
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    std::string text = ToDollarParams(sql);
    PGresult* res = PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      Status st = ResultError(conn_, res, sql);
      PQclear(res);
      return st;
    }
    PQclear(res);
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  std::vector<std::string> text(params.size());
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const SqlValue& v = params[i];
    if (auto* p = std::get_if<int64_t>(&v)) {
      text[i] = std::to_string(*p);
    } else if (auto* p = std::get_if<double>(&v)) {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, *p);  // shortest round-trip form
      text[i].assign(buf, r.ptr);
    } else if (auto* p = std::get_if<std::string>(&v)) {
      text[i] = *p;
    }
    values[i] = std::holds_alternative<std::monostate>(v) ? nullptr : text[i].c_str();
  }
  PGresult* res =
      PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()), values.data(), nullptr, nullptr, 0);
  ExecStatusType rs = PQresultStatus(res);
  if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
    Status st = ResultError(conn_, res, sql);
    PQclear(res);
    return st;
  }
  std::vector<SqlRow> rows;
  const int n = PQntuples(res), ncol = PQnfields(res);
  rows.reserve(n);
  for (int r = 0; r < n; ++r) {
    SqlRow row;
    row.values.reserve(ncol);
    for (int c = 0; c < ncol; ++c) {
      if (PQgetisnull(res, r, c)) {
        row.values.emplace_back(std::monostate{});
      } else {
        row.values.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
    }
    rows.push_back(std::move(row));
  }
  PQclear(res);
  return rows;
}

Status PgSession::ExecScript(std::string_view sql) {
  PGresult* res = PQexec(conn_, std::string(sql).c_str());
  ExecStatusType rs = PQresultStatus(res);
  Status st;
  if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) st = ResultError(conn_, res, sql);
  PQclear(res);
  return st;
}

}  // namespace systore::operational
