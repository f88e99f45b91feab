// Durable small appends: Append goes to the dataset's write-ahead log (group commit) and
// an in-memory tail; a flush moves the tail to Parquet in one commit that records the
// last log sequence it covers, then drops the old log segments. Recovery replays the
// records after that sequence. See docs/formats/wal.md.
#include <arrow/api.h>

#include <charconv>
#include <arrow/io/memory.h>
#include <arrow/ipc/api.h>

#include <chrono>
#include <cstdio>

#include "core/arrow_status_internal.h"
#include "core/file_util.h"
#include "timeseries/series_table.h"
#include "timeseries/store_impl.h"

namespace systore {
namespace {

constexpr const char* kAppendedAtKey = "systore.appendedAt";

Result<std::string> EncodeWalPayload(const std::string& key, const arrow::Table& rows) {
  std::string out;
  uint32_t n = static_cast<uint32_t>(key.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += key;
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto sink, arrow::io::BufferOutputStream::Create(), "wal encode");
  // The append time rides in the schema's metadata: point-in-time recovery replays the
  // records appended up to a time (readers that do not know the key ignore it).
  auto schema = rows.schema()->WithMetadata(
      arrow::KeyValueMetadata::Make({kAppendedAtKey}, {std::to_string(Now())}));
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto writer, arrow::ipc::MakeStreamWriter(sink, schema), "wal encode");
  SYSTORE_RETURN_NOT_OK_ARROW(writer->WriteTable(rows), "wal encode");
  SYSTORE_RETURN_NOT_OK_ARROW(writer->Close(), "wal encode");
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto buf, sink->Finish(), "wal encode");
  out.append(reinterpret_cast<const char*>(buf->data()), static_cast<size_t>(buf->size()));
  return out;
}

Result<std::pair<std::string, std::shared_ptr<arrow::Table>>> DecodeWalPayload(const std::string& payload) {
  if (payload.size() < 4) return Status::Corruption("WAL record too short");
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(payload[i]);
  if (payload.size() < 4 + static_cast<size_t>(n)) return Status::Corruption("WAL record key runs past its end");
  std::string key = payload.substr(4, n);
  auto buf = std::make_shared<arrow::Buffer>(reinterpret_cast<const uint8_t*>(payload.data()) + 4 + n,
                                             static_cast<int64_t>(payload.size() - 4 - n));
  auto in = std::make_shared<arrow::io::BufferReader>(buf);
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto reader, arrow::ipc::RecordBatchStreamReader::Open(in), "WAL record");
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto table, reader->ToTable(), "WAL record");
  // ToTable references the payload's memory: copy so the record can be freed.
  SYSTORE_ASSIGN_OR_RAISE_ARROW(table, table->CombineChunks(), "WAL record");
  std::vector<std::shared_ptr<arrow::Array>> cols;
  for (const auto& c : table->columns()) {
    SYSTORE_ASSIGN_OR_RAISE_ARROW(auto copy, arrow::Concatenate(c->chunks()), "WAL record");
    cols.push_back(copy);
  }
  return std::make_pair(std::move(key), arrow::Table::Make(table->schema()->RemoveMetadata(), cols, table->num_rows()));
}

// Called with the writer lock held and every record flushed to Parquet.
void RemoveWalSegments(const std::string& wal_dir, int64_t archive_retention_ms) {
  auto names = ListDirectory(wal_dir);
  if (!names.ok()) return;
  for (const auto& n : *names) {
    if (n.size() > 4 && n.substr(n.size() - 4) == ".wal")
      (void)(archive_retention_ms > 0 ? ArchiveWalSegment(wal_dir, n, archive_retention_ms)
                                      : RemoveFile(wal_dir + "/" + n));
  }
}

}  // namespace

Timestamp WalPayloadAppendedAt(const std::string& payload) {
  if (payload.size() < 4) return 0;
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(payload[i]);
  if (payload.size() < 4 + static_cast<size_t>(n)) return 0;
  auto buf = std::make_shared<arrow::Buffer>(reinterpret_cast<const uint8_t*>(payload.data()) + 4 + n,
                                             static_cast<int64_t>(payload.size() - 4 - n));
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(std::make_shared<arrow::io::BufferReader>(buf));
  if (!reader.ok() || !(*reader)->schema()->metadata()) return 0;
  auto v = (*reader)->schema()->metadata()->Get(kAppendedAtKey);
  Timestamp t = 0;
  if (v.ok()) std::from_chars(v->data(), v->data() + v->size(), t);  // garbage reads as 0
  return t;
}

std::vector<RecoveryReport> TimeSeriesStoreImpl::RecoveryReports() {
  std::lock_guard<std::mutex> lock(reports_mu_);
  return reports_;
}

Result<uint64_t> TimeSeriesStoreImpl::ReplayWal(Dataset* ds) {
  const std::string wal_dir = ds->log.dataset_dir() + "/_wal";
  SYSTORE_ASSIGN_OR_RAISE(WalReadResult read, ReadWal(wal_dir));
  uint64_t flushed = 0;
  std::shared_ptr<const DatasetState> state;
  auto latest = LatestState(ds);
  if (latest.ok()) {
    state = *latest;
    flushed = state->wal_flushed_seq;
  } else if (!latest.status().IsNotFound()) {
    return latest.status();
  }
  RecoveryReport report;
  report.dataset = ds->name;
  report.bytes_cut = read.bytes_cut;
  report.cut_reason = read.cut_reason;
  uint64_t max_seq = flushed;
  for (const auto& rec : read.records) {
    max_seq = std::max(max_seq, rec.seq);
    if (rec.seq <= flushed) continue;  // already in Parquet (flushed before the crash)
    SYSTORE_ASSIGN_OR_RAISE(auto decoded, DecodeWalPayload(rec.payload));
    auto& [key, table] = decoded;
    Timestamp last = kMinTimestamp;
    if (state) {
      auto it = state->files.find(key);
      if (it != state->files.end()) last = it->second.back().max_ts;
    }
    Timestamp tail_last;
    if (ds->mem->LastTimestamp(key, &tail_last)) last = std::max(last, tail_last);
    // Ticks may repeat the last timestamp (each record is replayed once: seq > flushed).
    const bool ticks = state && state->meta.options.kind == SeriesKind::kTicks;
    const Timestamp from = last == kMinTimestamp ? kMinTimestamp : (ticks ? last : last + 1);
    SYSTORE_ASSIGN_OR_RAISE(auto newer, SliceByTime(table, from, kMaxTimestamp));
    if (newer->num_rows() == 0) continue;
    ds->mem->Add(key, newer);
    ++report.records_replayed;
    report.rows_replayed += newer->num_rows();
  }
  if (!read.cut_segment.empty()) {
    // Cut the torn tail for good, so it can never be read as data later.
    std::string path = wal_dir + "/" + read.cut_segment;
    if (::truncate(path.c_str(), read.cut_offset) != 0) return Status::IOError("truncate " + path);
    SYSTORE_RETURN_NOT_OK(FsyncPath(path));
  }
  if (report.records_replayed > 0 || report.bytes_cut > 0 || !report.cut_reason.empty()) {
    std::fprintf(
        stderr, "systore: dataset '%s': replayed %lld write-ahead-log records (%lld rows)%s%s\n", ds->name.c_str(),
        static_cast<long long>(report.records_replayed), static_cast<long long>(report.rows_replayed),
        report.cut_reason.empty() ? "" : "; cut ",
        report.cut_reason.empty() ? "" : (std::to_string(report.bytes_cut) + " bytes: " + report.cut_reason).c_str());
    std::lock_guard<std::mutex> lock(reports_mu_);
    reports_.push_back(report);
  }
  return max_seq + 1;
}

Status TimeSeriesStoreImpl::EnsureWriter(Dataset* ds) {
  if (ds->writing.load()) return Status::OK();
  std::lock_guard<std::mutex> lock(ds->writer_mu);
  if (ds->writing.load()) return Status::OK();
  SYSTORE_ASSIGN_OR_RAISE(ds->lock, WriterLock::Acquire(ds->log.dataset_dir() + "/_wal", "dataset '" + ds->name + "'"));
  auto next = ReplayWal(ds);
  if (!next.ok()) {
    ds->lock.reset();
    return next.status();
  }
  auto wal = WalWriter::Open(ds->log.dataset_dir() + "/_wal", *next, options_.wal.segment_bytes,
                             [this, ds](const std::vector<uint64_t>& seqs) {
                               std::shared_ptr<Memtable> mem;
                               {
                                 std::lock_guard<std::mutex> l(ds->state_mu);
                                 mem = ds->mem;
                               }
                               std::lock_guard<std::mutex> l(ds->pending_mu);
                               for (uint64_t seq : seqs) {
                                 auto it = ds->pending.find(seq);
                                 if (it == ds->pending.end()) continue;
                                 mem->Add(it->second.first, std::move(it->second.second));
                                 ds->pending.erase(it);
                               }
                             },
                             ArchiveRetentionMs());
  if (!wal.ok()) {
    ds->lock.reset();
    return wal.status();
  }
  ds->wal = std::move(wal).MoveValueUnsafe();
  ds->writing = true;
  return Status::OK();
}

void TimeSeriesStoreImpl::RecoverIfAbandoned(Dataset* ds) {
  auto names = ListDirectory(ds->log.dataset_dir() + "/_wal");
  if (!names.ok()) return;
  bool has_segments = false;
  for (const auto& n : *names) has_segments |= n.size() > 4 && n.substr(n.size() - 4) == ".wal";
  if (!has_segments) return;
  // A live writer elsewhere holds the lock: its log is its business.
  Status st = EnsureWriter(ds);
  if (!st.ok()) return;
  st = FlushDataset(ds, false);
  if (!st.ok()) {
    std::fprintf(stderr, "systore: dataset '%s': flushing the recovered log failed: %s\n", ds->name.c_str(),
                 st.ToString().c_str());
  }
  // Stay the writer only if asked to write later: give the lock back now.
  std::lock_guard<std::mutex> lock(ds->writer_mu);
  if (st.ok() && ds->mem->rows() == 0) {
    ds->wal.reset();
    ds->writing = false;
    RemoveWalSegments(ds->log.dataset_dir() + "/_wal", ArchiveRetentionMs());  // every record is in Parquet
    ds->lock.reset();
  }
}

Result<WriteResult> TimeSeriesStoreImpl::AppendThroughWal(Dataset* ds, const std::string& key,
                                                          std::shared_ptr<arrow::Table> data) {
  SYSTORE_RETURN_NOT_OK(EnsureWriter(ds));
  // Tell the log a record is coming, so a leader about to fsync can wait for it.
  ds->wal->NoteIncoming();
  bool noted = true;
  struct CancelUnlessQueued {
    WalWriter* wal;
    bool* noted;
    ~CancelUnlessQueued() {
      if (*noted) wal->CancelIncoming();
    }
  } cancel{ds->wal.get(), &noted};
  // This process is the only writer, so its own state is current: no log check needed.
  std::shared_ptr<const DatasetState> state;
  {
    std::lock_guard<std::mutex> l(ds->state_mu);
    state = ds->state;
  }
  if (!state) {
    SYSTORE_ASSIGN_OR_RAISE(state, LatestState(ds));
  }
  std::vector<SeriesColumnSpec> columns = state->meta.columns;
  auto where = [&](const Status& st) { return st.WithContext("dataset '" + ds->name + "', key '" + key + "'"); };
  auto norm = NormalizeSeries(std::move(data), state->meta.options.kind, &columns);
  if (!norm.ok()) return where(norm.status());
  WriteResult result;
  if ((*norm)->num_rows() == 0) return result;
  std::vector<Timestamp> ts = TimestampsOf(**norm);
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(ds->append_mu);
    Timestamp last = kMinTimestamp;
    auto it = ds->last_accepted.find(key);
    if (it != ds->last_accepted.end()) {
      last = it->second;
    } else {
      std::lock_guard<std::mutex> l(ds->state_mu);
      auto f = ds->state->files.find(key);
      if (f != ds->state->files.end()) last = f->second.back().max_ts;
      Timestamp t;
      if (ds->imm && ds->imm->LastTimestamp(key, &t)) last = std::max(last, t);
      if (ds->mem->LastTimestamp(key, &t)) last = std::max(last, t);
    }
    const bool ticks = state->meta.options.kind == SeriesKind::kTicks;  // may repeat the last time
    if (ts.front() < last || (ts.front() == last && !ticks)) {
      return where(Status::InvalidArgument("append: first row " + FormatTimestamp(ts.front()) +
                                           " is not after the last stored row " + FormatTimestamp(last) +
                                           " (use merge to combine overlapping data)"));
    }
    SYSTORE_ASSIGN_OR_RAISE(std::string payload, EncodeWalPayload(key, **norm));
    seq = ds->wal->next_seq();
    {
      std::lock_guard<std::mutex> l(ds->pending_mu);
      ds->pending[seq] = {key, *norm};
    }
    ds->wal->Enqueue(std::move(payload), /*was_noted=*/true);
    noted = false;
    ds->last_accepted[key] = ts.back();
  }
  SYSTORE_RETURN_NOT_OK(where(ds->wal->WaitDurable(seq)));
  result.rows_added = static_cast<int64_t>(ts.size());
  if (ds->mem->rows() >= options_.wal.flush_rows) flush_loop_cv_.notify_one();
  return result;
}

Status TimeSeriesStoreImpl::Flush(const std::string& dataset) {
  SYSTORE_ASSIGN_OR_RAISE(Dataset * ds, GetDataset(dataset));
  if (!ds->writing.load()) {
    // Not our dataset to write: recovering a dead writer's log needs the lock.
    if (!PathExists(ds->log.dataset_dir() + "/_wal")) return Status::OK();
    SYSTORE_RETURN_NOT_OK(EnsureWriter(ds));
  }
  return FlushDataset(ds, false);
}

Status TimeSeriesStoreImpl::FlushDataset(Dataset* ds, bool append_mu_held) {
  std::lock_guard<std::mutex> flush_lock(ds->flush_mu);
  if (!ds->writing.load()) return Status::OK();
  std::shared_ptr<Memtable> imm;
  uint64_t next_seq;
  {
    std::unique_lock<std::mutex> append_lock(ds->append_mu, std::defer_lock);
    if (!append_mu_held) append_lock.lock();
    SYSTORE_ASSIGN_OR_RAISE(next_seq, ds->wal->Rotate());  // all enqueued rows are now in mem
    std::lock_guard<std::mutex> l(ds->state_mu);
    if (ds->mem->rows() == 0) {
      imm = nullptr;
    } else {
      ds->imm = ds->mem;
      ds->mem = std::make_shared<Memtable>();
      imm = ds->imm;
    }
  }
  if (imm) {
    std::vector<SeriesUpdate> updates;
    for (const auto& key : imm->Keys()) {
      SeriesUpdate u;
      u.op = SeriesUpdate::Op::kAppend;
      u.key = key;
      u.data = imm->Get(key);
      if (!u.data) return Status::Internal("memtable lost the rows of '" + key + "'");
      updates.push_back(std::move(u));
    }
    auto r = ApplyCommitted(ds, std::move(updates), "APPEND", next_seq - 1);
    if (!r.ok()) {
      std::lock_guard<std::mutex> l(ds->state_mu);
      ds->mem->PrependFrom(*ds->imm);
      ds->imm.reset();
      return r.status().WithContext("flush of dataset '" + ds->name + "'");
    }
  }
  return ds->wal->DeleteSegmentsBefore(next_seq);
}

void TimeSeriesStoreImpl::FlushLoop() {
  std::unique_lock<std::mutex> lock(flush_loop_mu_);
  while (!stopping_) {
    flush_loop_cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (stopping_) break;
    lock.unlock();
    std::vector<Dataset*> all;
    {
      std::lock_guard<std::mutex> l(datasets_mu_);
      for (auto& [name, ds] : datasets_) all.push_back(ds.get());
    }
    for (Dataset* ds : all) {
      if (!ds->writing.load()) continue;
      int64_t rows = ds->mem->rows();
      if (rows == 0) continue;
      int64_t age_ms = (Now() - ds->mem->first_add_time()) / 1'000'000;
      if (rows >= options_.wal.flush_rows || age_ms >= options_.wal.flush_age_ms) {
        Status st = FlushDataset(ds, false);
        if (!st.ok()) std::fprintf(stderr, "systore: background flush: %s\n", st.ToString().c_str());
      }
    }
    lock.lock();
  }
}

TimeSeriesStoreImpl::~TimeSeriesStoreImpl() {
  {
    std::lock_guard<std::mutex> lock(flush_loop_mu_);
    stopping_ = true;
  }
  flush_loop_cv_.notify_all();
  if (flush_thread_.joinable()) flush_thread_.join();
  std::lock_guard<std::mutex> l(datasets_mu_);
  for (auto& [name, ds] : datasets_) {
    if (!ds->writing.load()) continue;
    bool flushed = false;
    if (options_.wal.flush_on_close) {
      Status st = FlushDataset(ds.get(), false);
      if (!st.ok()) std::fprintf(stderr, "systore: flush on close of '%s': %s\n", name.c_str(), st.ToString().c_str());
      flushed = st.ok() && ds->mem->rows() == 0;
    }
    ds->wal.reset();
    ds->writing = false;
    if (flushed) RemoveWalSegments(ds->log.dataset_dir() + "/_wal", ArchiveRetentionMs());
    ds->lock.reset();
  }
}

}  // namespace systore
