// MongoConnection: the few collection operations the MongoDB backend needs, on one
// libmongoc client (and, on a replica set, inside one client-session transaction),
// speaking nlohmann::json documents. Errors map to Status: duplicate key (E11000) is
// AlreadyExists, a lost server Unavailable, a write conflict a retryable Conflict.
#pragma once

#include <mongoc/mongoc.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "systore/result.h"

namespace systore::operational {

using Json = nlohmann::json;
/// Sort fields in order, each 1 (ascending) or -1.
using SortSpec = std::vector<std::pair<std::string, int>>;

/// Field marking a deleted document (a tombstone) and the journal sequence number of
/// the transaction that last wrote a document; see docs/operational-store.md.
inline constexpr const char* kDeletedField = "_deleted";
inline constexpr const char* kVersionField = "_v";

Status MongoStatus(const bson_error_t& error, std::string_view context);

/// systore's own URI option choosing the backend's atomicity (not the driver's).
inline constexpr const char* kAtomicityOption = "systoreAtomicity";
/// Removes `name=value` from the URI's query string, returning value ("" when absent).
std::string TakeUriOption(std::string& uri, const std::string& name);

/// mongoc_init() once per process, with systore's log filter; every user of the driver
/// calls this first.
void InitMongoc();

/// The _id of a numbered document (order, audit record, journal entry): the number as 20
/// zero-padded digits, so _ids sort in number order, and a string, since some servers
/// (FerretDB) answer point lookups by index only for string _ids. The number itself is
/// kept in a numeric field beside it.
std::string PaddedId(int64_t n);

class MongoConnection {
 public:
  /// `session` may be null (no server transaction). Not owned.
  MongoConnection(mongoc_client_t* client, std::string db, mongoc_client_session_t* session)
      : client_(client), db_(std::move(db)), session_(session) {}
  ~MongoConnection();
  MongoConnection(const MongoConnection&) = delete;
  MongoConnection& operator=(const MongoConnection&) = delete;

  mongoc_client_session_t* session() const { return session_; }

  /// Documents matching filter (tombstones included: the caller drops them), sorted;
  /// limit 0 = all.
  Result<std::vector<Json>> Find(const std::string& coll, const Json& filter, const SortSpec& sort = {},
                                 int64_t limit = 0);
  /// write_concern: null for the default (always inside a transaction).
  Status InsertOne(const std::string& coll, const Json& doc, const Json& write_concern = nullptr);
  Status UpdateOne(const std::string& coll, const Json& selector, const Json& update, bool upsert);
  /// Writes each {c: collection, id, doc (null: delete)} as version `seq`, unless the
  /// stored document is already at `seq` or later (so replaying a journal entry twice,
  /// or late, never overwrites a newer write).
  Status ApplyVersioned(const Json& writes, int64_t seq);
  /// Runs a database command given as JSON text (text keeps the key order commands need).
  Result<Json> Command(std::string_view command_json);

 private:
  mongoc_collection_t* Collection(const std::string& coll);

  mongoc_client_t* client_;
  std::string db_;
  mongoc_client_session_t* session_;
  std::map<std::string, mongoc_collection_t*> collections_;
};

}  // namespace systore::operational
