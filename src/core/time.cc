#include "systore/time.h"

#include <chrono>
#include <cstdio>

namespace systore {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic
// Gregorian calendar, no time-zone database involved.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int>(y + (m <= 2)), m, d};
}

bool ReadDigits(std::string_view s, size_t& pos, size_t n, int64_t& out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Timestamp FromCivilDate(int year, unsigned month, unsigned day) {
  return DaysFromCivil(year, month, day) * kNanosPerDay;
}

CivilDate ToCivilDate(Timestamp ts) { return CivilFromDays(FloorDiv(ts, kNanosPerDay)); }

Result<Timestamp> ParseTimestamp(std::string_view text) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("not a timestamp (" + std::string(why) + "): '" + std::string(text) + "'");
  };
  std::string_view s = text;
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\r')) s.remove_suffix(1);
  size_t pos = 0;
  int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
  if (!ReadDigits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' || !ReadDigits(s, pos, 2, mo) ||
      pos >= s.size() || s[pos++] != '-' || !ReadDigits(s, pos, 2, d)) {
    return bad("expected YYYY-MM-DD");
  }
  if (mo < 1 || mo > 12) return bad("month out of range");
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap)) return bad("day out of range");
  if (pos < s.size() && (s[pos] == ' ' || s[pos] == 'T')) {
    ++pos;
    if (!ReadDigits(s, pos, 2, h) || pos >= s.size() || s[pos++] != ':' || !ReadDigits(s, pos, 2, mi)) {
      return bad("expected HH:MM");
    }
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!ReadDigits(s, pos, 2, sec)) return bad("expected seconds");
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (digits == 9) return bad("more than 9 fractional digits");
          frac = frac * 10 + (s[pos++] - '0');
          ++digits;
        }
        if (digits == 0) return bad("empty fraction");
        for (; digits < 9; ++digits) frac *= 10;
      }
    }
    if (h > 23 || mi > 59 || sec > 59) return bad("time of day out of range");
  }
  if (pos < s.size() && s[pos] == 'Z') ++pos;
  if (pos != s.size()) return bad("unexpected trailing characters");
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * kNanosPerDay +
         ((h * 60 + mi) * 60 + sec) * kNanosPerSecond + frac;
}

std::string FormatTimestamp(Timestamp ts) {
  int64_t days = FloorDiv(ts, kNanosPerDay);
  int64_t rem = ts - days * kNanosPerDay;
  CivilDate c = CivilFromDays(days);
  int64_t secs = rem / kNanosPerSecond, frac = rem % kNanosPerSecond;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", c.year, c.month, c.day,
                        static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  std::string out(buf, n);
  if (frac != 0) {
    char fb[16];
    std::snprintf(fb, sizeof fb, ".%09lld", static_cast<long long>(frac));
    std::string f(fb);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out;
}

Timestamp Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace systore
