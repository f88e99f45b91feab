// ParseInterval: pandas-style bar intervals ("1min", "5min", "1h", "1d").
#include <cctype>
#include <cstdint>
#include <string>

#include <cstdio>

#include "systore/analytics.h"
#include "systore/reference_table.h"
#include "systore/status.h"

namespace systore {

Result<int64_t> ParseInterval(std::string_view text, std::string_view option) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(std::string(option) + " '" + std::string(text) + "': " + why +
                                   " (expected a positive count and a unit: 1s, 5min, 1h, 1d)");
  };
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    if (text[i] == '-') return bad("must be positive");
    ++i;
  }
  size_t digits_start = i;
  int64_t count = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (count > (INT64_MAX - 9) / 10) return bad("too large");
    count = count * 10 + (text[i] - '0');
    ++i;
  }
  if (i == digits_start) count = 1;  // pandas accepts "min" for "1min"
  std::string unit(text.substr(i));
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back()))) unit.pop_back();
  int64_t scale = 0;
  if (unit == "ns" || unit == "N") {
    scale = 1;
  } else if (unit == "us" || unit == "U") {
    scale = 1'000;
  } else if (unit == "ms" || unit == "L") {
    scale = 1'000'000;
  } else if (unit == "s" || unit == "S" || unit == "sec") {
    scale = kNanosPerSecond;
  } else if (unit == "min" || unit == "m" || unit == "T") {
    scale = 60 * kNanosPerSecond;
  } else if (unit == "h" || unit == "H") {
    scale = 3600 * kNanosPerSecond;
  } else if (unit == "d" || unit == "D") {
    scale = kNanosPerDay;
  } else if (i == digits_start && unit.empty()) {
    return bad("empty");
  } else {
    return bad(unit.empty() ? "no unit" : "unknown unit '" + unit + "'");
  }
  if (i == digits_start && unit.empty()) return bad("no count");
  if (count <= 0) return bad("must be positive");
  if (count > INT64_MAX / scale) return bad("too large");
  return count * scale;
}

Result<int64_t> ParseTimeOfDay(std::string_view text, std::string_view what) {
  const std::string t(text);
  int h = 0, m = 0;
  char extra = 0;
  if (std::sscanf(t.c_str(), "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 || m < 0 || m > 59) {
    return Status::InvalidArgument(std::string(what) + " '" + t + "': not a time of day (HH:MM, UTC)");
  }
  return (h * 60 + m) * 60 * kNanosPerSecond;
}

Result<int64_t> SessionOrigin(const ReferenceTable& exchanges, std::string_view exchange) {
  if (exchanges.FindRow(exchange) < 0) {
    return Status::NotFound("exchange '" + std::string(exchange) + "' is not in reference table '" +
                            exchanges.name() + "'");
  }
  auto start = exchanges.Get(exchange, "SessionStart");
  if (!start || start->empty()) {
    return Status::NotFound("exchange '" + std::string(exchange) + "' has no SessionStart in reference table '" +
                            exchanges.name() + "'");
  }
  return ParseTimeOfDay(*start, "SessionStart of exchange '" + std::string(exchange) + "'");
}

}  // namespace systore
