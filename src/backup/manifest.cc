#include "backup/manifest.h"

#include <nlohmann/json.hpp>

#include "systore/time.h"

namespace systore::backup {
namespace {
using json = nlohmann::json;

constexpr std::pair<FileKind, const char*> kKinds[] = {
    {FileKind::kTsLog, "ts_log"},
    {FileKind::kTsCheckpoint, "ts_checkpoint"},
    {FileKind::kTsData, "ts_data"},
    {FileKind::kTsWal, "ts_wal"},
    {FileKind::kOperational, "operational"},
    {FileKind::kReferenceLog, "reference_log"},
    {FileKind::kReferenceTable, "reference_table"},
    {FileKind::kConfig, "config"},
    {FileKind::kOther, "other"},
};

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// A path inside the root: relative, no "..", no empty segment.
bool IsSafeRelative(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    std::string seg = p.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

const char* FileKindName(FileKind kind) {
  for (auto& [k, n] : kKinds)
    if (k == kind) return n;
  return "other";
}

int64_t Manifest::TotalBytes() const {
  int64_t n = 0;
  for (const auto& f : files) n += f.size;
  return n;
}

BackupInfo Manifest::Info() const {
  BackupInfo info;
  info.id = id;
  info.label = label;
  info.tier = tier;
  info.started_at = started_at;
  info.captured_at = captured_at;
  info.files = static_cast<int64_t>(files.size());
  info.bytes = TotalBytes();
  info.files_copied = files_copied;
  info.bytes_copied = bytes_copied;
  info.datasets = static_cast<int64_t>(datasets.size());
  info.seconds = seconds;
  return info;
}

std::string ObjectKey(const std::string& sha256) { return "objects/" + sha256.substr(0, 2) + "/" + sha256; }

std::string ManifestToJson(const Manifest& m) {
  json j;
  j["format"] = kManifestFormat;
  j["id"] = m.id;
  j["label"] = m.label;
  j["tier"] = m.tier;
  j["root"] = m.root;
  j["started_at"] = FormatTimestamp(m.started_at);
  j["started_at_ns"] = m.started_at;
  j["captured_at"] = FormatTimestamp(m.captured_at);
  j["captured_at_ns"] = m.captured_at;
  j["seconds"] = m.seconds;
  j["files_copied"] = m.files_copied;
  j["bytes_copied"] = m.bytes_copied;
  json ds = json::object();
  for (const auto& [name, d] : m.datasets)
    ds[name] = {{"version", d.version}, {"wal_flushed_seq", d.wal_flushed_seq}, {"wal_segments", d.wal_segments}};
  j["timeseries"] = ds;
  if (!m.operational.backend.empty()) {
    j["operational"] = {{"backend", m.operational.backend},
                        {"path", m.operational.path},
                        {"journal_seq", m.operational.journal_seq},
                        {"journal_committed_at_ns", m.operational.journal_committed_at},
                        {"database", m.operational.database},
                        {"position", m.operational.position}};
  } else {
    j["operational"] = nullptr;
  }
  j["reference"] = {{"version", m.reference.version},
                    {"head_hash", m.reference.head_hash},
                    {"head_time_ns", m.reference.head_time}};
  json files = json::array();
  for (const auto& f : m.files) {
    files.push_back({{"path", f.path},
                     {"kind", FileKindName(f.kind)},
                     {"size", f.size},
                     {"sha256", f.sha256},
                     {"mtime_ns", f.mtime_ns}});
  }
  j["files"] = std::move(files);
  return j.dump(1) + "\n";
}

Result<Manifest> ManifestFromJson(const std::string& text, const std::string& source) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("manifest " + source + " is not a JSON object");
  auto bad = [&](const std::string& what) { return Status::Corruption("manifest " + source + ": " + what); };
  try {
    if (j.value("format", 0) != kManifestFormat)
      return bad("format " + j.value("format", json()).dump() + " is not " + std::to_string(kManifestFormat));
    Manifest m;
    m.id = j.at("id").get<std::string>();
    m.label = j.value("label", "");
    m.tier = j.value("tier", "local");
    m.root = j.value("root", "");
    m.started_at = j.at("started_at_ns").get<int64_t>();
    m.captured_at = j.at("captured_at_ns").get<int64_t>();
    m.seconds = j.value("seconds", 0.0);
    m.files_copied = j.value("files_copied", int64_t{0});
    m.bytes_copied = j.value("bytes_copied", int64_t{0});
    for (const auto& [name, d] : j.at("timeseries").items()) {
      if (!IsSafeRelative(name)) return bad("dataset name '" + name + "' is not a relative path");
      m.datasets[name] = {d.at("version").get<int64_t>(), d.value("wal_flushed_seq", uint64_t{0}),
                          d.value("wal_segments", int64_t{0})};
    }
    const json& op = j.at("operational");
    if (!op.is_null()) {
      m.operational.backend = op.at("backend").get<std::string>();
      m.operational.path = op.at("path").get<std::string>();
      m.operational.journal_seq = op.value("journal_seq", int64_t{0});
      m.operational.journal_committed_at = op.value("journal_committed_at_ns", int64_t{0});
      m.operational.database = op.value("database", "");
      m.operational.position = op.value("position", "");
      if (m.operational.backend != "sqlite" && m.operational.backend != "postgresql" &&
          m.operational.backend != "mongodb")
        return bad("operational.backend '" + m.operational.backend + "' is not sqlite, postgresql or mongodb");
      if (!IsSafeRelative(m.operational.path)) return bad("operational.path is not a relative path");
    }
    const json& ref = j.at("reference");
    m.reference.version = ref.value("version", int64_t{0});
    m.reference.head_hash = ref.value("head_hash", "");
    m.reference.head_time = ref.value("head_time_ns", int64_t{0});
    size_t i = 0;
    for (const auto& f : j.at("files")) {
      ManifestFile mf;
      mf.path = f.at("path").get<std::string>();
      const std::string kind = f.at("kind").get<std::string>();
      bool known = false;
      for (auto& [k, n] : kKinds) {
        if (kind == n) {
          mf.kind = k;
          known = true;
        }
      }
      mf.size = f.at("size").get<int64_t>();
      mf.sha256 = f.at("sha256").get<std::string>();
      mf.mtime_ns = f.value("mtime_ns", int64_t{0});
      const std::string where = "files[" + std::to_string(i++) + "] (" + mf.path + ")";
      if (!known) return bad(where + ": unknown kind '" + kind + "'");
      if (!IsSafeRelative(mf.path)) return bad(where + ": path is not relative to the root");
      if (!IsHex64(mf.sha256)) return bad(where + ": sha256 is not 64 lowercase hex digits");
      if (mf.size < 0) return bad(where + ": negative size");
      m.files.push_back(std::move(mf));
    }
    return m;
  } catch (const json::exception& e) {
    return bad(std::string("missing or mistyped member: ") + e.what());
  }
}

}  // namespace systore::backup
