// Hive-style partition layout of a dataset: key=K/<granularity>=V/part-....parquet.
//
// Keys may contain '/', spaces and other characters that cannot appear in a path
// segment; they are percent-encoded in directory names (as Hive and pyarrow do), and
// the Delta log names files by URI, which percent-encodes the '%' once more.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "systore/time.h"
#include "systore/timeseries_store.h"

namespace systore {

/// "year", "month", "day" or "" for kNone.
std::string_view PartitionColumnName(PartitionGranularity g);
/// Partition value holding `ts`: "2024", "2024-05", "2024-05-17" (or "" for kNone).
std::string PartitionValueOf(PartitionGranularity g, Timestamp ts);
/// Half-open [begin, end) time range of the partition holding `ts`.
std::pair<Timestamp, Timestamp> PartitionBounds(PartitionGranularity g, Timestamp ts);

/// Percent-encodes everything but [A-Za-z0-9._-].
std::string HiveEscape(std::string_view value);
Result<std::string> PercentDecode(std::string_view value);

/// Directory of a partition relative to the table root, e.g. "key=SOFR%2F2025/year=2024".
std::string PartitionDirectory(const std::string& key, PartitionGranularity g, const std::string& partition_value);

/// The Delta log's URI form of a relative path ('%' becomes "%25").
std::string PathToUri(std::string_view relative_path);

std::string_view GranularityName(PartitionGranularity g);
Result<PartitionGranularity> ParseGranularity(std::string_view name);
std::string_view SeriesKindName(SeriesKind k);
Result<SeriesKind> ParseSeriesKind(std::string_view name);

}  // namespace systore
