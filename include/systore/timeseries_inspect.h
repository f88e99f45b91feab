// The on-disk forms of a time-series dataset described for humans (`systore inspect`):
// its Delta transaction log commit by commit and its write-ahead log record by record.
// Read-only; the formats are in docs/formats/timeseries_table.md and docs/formats/wal.md.
#pragma once

#include <cstdint>
#include <string>

#include "systore/result.h"

namespace systore {

/// Every commit of <root>/<dataset>/_delta_log (or only `only_version` when >= 0): add and
/// remove actions with key, time range and size, commitInfo, other actions abridged; a
/// line that is not JSON is named, not fatal. NotFound when there is no commit;
/// InvalidArgument for a dataset name that leaves the root.
Result<std::string> DescribeDeltaLog(const std::string& root, const std::string& dataset, int64_t only_version = -1);

/// The WAL segments and records of <root>/<dataset>/_wal (sequence, key, size) and a torn
/// tail when there is one. Never modifies the log.
Result<std::string> DescribeWal(const std::string& root, const std::string& dataset);

}  // namespace systore
