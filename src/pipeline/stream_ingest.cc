// The streaming pipeline: per-worker bounded queues, validation with a per-series seam,
// durable appends, triggers, dead letters.
#include "systore/ingest_stream.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/api.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/arrow_status_internal.h"
#include "core/file_util.h"
#include "systore/quality_gate.h"

namespace systore {

using json = nlohmann::json;

namespace {

std::string DeadLetterDir(const std::string& root) { return root + "/_quality/deadletter"; }

// Claims the next id by creating <N>.json exclusively, then writes the rows beside it.
Status WriteDeadLetter(const std::string& root, const StreamRecord& rec, const std::shared_ptr<arrow::Table>& rows,
                       const std::string& stage, const Status& error) {
  std::string dir = DeadLetterDir(root);
  SYSTORE_RETURN_NOT_OK(CreateDirectories(dir));
  int64_t rows_n = rows ? rows->num_rows() : 0;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int64_t id = 1;
    auto names = ListDirectory(dir);
    if (names.ok())
      for (const auto& n : *names) id = std::max<int64_t>(id, std::atoll(n.c_str()) + 1);
    json j = {{"id", id},       {"dataset", rec.dataset},    {"key", rec.key},
              {"stage", stage}, {"error", error.ToString()}, {"time", FormatTimestamp(Now())},
              {"rows", rows_n}};
    std::string base = dir + "/" + std::to_string(id);
    Status st = CreateFileExclusive(base + ".json", j.dump() + "\n");
    if (st.code() == StatusCode::kAlreadyExists) continue;
    SYSTORE_RETURN_NOT_OK(st);
    if (rows) {
      std::string path = base + ".arrow";
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto out, arrow::io::FileOutputStream::Open(path), path);
      SYSTORE_ASSIGN_OR_RAISE_ARROW(auto w, arrow::ipc::MakeFileWriter(out, rows->schema()), path);
      SYSTORE_RETURN_NOT_OK_ARROW(w->WriteTable(*rows), path);
      SYSTORE_RETURN_NOT_OK_ARROW(w->Close(), path);
      SYSTORE_RETURN_NOT_OK_ARROW(out->Close(), path);
      SYSTORE_RETURN_NOT_OK(FsyncPath(path));
    }
    return Status::OK();
  }
  return Status::Unavailable("could not claim a dead-letter id in " + dir);
}

Result<std::shared_ptr<arrow::Table>> Concat(const std::vector<std::shared_ptr<arrow::Table>>& tables) {
  if (tables.size() == 1) return tables[0];
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto t, arrow::ConcatenateTables(tables), "concatenate records");
  return t;
}

class StreamIngestImpl : public StreamIngest {
 public:
  StreamIngestImpl(StreamIngestOptions o, TimeSeriesStore* store) : options_(std::move(o)), store_(store) {}

  Status Init() {
    if (options_.workers < 1) options_.workers = 1;
    if (options_.queue_capacity < 1) options_.queue_capacity = 1;
    if (options_.validate) {
      QualityGateOptions go;
      go.root = options_.root;
      SYSTORE_ASSIGN_OR_RAISE(gate_, QualityGate::Open(go));
    }
    for (int i = 0; i < options_.workers; ++i) workers_.push_back(std::make_unique<Worker>());
    for (int i = 0; i < options_.workers; ++i) workers_[i]->thread = std::thread([this, i] { Run(*workers_[i]); });
    return Status::OK();
  }

  ~StreamIngestImpl() override { (void)Close(); }

  void SetTransform(const std::string& dataset, StreamTransform t) override {
    std::lock_guard<std::mutex> l(config_mu_);
    transforms_[dataset] = std::move(t);
  }
  void AddTrigger(const std::string& dataset, StreamTrigger t) override {
    std::lock_guard<std::mutex> l(config_mu_);
    triggers_[dataset].push_back(std::move(t));
  }

  Status Push(StreamRecord r) override { return Enqueue(std::move(r), true); }
  Status TryPush(StreamRecord r) override { return Enqueue(std::move(r), false); }

  Status Drain() override {
    for (auto& w : workers_) {
      std::unique_lock<std::mutex> l(w->mu);
      w->idle.wait(l, [&] { return w->queue.empty() && !w->busy; });
    }
    return Status::OK();
  }

  Status Close() override {
    if (closed_.exchange(true)) return Status::OK();
    for (auto& w : workers_) {
      {
        std::lock_guard<std::mutex> l(w->mu);
        w->stop = true;
      }
      w->not_empty.notify_all();
      w->not_full.notify_all();
    }
    for (auto& w : workers_)
      if (w->thread.joinable()) w->thread.join();
    return Status::OK();
  }

  StreamStats stats() const override {
    StreamStats s;
    s.records_in = records_in_;
    s.rows_in = rows_in_;
    s.rows_appended = rows_appended_;
    s.rows_quarantined = rows_quarantined_;
    s.records_dead_lettered = dead_;
    s.trigger_errors = trigger_errors_;
    s.appends = appends_;
    s.push_waits = push_waits_;
    return s;
  }

 private:
  struct SeriesState {
    Timestamp last = kMinTimestamp;
    std::shared_ptr<arrow::Table> tail;
    bool loaded = false;
  };
  struct Worker {
    std::mutex mu;
    std::condition_variable not_empty, not_full, idle;
    std::deque<StreamRecord> queue;
    bool stop = false;
    bool busy = false;
    std::thread thread;
    std::map<std::pair<std::string, std::string>, SeriesState> series;  // worker-owned
  };

  Status Enqueue(StreamRecord r, bool block) {
    if (r.key.empty() || r.dataset.empty() || !r.rows)
      return Status::InvalidArgument("stream record needs dataset, key and rows");
    if (closed_) return Status::Unavailable("stream ingest is closed");
    size_t h = std::hash<std::string>{}(r.dataset + '\0' + r.key) % workers_.size();
    Worker& w = *workers_[h];
    int64_t rows = r.rows->num_rows();
    {
      std::unique_lock<std::mutex> l(w.mu);
      if (w.stop) return Status::Unavailable("stream ingest is closed");
      if (static_cast<int64_t>(w.queue.size()) >= options_.queue_capacity) {
        if (!block)
          return Status::Unavailable("stream queue full (" + std::to_string(options_.queue_capacity) + " records)");
        ++push_waits_;
        w.not_full.wait(l, [&] { return w.stop || static_cast<int64_t>(w.queue.size()) < options_.queue_capacity; });
        if (w.stop) return Status::Unavailable("stream ingest is closed");
      }
      w.queue.push_back(std::move(r));
    }
    ++records_in_;
    rows_in_ += rows;
    w.not_empty.notify_one();
    return Status::OK();
  }

  void DeadLetterOrDie(const StreamRecord& rec, const std::shared_ptr<arrow::Table>& rows, const std::string& stage,
                       const Status& error) {
    ++dead_;
    Status st = WriteDeadLetter(options_.root, rec, rows, stage, error);
    if (!st.ok()) {
      // Nowhere left to keep the record: losing it silently is not an option.
      std::fprintf(stderr, "systore: FATAL: cannot write dead letter (%s) for %s/%s after %s error: %s\n",
                   st.ToString().c_str(), rec.dataset.c_str(), rec.key.c_str(), stage.c_str(),
                   error.ToString().c_str());
      std::abort();
    }
  }

  void Run(Worker& w) {
    std::vector<StreamRecord> batch;
    while (true) {
      {
        std::unique_lock<std::mutex> l(w.mu);
        w.not_empty.wait(l, [&] { return w.stop || !w.queue.empty(); });
        if (w.queue.empty() && w.stop) return;
        batch.clear();
        while (!w.queue.empty()) {
          batch.push_back(std::move(w.queue.front()));
          w.queue.pop_front();
        }
        w.busy = true;
      }
      w.not_full.notify_all();
      Process(w, batch);
      {
        std::lock_guard<std::mutex> l(w.mu);
        w.busy = false;
      }
      w.idle.notify_all();
    }
  }

  void Process(Worker& w, std::vector<StreamRecord>& batch) {
    // Group by series, keeping push order within each.
    std::map<std::pair<std::string, std::string>, std::vector<StreamRecord*>> groups;
    std::vector<std::pair<std::string, std::string>> order;
    for (auto& r : batch) {
      auto k = std::make_pair(r.dataset, r.key);
      auto& g = groups[k];
      if (g.empty()) order.push_back(k);
      g.push_back(&r);
    }
    for (const auto& k : order) ProcessSeries(w, k, groups[k]);
  }

  void ProcessSeries(Worker& w, const std::pair<std::string, std::string>& k, const std::vector<StreamRecord*>& recs) {
    StreamTransform transform;
    std::vector<StreamTrigger> triggers;
    {
      std::lock_guard<std::mutex> l(config_mu_);
      if (auto it = transforms_.find(k.first); it != transforms_.end()) transform = it->second;
      for (const auto& name : {k.first, std::string()})
        if (auto it = triggers_.find(name); it != triggers_.end())
          triggers.insert(triggers.end(), it->second.begin(), it->second.end());
    }
    std::vector<std::shared_ptr<arrow::Table>> tables;
    std::vector<Timestamp> created;
    for (StreamRecord* r : recs) {
      std::shared_ptr<arrow::Table> t = r->rows;
      if (transform) {
        Result<std::shared_ptr<arrow::Table>> out = Status::Internal("transform threw");
        try {
          out = transform(*r);
        } catch (const std::exception& e) {
          out = Status::Internal(std::string("transform threw: ") + e.what());
        }
        if (!out.ok()) {
          DeadLetterOrDie(*r, r->rows, "transform", out.status());
          continue;
        }
        t = *out;
      }
      tables.push_back(t);
      created.push_back(r->created);
    }
    if (tables.empty()) return;
    auto dead_all = [&](const std::string& stage, const Status& st) {
      for (StreamRecord* r : recs) DeadLetterOrDie(*r, r->rows, stage, st);
    };
    auto data = Concat(tables);
    if (!data.ok()) return dead_all("validate", data.status());
    SeriesState& s = w.series[k];
    if (!s.loaded) {
      s.loaded = true;
      auto latest = store_->Latest(k.first, k.second, options_.history_rows);
      if (latest.ok() && (*latest)->num_rows() > 0) {
        s.tail = *latest;
        auto ts = s.tail->column(0)->chunk(s.tail->column(0)->num_chunks() - 1);
        s.last = ts->data()->GetValues<int64_t>(1)[ts->length() - 1];
      }
    }
    std::shared_ptr<arrow::Table> accepted = *data;
    if (gate_) {
      IngestBatch b;
      b.dataset = k.first;
      b.key = k.second;
      b.data = *data;
      b.history = s.tail;
      b.source = "stream";
      // Rows at or before the last appended row cannot be appended (ticks: before it): a
      // finding, so the policy sends them to the quarantine.
      auto opts = store_->GetDatasetOptions(k.first);
      if (opts.ok()) b.dataset_options = *opts;
      const bool ticks = (opts.ok() ? opts->kind : DatasetOptions::ForName(k.first).kind) == SeriesKind::kTicks;
      auto combined = (*data)->CombineChunks();
      if (combined.ok() && (*combined)->num_rows() > 0) {
        const int64_t* ts = (*combined)->column(0)->chunk(0)->data()->GetValues<int64_t>(1);
        for (int64_t i = 0; i < (*combined)->num_rows(); ++i) {
          if (ts[i] < s.last || (ts[i] == s.last && !ticks)) {
            Finding f;
            f.severity = Severity::kError;
            f.rule = "before_history";
            f.dataset = k.first;
            f.key = k.second;
            f.row = i;
            f.timestamps = {s.last, ts[i]};
            f.message = "not after the last appended row " + FormatTimestamp(s.last);
            b.parse_findings.push_back(std::move(f));
          }
        }
        b.data = *combined;
      }
      auto r = gate_->Process(b);
      if (!r.ok()) return dead_all("validate", r.status());
      rows_quarantined_ += static_cast<int64_t>(r->quarantined_rows.size());
      accepted = r->accepted;
    }
    if (accepted->num_rows() == 0) return;
    auto wr = store_->Append(k.first, k.second, accepted);
    if (!wr.ok()) return dead_all("append", wr.status());
    ++appends_;
    rows_appended_ += accepted->num_rows();
    auto acc = accepted->CombineChunks();
    const int64_t* ts = (*acc)->column(0)->chunk(0)->data()->GetValues<int64_t>(1);
    TriggerEvent ev{k.first, k.second, (*acc)->num_rows(), ts[0], ts[(*acc)->num_rows() - 1], std::move(created)};
    s.last = ev.last;
    // Keep the last history_rows rows as the next seam.
    std::shared_ptr<arrow::Table> tail = *acc;
    if (s.tail && s.tail->schema()->Equals(*tail->schema()) && tail->num_rows() < options_.history_rows) {
      auto c = arrow::ConcatenateTables({s.tail, tail});
      if (c.ok()) tail = *c;
    }
    if (tail->num_rows() > options_.history_rows) tail = tail->Slice(tail->num_rows() - options_.history_rows);
    s.tail = tail;
    for (const auto& trig : triggers) {
      Status st;
      try {
        st = trig(ev);
      } catch (const std::exception& e) {
        st = Status::Internal(std::string("trigger threw: ") + e.what());
      }
      if (!st.ok()) {
        ++trigger_errors_;
        StreamRecord rec{k.first, k.second, nullptr, 0};
        DeadLetterOrDie(rec, *acc, "trigger", st);
      }
    }
  }

  StreamIngestOptions options_;
  TimeSeriesStore* store_;
  std::unique_ptr<QualityGate> gate_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> closed_{false};
  std::mutex config_mu_;
  std::map<std::string, StreamTransform> transforms_;
  std::map<std::string, std::vector<StreamTrigger>> triggers_;
  std::atomic<int64_t> records_in_{0}, rows_in_{0}, rows_appended_{0}, rows_quarantined_{0}, dead_{0},
      trigger_errors_{0}, appends_{0}, push_waits_{0};
};

}  // namespace

Result<std::unique_ptr<StreamIngest>> StreamIngest::Open(const StreamIngestOptions& options, TimeSeriesStore* store) {
  if (!store) return Status::InvalidArgument("stream ingest needs a store");
  if (options.root.empty()) return Status::InvalidArgument("stream ingest needs a store root");
  auto s = std::make_unique<StreamIngestImpl>(options, store);
  SYSTORE_RETURN_NOT_OK(s->Init());
  return std::unique_ptr<StreamIngest>(std::move(s));
}

Result<std::vector<DeadLetter>> ListDeadLetters(const std::string& root) {
  std::vector<DeadLetter> out;
  auto names = ListDirectory(DeadLetterDir(root));
  if (!names.ok()) {
    if (names.status().IsNotFound()) return out;
    return names.status();
  }
  for (const auto& n : *names) {
    if (n.size() < 6 || n.compare(n.size() - 5, 5, ".json") != 0) continue;
    SYSTORE_ASSIGN_OR_RAISE(std::string text, ReadFileToString(DeadLetterDir(root) + "/" + n));
    try {
      json j = json::parse(text);
      DeadLetter d;
      d.id = j.at("id").get<int64_t>();
      d.dataset = j.value("dataset", "");
      d.key = j.value("key", "");
      d.stage = j.value("stage", "");
      d.error = j.value("error", "");
      d.rows = j.value("rows", int64_t{0});
      SYSTORE_ASSIGN_OR_RAISE(d.time, ParseTimestamp(j.value("time", "1970-01-01")));
      out.push_back(std::move(d));
    } catch (const std::exception& e) {
      return Status::Corruption(DeadLetterDir(root) + "/" + n + ": " + e.what());
    }
  }
  std::sort(out.begin(), out.end(), [](const DeadLetter& a, const DeadLetter& b) { return a.id < b.id; });
  return out;
}

}  // namespace systore
