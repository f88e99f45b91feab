// StreamIngest: the live-data pipeline.
//
//   Push(record) --> bounded queue per worker (backpressure: Push blocks while full)
//                --> transform (optional, per dataset)
//                --> quality gate (validators with the series' recent rows as the seam;
//                    rows kept out go to the quarantine)
//                --> TimeSeriesStore::Append (the durable write-ahead-log tail)
//                --> triggers registered for the dataset
//
// Records of one series always go to the same worker, so they are appended in push
// order; a worker appends everything it has for a series at once (group commit).
// A record that fails in processing (transform error, append error) is never lost: it
// goes to the dead-letter area with the error,
//
//   <root>/_quality/deadletter/<N>.arrow   the record's rows (Arrow IPC)
//   <root>/_quality/deadletter/<N>.json    dataset, key, stage, error, time
//
// and validation problems go to the quarantine (systore/quarantine.h). A trigger's
// error is recorded in the dead-letter area too (stage "trigger"); the rows stay stored.
//
// Thread-safety: Push/TryPush from any number of threads; register transforms and
// triggers before the first Push.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "systore/quality.h"
#include "systore/result.h"
#include "systore/timeseries_store.h"

namespace arrow {
class Table;
}

namespace systore {

/// Rows of one series arriving together (a tick, a bar, a burst of either).
struct StreamRecord {
  std::string dataset;
  std::string key;
  /// ts + value columns, sorted.
  std::shared_ptr<arrow::Table> rows;
  /// When the event was created at the source (for latency), ns since the epoch.
  Timestamp created = 0;
};

/// What a trigger is told after rows became visible.
struct TriggerEvent {
  std::string dataset;
  std::string key;
  int64_t rows = 0;
  Timestamp first = 0;
  Timestamp last = 0;
  /// The `created` time of each record the rows came from.
  std::vector<Timestamp> created;
};

using StreamTransform = std::function<Result<std::shared_ptr<arrow::Table>>(const StreamRecord&)>;
using StreamTrigger = std::function<Status(const TriggerEvent&)>;

struct StreamIngestOptions {
  /// Store root (quarantine, dead letters and quality.json live there).
  std::string root;
  /// Worker threads; each owns a queue and the series hashed to it.
  int workers = 2;
  /// Records each worker's queue holds before Push blocks.
  int64_t queue_capacity = 1024;
  /// Validate through the quality gate (off: append as received).
  bool validate = true;
  /// Recent rows kept per series as the seam for the spike and gap rules.
  int64_t history_rows = 600;
};

struct StreamStats {
  int64_t records_in = 0;
  int64_t rows_in = 0;
  int64_t rows_appended = 0;
  int64_t rows_quarantined = 0;
  int64_t records_dead_lettered = 0;
  int64_t trigger_errors = 0;
  int64_t appends = 0;     // Append calls (each a group of records)
  int64_t push_waits = 0;  // pushes that blocked on a full queue
};

class StreamIngest {
 public:
  /// Starts the workers. `store` must outlive the pipeline; it is opened by the caller so
  /// that readers in the same process see appended rows at once.
  static Result<std::unique_ptr<StreamIngest>> Open(const StreamIngestOptions& options, TimeSeriesStore* store);
  /// Drains and stops (as Close).
  virtual ~StreamIngest() = default;

  /// Sets the transform applied to `dataset`'s records before validation.
  virtual void SetTransform(const std::string& dataset, StreamTransform transform) = 0;
  /// Adds a callback run after rows of `dataset` were appended ("" = every dataset).
  virtual void AddTrigger(const std::string& dataset, StreamTrigger trigger) = 0;

  /// Queues a record, blocking while the worker's queue is full (backpressure).
  /// Unavailable after Close; InvalidArgument for a record without rows or key.
  virtual Status Push(StreamRecord record) = 0;
  /// Queues a record or returns Unavailable at once when the queue is full.
  virtual Status TryPush(StreamRecord record) = 0;
  /// Waits until every queued record has been processed.
  virtual Status Drain() = 0;
  /// Drains, stops the workers and flushes nothing (the store's WAL keeps the rows).
  virtual Status Close() = 0;

  virtual StreamStats stats() const = 0;
};

/// A record in the dead-letter area.
struct DeadLetter {
  int64_t id = 0;
  std::string dataset;
  std::string key;
  std::string stage;  // transform, validate, append, trigger
  std::string error;
  Timestamp time = 0;
  int64_t rows = 0;
};

/// Dead letters under <root>, oldest first.
Result<std::vector<DeadLetter>> ListDeadLetters(const std::string& root);

}  // namespace systore
