// The write-ahead log of one dataset: durable, group-committed appends and recovery.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "systore/result.h"
#include "systore/time.h"

namespace systore {

/// A record read back from the log.
struct WalRecord {
  uint64_t seq = 0;
  std::string payload;
};

/// What reading a log found, including what it had to cut.
struct WalReadResult {
  std::vector<WalRecord> records;
  std::vector<std::string> segments;  // file names read, oldest first
  int64_t bytes_cut = 0;              // bytes after the last good record in the last segment
  std::string cut_reason;             // empty when the log ended cleanly
  std::string cut_segment;            // file name of the segment that was cut
  int64_t cut_offset = 0;             // where its last good record ends
};

/// Reads every segment in `wal_dir` in order. A torn or corrupt record ends the log.
Result<WalReadResult> ReadWal(const std::string& wal_dir);

/// A segment's file name: its first sequence number in 20 digits, then ".wal".
std::string WalSegmentName(uint64_t first_seq);
/// True when `name` is a segment's file name; its first sequence number goes to *first_seq.
bool ParseWalSegmentName(std::string_view name, uint64_t* first_seq = nullptr);

/// Flushed segments kept for point-in-time recovery live in <wal_dir>/archive.
inline constexpr const char* kWalArchiveDir = "archive";
/// Bytes of a segment up to and including the all-zero header that ends its records
/// (a segment is preallocated; the rest was never written).
int64_t WalWrittenLength(std::string_view segment);
/// Moves segment `name` of `wal_dir` into the archive, cut to its written length, and
/// removes archived segments older than `retention_ms`.
Status ArchiveWalSegment(const std::string& wal_dir, const std::string& name, int64_t retention_ms);
/// Writes `records` (in seq order) as one segment file.
Status WriteWalSegment(const std::string& path, const std::vector<WalRecord>& records);
/// The time (ns) the store recorded when the record's rows were appended; 0 for records
/// written before systore kept it. (Implemented with the store's payload format.)
Timestamp WalPayloadAppendedAt(const std::string& payload);

/// Appends records durably. Many threads may call Append at once: one of them (the
/// leader) writes everything queued with one write and one fdatasync, then runs
/// `on_durable` for the batch in sequence order before any of their calls return.
class WalWriter {
 public:
  /// Longest a leader waits for announced records before writing (a commit delay, as in
  /// PostgreSQL's commit_delay): far below one fsync, so it only ever adds company.
  static constexpr int kCommitDelayMicros = 60;

  using DurableCallback = std::function<void(const std::vector<uint64_t>& seqs)>;

  /// Opens a new segment whose first record will have sequence `next_seq`.
  /// `archive_retention_ms` > 0: segments whose records are all flushed go to the
  /// archive (kept that long), not away.
  static Result<std::unique_ptr<WalWriter>> Open(const std::string& wal_dir, uint64_t next_seq, int64_t segment_bytes,
                                                 DurableCallback on_durable, int64_t archive_retention_ms = 0);
  ~WalWriter();

  /// Announces that the calling thread is preparing a record: a leader about to write
  /// waits briefly (at most kCommitDelayMicros) for announced records, so that they share
  /// its fsync. Every NoteIncoming is followed by Enqueue or CancelIncoming.
  void NoteIncoming();
  void CancelIncoming();
  /// Assigns the next sequence number and queues the record; does not wait. Ends a
  /// NoteIncoming when one is pending for this record.
  uint64_t Enqueue(std::string payload, bool was_noted = false);
  /// Waits until record `seq` is durable (or the log failed).
  Status WaitDurable(uint64_t seq);
  /// Starts a new segment; returns the first sequence number it will hold. Records
  /// before that are all durable when this returns.
  Result<uint64_t> Rotate();
  /// Deletes segments whose records all have seq < `seq`.
  Status DeleteSegmentsBefore(uint64_t seq);
  uint64_t next_seq() const;

 private:
  WalWriter(std::string dir, int64_t segment_bytes, DurableCallback cb, int64_t archive_retention_ms)
      : dir_(std::move(dir)),
        segment_bytes_(segment_bytes),
        on_durable_(std::move(cb)),
        archive_retention_ms_(archive_retention_ms) {}
  Status OpenSegment(uint64_t first_seq);
  Status WriteBatch(const std::vector<std::pair<uint64_t, std::string>>& batch);

  const std::string dir_;
  const int64_t segment_bytes_;
  DurableCallback on_durable_;
  const int64_t archive_retention_ms_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<uint64_t, std::string>> queue_;
  uint64_t next_seq_ = 1;
  int incoming_ = 0;          // records announced by NoteIncoming and not yet queued
  uint64_t durable_seq_ = 0;  // every seq <= this is durable
  bool leader_active_ = false;
  Status failed_;  // sticky: once a write fails, the log refuses further appends

  int fd_ = -1;
  int64_t offset_ = 0;
  std::vector<std::pair<uint64_t, std::string>> segments_;  // (first seq, file name)
};

}  // namespace systore
