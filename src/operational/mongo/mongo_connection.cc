#include "operational/mongo/mongo_connection.h"

#include <memory>

namespace systore::operational {
namespace {

struct BsonDeleter {
  void operator()(bson_t* b) const { bson_destroy(b); }
};
using BsonPtr = std::unique_ptr<bson_t, BsonDeleter>;

Result<BsonPtr> ToBson(const Json& j) {
  const std::string text = j.dump();
  bson_error_t error;
  bson_t* b = bson_new_from_json(reinterpret_cast<const uint8_t*>(text.data()), static_cast<ssize_t>(text.size()),
                                 &error);
  if (!b) return Status::Internal(std::string("cannot convert a document to BSON: ") + error.message);
  return BsonPtr(b);
}

Json FromBson(const bson_t* b) {
  size_t len = 0;
  char* text = bson_as_relaxed_extended_json(b, &len);
  Json j = Json::parse(text, text + len, nullptr, false);
  bson_free(text);
  return j;
}

// An options document carrying the session (when there is one) and `extra`.
Result<BsonPtr> Options(mongoc_client_session_t* session, const Json& extra) {
  SYSTORE_ASSIGN_OR_RAISE(BsonPtr opts, ToBson(extra.is_null() ? Json::object() : extra));
  if (session) {
    bson_error_t error;
    if (!mongoc_client_session_append(session, opts.get(), &error)) return MongoStatus(error, "session");
  }
  return opts;
}

}  // namespace

Status MongoStatus(const bson_error_t& error, std::string_view context) {
  std::string msg = "MongoDB " + std::string(context) + ": " + error.message;
  if (error.code == 11000 || error.code == 11001) return Status::AlreadyExists(msg);
  if (error.code == 112 /* WriteConflict */ || error.code == 251 /* NoSuchTransaction */) return Status::Conflict(msg);
  if (error.domain == MONGOC_ERROR_SERVER_SELECTION || error.domain == MONGOC_ERROR_STREAM) {
    return Status::Unavailable(msg);
  }
  return Status::IOError(msg);
}

MongoConnection::~MongoConnection() {
  for (auto& [name, c] : collections_) mongoc_collection_destroy(c);
}

mongoc_collection_t* MongoConnection::Collection(const std::string& coll) {
  auto it = collections_.find(coll);
  if (it != collections_.end()) return it->second;
  mongoc_collection_t* c = mongoc_client_get_collection(client_, db_.c_str(), coll.c_str());
  collections_.emplace(coll, c);
  return c;
}

Result<std::vector<Json>> MongoConnection::Find(const std::string& coll, const Json& filter, const SortSpec& sort,
                                                int64_t limit) {
  Json f = filter;
  f[kDeletedField] = {{"$ne", true}};
  SYSTORE_ASSIGN_OR_RAISE(BsonPtr query, ToBson(f));
  SYSTORE_ASSIGN_OR_RAISE(BsonPtr opts, Options(session_, nullptr));
  if (!sort.empty()) {
    bson_t child;
    BSON_APPEND_DOCUMENT_BEGIN(opts.get(), "sort", &child);
    for (const auto& [field, dir] : sort) BSON_APPEND_INT32(&child, field.c_str(), dir);
    bson_append_document_end(opts.get(), &child);
  }
  if (limit > 0) BSON_APPEND_INT64(opts.get(), "limit", limit);
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(Collection(coll), query.get(), opts.get(), nullptr);
  std::vector<Json> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor, &doc)) out.push_back(FromBson(doc));
  bson_error_t error;
  Status st;
  if (mongoc_cursor_error(cursor, &error)) st = MongoStatus(error, "find in " + coll);
  mongoc_cursor_destroy(cursor);
  if (!st.ok()) return st;
  return out;
}

Status MongoConnection::InsertOne(const std::string& coll, const Json& doc, const Json& write_concern) {
  SYSTORE_ASSIGN_OR_RAISE(BsonPtr b, ToBson(doc));
  Json extra = Json::object();
  if (!write_concern.is_null()) extra["writeConcern"] = write_concern;
  SYSTORE_ASSIGN_OR_RAISE(BsonPtr opts, Options(session_, extra));
  bson_error_t error;
  if (!mongoc_collection_insert_one(Collection(coll), b.get(), opts.get(), nullptr, &error)) {
    return MongoStatus(error, "insert into " + coll);
  }
  return Status::OK();
}

Status MongoConnection::UpdateOne(const std::string& coll, const Json& selector, const Json& update, bool upsert) {
  SYSTORE_ASSIGN_OR_RAISE(BsonPtr sel, ToBson(selector));
  SYSTORE_ASSIGN_OR_RAISE(BsonPtr upd, ToBson(update));
  SYSTORE_ASSIGN_OR_RAISE(BsonPtr opts, Options(session_, {{"upsert", upsert}}));
  bson_error_t error;
  if (!mongoc_collection_update_one(Collection(coll), sel.get(), upd.get(), opts.get(), nullptr, &error)) {
    return MongoStatus(error, "update in " + coll);
  }
  return Status::OK();
}

Status MongoConnection::ApplyVersioned(const Json& writes, int64_t seq) {
  // One unordered bulk write per collection. A replace whose filter misses because the
  // stored version is newer turns into an upsert on an existing _id: E11000, expected.
  std::map<std::string, std::vector<const Json*>> by_collection;
  for (const Json& w : writes) by_collection[w.at("c").get<std::string>()].push_back(&w);
  for (const auto& [coll, ws] : by_collection) {
    SYSTORE_ASSIGN_OR_RAISE(BsonPtr bulk_opts, Options(session_, {{"ordered", false}}));
    mongoc_bulk_operation_t* bulk = mongoc_collection_create_bulk_operation_with_opts(Collection(coll), bulk_opts.get());
    std::unique_ptr<mongoc_bulk_operation_t, void (*)(mongoc_bulk_operation_t*)> guard(bulk,
                                                                                         mongoc_bulk_operation_destroy);
    for (const Json* w : ws) {
      const Json& id = w->at("id");
      Json doc = w->at("doc");
      if (doc.is_null()) doc = {{kDeletedField, true}};
      doc["_id"] = id;
      doc[kVersionField] = seq;
      SYSTORE_ASSIGN_OR_RAISE(BsonPtr sel, ToBson({{"_id", id}, {kVersionField, {{"$lt", seq}}}}));
      SYSTORE_ASSIGN_OR_RAISE(BsonPtr rep, ToBson(doc));
      SYSTORE_ASSIGN_OR_RAISE(BsonPtr opts, ToBson({{"upsert", true}}));
      bson_error_t error;
      if (!mongoc_bulk_operation_replace_one_with_opts(bulk, sel.get(), rep.get(), opts.get(), &error)) {
        return MongoStatus(error, "bulk replace in " + coll);
      }
    }
    bson_t reply;
    bson_error_t error;
    const bool ok = mongoc_bulk_operation_execute(bulk, &reply, &error) != 0;
    Json r = FromBson(&reply);
    bson_destroy(&reply);
    if (ok) continue;
    const Json* errors = r.contains("writeErrors") ? &r["writeErrors"] : nullptr;
    if (!errors || errors->empty() || r.contains("writeConcernErrors")) {
      return MongoStatus(error, "applying journal entry " + std::to_string(seq) + " to " + coll);
    }
    for (const Json& e : *errors) {
      if (e.value("code", 0) != 11000) {
        return Status::IOError("MongoDB applying journal entry " + std::to_string(seq) + " to " + coll + ": " +
                               e.value("errmsg", std::string("write error")));
      }
    }
  }
  return Status::OK();
}

Result<Json> MongoConnection::Command(std::string_view command_json) {
  bson_error_t parse_error;
  BsonPtr cmd(bson_new_from_json(reinterpret_cast<const uint8_t*>(command_json.data()),
                                 static_cast<ssize_t>(command_json.size()), &parse_error));
  if (!cmd) return Status::InvalidArgument(std::string("MongoDB command is not JSON: ") + parse_error.message);
  bson_t reply;
  bson_error_t error;
  const bool ok = mongoc_client_command_simple(client_, db_.c_str(), cmd.get(), nullptr, &reply, &error);
  Json r = FromBson(&reply);
  bson_destroy(&reply);
  if (!ok) return MongoStatus(error, "command " + std::string(command_json.substr(0, 40)));
  return r;
}

}  // namespace systore::operational
