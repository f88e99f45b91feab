// The MongoDB operational store in a backup: a dump of its collections through the
// driver (one JSON document per line and collection), and a load into an empty database.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "systore/result.h"

namespace systore::backup {

/// Dumps every collection of the database named in `uri` into `dir`/<collection>.jsonl
/// and returns the file names: one state, dumped again until the journal head (which
/// every commit moves) did not move while it was read. Unavailable when writers never
/// pause for the length of a dump.
Result<std::vector<std::string>> MongoDump(const std::string& uri, const std::string& dir);

/// Loads the *.jsonl files of `dir` into the database named in `uri`, which must have no
/// collections. Returns the number of documents.
Result<int64_t> MongoLoad(const std::string& dir, const std::string& uri);

}  // namespace systore::backup
