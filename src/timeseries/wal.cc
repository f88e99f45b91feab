#include "timeseries/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/file_util.h"
#include "timeseries/wal_format.h"

namespace systore {
namespace {


std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82f63b78u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}


Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " '" + path + "': " + std::strerror(errno));
}

}  // namespace

uint32_t Crc32c(std::string_view data, uint32_t crc) {
  static const std::array<uint32_t, 256> kTable = MakeCrcTable();
  crc = ~crc;
  for (unsigned char c : data) crc = kTable[(crc ^ c) & 0xff] ^ (crc >> 8);
  return ~crc;
}

Result<WalReadResult> ReadWal(const std::string& wal_dir) {
  WalReadResult out;
  auto names = ListDirectory(wal_dir);
  if (!names.ok()) {
    if (names.status().IsNotFound()) return out;
    return names.status();
  }
  for (const auto& n : *names) {
    if (ParseWalSegmentName(n)) out.segments.push_back(n);
  }
  std::sort(out.segments.begin(), out.segments.end());
  for (size_t s = 0; s < out.segments.size(); ++s) {
    const bool last_segment = s + 1 == out.segments.size();
    const std::string path = wal_dir + "/" + out.segments[s];
    SYSTORE_ASSIGN_OR_RAISE(std::string data, ReadFileToString(path));
    size_t off = 0;
    std::string problem;
    while (true) {
      if (data.size() - off < kWalHeaderSize) {
        if (data.find_first_not_of('\0', off) != std::string::npos) problem = "truncated record header";
        break;
      }
      const char* h = data.data() + off;
      uint32_t crc = GetU32(h), len = GetU32(h + 4);
      uint64_t seq = GetU64(h + 8);
      if (crc == 0 && len == 0 && seq == 0) {  // end of the written part of the segment
        if (data.find_first_not_of('\0', off) != std::string::npos) problem = "garbage after the last record";
        break;
      }
      if (len > kWalMaxRecordBytes || data.size() - off - kWalHeaderSize < len) {
        problem = "record of " + std::to_string(len) + " bytes runs past the end of the file";
        break;
      }
      uint32_t actual = MaskCrc(Crc32c(std::string_view(h + kWalHeaderSize, len), Crc32c(std::string_view(h + 4, 12))));
      if (actual != crc) {
        problem = "checksum mismatch";
        break;
      }
      out.records.push_back({seq, std::string(h + kWalHeaderSize, len)});
      off += kWalHeaderSize + len;
    }
    if (!problem.empty()) {
      std::string where = path + " at byte " + std::to_string(off) + ": " + problem;
      if (!last_segment) {
        return Status::Corruption(where + " (not the last segment: acknowledged records would be lost)");
      }
      size_t end = data.find_last_not_of('\0');  // preallocated zeros are not data
      end = end == std::string::npos ? 0 : end + 1;
      out.bytes_cut = end > off ? static_cast<int64_t>(end - off) : 0;
      out.cut_reason = where;
      out.cut_segment = out.segments[s];
      out.cut_offset = static_cast<int64_t>(off);
    }
  }
  return out;
}

Result<std::unique_ptr<WalWriter>> WalWriter::Open(const std::string& wal_dir, uint64_t next_seq, int64_t segment_bytes,
                                                   DurableCallback on_durable, int64_t archive_retention_ms) {
  SYSTORE_RETURN_NOT_OK(CreateDirectories(wal_dir));
  std::unique_ptr<WalWriter> w(new WalWriter(wal_dir, segment_bytes, std::move(on_durable), archive_retention_ms));
  w->next_seq_ = next_seq;
  w->durable_seq_ = next_seq - 1;
  auto existing = ListDirectory(wal_dir);
  if (existing.ok()) {
    for (const auto& n : *existing) {
      if (uint64_t first; ParseWalSegmentName(n, &first)) w->segments_.emplace_back(first, n);
    }
    std::sort(w->segments_.begin(), w->segments_.end());
  }
  SYSTORE_RETURN_NOT_OK(w->OpenSegment(next_seq));
  return w;
}

WalWriter::~WalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status WalWriter::OpenSegment(uint64_t first_seq) {
  if (fd_ >= 0) ::close(fd_);
  std::string name = WalSegmentName(first_seq);
  std::string path = dir_ + "/" + name;
  fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return Errno("open", path);
  // Preallocate so each fdatasync only flushes data, not a growing file size.
  if (::posix_fallocate(fd_, 0, segment_bytes_) != 0) return Errno("preallocate", path);
  if (::fsync(fd_) != 0) return Errno("fsync", path);
  SYSTORE_RETURN_NOT_OK(FsyncPath(dir_));
  offset_ = 0;
  segments_.emplace_back(first_seq, name);
  return Status::OK();
}

// One record: crc | length | seq | payload (docs/formats/wal.md).
static void AppendRecord(std::string* buf, uint64_t seq, const std::string& payload) {
  std::string head;
  PutU32(head, static_cast<uint32_t>(payload.size()));
  PutU64(head, seq);
  uint32_t crc = MaskCrc(Crc32c(payload, Crc32c(head)));
  PutU32(*buf, crc);
  *buf += head;
  *buf += payload;
}

Status WalWriter::WriteBatch(const std::vector<std::pair<uint64_t, std::string>>& batch) {
  std::string buf;
  for (const auto& [seq, payload] : batch) AppendRecord(&buf, seq, payload);
  if (offset_ + static_cast<int64_t>(buf.size()) > segment_bytes_) {
    // Past the preallocated end: the file grows (rare; a rotation follows at flush).
    if (::ftruncate(fd_, offset_ + static_cast<int64_t>(buf.size())) != 0) return Errno("extend", dir_);
  }
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pwrite(fd_, buf.data() + done, buf.size() - done, offset_ + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", dir_);
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return Errno("fdatasync", dir_);
  offset_ += static_cast<int64_t>(buf.size());
  return Status::OK();
}

void WalWriter::NoteIncoming() {
  std::lock_guard<std::mutex> lock(mu_);
  ++incoming_;
}

void WalWriter::CancelIncoming() {
  std::lock_guard<std::mutex> lock(mu_);
  --incoming_;
  cv_.notify_all();
}

uint64_t WalWriter::Enqueue(std::string payload, bool was_noted) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t seq = next_seq_++;
  queue_.emplace_back(seq, std::move(payload));
  if (was_noted) {
    --incoming_;
    if (incoming_ == 0) cv_.notify_all();  // a leader may be waiting for exactly this
  }
  return seq;
}

Status WalWriter::WaitDurable(uint64_t seq) {
  std::unique_lock<std::mutex> lock(mu_);
  while (durable_seq_ < seq && failed_.ok()) {
    if (leader_active_) {
      cv_.wait(lock);
      continue;
    }
    // Become the leader: take everything queued, write it with one fdatasync. Records
    // other threads are preparing right now join the batch if they come quickly.
    leader_active_ = true;
    if (incoming_ > 0) {
      cv_.wait_for(lock, std::chrono::microseconds(kCommitDelayMicros), [&] { return incoming_ == 0; });
    }
    std::vector<std::pair<uint64_t, std::string>> batch(std::make_move_iterator(queue_.begin()),
                                                        std::make_move_iterator(queue_.end()));
    queue_.clear();
    lock.unlock();
    Status st = batch.empty() ? Status::OK() : WriteBatch(batch);
    std::vector<uint64_t> seqs;
    for (const auto& b : batch) seqs.push_back(b.first);
    if (st.ok() && !seqs.empty()) on_durable_(seqs);
    lock.lock();
    if (!st.ok()) {
      failed_ = st;
    } else if (!seqs.empty()) {
      durable_seq_ = seqs.back();
    }
    leader_active_ = false;
    cv_.notify_all();
  }
  if (durable_seq_ >= seq) return Status::OK();
  return failed_;
}

Result<uint64_t> WalWriter::Rotate() {
  uint64_t last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last = next_seq_ - 1;
  }
  SYSTORE_RETURN_NOT_OK(WaitDurable(last));
  std::unique_lock<std::mutex> lock(mu_);
  while (leader_active_) cv_.wait(lock);
  if (!failed_.ok()) return failed_;
  // Callers stop new Enqueue()s while rotating (they hold the dataset's append lock).
  // An empty segment is kept: a new one would have the same name.
  if (offset_ > 0) SYSTORE_RETURN_NOT_OK(OpenSegment(next_seq_));
  return next_seq_;
}

Status WalWriter::DeleteSegmentsBefore(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  // A segment may go when the next segment starts at or before `seq`.
  while (segments_.size() > 1 && segments_[1].first <= seq) {
    SYSTORE_RETURN_NOT_OK(archive_retention_ms_ > 0
                              ? ArchiveWalSegment(dir_, segments_[0].second, archive_retention_ms_)
                              : RemoveFile(dir_ + "/" + segments_[0].second));
    segments_.erase(segments_.begin());
  }
  return FsyncPath(dir_);
}

std::string WalSegmentName(uint64_t first_seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%020llu.wal", static_cast<unsigned long long>(first_seq));
  return buf;
}

bool ParseWalSegmentName(std::string_view name, uint64_t* first_seq) {
  if (name.size() != 24 || name.substr(20) != ".wal") return false;
  uint64_t v = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (first_seq) *first_seq = v;
  return true;
}

int64_t WalWrittenLength(std::string_view bytes) {
  size_t pos = 0;
  while (pos + kWalHeaderSize <= bytes.size()) {
    bool zero = true;
    for (size_t i = 0; i < kWalHeaderSize && zero; ++i) zero = bytes[pos + i] == 0;
    if (zero) break;
    uint32_t length;
    std::memcpy(&length, bytes.data() + pos + 4, sizeof length);
    if (length > kWalMaxRecordBytes) return static_cast<int64_t>(bytes.size());  // damaged: keep it all
    pos += kWalHeaderSize + length;
  }
  return static_cast<int64_t>(std::min(bytes.size(), pos + kWalHeaderSize));
}

Status ArchiveWalSegment(const std::string& wal_dir, const std::string& name, int64_t retention_ms) {
  const std::string archive = wal_dir + "/" + kWalArchiveDir;
  SYSTORE_RETURN_NOT_OK(CreateDirectories(archive));
  SYSTORE_ASSIGN_OR_RAISE(std::string bytes, ReadFileToString(wal_dir + "/" + name));
  bytes.resize(static_cast<size_t>(WalWrittenLength(bytes)));
  SYSTORE_RETURN_NOT_OK(ReplaceFileAtomically(archive + "/" + name, bytes));
  SYSTORE_RETURN_NOT_OK(RemoveFile(wal_dir + "/" + name));
  // Age out what no recovery is expected to need (a root that is never backed up).
  const time_t cutoff = static_cast<time_t>((Now() / 1'000'000 - retention_ms) / 1000);
  if (auto names = ListDirectory(archive); names.ok()) {
    for (const auto& n : *names) {
      struct stat st;
      const std::string path = archive + "/" + n;
      if (ParseWalSegmentName(n) && ::stat(path.c_str(), &st) == 0 && st.st_mtime < cutoff) (void)RemoveFile(path);
    }
  }
  return Status::OK();
}

Status WriteWalSegment(const std::string& path, const std::vector<WalRecord>& records) {
  std::string buf;
  for (const auto& r : records) AppendRecord(&buf, r.seq, r.payload);
  buf.append(kWalHeaderSize, '\0');
  return WriteFileDurably(path, buf);
}

uint64_t WalWriter::next_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_seq_;
}

}  // namespace systore
