// DocumentView: the database as one transaction sees it — the server's documents with
// the transaction's own buffered writes laid over them. Writes go nowhere until the
// store commits them (as one journal entry, see mongo_store.cc), so a transaction that
// fails leaves the server untouched.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "operational/mongo/mongo_connection.h"

namespace systore::operational {

/// True when `doc` matches `filter`, for the filter subset the backend uses: field
/// equality and {$eq, $ne, $gt, $gte, $lt, $lte, $in} on top-level fields.
bool MatchesFilter(const Json& doc, const Json& filter);

class DocumentView {
 public:
  explicit DocumentView(MongoConnection& conn) : conn_(conn) {}

  /// The document with this _id, or nullopt.
  Result<std::optional<Json>> Get(const std::string& coll, const Json& id);
  /// Matching documents, sorted (then by _id); limit 0 = all.
  Result<std::vector<Json>> Find(const std::string& coll, const Json& filter, const SortSpec& sort, int64_t limit = 0);
  /// Inserts or replaces (doc["_id"] names it).
  void Put(const std::string& coll, Json doc);
  void Remove(const std::string& coll, const Json& id);

  bool has_writes() const { return !overlay_.empty(); }
  /// [{c: collection, id, doc (null: deleted), fresh: not seen on the server}], one
  /// per document written.
  Json Writes() const;

 private:
  struct Entry {
    Json id;
    std::optional<Json> doc;  // nullopt: removed
  };
  // (collection, _id as JSON text)
  std::map<std::pair<std::string, std::string>, Entry> overlay_;
  // Documents read from the server (the others are probably new: inserted, not replaced).
  std::set<std::pair<std::string, std::string>> on_server_;
  MongoConnection& conn_;
};

}  // namespace systore::operational
