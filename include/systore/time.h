// Time in systore: int64 nanoseconds since the Unix epoch, UTC, everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "systore/result.h"

namespace systore {

/// Nanoseconds since 1970-01-01T00:00:00Z.
using Timestamp = int64_t;

inline constexpr Timestamp kNanosPerSecond = 1'000'000'000;
inline constexpr Timestamp kNanosPerDay = 86'400 * kNanosPerSecond;
inline constexpr Timestamp kMinTimestamp = INT64_MIN;
inline constexpr Timestamp kMaxTimestamp = INT64_MAX;

/// Parses "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.fffffffff]]" (a 'T' may replace the
/// space, a trailing 'Z' is accepted) as UTC. Up to 9 fractional digits are kept exactly.
Result<Timestamp> ParseTimestamp(std::string_view text);

/// Formats as "YYYY-MM-DD HH:MM:SS" plus ".fffffffff" trimmed of trailing zeros when the
/// timestamp has a sub-second part. ParseTimestamp(FormatTimestamp(t)) == t.
std::string FormatTimestamp(Timestamp ts);

/// Civil date of a timestamp (UTC).
struct CivilDate {
  int year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};
CivilDate ToCivilDate(Timestamp ts);
/// Nanoseconds at 00:00 UTC of the given civil date.
Timestamp FromCivilDate(int year, unsigned month, unsigned day);

/// Current wall-clock time.
Timestamp Now();

}  // namespace systore
