// _systore: the C++ stores for Python. Tables cross as Arrow C streams (PyCapsules
// named "arrow_array_stream"): no copies, no per-row Python. The GIL is released while
// the store works. A non-OK Status becomes (code, message) raised by systore/__init__.py
// as the matching systore.Error subclass.
#include <arrow/api.h>
#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "systore/reference_store.h"
#include "systore/reference_table.h"
#include "systore/timeseries_store.h"

namespace nb = nanobind;
using namespace systore;

namespace {

// Raised with args (status code name, message); the package maps it to its classes.
nb::object g_status_error;

[[noreturn]] void Raise(const Status& st) {
  nb::gil_scoped_acquire gil;
  PyErr_SetObject(g_status_error.ptr(),
                  nb::make_tuple(std::string(StatusCodeName(st.code())), st.message()).ptr());
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

ReadOptions MakeReadOptions(std::optional<int64_t> start, std::optional<int64_t> end,
                            std::vector<std::string> columns, std::optional<int64_t> as_of_version,
                            std::optional<std::string> snapshot) {
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
  explicit PyTimeSeries(const std::string& root) {
    TimeSeriesStoreOptions o;
    o.root = root;
    nb::gil_scoped_release nogil;
    store_ = Check(TimeSeriesStore::Open(o));
  }

  nb::dict Write(const std::string& dataset, const std::string& key, nb::handle capsule,
                 const std::string& mode) {
    auto table = FromCapsule(capsule);
    WriteResult w;
    {
      nb::gil_scoped_release nogil;
      if (mode == "write") w = Check(store_->Write(dataset, key, table));
      else if (mode == "append") w = Check(store_->Append(dataset, key, table));
      else if (mode == "newer") w = Check(store_->Merge(dataset, key, table, MergeMode::kNewerOnly));
      else if (mode == "fill_gaps") w = Check(store_->Merge(dataset, key, table, MergeMode::kFillGaps));
      else if (mode == "overwrite") w = Check(store_->Merge(dataset, key, table, MergeMode::kOverwrite));
      else Raise(Status::InvalidArgument("mode '" + mode + "' is not write, append, newer, fill_gaps or overwrite"));
    }
    return WriteResultDict(w);
  }

  nb::object Read(const std::string& dataset, const std::string& key, std::optional<int64_t> start,
                  std::optional<int64_t> end, std::vector<std::string> columns,
                  std::optional<int64_t> as_of_version, std::optional<std::string> snapshot) {
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
      out.push_back(d);
    }
    return out;
  }

  nb::dict Delete(const std::string& dataset, const std::string& key) {
    nb::gil_scoped_release nogil;
    WriteResult w = Check(store_->Delete(dataset, key));
    nb::gil_scoped_acquire gil;
    return WriteResultDict(w);
  }

  void Snapshot(const std::string& name) {
    nb::gil_scoped_release nogil;
    Check(store_->CreateSnapshot(name));
  }

  void Flush(const std::string& dataset) {
    nb::gil_scoped_release nogil;
    Check(store_->Flush(dataset));
  }

 private:
  std::unique_ptr<TimeSeriesStore> store_;
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

}  // namespace

NB_MODULE(_systore, m) {
  m.doc() = "systore's C++ stores (use the systore package, not this module)";
  g_status_error = nb::borrow(PyErr_NewException("systore._systore.StatusError", PyExc_RuntimeError, nullptr));
  m.attr("StatusError") = g_status_error;
  m.attr("ARROW_VERSION") = ARROW_VERSION_STRING;
  nb::class_<PyTimeSeries>(m, "TimeSeriesStore")
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
      .def("flush", &PyTimeSeries::Flush);
  nb::class_<PyReference>(m, "ReferenceStore")
      .def(nb::init<const std::string&>(), nb::arg("root"))
      .def("table", &PyReference::Table)
      .def("tables", &PyReference::Tables);
}
