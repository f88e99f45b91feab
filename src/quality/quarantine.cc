// The quarantine area: one immutable folder per entry and an append-only audit trail.
#include "systore/quarantine.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/api.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include "core/arrow_status_internal.h"
#include "core/file_util.h"
#include "quality/finding_json_internal.h"

namespace systore {

using json = nlohmann::json;

namespace quality_internal {

json FindingToJson(const Finding& f) {
  json j = {{"severity", SeverityName(f.severity)},
            {"rule", f.rule},
            {"dataset", f.dataset},
            {"key", f.key},
            {"row", f.row},
            {"message", f.message}};
  if (!f.source.empty()) j["source"] = f.source;
  json ts = json::array();
  for (Timestamp t : f.timestamps) ts.push_back(FormatTimestamp(t));
  j["timestamps"] = ts;
  json vals = json::array();
  for (const auto& [n, v] : f.values) {
    if (std::isfinite(v))
      vals.push_back({n, v});
    else
      vals.push_back({n, std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf")});
  }
  j["values"] = vals;
  if (f.removes_row) j["removes_row"] = true;
  return j;
}

Result<Finding> FindingFromJson(const json& j) {
  Finding f;
  try {
    SYSTORE_ASSIGN_OR_RAISE(f.severity, ParseSeverity(j.at("severity").get<std::string>()));
    f.rule = j.at("rule").get<std::string>();
    f.dataset = j.value("dataset", "");
    f.key = j.value("key", "");
    f.row = j.value("row", int64_t{-1});
    f.message = j.value("message", "");
    f.source = j.value("source", "");
    f.removes_row = j.value("removes_row", false);
    for (const auto& t : j.value("timestamps", json::array())) {
      SYSTORE_ASSIGN_OR_RAISE(Timestamp ts, ParseTimestamp(t.get<std::string>()));
      f.timestamps.push_back(ts);
    }
    for (const auto& v : j.value("values", json::array())) {
      double x = v[1].is_number() ? v[1].get<double>() : std::strtod(v[1].get<std::string>().c_str(), nullptr);
      f.values.emplace_back(v[0].get<std::string>(), x);
    }
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("bad finding JSON: ") + e.what());
  }
  return f;
}

}  // namespace quality_internal

std::string FindingToJsonText(const Finding& f) { return quality_internal::FindingToJson(f).dump(); }

std::string RowText(const arrow::Table& t, int64_t row) {
  std::string out;
  for (int c = 1; c < t.num_columns(); ++c) {
    auto sc = t.column(c)->GetScalar(row);
    out += t.field(c)->name() + "=" + (sc.ok() ? (*sc)->ToString() : "?") + ";";
  }
  return out;
}

namespace {

using quality_internal::FindingFromJson;
using quality_internal::FindingToJson;

std::string DefaultActor(const std::string& actor) {
  if (!actor.empty()) return actor;
  const char* u = std::getenv("USER");
  return u && *u ? u : "unknown";
}

// Holds flock(2) on a file for the scope: serialises audit decisions between processes.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return Status::IOError("flock " + path + ": " + std::strerror(errno));
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

class QuarantineImpl : public Quarantine {
 public:
  explicit QuarantineImpl(std::string root)
      : dir_(root + "/_quality/quarantine"),
        fp_dir_(root + "/_quality/fingerprints"),
        audit_(root + "/_quality/audit.jsonl"),
        lock_(root + "/_quality/LOCK") {}

  Status Init() {
    SYSTORE_RETURN_NOT_OK(CreateDirectories(dir_));
    return CreateDirectories(fp_dir_);
  }

  Result<int64_t> Put(const QuarantineEntry& entry, const std::shared_ptr<arrow::Table>& rows,
                      const std::vector<int64_t>& row_indices) override {
    std::shared_ptr<arrow::Table> t = rows;
    if (!t) return Status::InvalidArgument("quarantine put without a rows table");
    if (t->schema()->GetFieldIndex("_row") < 0) {
      std::vector<int64_t> idx = row_indices;
      idx.resize(t->num_rows(), -1);
      arrow::Int64Builder b;
      SYSTORE_RETURN_NOT_OK_ARROW(b.AppendValues(idx), "quarantine _row");
      std::shared_ptr<arrow::Array> a;
      SYSTORE_RETURN_NOT_OK_ARROW(b.Finish(&a), "quarantine _row");
      SYSTORE_ASSIGN_OR_RAISE_ARROW(t,
                                    t->AddColumn(t->num_columns(), arrow::field("_row", arrow::int64()),
                                                 std::make_shared<arrow::ChunkedArray>(a)),
                                    "quarantine _row");
    }
    // Fingerprint: the series, the rows' timestamps and the rules, so re-running an
    // import finds the entry it made last time instead of piling up copies.
    std::string fp =
        entry.dataset + "\n" + entry.key + "\n" + entry.scope + "\n" + std::to_string(t->num_rows()) + "\n";
    if (t->num_rows() > 0) {
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto ct, t->CombineChunks(), "combine");
      auto ts = ct->column(0)->chunk(0);
      const int64_t* raw = ts->data()->GetValues<int64_t>(1);
      fp.append(reinterpret_cast<const char*>(raw), sizeof(int64_t) * ct->num_rows());
    }
    for (const auto& f : entry.findings) fp += f.rule + "@" + std::to_string(f.row) + "@" + f.source + ";";
    for (const auto& l : entry.raw_lines) fp += l + "\n";
    fp = Sha256Hex(fp);

    SYSTORE_ASSIGN_OR_RAISE(FileLock lock, FileLock::Acquire(lock_));
    // An identical pending entry (fingerprint index: one small file per fingerprint)?
    if (auto prev = ReadFileToString(fp_dir_ + "/" + fp); prev.ok()) {
      int64_t prev_id = std::atoll(prev->c_str());
      SYSTORE_ASSIGN_OR_RAISE(auto statuses, Statuses());
      if (prev_id > 0 && !statuses.count(prev_id) && PathExists(dir_ + "/" + std::to_string(prev_id) + "/entry.json")) {
        return prev_id;
      }
    }

    int64_t id = 1;
    for (const auto& name : ValueOr(ListDirectory(dir_))) id = std::max<int64_t>(id, std::atoll(name.c_str()) + 1);
    std::string d = dir_ + "/" + std::to_string(id);
    if (::mkdir(d.c_str(), 0755) != 0) return Status::IOError("mkdir " + d + ": " + std::strerror(errno));

    // rows.arrow (Arrow IPC file), fsynced.
    {
      std::string path = d + "/rows.arrow";
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto out, arrow::io::FileOutputStream::Open(path), path);
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto w, arrow::ipc::MakeFileWriter(out, t->schema()), path);
      SYSTORE_RETURN_NOT_OK_ARROW(w->WriteTable(*t), path);
      SYSTORE_RETURN_NOT_OK_ARROW(w->Close(), path);
      SYSTORE_RETURN_NOT_OK_ARROW(out->Close(), path);
      SYSTORE_RETURN_NOT_OK(FsyncPath(path));
    }
    if (!entry.raw_lines.empty()) {
      std::string raw;
      for (const auto& l : entry.raw_lines) raw += l + "\n";
      SYSTORE_RETURN_NOT_OK(WriteFileDurably(d + "/raw.txt", raw));
    }
    json fj = json::array();
    for (const auto& f : entry.findings) fj.push_back(FindingToJson(f));
    json ej = {{"id", id},
               {"dataset", entry.dataset},
               {"key", entry.key},
               {"source", entry.source},
               {"created", FormatTimestamp(entry.created ? entry.created : Now())},
               {"scope", entry.scope.empty() ? "rows" : entry.scope},
               {"reason", entry.reason},
               {"rows", t->num_rows()},
               {"fingerprint", fp},
               {"findings", fj}};
    SYSTORE_RETURN_NOT_OK(WriteFileDurably(d + "/entry.json", ej.dump(1) + "\n"));
    // The fingerprint index is advisory (lost after a crash, a re-run makes a second
    // entry), so it is written without fsync.
    {
      std::ofstream idx(fp_dir_ + "/" + fp, std::ios::trunc);
      idx << id;
      if (!idx) return Status::IOError("cannot write " + fp_dir_ + "/" + fp);
    }
    QuarantineDecision dec{Now(), DefaultActor(""), "quarantine", id, entry.reason, 0};
    SYSTORE_RETURN_NOT_OK(AppendAudit(dec));
    return id;
  }

  Result<std::vector<QuarantineEntry>> List(const std::string& status) override {
    SYSTORE_ASSIGN_OR_RAISE(FileLock lock, FileLock::Acquire(lock_));
    return ListLocked(status);
  }

  Result<QuarantineEntry> Get(int64_t id) override {
    SYSTORE_ASSIGN_OR_RAISE(auto statuses, Statuses());
    SYSTORE_ASSIGN_OR_RAISE(QuarantineEntry e, ReadEntry(id, statuses));
    auto raw = ReadFileToString(dir_ + "/" + std::to_string(id) + "/raw.txt");
    if (raw.ok()) {
      size_t pos = 0;
      while (pos < raw->size()) {
        size_t nl = raw->find('\n', pos);
        if (nl == std::string::npos) nl = raw->size();
        e.raw_lines.push_back(raw->substr(pos, nl - pos));
        pos = nl + 1;
      }
    }
    return e;
  }

  Result<std::shared_ptr<arrow::Table>> ReadRows(int64_t id) override {
    std::string path = dir_ + "/" + std::to_string(id) + "/rows.arrow";
    if (!PathExists(path)) return Status::NotFound("quarantine entry " + std::to_string(id) + " does not exist");
    SYSTORE_ASSIGN_OR_RAISE_ARROW(auto in, arrow::io::ReadableFile::Open(path), path);
    SYSTORE_ASSIGN_OR_RAISE_ARROW(auto r, arrow::ipc::RecordBatchFileReader::Open(in), path);
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    for (int i = 0; i < r->num_record_batches(); ++i) {
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto b, r->ReadRecordBatch(i), path);
      batches.push_back(b);
    }
    SYSTORE_ASSIGN_OR_RAISE_ARROW(auto t, arrow::Table::FromRecordBatches(r->schema(), batches), path);
    return t;
  }

  Result<std::map<std::string, std::multimap<Timestamp, std::string>>> KeptRows(const std::string& dataset) override {
    std::map<std::string, std::multimap<Timestamp, std::string>> out;
    SYSTORE_ASSIGN_OR_RAISE(auto entries, List(""));
    for (const auto& e : entries) {
      if (e.dataset != dataset || e.status == "released" || e.rows == 0) continue;
      SYSTORE_ASSIGN_OR_RAISE(auto rows, ReadRows(e.id));
      SYSTORE_ASSIGN_OR_RAISE_ARROW(rows, rows->CombineChunks(), "kept rows");
      int ri = rows->schema()->GetFieldIndex("_row");
      if (ri >= 0) {
        SYSTORE_ASSIGN_OR_RAISE_ARROW(rows, rows->RemoveColumn(ri), "kept rows");
      }
      auto& m = out[e.key];
      const int64_t* ts = rows->column(0)->chunk(0)->data()->GetValues<int64_t>(1);
      for (int64_t r = 0; r < rows->num_rows(); ++r) m.emplace(ts[r], RowText(*rows, r));
    }
    return out;
  }

  Result<WriteResult> Release(int64_t id, TimeSeriesStore* store, const std::string& actor, MergeMode mode) override {
    SYSTORE_ASSIGN_OR_RAISE(FileLock lock, FileLock::Acquire(lock_));
    SYSTORE_ASSIGN_OR_RAISE(auto statuses, Statuses());
    SYSTORE_ASSIGN_OR_RAISE(QuarantineEntry e, ReadEntry(id, statuses));
    if (e.status != "pending")
      return Status::Conflict("quarantine entry " + std::to_string(id) + " is already " + e.status);
    SYSTORE_ASSIGN_OR_RAISE(auto rows, ReadRows(id));
    int ri = rows->schema()->GetFieldIndex("_row");
    if (ri >= 0) {
      SYSTORE_ASSIGN_OR_RAISE_ARROW(rows, rows->RemoveColumn(ri), "release");
    }
    WriteResult wr;
    if (rows->num_rows() > 0) {
      // Sort and keep the last row per timestamp: a released batch may hold duplicates
      // (ticks keep every row, in order).
      auto opts = store->GetDatasetOptions(e.dataset);
      const bool ticks = opts.ok() ? opts->kind == SeriesKind::kTicks
                                   : DatasetOptions::ForName(e.dataset).kind == SeriesKind::kTicks;
      SYSTORE_ASSIGN_OR_RAISE_ARROW(rows, rows->CombineChunks(), "release");
      const int64_t* ts = rows->column(0)->chunk(0)->data()->GetValues<int64_t>(1);
      std::vector<int64_t> order(rows->num_rows());
      for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ts[a] < ts[b]; });
      std::vector<int64_t> keep;
      for (size_t i = 0; i < order.size(); ++i)
        if (ticks || i + 1 == order.size() || ts[order[i + 1]] != ts[order[i]]) keep.push_back(order[i]);
      arrow::Int64Builder b;
      SYSTORE_RETURN_NOT_OK_ARROW(b.AppendValues(keep), "release");
      std::shared_ptr<arrow::Array> idx;
      SYSTORE_RETURN_NOT_OK_ARROW(b.Finish(&idx), "release");
      std::vector<std::shared_ptr<arrow::ChunkedArray>> cols;
      for (int c = 0; c < rows->num_columns(); ++c) {
        SYSTORE_ASSIGN_OR_RAISE(auto a, TakeArray(rows->column(c)->chunk(0), idx));
        cols.push_back(std::make_shared<arrow::ChunkedArray>(a));
      }
      rows = arrow::Table::Make(rows->schema(), cols);
      if (ticks) {
        SYSTORE_ASSIGN_OR_RAISE(wr, InsertTicks(store, e.dataset, e.key, rows));
      } else {
        SYSTORE_ASSIGN_OR_RAISE(wr, store->Merge(e.dataset, e.key, rows, mode));
      }
    }
    QuarantineDecision dec{
        Now(),        DefaultActor(actor), "release", id, mode == MergeMode::kOverwrite ? "overwrite" : "fill-gaps",
        wr.rows_added};
    SYSTORE_RETURN_NOT_OK(AppendAudit(dec));
    return wr;
  }

  Status Drop(int64_t id, const std::string& actor, const std::string& reason) override {
    if (reason.empty())
      return Status::InvalidArgument("dropping quarantine entry " + std::to_string(id) + " needs a reason");
    SYSTORE_ASSIGN_OR_RAISE(FileLock lock, FileLock::Acquire(lock_));
    SYSTORE_ASSIGN_OR_RAISE(auto statuses, Statuses());
    SYSTORE_ASSIGN_OR_RAISE(QuarantineEntry e, ReadEntry(id, statuses));
    if (e.status != "pending")
      return Status::Conflict("quarantine entry " + std::to_string(id) + " is already " + e.status);
    return AppendAudit({Now(), DefaultActor(actor), "drop", id, reason, 0});
  }

  Result<std::vector<QuarantineDecision>> Audit() override {
    std::vector<QuarantineDecision> out;
    auto text = ReadFileToString(audit_);
    if (!text.ok()) {
      if (text.status().IsNotFound()) return out;
      return text.status();
    }
    size_t pos = 0;
    int64_t line = 0;
    while (pos < text->size()) {
      size_t nl = text->find('\n', pos);
      if (nl == std::string::npos) break;  // a torn last line (crash mid-append) is ignored
      ++line;
      std::string l = text->substr(pos, nl - pos);
      pos = nl + 1;
      if (l.empty()) continue;
      try {
        json j = json::parse(l);
        QuarantineDecision d;
        SYSTORE_ASSIGN_OR_RAISE(d.time, ParseTimestamp(j.at("time").get<std::string>()));
        d.actor = j.at("actor").get<std::string>();
        d.action = j.at("action").get<std::string>();
        d.id = j.at("id").get<int64_t>();
        d.reason = j.value("reason", "");
        d.rows_written = j.value("rows_written", int64_t{0});
        out.push_back(std::move(d));
      } catch (const std::exception& e) {
        return Status::Corruption(audit_ + ":" + std::to_string(line) + ": " + e.what());
      }
    }
    return out;
  }

 private:
  static std::vector<std::string> ValueOr(Result<std::vector<std::string>> r) {
    return r.ok() ? *r : std::vector<std::string>{};
  }

  static Result<std::shared_ptr<arrow::Array>> TakeArray(const std::shared_ptr<arrow::Array>& a,
                                                         const std::shared_ptr<arrow::Array>& idx);

  // Released ticks join the stored ones: every released row is added, after the stored
  // ticks of its timestamp (a tick is data, never a replacement). The stored range
  // [first, last] of the released rows is rewritten with both, in one merge.
  static Result<WriteResult> InsertTicks(TimeSeriesStore* store, const std::string& dataset, const std::string& key,
                                         const std::shared_ptr<arrow::Table>& released) {
    const int64_t* rts = released->column(0)->chunk(0)->data()->GetValues<int64_t>(1);
    ReadOptions ro;
    ro.start = rts[0];
    ro.end = rts[released->num_rows() - 1];
    std::shared_ptr<arrow::Table> stored;
    auto read = store->Read(dataset, key, ro);
    if (read.ok()) {
      SYSTORE_ASSIGN_OR_RAISE_ARROW(stored, (*read)->CombineChunks(), "release");
    } else if (!read.status().IsNotFound()) {
      return read.status();
    }
    if (!stored || stored->num_rows() == 0) return store->Merge(dataset, key, released, MergeMode::kOverwrite);
    // The released columns in the stored order and types.
    std::vector<std::shared_ptr<arrow::Array>> rel_cols;
    for (const auto& f : stored->schema()->fields()) {
      auto col = released->GetColumnByName(f->name());
      if (!col) return Status::InvalidArgument("release: the rows have no column '" + f->name() + "'");
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto cast, arrow::compute::Cast(col->chunk(0), f->type()), "release");
      rel_cols.push_back(cast.make_array());
    }
    const int64_t ns = stored->num_rows(), nr = released->num_rows();
    const int64_t* sts = stored->column(0)->chunk(0)->data()->GetValues<int64_t>(1);
    std::vector<int64_t> take;  // a stored row, or -1 - i for released row i
    int64_t i = 0, j = 0;
    while (i < ns || j < nr) {
      if (j == nr || (i < ns && sts[i] <= rts[j])) {
        take.push_back(i++);
      } else {
        take.push_back(-1 - j++);
      }
    }
    std::vector<std::shared_ptr<arrow::ChunkedArray>> cols;
    for (int c = 0; c < stored->num_columns(); ++c) {
      SYSTORE_ASSIGN_OR_RAISE_ARROW(
          auto both, arrow::Concatenate({stored->column(c)->chunk(0), rel_cols[c]}), "release");
      arrow::Int64Builder b;
      for (int64_t t : take) SYSTORE_RETURN_NOT_OK_ARROW(b.Append(t >= 0 ? t : ns + (-1 - t)), "release");
      std::shared_ptr<arrow::Array> idx;
      SYSTORE_RETURN_NOT_OK_ARROW(b.Finish(&idx), "release");
      SYSTORE_ASSIGN_OR_RAISE(auto a, TakeArray(both, idx));
      cols.push_back(std::make_shared<arrow::ChunkedArray>(a));
    }
    auto combined = arrow::Table::Make(stored->schema(), cols);
    SYSTORE_ASSIGN_OR_RAISE(WriteResult wr, store->Merge(dataset, key, combined, MergeMode::kOverwrite));
    wr.rows_added = nr;  // the merge replaced the range; what it added is the released rows
    wr.rows_conflicting = 0;
    wr.rows_removed = 0;
    return wr;
  }

  Status AppendAudit(const QuarantineDecision& d) {
    json j = {
        {"time", FormatTimestamp(d.time)}, {"actor", d.actor}, {"action", d.action}, {"id", d.id}, {"reason", d.reason},
        {"rows_written", d.rows_written}};
    std::string line = j.dump() + "\n";
    int fd = ::open(audit_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOError("open " + audit_ + ": " + std::strerror(errno));
    ssize_t n = ::write(fd, line.data(), line.size());
    int err = errno;
    bool ok = n == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return Status::IOError("append " + audit_ + ": " + std::strerror(err));
    return Status::OK();
  }

  Result<std::map<int64_t, std::string>> Statuses() {
    SYSTORE_ASSIGN_OR_RAISE(auto audit, Audit());
    std::map<int64_t, std::string> out;
    for (const auto& d : audit) {
      if (d.action == "release")
        out[d.id] = "released";
      else if (d.action == "drop")
        out[d.id] = "dropped";
    }
    return out;
  }

  Result<QuarantineEntry> ReadEntry(int64_t id, const std::map<int64_t, std::string>& statuses) {
    std::string path = dir_ + "/" + std::to_string(id) + "/entry.json";
    auto text = ReadFileToString(path);
    if (!text.ok()) {
      if (text.status().IsNotFound())
        return Status::NotFound("quarantine entry " + std::to_string(id) + " does not exist");
      return text.status();
    }
    QuarantineEntry e;
    try {
      json j = json::parse(*text);
      e.id = id;
      e.dataset = j.at("dataset").get<std::string>();
      e.key = j.at("key").get<std::string>();
      e.source = j.value("source", "");
      SYSTORE_ASSIGN_OR_RAISE(e.created, ParseTimestamp(j.at("created").get<std::string>()));
      e.scope = j.value("scope", "rows");
      e.reason = j.value("reason", "");
      e.rows = j.value("rows", int64_t{0});
      for (const auto& f : j.value("findings", json::array())) {
        SYSTORE_ASSIGN_OR_RAISE(Finding fd, FindingFromJson(f));
        e.findings.push_back(std::move(fd));
      }
    } catch (const std::exception& ex) {
      return Status::Corruption(path + ": " + ex.what());
    }
    auto it = statuses.find(id);
    e.status = it == statuses.end() ? "pending" : it->second;
    return e;
  }

  Result<std::vector<QuarantineEntry>> ListLocked(const std::string& status) {
    SYSTORE_ASSIGN_OR_RAISE(auto statuses, Statuses());
    std::vector<int64_t> ids;
    for (const auto& name : ValueOr(ListDirectory(dir_))) {
      int64_t id = std::atoll(name.c_str());
      if (id > 0 && std::to_string(id) == name && PathExists(dir_ + "/" + name + "/entry.json")) ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    std::vector<QuarantineEntry> out;
    for (int64_t id : ids) {
      SYSTORE_ASSIGN_OR_RAISE(QuarantineEntry e, ReadEntry(id, statuses));
      if (status.empty() || e.status == status) out.push_back(std::move(e));
    }
    return out;
  }

  std::string dir_, fp_dir_, audit_, lock_;
};

}  // namespace

}  // namespace systore

#include <arrow/compute/api.h>

namespace systore {
void EnsureArrowCompute();
namespace {
Result<std::shared_ptr<arrow::Array>> QuarantineImpl::TakeArray(const std::shared_ptr<arrow::Array>& a,
                                                                const std::shared_ptr<arrow::Array>& idx) {
  EnsureArrowCompute();
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto d, arrow::compute::Take(arrow::Datum(a), arrow::Datum(idx)), "take");
  return d.make_array();
}
}  // namespace

Result<std::unique_ptr<Quarantine>> Quarantine::Open(const QuarantineOptions& options) {
  auto q = std::make_unique<QuarantineImpl>(options.root);
  SYSTORE_RETURN_NOT_OK(q->Init());
  return std::unique_ptr<Quarantine>(std::move(q));
}

}  // namespace systore
