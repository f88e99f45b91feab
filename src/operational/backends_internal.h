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

/// Connects and checks the server can run multi-document transactions; the document
/// repositories are not implemented yet, so it always fails (with a clear reason).
Result<std::unique_ptr<OperationalStore>> OpenMongoStore(const OperationalStoreOptions& options,
                                                         const std::string& uri);

}  // namespace systore::operational
