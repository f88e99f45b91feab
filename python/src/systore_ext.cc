// _systore: the C++ stores for Python. Tables cross as Arrow C streams (PyCapsules
// named "arrow_array_stream"): no copies, no per-row Python. The GIL is released while
// the store works. A non-OK Status becomes (code, message) raised by systore/__init__.py
// as the matching systore.Error subclass.
#include <arrow/api.h>
#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>

#include <mutex>
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <nlohmann/json.hpp>

#include "systore/analytics.h"
#include "systore/backup.h"
#include "systore/data_blob.h"
#include "systore/batch_ingest.h"
#include "systore/operational_store.h"
#include "systore/quality_gate.h"
#include "systore/quarantine.h"
#include "systore/reference_store.h"
#include "systore/reference_table.h"
#include "systore/timeseries_store.h"

namespace nb = nanobind;
using namespace systore;
using json = nlohmann::json;

namespace {

// Raised with args (status code name, message); the package maps it to its classes.
nb::handle g_status_error;  // owned by the module (leaked: see ToPython)

[[noreturn]] void Raise(const Status& st) {
  nb::gil_scoped_acquire gil;
  PyErr_SetObject(g_status_error.ptr(), nb::make_tuple(std::string(StatusCodeName(st.code())), st.message()).ptr());
  throw nb::python_error();
}

template <typename T>
T Check(Result<T> r) {
  if (!r.ok()) Raise(r.status());
  return std::move(r).ValueOrDie();
}
void Check(const Status& st) {
  if (!st.ok()) Raise(st);
}

// Structured records (orders, findings, change-log entries) cross as JSON text, parsed by
// Python's json module: they are small, and the store's own serialisers stay the one
// definition of their fields.
nb::object ToPython(const json& j) {
  // Leaked on purpose: a static nb::object would be released after the interpreter is gone.
  static nb::handle loads = nb::object(nb::module_::import_("json").attr("loads")).release();
  return loads(j.dump());
}

json FindingsJson(const std::vector<Finding>& fs) {
  json a = json::array();
  for (const auto& f : fs) a.push_back(nlohmann::json::parse(FindingToJsonText(f)));
  return a;
}

nb::object ToCapsule(std::shared_ptr<arrow::Table> table) {
  auto* stream = new ArrowArrayStream;
  auto reader = std::make_shared<arrow::TableBatchReader>(table);
  auto st = arrow::ExportRecordBatchReader(reader, stream);
  if (!st.ok()) {
    delete stream;
    Raise(Status::Internal("Arrow export: " + st.ToString()));
  }
  PyObject* cap = PyCapsule_New(stream, "arrow_array_stream", [](PyObject* c) {
    auto* s = static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(c, "arrow_array_stream"));
    if (s->release) s->release(s);
    delete s;
  });
  return nb::steal(cap);
}

std::shared_ptr<arrow::Table> FromCapsule(nb::handle capsule) {
  auto* stream = static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule.ptr(), "arrow_array_stream"));
  if (!stream) throw nb::python_error();
  auto reader = arrow::ImportRecordBatchReader(stream);
  if (!reader.ok()) Raise(Status::InvalidArgument("not an Arrow stream: " + reader.status().ToString()));
  auto table = (*reader)->ToTable();
  if (!table.ok()) Raise(Status::InvalidArgument("reading the Arrow stream: " + table.status().ToString()));
  return *table;
}

ReadOptions MakeReadOptions(std::optional<int64_t> start, std::optional<int64_t> end, std::vector<std::string> columns,
                            std::optional<int64_t> as_of_version, std::optional<std::string> snapshot) {
  ReadOptions o;
  if (start) o.start = *start;
  if (end) o.end = *end;
  o.columns = std::move(columns);
  o.as_of_version = as_of_version;
  o.snapshot = snapshot;
  return o;
}

nb::dict WriteResultDict(const WriteResult& w) {
  nb::dict d;
  d["version"] = w.version;
  d["rows_added"] = w.rows_added;
  d["rows_duplicate"] = w.rows_duplicate;
  d["rows_conflicting"] = w.rows_conflicting;
  d["rows_ignored"] = w.rows_ignored;
  d["rows_removed"] = w.rows_removed;
  return d;
}

class PyTimeSeries {
 public:
  explicit PyTimeSeries(const std::string& root) : root_(root) {
    TimeSeriesStoreOptions o;
    o.root = root;
    nb::gil_scoped_release nogil;
    store_ = Check(TimeSeriesStore::Open(o));
  }

  nb::dict Write(const std::string& dataset, const std::string& key, nb::handle capsule, const std::string& mode) {
    auto table = FromCapsule(capsule);
    WriteResult w;
    {
      nb::gil_scoped_release nogil;
      if (mode == "write")
        w = Check(store_->Write(dataset, key, table));
      else if (mode == "append")
        w = Check(store_->Append(dataset, key, table));
      else if (mode == "newer")
        w = Check(store_->Merge(dataset, key, table, MergeMode::kNewerOnly));
      else if (mode == "fill_gaps")
        w = Check(store_->Merge(dataset, key, table, MergeMode::kFillGaps));
      else if (mode == "overwrite")
        w = Check(store_->Merge(dataset, key, table, MergeMode::kOverwrite));
      else
        Raise(Status::InvalidArgument("mode '" + mode + "' is not write, append, newer, fill_gaps or overwrite"));
    }
    return WriteResultDict(w);
  }

  nb::object Read(const std::string& dataset, const std::string& key, std::optional<int64_t> start,
                  std::optional<int64_t> end, std::vector<std::string> columns, std::optional<int64_t> as_of_version,
                  std::optional<std::string> snapshot) {
    std::shared_ptr<arrow::Table> t;
    {
      nb::gil_scoped_release nogil;
      t = Check(store_->Read(dataset, key, MakeReadOptions(start, end, std::move(columns), as_of_version, snapshot)));
    }
    return ToCapsule(t);
  }

  std::vector<nb::object> ReadMany(const std::string& dataset, const std::vector<std::string>& keys) {
    std::vector<std::shared_ptr<arrow::Table>> ts;
    {
      nb::gil_scoped_release nogil;
      ts = Check(store_->ReadMany(dataset, keys));
    }
    std::vector<nb::object> out;
    for (auto& t : ts) out.push_back(ToCapsule(t));
    return out;
  }

  nb::object Latest(const std::string& dataset, const std::string& key, int64_t n) {
    std::shared_ptr<arrow::Table> t;
    {
      nb::gil_scoped_release nogil;
      t = Check(store_->Latest(dataset, key, n));
    }
    return ToCapsule(t);
  }

  std::vector<std::string> ListDatasets() {
    nb::gil_scoped_release nogil;
    return Check(store_->ListDatasets());
  }

  std::vector<nb::dict> ListKeys(const std::string& dataset, const std::string& prefix) {
    std::vector<SeriesInfo> infos;
    {
      nb::gil_scoped_release nogil;
      infos = Check(store_->List(dataset, prefix));
    }
    std::vector<nb::dict> out;
    for (const auto& i : infos) {
      nb::dict d;
      d["key"] = i.key;
      d["rows"] = i.rows;
      d["first"] = i.first;
      d["last"] = i.last;
      out.push_back(d);
    }
    return out;
  }

  std::vector<nb::dict> Versions(const std::string& dataset, const std::string& key) {
    std::vector<VersionInfo> vs;
    {
      nb::gil_scoped_release nogil;
      vs = Check(store_->Versions(dataset, key));
    }
    std::vector<nb::dict> out;
    for (const auto& v : vs) {
      nb::dict d;
      d["version"] = v.version;
      d["committed_at"] = v.committed_at;
      d["operation"] = v.operation;
      d["keys"] = v.keys;
      d["rows_added"] = v.rows_added;
      d["rows_removed"] = v.rows_removed;
      d["user_metadata"] = v.user_metadata;  // analytics lineage (JSON), "" when none
      out.push_back(d);
    }
    return out;
  }

  nb::dict Delete(const std::string& dataset, const std::string& key) {
    WriteResult w;
    {
      nb::gil_scoped_release nogil;
      w = Check(store_->Delete(dataset, key));
    }
    return WriteResultDict(w);
  }

  nb::dict DeleteRange(const std::string& dataset, const std::string& key, int64_t start, int64_t end) {
    WriteResult w;
    {
      nb::gil_scoped_release nogil;
      w = Check(store_->DeleteRange(dataset, key, start, end));
    }
    return WriteResultDict(w);
  }

  nb::dict Compact(const std::string& dataset) {
    WriteResult w;
    {
      nb::gil_scoped_release nogil;
      w = Check(store_->Compact(dataset));
    }
    return WriteResultDict(w);
  }

  std::vector<nb::dict> Snapshots() {
    std::vector<SnapshotInfo> ss;
    {
      nb::gil_scoped_release nogil;
      ss = Check(store_->ListSnapshots());
    }
    std::vector<nb::dict> out;
    for (const auto& s : ss) {
      nb::dict d;
      d["name"] = s.name;
      d["created_at"] = s.created_at;
      nb::dict v;
      for (const auto& [ds, ver] : s.dataset_versions) v[nb::str(ds.c_str())] = ver;
      d["versions"] = v;
      out.push_back(d);
    }
    return out;
  }

  void DeleteSnapshot(const std::string& name) {
    nb::gil_scoped_release nogil;
    Check(store_->DeleteSnapshot(name));
  }

  void Snapshot(const std::string& name) {
    nb::gil_scoped_release nogil;
    Check(store_->CreateSnapshot(name));
  }

  void Flush(const std::string& dataset) {
    nb::gil_scoped_release nogil;
    Check(store_->Flush(dataset));
  }

  // Through the quality gate, as `systore ingest` does (newer-only, one commit).
  nb::object Ingest(const std::string& dataset, const std::vector<std::string>& keys,
                    const std::vector<nb::object>& capsules, const std::string& source) {
    std::vector<TableInput> inputs;
    for (size_t i = 0; i < keys.size() && i < capsules.size(); ++i) {
      inputs.push_back({keys[i], FromCapsule(capsules[i]), source.empty() ? "" : source + ":" + keys[i]});
    }
    DatasetIngestSummary sum;
    {
      nb::gil_scoped_release nogil;
      sum = Check(ingest()->ImportTables(dataset, inputs));
    }
    json j = {{"dataset", sum.dataset},
              {"series", sum.series},
              {"rows_read", sum.rows_read},
              {"rows_already_stored", sum.rows_already_stored},
              {"rows_already_quarantined", sum.rows_already_quarantined},
              {"rows_added", sum.rows_added},
              {"rows_quarantined", sum.rows_quarantined},
              {"rejected", sum.rejected},
              {"findings_by_rule", sum.findings_by_rule},
              {"serious_findings", FindingsJson(sum.serious_findings)},
              {"version", sum.version},
              {"seconds", sum.seconds}};
    return ToPython(j);
  }

  TimeSeriesStore* store() { return store_.get(); }
  const std::string& root() const { return root_; }

  // Opened on first use; it writes into this store (one writer per dataset per process).
  BatchIngest* ingest() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ingest_) {
      BatchIngestOptions o;
      o.root = root_;
      o.store = store_.get();
      ingest_ = Check(BatchIngest::Open(o));
    }
    return ingest_.get();
  }

 private:
  std::string root_;
  std::unique_ptr<TimeSeriesStore> store_;
  std::mutex mu_;
  std::unique_ptr<BatchIngest> ingest_;
};

json EntryJson(const QuarantineEntry& e) {
  json j = {{"id", e.id},
            {"status", e.status},
            {"scope", e.scope},
            {"dataset", e.dataset},
            {"key", e.key},
            {"source", e.source},
            {"created", e.created},
            {"rows", e.rows},
            {"reason", e.reason},
            {"findings", FindingsJson(e.findings)},
            {"raw_lines", e.raw_lines}};
  return j;
}

MergeMode ParseMergeMode(const std::string& mode) {
  if (mode == "fill_gaps") return MergeMode::kFillGaps;
  if (mode == "overwrite") return MergeMode::kOverwrite;
  Raise(Status::InvalidArgument("release mode '" + mode + "' is not fill_gaps or overwrite"));
}

// The quality gate and the quarantine of a store root, sharing the TimeSeriesStore.
class PyQuality {
 public:
  explicit PyQuality(PyTimeSeries& ts) : ts_(ts) {
    nb::gil_scoped_release nogil;
    gate_ = ts_.ingest()->gate();
  }

  // Validates `capsule` as the next rows of (dataset, key) — the stored tail is the seam —
  // and decides as the gate would, writing nothing. Without data: validates the stored series.
  nb::object Check(const std::string& dataset, const std::string& key, std::optional<nb::object> capsule) {
    json j;
    {
      std::shared_ptr<arrow::Table> data;
      if (capsule) data = FromCapsule(*capsule);
      nb::gil_scoped_release nogil;
      TimeSeriesStore* store = ts_.store();
      IngestBatch b;
      b.dataset = dataset;
      b.key = key;
      if (auto o = store->GetDatasetOptions(dataset); o.ok()) b.dataset_options = *o;
      if (!data) {
        b.data = ::Check(store->Read(dataset, key));
        auto f = ::Check(gate_->Validate(b));
        j = {{"decision", nullptr}, {"rows", b.data->num_rows()}, {"findings", FindingsJson(f)}};
      } else {
        b.data = data;
        b.source = "check";
        auto latest = store->Latest(dataset, key, 600);
        if (latest.ok() && (*latest)->num_rows() > 0)
          b.history = *latest;
        else if (!latest.ok() && latest.status().code() != StatusCode::kNotFound)
          Raise(latest.status());
        auto r = ::Check(gate_->Check(b));
        j = {{"decision", GateDecisionName(r.decision)},
             {"rows", data->num_rows()},
             {"rows_accepted", r.accepted ? r.accepted->num_rows() : 0},
             {"rows_quarantined", static_cast<int64_t>(r.quarantined_rows.size())},
             {"quarantined_rows", r.quarantined_rows},
             {"reason", r.reason},
             {"findings", FindingsJson(r.findings)}};
      }
    }
    return ToPython(j);
  }

  nb::object List(const std::string& status) {
    std::vector<QuarantineEntry> es;
    {
      nb::gil_scoped_release nogil;
      es = ::Check(gate_->quarantine()->List(status));
    }
    json a = json::array();
    for (const auto& e : es) a.push_back(EntryJson(e));
    return ToPython(a);
  }

  nb::object Get(int64_t id) {
    QuarantineEntry e;
    {
      nb::gil_scoped_release nogil;
      e = ::Check(gate_->quarantine()->Get(id));
    }
    return ToPython(EntryJson(e));
  }

  nb::object Rows(int64_t id) {
    std::shared_ptr<arrow::Table> t;
    {
      nb::gil_scoped_release nogil;
      t = ::Check(gate_->quarantine()->ReadRows(id));
    }
    return ToCapsule(t);
  }

  nb::dict Release(int64_t id, const std::string& actor, const std::string& mode) {
    MergeMode m = ParseMergeMode(mode);
    WriteResult w;
    {
      nb::gil_scoped_release nogil;
      w = ::Check(gate_->quarantine()->Release(id, ts_.store(), actor, m));
    }
    return WriteResultDict(w);
  }

  void Drop(int64_t id, const std::string& actor, const std::string& reason) {
    nb::gil_scoped_release nogil;
    ::Check(gate_->quarantine()->Drop(id, actor, reason));
  }

  nb::object Audit() {
    std::vector<QuarantineDecision> ds;
    {
      nb::gil_scoped_release nogil;
      ds = ::Check(gate_->quarantine()->Audit());
    }
    json a = json::array();
    for (const auto& d : ds) {
      a.push_back({{"time", d.time},
                   {"actor", d.actor},
                   {"action", d.action},
                   {"id", d.id},
                   {"reason", d.reason},
                   {"rows_written", d.rows_written}});
    }
    return ToPython(a);
  }

 private:
  PyTimeSeries& ts_;
  QualityGate* gate_ = nullptr;
};

// Orders, fills, positions, process control. The backend comes from <root>/systore.yaml
// (DataBlob's operational store: SQLite under the root by default) unless a URI is given.
class PyOperational {
 public:
  PyOperational(const std::string& root, const std::string& uri, const std::string& actor) {
    nb::gil_scoped_release nogil;
    if (!uri.empty()) {
      OperationalStoreOptions o;
      o.uri = uri;
      if (!actor.empty()) o.actor = actor;
      owned_ = ::Check(OperationalStore::Open(o));
      store_ = owned_.get();
    } else {
      DataBlobOptions o;
      o.root = root;
      o.actor = actor;
      blob_ = ::Check(DataBlob::Open(o));
      store_ = ::Check(blob_->Operational("db_orders"));
    }
  }

  std::string backend() const { return std::string(store_->backend_name()); }
  OperationalStore* store() const { return store_; }

  int64_t AddOrder(const std::string& strategy, const std::string& instrument, const std::string& contract,
                   int64_t quantity, const std::string& side, const std::string& level, const std::string& type,
                   std::optional<double> limit_price, std::optional<int64_t> parent_id,
                   const std::string& attributes_json, int64_t created_at) {
    NewOrder n;
    n.strategy = strategy;
    n.instrument = instrument;
    n.contract = contract;
    n.quantity = quantity;
    n.side = ::Check(ParseSide(side));
    n.level = ::Check(ParseOrderLevel(level));
    n.type = ::Check(ParseOrderType(type));
    n.limit_price = limit_price;
    n.parent_id = parent_id;
    n.attributes_json = attributes_json;
    n.created_at = created_at;
    nb::gil_scoped_release nogil;
    return ::Check(store_->AddOrder(n));
  }

  nb::object ApplyFill(int64_t order_id, int64_t quantity, double price, double commission, const std::string& exec_id,
                       int64_t time) {
    FillResult r;
    {
      FillRequest f;
      f.order_id = order_id;
      f.quantity = quantity;
      f.price = price;
      f.commission = commission;
      f.exec_id = exec_id;
      f.time = time;
      nb::gil_scoped_release nogil;
      r = ::Check(store_->ApplyFill(f));
    }
    return ToPython({{"order", nlohmann::json::parse(ToJson(r.order))},
                     {"strategy_position", r.strategy_position},
                     {"contract_position", r.contract_position}});
  }

  void Transition(int64_t id, const std::string& to, const std::string& reason) {
    nb::gil_scoped_release nogil;
    ::Check(store_->Transact([&](Transaction& t) -> Status {
      if (to == "submitted") return t.SubmitOrder(id);
      if (to == "cancelled") return t.CancelOrder(id, reason);
      if (to == "rejected") return t.RejectOrder(id, reason);
      return Status::InvalidArgument("order transition to '" + to + "' (expected submitted, cancelled or rejected)");
    }));
  }

  nb::object GetOrder(int64_t id) {
    Order o;
    {
      nb::gil_scoped_release nogil;
      o = ::Check(store_->GetOrder(id));
    }
    return ToPython(nlohmann::json::parse(ToJson(o)));
  }

  nb::object FindOrders(std::optional<std::string> status, std::optional<std::string> strategy,
                        std::optional<std::string> instrument, bool open_only, int64_t limit) {
    OrderQuery q;
    if (status) q.status = ::Check(ParseOrderStatus(*status));
    q.strategy = strategy;
    q.instrument = instrument;
    q.open_only = open_only;
    q.limit = limit;
    std::vector<Order> os;
    {
      nb::gil_scoped_release nogil;
      os = ::Check(store_->FindOrders(q));
    }
    json a = json::array();
    for (const auto& o : os) a.push_back(nlohmann::json::parse(ToJson(o)));
    return ToPython(a);
  }

  nb::object Fills(int64_t order_id) {
    std::vector<Fill> fs;
    {
      nb::gil_scoped_release nogil;
      fs = ::Check(store_->FillsOfOrder(order_id));
    }
    json a = json::array();
    for (const auto& f : fs) a.push_back(nlohmann::json::parse(ToJson(f)));
    return ToPython(a);
  }

  nb::object Positions(const std::string& level, const std::string& a, const std::string& b) {
    json out = json::array();
    {
      nb::gil_scoped_release nogil;
      if (level == "strategy") {
        for (const auto& p : ::Check(store_->StrategyPositions(a, b))) {
          out.push_back({{"strategy", p.strategy},
                         {"instrument", p.instrument},
                         {"position", p.position},
                         {"updated_at", p.updated_at}});
        }
      } else if (level == "contract") {
        for (const auto& p : ::Check(store_->ContractPositions(a, b))) {
          out.push_back({{"instrument", p.instrument},
                         {"contract", p.contract},
                         {"position", p.position},
                         {"updated_at", p.updated_at}});
        }
      } else {
        Raise(Status::InvalidArgument("positions level '" + level + "' (expected strategy or contract)"));
      }
    }
    return ToPython(out);
  }

  nb::object Trades(const std::string& strategy, const std::string& instrument) {
    json out = json::array();
    {
      nb::gil_scoped_release nogil;
      ::Check(store_->Read([&](Transaction& t) -> Status {
        SYSTORE_ASSIGN_OR_RAISE(auto ts, t.Trades(strategy, instrument));
        for (const auto& x : ts) {
          out.push_back({{"exec_id", x.exec_id},
                         {"order_id", x.order_id},
                         {"strategy", x.strategy},
                         {"instrument", x.instrument},
                         {"contract", x.contract},
                         {"signed_quantity", x.signed_quantity},
                         {"price", x.price},
                         {"commission", x.commission},
                         {"time", x.time}});
        }
        return Status::OK();
      }));
    }
    return ToPython(out);
  }

  nb::object Reconcile() {
    ReconcileReport r;
    {
      nb::gil_scoped_release nogil;
      r = ::Check(store_->Reconcile());
    }
    json d = json::array();
    for (const auto& x : r.differences) {
      d.push_back(
          {{"kind", x.kind}, {"key1", x.key1}, {"key2", x.key2}, {"stored", x.stored}, {"from_fills", x.from_fills}});
    }
    return ToPython({{"ok", r.ok()}, {"positions_checked", r.positions_checked}, {"differences", d}});
  }

  nb::object Processes(const std::string& name) {
    json out;
    {
      nb::gil_scoped_release nogil;
      if (name.empty()) {
        out = json::array();
        for (const auto& p : ::Check(store_->Processes())) out.push_back(nlohmann::json::parse(ToJson(p)));
      } else {
        out = nlohmann::json::parse(ToJson(::Check(store_->GetProcess(name))));
      }
    }
    return ToPython(out);
  }

  // One process-control change: control GO/NO-RUN/STOP/PAUSE, start, finish, crashed, depends.
  void Process(const std::string& name, const std::string& action, const std::string& value,
               const std::vector<std::string>& depends_on, int64_t pid) {
    nb::gil_scoped_release nogil;
    ::Check(store_->Transact([&](Transaction& t) -> Status {
      if (action == "control") {
        SYSTORE_ASSIGN_OR_RAISE(auto c, ParseControlStatus(value));
        return t.SetProcessControl(name, c);
      }
      if (action == "start") return t.StartProcess(name, pid);
      if (action == "finish") return t.FinishProcess(name);
      if (action == "crashed") return t.MarkProcessCrashed(name);
      if (action == "depends") return t.SetProcessDependencies(name, depends_on);
      return Status::InvalidArgument("process action '" + action + "'");
    }));
  }

  nb::object AuditLog(int64_t after_seq, int64_t limit) {
    std::vector<AuditRecord> rs;
    {
      nb::gil_scoped_release nogil;
      rs = ::Check(store_->AuditLog(after_seq, limit));
    }
    json a = json::array();
    for (const auto& r : rs) {
      a.push_back({{"seq", r.seq},
                   {"time", r.time},
                   {"actor", r.actor},
                   {"operation", r.operation},
                   {"entity", r.entity},
                   {"key", r.key},
                   {"before", json::parse(r.before_json, nullptr, false)},
                   {"after", json::parse(r.after_json, nullptr, false)}});
    }
    return ToPython(a);
  }

 private:
  std::unique_ptr<DataBlob> blob_;
  std::unique_ptr<OperationalStore> owned_;
  OperationalStore* store_ = nullptr;
};

class PyReference {
 public:
  explicit PyReference(const std::string& root) {
    ReferenceStoreOptions o;
    o.root = root;
    nb::gil_scoped_release nogil;
    store_ = Check(ReferenceStore::Open(o));
  }

  // (columns, rows) of the current version; the package builds the DataFrame.
  nb::tuple Table(const std::string& name) {
    std::shared_ptr<const ReferenceTable> t;
    {
      nb::gil_scoped_release nogil;
      t = Check(store_->GetTable(name));
    }
    return nb::make_tuple(t->columns(), t->rows());
  }

  // A table at a version (as_of_version) or time (as_of_time, ns), or the current one.
  nb::tuple TableAsOf(const std::string& name, std::optional<int64_t> version, std::optional<int64_t> time) {
    std::shared_ptr<const ReferenceTable> t;
    int64_t at = 0;
    {
      nb::gil_scoped_release nogil;
      std::shared_ptr<const ReferenceSnapshot> snap = version ? Check(store_->AsOfVersion(*version))
                                                      : time  ? Check(store_->AsOfTime(*time))
                                                              : store_->Current();
      at = snap->version();
      t = snap->shared_table(name);
      if (!t) Raise(Status::NotFound("reference table '" + name + "' does not exist at version " + std::to_string(at)));
    }
    return nb::make_tuple(t->columns(), t->rows(), at);
  }

  int64_t Version() {
    nb::gil_scoped_release nogil;
    return store_->Current()->version();
  }

  std::string Get(const std::string& table, const std::string& key, const std::string& column) {
    nb::gil_scoped_release nogil;
    return Check(store_->GetValue(table, key, column));
  }

  int64_t Set(const std::string& table, const std::string& key,
              const std::vector<std::pair<std::string, std::string>>& fields, const std::string& actor,
              const std::string& reason) {
    nb::gil_scoped_release nogil;
    return Check(store_->Set(table, key, fields, {actor, reason}));
  }

  int64_t DeleteRow(const std::string& table, const std::string& key, const std::string& actor,
                    const std::string& reason) {
    nb::gil_scoped_release nogil;
    return Check(store_->DeleteRow(table, key, {actor, reason}));
  }

  int64_t ImportTable(const std::string& table, const std::string& csv_path, const std::string& actor,
                      const std::string& reason) {
    nb::gil_scoped_release nogil;
    return Check(store_->ImportTable(table, csv_path, {actor, reason}));
  }

  nb::object History(const std::string& table, const std::string& key) {
    json a = json::array();
    {
      nb::gil_scoped_release nogil;
      for (const auto& c : Check(store_->History(table, key))) {
        json tables = json::array();
        for (const auto& tc : c.tables) {
          json rows = json::array();
          for (const auto& r : tc.rows) {
            const char* kind = r.kind == RowChange::Kind::kAdded     ? "added"
                               : r.kind == RowChange::Kind::kRemoved ? "removed"
                                                                     : "modified";
            json fields = json::array();
            for (const auto& f : r.fields)
              fields.push_back({{"column", f.column}, {"old", f.old_value}, {"new", f.new_value}});
            rows.push_back({{"kind", kind}, {"key", r.key}, {"values", r.values}, {"fields", fields}});
          }
          tables.push_back(
              {{"table", tc.table}, {"created", tc.created}, {"summary", SummarizeTableChange(tc)}, {"rows", rows}});
        }
        a.push_back({{"version", c.version},
                     {"time", c.time},
                     {"actor", c.actor},
                     {"reason", c.reason},
                     {"operation", c.operation},
                     {"tables", tables},
                     {"hash", c.hash},
                     {"prev_hash", c.prev_hash}});
      }
    }
    return ToPython(a);
  }

  nb::object Verify() {
    VerifyReport r;
    {
      nb::gil_scoped_release nogil;
      r = Check(store_->Verify());
    }
    return ToPython({{"ok", r.ok},
                     {"entries", r.entries},
                     {"head_hash", r.head_hash},
                     {"first_bad_version", r.first_bad_version},
                     {"first_bad_line", r.first_bad_line},
                     {"problems", r.problems}});
  }

  ReferenceStore* store() const { return store_.get(); }

  std::vector<std::string> Tables() {
    std::vector<ReferenceTableInfo> infos;
    {
      nb::gil_scoped_release nogil;
      infos = Check(store_->ListTables());
    }
    std::vector<std::string> out;
    for (const auto& i : infos) out.push_back(i.name);
    return out;
  }

 private:
  std::unique_ptr<ReferenceStore> store_;
};

// Analytics over the stores of a root: options cross as JSON text (parsed here, defaults
// from the C++ structs), runs come back as dicts, tables as Arrow streams.
VolatilityOptions VolOptions(const json& j) {
  VolatilityOptions o;
  o.column = j.value("column", o.column);
  o.days = j.value("days", o.days);
  o.min_periods = j.value("min_periods", o.min_periods);
  o.slow_vol_years = j.value("slow_vol_years", o.slow_vol_years);
  o.proportion_of_slow_vol = j.value("proportion_of_slow_vol", o.proportion_of_slow_vol);
  o.vol_abs_min = j.value("vol_abs_min", o.vol_abs_min);
  o.backfill = j.value("backfill", o.backfill);
  return o;
}

json ParseOptions(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) Raise(Status::InvalidArgument("analytics options must be a JSON object"));
  for (const auto& [k, v] : j.items()) {
    if (v.is_null()) Raise(Status::InvalidArgument("analytics option '" + k + "' is None"));
  }
  return j;
}

nb::dict RunDict(const AnalyticsRun& r) {
  nb::dict d;
  d["source"] = r.source;
  d["output"] = r.output;
  d["series_read"] = r.series_read;
  d["rows_read"] = r.rows_read;
  d["series_written"] = r.series_written;
  d["series_unchanged"] = r.series_unchanged;
  d["rows_written"] = r.rows_written;
  d["version"] = r.version;
  d["seconds"] = r.seconds;
  return d;
}

AsofOptions AsofFrom(std::optional<int64_t> tolerance, bool allow_exact_matches, const std::string& by) {
  AsofOptions o;
  o.tolerance = tolerance;
  o.allow_exact_matches = allow_exact_matches;
  o.by = by;
  return o;
}

BarOptions BarsFrom(const std::string& interval, const std::string& origin) {
  BarOptions o;
  o.interval = Check(ParseInterval(interval, "interval"));
  if (!origin.empty()) o.origin = Check(ParseInterval(origin, "origin"));
  return o;
}

class PyAnalytics {
 public:
  explicit PyAnalytics(PyTimeSeries& ts) {
    AnalyticsOptions o;
    o.store = ts.store();
    analytics_ = Check(Analytics::Open(o));
  }

  nb::dict Bars(const std::string& source, const std::string& output, const std::vector<std::string>& keys,
                const std::string& interval, const std::string& origin) {
    BarOptions o = BarsFrom(interval, origin);
    nb::gil_scoped_release nogil;
    return Done(analytics_->Bars(source, output, keys, o));
  }

  nb::dict Volatility(const std::string& source, const std::string& output, const std::vector<std::string>& keys,
                      const std::string& options) {
    VolatilityOptions o = VolOptions(ParseOptions(options));
    nb::gil_scoped_release nogil;
    return Done(analytics_->Volatility(source, output, keys, o));
  }

  nb::dict Forecasts(const std::string& source, const std::string& output, const std::vector<std::string>& keys,
                     const std::vector<std::pair<int, int>>& rules, const std::string& options) {
    ForecastOptions o;
    o.volatility = VolOptions(ParseOptions(options));
    if (!rules.empty()) {
      o.rules.clear();
      for (const auto& [fast, slow] : rules) o.rules.push_back({fast, slow});
    }
    nb::gil_scoped_release nogil;
    return Done(analytics_->Forecasts(source, output, keys, o));
  }

  nb::dict Correlations(const std::string& source, const std::string& output, const std::vector<std::string>& keys,
                        const std::string& name, const std::string& options) {
    json j = ParseOptions(options);
    CorrelationOptions o;
    // The normalising vol's options are nested: min_periods means the correlation's.
    if (j.contains("volatility")) o.volatility = VolOptions(j["volatility"]);
    o.ew_lookback = j.value("ew_lookback", o.ew_lookback);
    o.min_periods = j.value("min_periods", o.min_periods);
    o.cleaning = j.value("cleaning", o.cleaning);
    o.offdiag = j.value("offdiag", o.offdiag);
    o.floor_at_zero = j.value("floor_at_zero", o.floor_at_zero);
    nb::gil_scoped_release nogil;
    return Done(analytics_->Correlations(source, output, keys, name, o));
  }

  nb::dict Pnl(const std::string& output, PyOperational& ops, PyReference& ref, const std::string& options) {
    json j = ParseOptions(options);
    PnlOptions o;
    o.operational = ops.store();
    o.reference = ref.store();
    o.prices = j.value("prices", o.prices);
    o.fx = j.value("fx", o.fx);
    o.base_currency = j.value("base_currency", o.base_currency);
    o.until = j.value("until", o.until);
    o.strategy = j.value("strategy", o.strategy);
    nb::gil_scoped_release nogil;
    return Done(analytics_->Pnl(output, o));
  }

  nb::object Asof(const std::string& left, const std::string& left_key, const std::string& right,
                  const std::string& right_key, std::optional<int64_t> tolerance, bool allow_exact_matches,
                  const std::string& by) {
    std::shared_ptr<arrow::Table> t;
    {
      nb::gil_scoped_release nogil;
      t = Check(analytics_->Asof(left, left_key, right, right_key, AsofFrom(tolerance, allow_exact_matches, by)));
    }
    return ToCapsule(t);
  }

 private:
  nb::dict Done(Result<AnalyticsRun> r) {
    AnalyticsRun run = Check(std::move(r));
    nb::gil_scoped_acquire gil;
    return RunDict(run);
  }
  std::unique_ptr<Analytics> analytics_;
};

}  // namespace

// Backups of a whole root (docs/backup-and-recovery.md); results as dicts.
class PyBackup {
 public:
  explicit PyBackup(const std::string& uri) : repo_(Check(BackupRepository::Open(uri))) {}
  static nb::dict Info(const BackupInfo& b) {
    nb::dict d;
    d["id"] = b.id;
    d["label"] = b.label;
    d["tier"] = b.tier;
    d["started_at"] = b.started_at;
    d["captured_at"] = b.captured_at;
    d["files"] = b.files;
    d["bytes"] = b.bytes;
    d["files_copied"] = b.files_copied;
    d["bytes_copied"] = b.bytes_copied;
    d["datasets"] = b.datasets;
    d["seconds"] = b.seconds;
    return d;
  }
  nb::dict Create(const std::string& root, const std::string& label, const std::string& tier) {
    BackupInfo info;
    {
      nb::gil_scoped_release nogil;
      info = Check(repo_->Create({.root = root, .label = label, .tier = tier}));
    }
    return Info(info);
  }
  nb::list List() {
    std::vector<BackupInfo> list;
    {
      nb::gil_scoped_release nogil;
      list = Check(repo_->List());
    }
    nb::list out;
    for (const auto& b : list) out.append(Info(b));
    return out;
  }
  nb::dict Verify(const std::string& id) {
    BackupVerifyReport r;
    {
      nb::gil_scoped_release nogil;
      r = Check(repo_->Verify(id));
    }
    nb::dict d;
    d["ok"] = r.ok();
    d["backups"] = r.backups;
    d["files_checked"] = r.files_checked;
    d["bytes_checked"] = r.bytes_checked;
    nb::list problems;
    for (const auto& p : r.problems) {
      nb::dict e;
      e["backup_id"] = p.backup_id;
      e["path"] = p.path;
      e["object"] = p.object;
      e["problem"] = p.problem;
      problems.append(e);
    }
    d["problems"] = problems;
    return d;
  }
  nb::dict Prune(int daily, int weekly, int monthly, bool dry_run) {
    BackupPruneResult r;
    {
      nb::gil_scoped_release nogil;
      r = Check(repo_->Prune({.keep_daily = daily, .keep_weekly = weekly, .keep_monthly = monthly, .dry_run = dry_run}));
    }
    nb::dict d;
    d["kept"] = r.kept;
    d["removed"] = r.removed;
    d["objects_removed"] = r.objects_removed;
    d["bytes_removed"] = r.bytes_removed;
    return d;
  }
  nb::dict Restore(const std::string& target, const std::string& backup_id, std::optional<int64_t> time,
                   const std::string& live_root) {
    RestoreReport r;
    {
      nb::gil_scoped_release nogil;
      r = Check(repo_->Restore({.backup_id = backup_id, .time = time, .live_root = live_root, .target = target}));
    }
    nb::dict d;
    d["backup_id"] = r.backup_id;
    d["files"] = r.files;
    d["bytes"] = r.bytes;
    d["lines"] = r.lines;
    d["checks"] = r.checks;
    d["consistent"] = r.consistent();
    d["seconds"] = r.seconds;
    return d;
  }

 private:
  std::unique_ptr<BackupRepository> repo_;
};

NB_MODULE(_systore, m) {
  m.doc() = "systore's C++ stores (use the systore package, not this module)";
  g_status_error = nb::handle(PyErr_NewException("systore._systore.StatusError", PyExc_RuntimeError, nullptr));
  m.attr("StatusError") = g_status_error;
  m.attr("ARROW_VERSION") = ARROW_VERSION_STRING;
  nb::class_<PyTimeSeries>(m, "TimeSeriesStore", nb::is_weak_referenceable())
      .def(nb::init<const std::string&>(), nb::arg("root"))
      .def("write", &PyTimeSeries::Write, nb::arg("dataset"), nb::arg("key"), nb::arg("stream"), nb::arg("mode"))
      .def("read", &PyTimeSeries::Read, nb::arg("dataset"), nb::arg("key"), nb::arg("start").none(),
           nb::arg("end").none(), nb::arg("columns"), nb::arg("as_of_version").none(), nb::arg("snapshot").none())
      .def("read_many", &PyTimeSeries::ReadMany)
      .def("latest", &PyTimeSeries::Latest)
      .def("list_datasets", &PyTimeSeries::ListDatasets)
      .def("list_keys", &PyTimeSeries::ListKeys)
      .def("versions", &PyTimeSeries::Versions)
      .def("delete", &PyTimeSeries::Delete)
      .def("snapshot", &PyTimeSeries::Snapshot)
      .def("flush", &PyTimeSeries::Flush)
      .def("ingest", &PyTimeSeries::Ingest)
      .def("delete_range", &PyTimeSeries::DeleteRange)
      .def("compact", &PyTimeSeries::Compact)
      .def("snapshots", &PyTimeSeries::Snapshots)
      .def("delete_snapshot", &PyTimeSeries::DeleteSnapshot);
  nb::class_<PyReference>(m, "ReferenceStore")
      .def(nb::init<const std::string&>(), nb::arg("root"))
      .def("table", &PyReference::Table)
      .def("table_as_of", &PyReference::TableAsOf, nb::arg("name"), nb::arg("version").none(), nb::arg("time").none())
      .def("version", &PyReference::Version)
      .def("get", &PyReference::Get)
      .def("set", &PyReference::Set)
      .def("delete_row", &PyReference::DeleteRow)
      .def("import_table", &PyReference::ImportTable)
      .def("history", &PyReference::History)
      .def("verify", &PyReference::Verify)
      .def("tables", &PyReference::Tables);
  nb::class_<PyAnalytics>(m, "Analytics")
      .def(nb::init<PyTimeSeries&>(), nb::keep_alive<1, 2>())
      .def("bars", &PyAnalytics::Bars)
      .def("volatility", &PyAnalytics::Volatility)
      .def("forecasts", &PyAnalytics::Forecasts)
      .def("correlations", &PyAnalytics::Correlations)
      .def("pnl", &PyAnalytics::Pnl, nb::arg("output"), nb::arg("ops"), nb::arg("ref"), nb::arg("options"))
      .def("asof", &PyAnalytics::Asof, nb::arg("left"), nb::arg("left_key"), nb::arg("right"), nb::arg("right_key"),
           nb::arg("tolerance").none(), nb::arg("allow_exact_matches"), nb::arg("by"));
  // The kernels on tables (nothing stored).
  m.def("compute_bars", [](nb::handle capsule, const std::string& interval, const std::string& origin) {
    auto t = FromCapsule(capsule);
    BarOptions o = BarsFrom(interval, origin);
    std::shared_ptr<arrow::Table> out;
    {
      nb::gil_scoped_release nogil;
      out = Check(ComputeBars(*t, o));
    }
    return ToCapsule(out);
  });
  m.def("asof_join", [](nb::handle left, nb::handle right, std::optional<int64_t> tolerance, bool allow_exact_matches,
                        const std::string& by) {
    auto l = FromCapsule(left), r = FromCapsule(right);
    std::shared_ptr<arrow::Table> out;
    {
      nb::gil_scoped_release nogil;
      out = Check(AsofJoin(*l, *r, AsofFrom(tolerance, allow_exact_matches, by)));
    }
    return ToCapsule(out);
  }, nb::arg("left"), nb::arg("right"), nb::arg("tolerance").none(), nb::arg("allow_exact_matches"), nb::arg("by"));
  nb::class_<PyBackup>(m, "BackupRepository")
      .def(nb::init<const std::string&>(), nb::arg("uri"))
      .def("create", &PyBackup::Create, nb::arg("root"), nb::arg("label"), nb::arg("tier"))
      .def("list", &PyBackup::List)
      .def("verify", &PyBackup::Verify, nb::arg("id"))
      .def("prune", &PyBackup::Prune, nb::arg("keep_daily"), nb::arg("keep_weekly"), nb::arg("keep_monthly"),
           nb::arg("dry_run"))
      .def("restore", &PyBackup::Restore, nb::arg("target"), nb::arg("backup_id"), nb::arg("time").none(),
           nb::arg("live_root"));
  nb::class_<PyQuality>(m, "Quality")
      .def(nb::init<PyTimeSeries&>(), nb::arg("timeseries"), nb::keep_alive<1, 2>())
      .def("check", &PyQuality::Check, nb::arg("dataset"), nb::arg("key"), nb::arg("stream").none())
      .def("list", &PyQuality::List)
      .def("get", &PyQuality::Get)
      .def("rows", &PyQuality::Rows)
      .def("release", &PyQuality::Release)
      .def("drop", &PyQuality::Drop)
      .def("audit", &PyQuality::Audit);
  nb::class_<PyOperational>(m, "OperationalStore")
      .def(nb::init<const std::string&, const std::string&, const std::string&>(), nb::arg("root"), nb::arg("uri"),
           nb::arg("actor"))
      .def("backend", &PyOperational::backend)
      .def("add_order", &PyOperational::AddOrder, nb::arg("strategy"), nb::arg("instrument"), nb::arg("contract"),
           nb::arg("quantity"), nb::arg("side"), nb::arg("level"), nb::arg("type"), nb::arg("limit_price").none(),
           nb::arg("parent_id").none(), nb::arg("attributes_json"), nb::arg("created_at"))
      .def("apply_fill", &PyOperational::ApplyFill)
      .def("transition", &PyOperational::Transition)
      .def("get_order", &PyOperational::GetOrder)
      .def("find_orders", &PyOperational::FindOrders, nb::arg("status").none(), nb::arg("strategy").none(),
           nb::arg("instrument").none(), nb::arg("open_only"), nb::arg("limit"))
      .def("fills", &PyOperational::Fills)
      .def("positions", &PyOperational::Positions)
      .def("trades", &PyOperational::Trades)
      .def("reconcile", &PyOperational::Reconcile)
      .def("processes", &PyOperational::Processes)
      .def("process", &PyOperational::Process)
      .def("audit_log", &PyOperational::AuditLog);
}
