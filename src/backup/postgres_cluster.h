// The PostgreSQL operational store in a backup: a base backup of the running server
// (pg_basebackup), and a restored cluster brought up to a consistent state — or to a
// time, replaying the server's WAL archive (recovery_target_time) — on a private
// loopback port to check it. The server programs run as the data directory's owner
// (the `postgres` user when we are root: PostgreSQL refuses to run as root).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "systore/result.h"
#include "systore/time.h"

namespace systore::backup {

/// pg_basebackup of the server at `uri` into `dir` (tar format: base.tar, pg_wal.tar,
/// backup_manifest). `start_lsn` gets the backup's start position.
Status PgBaseBackup(const std::string& uri, const std::string& dir, std::string* start_lsn);

/// The database named in a postgresql:// or mongodb:// URI ("postgres" when none).
std::string DatabaseOfUri(const std::string& uri);

/// Unpacks the base backup in `tar_dir` into `data_dir`; with `time`, configures
/// recovery to it from `wal_archive` (restore_command) and promotes at the target.
Status PreparePgCluster(const std::string& tar_dir, const std::string& data_dir, std::optional<Timestamp> time,
                        const std::string& wal_archive);

/// Starts the cluster in `data_dir` on a free loopback port, waits until recovery has
/// finished, calls fn with a URI of `database`, and stops it.
Status WithPgCluster(const std::string& data_dir, const std::string& database,
                     const std::function<Status(const std::string& uri)>& fn);

}  // namespace systore::backup
