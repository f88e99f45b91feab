// Human-readable dumps of a dataset's Delta log and WAL (include/systore/timeseries_inspect.h).
#include "systore/timeseries_inspect.h"

#include <cstdarg>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/file_util.h"
#include "systore/time.h"
#include "timeseries/delta_log.h"
#include "timeseries/wal.h"

namespace systore {
namespace {

Status CheckDatasetName(const std::string& dataset) {
  if (dataset.empty() || dataset.find("..") != std::string::npos || dataset[0] == '/') {
    return Status::InvalidArgument("invalid dataset name '" + dataset + "'");
  }
  return Status::OK();
}

void Appendf(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void Appendf(std::string* out, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) out->append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
}

}  // namespace

Result<std::string> DescribeDeltaLog(const std::string& root, const std::string& dataset, int64_t only_version) {
  SYSTORE_RETURN_NOT_OK(CheckDatasetName(dataset));
  DeltaLog log(root + "/" + dataset);
  std::string out;
  int64_t shown = 0;
  for (int64_t v = only_version >= 0 ? only_version : 0;; ++v) {
    std::string path = log.log_dir() + "/" + DeltaLog::CommitFileName(v);
    auto text = ReadFileToString(path);
    if (!text.ok()) {
      if (text.status().IsNotFound()) break;
      return text.status();
    }
    Appendf(&out, "version %lld  (%s, %zu bytes)\n", static_cast<long long>(v), path.c_str(), text->size());
    std::istringstream in(*text);
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || j.empty()) {
        Appendf(&out, "  line %d: NOT VALID JSON: %.80s\n", line_no, line.c_str());
        continue;
      }
      const std::string kind = j.begin().key();
      const auto& a = j.begin().value();
      if (kind == "add" || kind == "remove") {
        Appendf(&out, "  %-10s %s  key=%s", kind.c_str(), a.value("path", "").c_str(),
                a.contains("partitionValues") ? a["partitionValues"].value("key", "").c_str() : "");
        if (kind == "add" && a.contains("tags")) {
          Appendf(&out, "  ts %s .. %s", FormatTimestamp(std::stoll(a["tags"].value("systore.minTs", "0"))).c_str(),
                  FormatTimestamp(std::stoll(a["tags"].value("systore.maxTs", "0"))).c_str());
        }
        Appendf(&out, "  %lld bytes\n", static_cast<long long>(a.value("size", int64_t{0})));
      } else if (kind == "commitInfo") {
        out += "  commitInfo operation=" + a.value("operation", "") + " " +
               (a.contains("systore") ? a["systore"].dump() : "") + "\n";
      } else {
        Appendf(&out, "  %-10s %s\n", kind.c_str(), a.dump().substr(0, 160).c_str());
      }
    }
    ++shown;
    if (only_version >= 0) break;
  }
  if (shown == 0) return Status::NotFound("no commits in " + log.log_dir());
  return out;
}

Result<std::string> DescribeWal(const std::string& root, const std::string& dataset) {
  SYSTORE_RETURN_NOT_OK(CheckDatasetName(dataset));
  const std::string dir = root + "/" + dataset + "/_wal";
  SYSTORE_ASSIGN_OR_RAISE(auto read, ReadWal(dir));
  std::string out;
  Appendf(&out, "%s: %zu segment(s), %zu record(s)\n", dir.c_str(), read.segments.size(), read.records.size());
  for (const auto& s : read.segments) out += "  segment " + s + "\n";
  for (const auto& r : read.records) {
    uint32_t n = 0;  // a record's payload starts with the key's length (little-endian u32) and the key
    for (int i = 3; i >= 0 && r.payload.size() >= 4; --i) n = (n << 8) | static_cast<unsigned char>(r.payload[i]);
    std::string key = r.payload.size() >= 4 + n ? r.payload.substr(4, n) : "?";
    Appendf(&out, "  seq %-10llu key %-24s %zu bytes\n", static_cast<unsigned long long>(r.seq), key.c_str(),
            r.payload.size());
  }
  if (!read.cut_reason.empty()) {
    Appendf(&out, "  TORN TAIL: %s (%lld bytes after the last good record)\n", read.cut_reason.c_str(),
            static_cast<long long>(read.bytes_cut));
  }
  return out;
}

}  // namespace systore
