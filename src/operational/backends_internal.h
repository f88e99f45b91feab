// Backend factories, called by OperationalStore::Open according to the URI scheme.
#pragma once

#include <memory>
#include <string>

#include "systore/operational_store.h"

namespace systore::operational {

/// `path` is a file path; its directory is created when missing.
Result<std::unique_ptr<OperationalStore>> OpenSqliteStore(const OperationalStoreOptions& options,
                                                          const std::string& path);
/// `conninfo` is a libpq connection string or URI.
Result<std::unique_ptr<OperationalStore>> OpenPostgresStore(const OperationalStoreOptions& options,
                                                            const std::string& conninfo);

/// `uri`: a MongoDB connection string, optionally with systoreAtomicity=transactions
/// (default: the server must run multi-document transactions) or =journal.
Result<std::unique_ptr<OperationalStore>> OpenMongoStore(const OperationalStoreOptions& options,
                                                         const std::string& uri);

}  // namespace systore::operational
