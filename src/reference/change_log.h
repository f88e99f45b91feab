// The reference change log: diffs between table versions, applying them (replay), and
// the JSONL entry encoding with its hash chain. Spec: docs/formats/reference_change_log.md.
//
//   changelog.jsonl := entry '\n' entry '\n' ...
//   entry           := {"version":N, "time":"...", "time_ns":T, "actor":..., "reason":...,
//                       "operation":..., "tables":[table change...], "prev_hash":H(N-1),
//                       "hash":H(N)}
//   H(N)            := hex SHA-256 of entry N serialised without "hash" (keys sorted,
//                      no whitespace); H(0) is 64 '0's.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "systore/reference_change.h"
#include "systore/reference_table.h"

namespace systore::reference_internal {

inline constexpr const char* kLogFileName = "changelog.jsonl";
inline constexpr const char* kLockFileName = "LOCK";
inline constexpr const char* kPendingFileName = "PENDING";
inline constexpr const char* kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";
static_assert(std::char_traits<char>::length(kGenesisHash) == 64, "SHA-256 hex is 64 characters");
inline constexpr int kLogFormatVersion = 1;

/// What changed from `before` (nullptr: the table is new) to `after`.
TableChange ComputeTableChange(const ReferenceTable* before, const ReferenceTable& after);

/// Applies a change to `before` (nullptr when change.created). Corruption when the change
/// does not fit (a removed key that is absent, an old value that differs, ...), naming
/// `where`. Checks content_sha256 when `check_hash`.
Result<std::shared_ptr<const ReferenceTable>> ApplyTableChange(const ReferenceTable* before, const TableChange& change,
                                                               const std::string& where, bool check_hash);

/// Serialises `entry` as one log line (without '\n'), filling entry->hash.
/// InvalidArgument when a value is not valid UTF-8.
Result<std::string> EncodeEntry(ReferenceChange* entry);

/// Parses one log line. `recomputed_hash` receives the hash of the line's content without
/// its "hash" member (to compare with entry.hash). Corruption names `where`.
Result<ReferenceChange> DecodeEntry(std::string_view line, const std::string& where, std::string* recomputed_hash);

/// The tables after replaying a prefix of the log.
struct LogState {
  int64_t version = 0;
  Timestamp time = 0;
  std::string head_hash = kGenesisHash;
  std::map<std::string, std::shared_ptr<const ReferenceTable>, std::less<>> tables;
  std::map<std::string, std::pair<int64_t, Timestamp>, std::less<>> last_change;  // table -> (version, time)
};

/// Applies the next entry to `state` (checks version sequence and prev_hash).
Status ApplyEntry(LogState* state, const ReferenceChange& entry, const std::string& where, bool check_hash);

}  // namespace systore::reference_internal
