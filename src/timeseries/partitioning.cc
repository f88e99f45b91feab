#include "timeseries/partitioning.h"

#include <cstdio>

namespace systore {

std::string_view PartitionColumnName(PartitionGranularity g) {
  switch (g) {
    case PartitionGranularity::kYear:
      return "year";
    case PartitionGranularity::kMonth:
      return "month";
    case PartitionGranularity::kDay:
      return "day";
    case PartitionGranularity::kNone:
      break;
  }
  return "";
}

std::string PartitionValueOf(PartitionGranularity g, Timestamp ts) {
  CivilDate c = ToCivilDate(ts);
  char buf[32];
  switch (g) {
    case PartitionGranularity::kYear:
      std::snprintf(buf, sizeof buf, "%04d", c.year);
      return buf;
    case PartitionGranularity::kMonth:
      std::snprintf(buf, sizeof buf, "%04d-%02u", c.year, c.month);
      return buf;
    case PartitionGranularity::kDay:
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.year, c.month, c.day);
      return buf;
    case PartitionGranularity::kNone:
      break;
  }
  return "";
}

std::pair<Timestamp, Timestamp> PartitionBounds(PartitionGranularity g, Timestamp ts) {
  CivilDate c = ToCivilDate(ts);
  switch (g) {
    case PartitionGranularity::kYear:
      return {FromCivilDate(c.year, 1, 1), FromCivilDate(c.year + 1, 1, 1)};
    case PartitionGranularity::kMonth: {
      int ny = c.month == 12 ? c.year + 1 : c.year;
      unsigned nm = c.month == 12 ? 1 : c.month + 1;
      return {FromCivilDate(c.year, c.month, 1), FromCivilDate(ny, nm, 1)};
    }
    case PartitionGranularity::kDay: {
      Timestamp b = FromCivilDate(c.year, c.month, c.day);
      return {b, b + kNanosPerDay};
    }
    case PartitionGranularity::kNone:
      break;
  }
  return {kMinTimestamp, kMaxTimestamp};
}

std::string HiveEscape(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
        c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view value) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out.push_back(value[i]);
      continue;
    }
    int hi = i + 1 < value.size() ? hex(value[i + 1]) : -1;
    int lo = i + 2 < value.size() ? hex(value[i + 2]) : -1;
    if (hi < 0 || lo < 0) return Status::Corruption("bad percent-encoding in '" + std::string(value) + "'");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string PartitionDirectory(const std::string& key, PartitionGranularity g, const std::string& partition_value) {
  std::string dir = "key=" + HiveEscape(key);
  if (g != PartitionGranularity::kNone) {
    dir += "/";
    dir += PartitionColumnName(g);
    dir += "=";
    dir += HiveEscape(partition_value);
  }
  return dir;
}

std::string PathToUri(std::string_view relative_path) {
  std::string out;
  for (char c : relative_path) {
    if (c == '%') {
      out += "%25";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view GranularityName(PartitionGranularity g) {
  std::string_view n = PartitionColumnName(g);
  return n.empty() ? "none" : n;
}

Result<PartitionGranularity> ParseGranularity(std::string_view name) {
  if (name == "year") return PartitionGranularity::kYear;
  if (name == "month") return PartitionGranularity::kMonth;
  if (name == "day") return PartitionGranularity::kDay;
  if (name == "none") return PartitionGranularity::kNone;
  return Status::InvalidArgument("unknown partition granularity '" + std::string(name) +
                                 "' (expected year, month, day or none)");
}

std::string_view SeriesKindName(SeriesKind k) {
  switch (k) {
    case SeriesKind::kGeneric:
      return "generic";
    case SeriesKind::kOhlcv:
      return "ohlcv";
    case SeriesKind::kTicks:
      return "ticks";
  }
  return "generic";
}

Result<SeriesKind> ParseSeriesKind(std::string_view name) {
  if (name == "generic") return SeriesKind::kGeneric;
  if (name == "ohlcv") return SeriesKind::kOhlcv;
  if (name == "ticks") return SeriesKind::kTicks;
  return Status::InvalidArgument("unknown series kind '" + std::string(name) + "' (expected generic, ohlcv or ticks)");
}

}  // namespace systore
