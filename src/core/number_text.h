// Numbers in text fields (CSV values): one parser for every reader, so the same field
// means the same number whichever command reads it.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace systore {

namespace number_text_internal {
inline std::string_view TrimField(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
}  // namespace number_text_internal

/// A whole field as a double, correctly rounded (std::from_chars): surrounding spaces and
/// a leading '+' allowed; nan, inf, -inf in any case. False when anything else is left.
inline bool ParseDouble(std::string_view s, double* out) {
  s = number_text_internal::TrimField(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// A whole field as a 64-bit integer (surrounding spaces and a leading '+' allowed).
inline bool ParseInt64(std::string_view s, int64_t* out) {
  s = number_text_internal::TrimField(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// Shortest decimal text that parses back to exactly `v` ("nan", "inf", "-inf" for those).
inline std::string FormatDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace systore
