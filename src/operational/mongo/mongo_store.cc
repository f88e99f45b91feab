// The MongoDB backend (libmongoc) — connection and capability check only.
//
// What exists: the URI is parsed, the server is contacted (`hello`), and a server that
// cannot run multi-document transactions (a standalone server, FerretDB 1.x) is refused
// with a clear error instead of accepting writes that would not be atomic. What does
// not exist yet: the document-model Transaction (every Do* hook on collections), so
// even a replica set gets NotImplemented. docs/operational-store.md lists the missing
// pieces precisely.
#include <mongoc/mongoc.h>

#include <mutex>

#include "operational/backends_internal.h"

namespace systore::operational {

Result<std::unique_ptr<OperationalStore>> OpenMongoStore(const OperationalStoreOptions& options,
                                                         const std::string& uri_text) {
  static std::once_flag init;
  std::call_once(init, [] { mongoc_init(); });  // mongoc_cleanup() is left to process exit
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(uri_text.c_str(), &error);
  if (!uri) return Status::InvalidArgument("MongoDB URI '" + uri_text + "': " + error.message);
  if (!mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS)) {
    mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
  }
  mongoc_client_t* client = mongoc_client_new_from_uri(uri);
  mongoc_uri_destroy(uri);
  if (!client) return Status::InvalidArgument("MongoDB URI '" + uri_text + "': cannot create a client");
  mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
  mongoc_client_set_appname(client, "systore");

  bson_t* cmd = BCON_NEW("hello", BCON_INT32(1));
  bson_t reply;
  const bool ok = mongoc_client_command_simple(client, "admin", cmd, nullptr, &reply, &error);
  bson_destroy(cmd);
  Status st;
  if (!ok) {
    st = Status::Unavailable("cannot reach MongoDB server (" + uri_text + "): " + error.message);
  } else {
    bson_iter_t it;
    const bool replica_set = bson_iter_init_find(&it, &reply, "setName");
    bool mongos = false;
    if (bson_iter_init_find(&it, &reply, "msg") && BSON_ITER_HOLDS_UTF8(&it)) {
      mongos = std::string(bson_iter_utf8(&it, nullptr)) == "isdbgrid";
    }
    const bool sessions = bson_iter_init_find(&it, &reply, "logicalSessionTimeoutMinutes");
    if (!(replica_set || mongos) || !sessions) {
      st = Status(StatusCode::kUnavailable,
                  "MongoDB server at " + uri_text +
                      " cannot run multi-document transactions (it is not a replica set member or mongos"
                      " with sessions); refusing to use it, since writes would not be atomic",
                  /*retryable=*/false);
    } else {
      st = Status::NotImplemented("MongoDB server at " + uri_text +
                                  " supports transactions, but the MongoDB backend's repositories are not "
                                  "implemented yet (see docs/operational-store.md)");
    }
  }
  bson_destroy(&reply);
  mongoc_client_destroy(client);
  (void)options;
  return st;
}

}  // namespace systore::operational
