// Quarantine: rows the quality gate kept out of the store, with the findings that sent
// them there, and an append-only audit trail of what humans decided about them.
//
//   <root>/_quality/quarantine/<ID>/rows.arrow      Arrow IPC file: ts + value columns +
//                                                   _row (batch row index, -1: unknown)
//   <root>/_quality/quarantine/<ID>/raw.txt         unparsable source lines, when any
//   <root>/_quality/quarantine/<ID>/entry.json      dataset, key, source, created, reason,
//                                                   findings, fingerprint
//   <root>/_quality/fingerprints/<sha256>          the id of the entry with that content
//   <root>/_quality/audit.jsonl                     one JSON line per decision: time,
//                                                   actor, action (quarantine|release|drop),
//                                                   id, reason, rows written
//
// IDs are 1, 2, 3, ... (created with mkdir, so concurrent processes never share one).
// An entry's files never change after creation; its status (pending, released, dropped)
// is the last decision about it in the audit trail. A put whose rows and rules equal a
// pending entry's (a re-run of the same import) returns that entry instead of a copy.
//
// Thread-safety: all methods may be called from several threads and processes.
#pragma once

#include <cstdint>
#include <map>
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

struct QuarantineEntry {
  int64_t id = 0;
  std::string dataset;
  std::string key;
  std::string source;  // file or feed the rows came from
  Timestamp created = 0;
  /// "rows" (some rows of a batch) or "batch" (a whole rejected batch).
  std::string scope;
  /// Why: the policy decision, e.g. "policy quarantine: 2 error findings".
  std::string reason;
  int64_t rows = 0;
  /// "pending", "released" or "dropped".
  std::string status = "pending";
  std::vector<Finding> findings;
  /// Text of source lines that could not be parsed ("line N: ..."), kept whole in
  /// <ID>/raw.txt. Not loaded by List; Get loads them.
  std::vector<std::string> raw_lines;
};

/// One line of the audit trail.
struct QuarantineDecision {
  Timestamp time = 0;
  std::string actor;
  std::string action;  // quarantine, release, drop
  int64_t id = 0;
  std::string reason;
  int64_t rows_written = 0;
};

struct QuarantineOptions {
  /// The time-series store's root; the quarantine lives in <root>/_quality/quarantine.
  std::string root;
};

class Quarantine {
 public:
  /// Opens (creating the folders) the quarantine of the store at `options.root`.
  static Result<std::unique_ptr<Quarantine>> Open(const QuarantineOptions& options);
  virtual ~Quarantine() = default;

  /// Keeps `rows` (ts + value columns; a "_row" int64 column is added from
  /// `row_indices` when given) with their findings; records "quarantine" in the audit
  /// trail. Returns the entry's id (an existing pending entry's id for an identical put).
  virtual Result<int64_t> Put(const QuarantineEntry& entry, const std::shared_ptr<arrow::Table>& rows,
                              const std::vector<int64_t>& row_indices) = 0;
  /// Entries (with findings), oldest first; `status` filters ("" = all).
  virtual Result<std::vector<QuarantineEntry>> List(const std::string& status = "") = 0;
  /// NotFound for an unknown id.
  virtual Result<QuarantineEntry> Get(int64_t id) = 0;
  /// The kept rows (with the _row column).
  virtual Result<std::shared_ptr<arrow::Table>> ReadRows(int64_t id) = 0;
  /// Writes the rows of a pending entry into `store` (Merge; kFillGaps keeps stored rows,
  /// kOverwrite replaces them), one commit, without validation: the human decided.
  /// Records "release" with the actor and the rows written. Conflict when not pending.
  virtual Result<WriteResult> Release(int64_t id, TimeSeriesStore* store, const std::string& actor,
                                      MergeMode mode = MergeMode::kFillGaps) = 0;
  /// Marks a pending entry dropped (its files stay for the record). The reason is
  /// required (InvalidArgument when empty). Conflict when not pending.
  virtual Status Drop(int64_t id, const std::string& actor, const std::string& reason) = 0;
  /// The audit trail, oldest first.
  virtual Result<std::vector<QuarantineDecision>> Audit() = 0;
  /// Rows of `dataset` already decided against: those in pending or dropped entries, per
  /// key, as (ts, text of the row's values). Batch ingest skips incoming rows identical to
  /// one of them, so re-running an import neither re-judges nor re-quarantines them (a
  /// corrected row with the same timestamp is judged again).
  virtual Result<std::map<std::string, std::multimap<Timestamp, std::string>>> KeptRows(const std::string& dataset) = 0;
};

}  // namespace systore
