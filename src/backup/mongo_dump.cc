#include "backup/mongo_dump.h"

#include <mongoc/mongoc.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/file_util.h"
#include "operational/mongo/mongo_connection.h"

namespace systore::backup {
namespace {
using operational::Json;
using operational::MongoConnection;

struct Client {
  mongoc_client_t* client = nullptr;
  std::string db;
  ~Client() {
    if (client) mongoc_client_destroy(client);
  }
};

Status Connect(const std::string& uri_text, Client* c) {
  operational::InitMongoc();
  bson_error_t error;
  std::string driver_uri = uri_text;
  (void)operational::TakeUriOption(driver_uri, operational::kAtomicityOption);  // systore's, not the driver's
  mongoc_uri_t* uri = mongoc_uri_new_with_error(driver_uri.c_str(), &error);
  if (!uri) return Status::InvalidArgument("MongoDB URI '" + uri_text + "': " + error.message);
  if (!mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
    mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
  const char* db = mongoc_uri_get_database(uri);
  c->db = db && *db ? db : "systore";
  c->client = mongoc_client_new_from_uri(uri);
  mongoc_uri_destroy(uri);
  if (!c->client) return Status::InvalidArgument("MongoDB URI '" + uri_text + "': cannot create a client");
  mongoc_client_set_error_api(c->client, MONGOC_ERROR_API_VERSION_2);
  return Status::OK();
}

Result<std::vector<std::string>> Collections(MongoConnection& conn) {
  SYSTORE_ASSIGN_OR_RAISE(Json reply, conn.Command(R"({"listCollections": 1, "nameOnly": true})"));
  std::vector<std::string> out;
  if (reply.contains("cursor") && reply["cursor"].contains("firstBatch"))
    for (const auto& c : reply["cursor"]["firstBatch"]) out.push_back(c.value("name", ""));
  std::erase_if(out, [](const std::string& n) { return n.empty() || n.rfind("system.", 0) == 0; });
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<std::vector<std::string>> MongoDump(const std::string& uri, const std::string& dir) {
  Client c;
  SYSTORE_RETURN_NOT_OK(Connect(uri, &c));
  MongoConnection conn(c.client, c.db, nullptr);
  auto listed = Collections(conn);
  if (!listed.ok()) return listed.status().WithContext("dumping the MongoDB operational store");
  auto names = *listed;
  // meta (the journal head) first, the data collections, the journal last.
  std::stable_partition(names.begin(), names.end(), [](const std::string& n) { return n == "meta"; });
  std::stable_partition(names.begin(), names.end(), [](const std::string& n) { return n != "journal"; });
  SYSTORE_RETURN_NOT_OK(CreateDirectories(dir));
  // Collections are read one after the other, so a writer committing meanwhile would
  // leave a dump that is no single state: dump until the journal head (bumped by every
  // commit) is the same before and after.
  auto head = [&]() -> Result<std::string> {
    SYSTORE_ASSIGN_OR_RAISE(auto docs, conn.Find("meta", {{"_id", "journal_head"}}, {}, 1));
    return docs.empty() ? std::string() : docs[0].dump();
  };
  constexpr int kAttempts = 50;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    SYSTORE_ASSIGN_OR_RAISE(std::string before, head());
    std::vector<std::pair<std::string, std::string>> dumped;
    for (const auto& name : names) {
      SYSTORE_ASSIGN_OR_RAISE(auto docs, conn.Find(name, Json::object(), {{"_id", 1}}));
      std::string text;
      for (const auto& d : docs) text += d.dump() + "\n";
      dumped.emplace_back(name + ".jsonl", std::move(text));
    }
    SYSTORE_ASSIGN_OR_RAISE(std::string after, head());
    if (before != after) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10 + 10 * attempt));
      continue;
    }
    std::vector<std::string> files;
    for (const auto& [file, text] : dumped) {
      SYSTORE_RETURN_NOT_OK(WriteFileDurably(dir + "/" + file, text));
      files.push_back(file);
    }
    return files;
  }
  return Status::Unavailable("the MongoDB operational store committed during each of " + std::to_string(kAttempts) +
                             " dump attempts: back it up at a quieter moment");
}

Result<int64_t> MongoLoad(const std::string& dir, const std::string& uri) {
  Client c;
  SYSTORE_RETURN_NOT_OK(Connect(uri, &c));
  MongoConnection conn(c.client, c.db, nullptr);
  SYSTORE_ASSIGN_OR_RAISE(auto existing, Collections(conn));
  if (!existing.empty())
    return Status::InvalidArgument("MongoDB database '" + c.db + "' is not empty (" + existing.front() +
                                   ", ...): load the dump into a new database");
  SYSTORE_ASSIGN_OR_RAISE(auto names, ListDirectory(dir));
  int64_t n = 0;
  for (const auto& file : names) {
    if (file.size() < 7 || file.substr(file.size() - 6) != ".jsonl") continue;
    const std::string coll = file.substr(0, file.size() - 6);
    SYSTORE_ASSIGN_OR_RAISE(std::string text, ReadFileToString(dir + "/" + file));
    std::istringstream in(text);
    std::string line;
    int64_t lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.empty()) continue;
      Json doc = Json::parse(line, nullptr, false);
      if (doc.is_discarded() || !doc.is_object())
        return Status::Corruption(dir + "/" + file + " line " + std::to_string(lineno) + " is not a JSON document");
      SYSTORE_RETURN_NOT_OK(conn.InsertOne(coll, doc).WithContext("loading " + file + " line " + std::to_string(lineno)));
      ++n;
    }
  }
  return n;
}

}  // namespace systore::backup
