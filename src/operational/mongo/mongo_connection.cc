#include "operational/mongo/mongo_connection.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <memory>
#include <utility>

namespace systore::operational {
namespace {

// An owned bson_t*. (Not unique_ptr<bson_t>: bson_t's alignment attribute would be
// dropped from the template argument.)
class BsonPtr {
 public:
  explicit BsonPtr(bson_t* b = nullptr) : b_(b) {}
  BsonPtr(BsonPtr&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  BsonPtr& operator=(BsonPtr&& o) noexcept {
    std::swap(b_, o.b_);
    return *this;
  }
  ~BsonPtr() {
    if (b_) bson_destroy(b_);
  }
  bson_t* get() const { return b_; }
  explicit operator bool() const { return b_ != nullptr; }

 private:
  bson_t* b_;
};

Result<BsonPtr> ToBson(const Json& j) {
  const std::string text = j.dump();
  bson_error_t error;
  bson_t* b =
      bson_new_from_json(reinterpret_cast<const uint8_t*>(text.data()), static_cast<ssize_t>(text.size()), &error);
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

std::string TakeUriOption(std::string& uri, const std::string& name) {
  const size_t q = uri.find('?');
  if (q == std::string::npos) return "";
  std::string query = uri.substr(q + 1), kept, value;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string item = query.substr(start, end - start);
    if (item.starts_with(name + "=")) {
      value = item.substr(name.size() + 1);
    } else if (!item.empty()) {
      kept += (kept.empty() ? "" : "&") + item;
    }
    start = end + 1;
  }
  uri = uri.substr(0, q) + (kept.empty() ? "" : "?" + kept);
  return value;
}

void InitMongoc() {
  static std::once_flag init;
  std::call_once(init, [] {
    // Counters in shared memory are only for the mongoc-stat tool; their /dev/shm files
    // outlive killed processes and a reused pid then makes mongoc warn on stderr.
    ::setenv("MONGOC_DISABLE_SHM", "1", 0);
    mongoc_init();  // mongoc_cleanup() is left to process exit
    // libmongoc logs to stderr. Keep warnings and errors, except the endSessions one
    // every pooled client prints at shutdown against servers without that command.
    mongoc_log_set_handler(
        [](mongoc_log_level_t level, const char* domain, const char* message, void* data) {
          if (level > MONGOC_LOG_LEVEL_WARNING || std::strstr(message, "endSessions")) return;
          mongoc_log_default_handler(level, domain, message, data);
        },
        nullptr);
  });
}

Status MongoStatus(const bson_error_t& error, std::string_view context) {
  std::string msg = "MongoDB " + std::string(context) + ": " + error.message;
  if (error.code == 11000 || error.code == 11001) return Status::AlreadyExists(msg);
  if (error.code == 112 /* WriteConflict */ || error.code == 251 /* NoSuchTransaction */) return Status::Conflict(msg);
  if (error.domain == MONGOC_ERROR_SERVER_SELECTION || error.domain == MONGOC_ERROR_STREAM) {
    return Status::Unavailable(msg);
  }
  return Status::IOError(msg);
}

std::string PaddedId(int64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(n));
  return buf;
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
  SYSTORE_ASSIGN_OR_RAISE(BsonPtr query, ToBson(filter));
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

namespace {

// One unordered bulk write of `ops` ({insert: doc} or {replace: doc}, each doc with _id
// and version) to `coll`. Fills `dup_inserts` with the inserts that hit an existing _id.
// A versioned replace that misses (the stored version is newer) turns into an upsert on
// an existing _id: E11000, expected and ignored.
Status RunBulk(mongoc_collection_t* collection, mongoc_client_session_t* session, const std::string& coll,
               const std::vector<std::pair<bool, Json>>& ops, int64_t seq, std::vector<size_t>* dup_inserts) {
  SYSTORE_ASSIGN_OR_RAISE(BsonPtr bulk_opts, Options(session, {{"ordered", false}}));
  std::unique_ptr<mongoc_bulk_operation_t, void (*)(mongoc_bulk_operation_t*)> bulk(
      mongoc_collection_create_bulk_operation_with_opts(collection, bulk_opts.get()), mongoc_bulk_operation_destroy);
  bson_error_t error;
  for (const auto& [insert, doc] : ops) {
    SYSTORE_ASSIGN_OR_RAISE(BsonPtr d, ToBson(doc));
    bool ok;
    if (insert) {
      ok = mongoc_bulk_operation_insert_with_opts(bulk.get(), d.get(), nullptr, &error);
    } else {
      SYSTORE_ASSIGN_OR_RAISE(BsonPtr sel, ToBson({{"_id", doc["_id"]}, {kVersionField, {{"$lt", seq}}}}));
      SYSTORE_ASSIGN_OR_RAISE(BsonPtr opts, ToBson({{"upsert", true}}));
      ok = mongoc_bulk_operation_replace_one_with_opts(bulk.get(), sel.get(), d.get(), opts.get(), &error);
    }
    if (!ok) return MongoStatus(error, "bulk write to " + coll);
  }
  bson_t reply;
  const bool ok = mongoc_bulk_operation_execute(bulk.get(), &reply, &error) != 0;
  Json r = FromBson(&reply);
  bson_destroy(&reply);
  if (ok) return Status::OK();
  const std::string what = "MongoDB applying journal entry " + std::to_string(seq) + " to " + coll;
  const Json* errors = r.contains("writeErrors") ? &r["writeErrors"] : nullptr;
  if (!errors || errors->empty() || r.contains("writeConcernErrors")) return MongoStatus(error, what.substr(8));
  for (const Json& e : *errors) {
    const size_t index = e.value("index", size_t{0});
    if (e.value("code", 0) != 11000 || index >= ops.size()) {
      return Status::IOError(what + ": " + e.value("errmsg", std::string("write error")));
    }
    if (ops[index].first) dup_inserts->push_back(index);
  }
  return Status::OK();
}

}  // namespace

Status MongoConnection::ApplyVersioned(const Json& writes, int64_t seq) {
  // Documents the transaction did not find on the server are inserted (a point write;
  // a replace that misses can cost a collection scan on some servers), the rest
  // replaced if older than `seq`. An insert that finds the _id taken (a replay, or a
  // document created meanwhile by an older entry) is retried as a versioned replace.
  std::map<std::string, std::vector<std::pair<bool, Json>>> by_collection;
  for (const Json& w : writes) {
    Json doc = w.at("doc");
    const bool deleted = doc.is_null();
    if (deleted) doc = {{kDeletedField, true}};
    doc["_id"] = w.at("id");
    doc[kVersionField] = seq;
    by_collection[w.at("c").get<std::string>()].emplace_back(!deleted && w.value("fresh", false), std::move(doc));
  }
  for (auto& [coll, ops] : by_collection) {
    std::vector<size_t> dups;
    SYSTORE_RETURN_NOT_OK(RunBulk(Collection(coll), session_, coll, ops, seq, &dups));
    if (dups.empty()) continue;
    std::vector<std::pair<bool, Json>> replaces;
    for (size_t i : dups) replaces.emplace_back(false, std::move(ops[i].second));
    std::vector<size_t> none;
    SYSTORE_RETURN_NOT_OK(RunBulk(Collection(coll), session_, coll, replaces, seq, &none));
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
