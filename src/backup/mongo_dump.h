// The MongoDB operational store in a backup: a dump of its collections through the
// driver (one JSON document per line and collection), and a load into an empty database.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "systore/result.h"

namespace systore::backup {

/// Dumps every collection of the database named in `uri` into `dir`/<collection>.jsonl
/// and returns the file names. The journal collection goes last: a store opened on the
/// loaded dump applies the journal entries newer than its head (the backend's own crash
/// recovery), so a dump taken while writers run loads to a consistent state.
Result<std::vector<std::string>> MongoDump(const std::string& uri, const std::string& dir);

/// Loads the *.jsonl files of `dir` into the database named in `uri`, which must have no
/// collections. Returns the number of documents.
Result<int64_t> MongoLoad(const std::string& dir, const std::string& uri);

}  // namespace systore::backup
