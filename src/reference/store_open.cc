#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/file_util.h"
#include "reference/store_impl.h"

namespace systore {

ReferenceSnapshot::ReferenceSnapshot(int64_t version, Timestamp time,
                                     std::vector<std::shared_ptr<const ReferenceTable>> tables)
    : version_(version), time_(time), tables_(std::move(tables)) {}

const ReferenceTable* ReferenceSnapshot::table(std::string_view name) const {
  for (const auto& t : tables_)
    if (t->name() == name) return t.get();
  return nullptr;
}

std::shared_ptr<const ReferenceTable> ReferenceSnapshot::shared_table(std::string_view name) const {
  for (const auto& t : tables_)
    if (t->name() == name) return t;
  return nullptr;
}

Result<std::unique_ptr<ReferenceStore>> ReferenceStore::Open(const ReferenceStoreOptions& options) {
  if (options.root.empty()) return Status::InvalidArgument("ReferenceStoreOptions.root is empty");
  auto store = std::make_unique<reference_internal::ReferenceStoreImpl>(options);
  SYSTORE_RETURN_NOT_OK(store->Init());
  return std::unique_ptr<ReferenceStore>(std::move(store));
}

namespace reference_internal {
namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<FileLock> FileLock::Acquire(const std::string& path, bool exclusive, Timestamp timeout) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("open lock file '" + path + "': " + std::strerror(errno));
  const int64_t deadline = SteadyNanos() + timeout;
  while (::flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int err = errno;
      ::close(fd);
      return Status::IOError("flock '" + path + "': " + std::strerror(err));
    }
    if (SteadyNanos() > deadline) {
      ::close(fd);
      return Status::Unavailable("reference store is locked by another writer ('" + path + "'); gave up after " +
                                 std::to_string(timeout / kNanosPerSecond) + " s");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

ReferenceStoreImpl::ReferenceStoreImpl(ReferenceStoreOptions options)
    : options_(std::move(options)), dir_(options_.root + "/reference") {
  snapshot_ = MakeSnapshot(state_);
}

Result<FileLock> ReferenceStoreImpl::LockExclusive() const {
  return FileLock::Acquire(dir_ + "/" + kLockFileName, true, options_.lock_timeout);
}

Status ReferenceStoreImpl::Init() {
  if (!PathExists(dir_)) {
    if (!options_.create_if_missing) return Status::NotFound("no reference store at '" + dir_ + "'");
    SYSTORE_RETURN_NOT_OK(CreateDirectories(dir_));
  }
  if (NeedsRecovery()) {
    SYSTORE_ASSIGN_OR_RAISE(auto lock, LockExclusive());
    SYSTORE_RETURN_NOT_OK(Recover());
  }
  std::lock_guard<std::mutex> g(mu_);
  Status st = RefreshLocked();
  if (!st.ok() && st.IsCorruption() && options_.allow_corrupt_log) return Status::OK();
  return st;
}

bool ReferenceStoreImpl::NeedsRecovery() const {
  if (PathExists(dir_ + "/" + kPendingFileName)) return true;
  int fd = ::open(LogPath().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool torn = false;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    char last = 0;
    torn = ::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
  }
  ::close(fd);
  return torn;
}

Status ReferenceStoreImpl::Recover() {
  // 1. A log line without its '\n' is an append cut short: the version was never
  //    acknowledged, so it is dropped.
  auto log = ReadFileToString(LogPath());
  if (log.ok() && !log->empty() && log->back() != '\n') {
    size_t keep = log->rfind('\n');
    keep = keep == std::string::npos ? 0 : keep + 1;
    if (::truncate(LogPath().c_str(), static_cast<off_t>(keep)) != 0) {
      return Status::IOError("truncate torn tail of '" + LogPath() + "': " + std::strerror(errno));
    }
    SYSTORE_RETURN_NOT_OK(FsyncPath(LogPath()));
  }
  // 2. PENDING names the version in flight and its tables. If the log has it, the writer
  //    died after committing; otherwise put the files back to the committed version.
  const std::string pending_path = dir_ + "/" + kPendingFileName;
  auto pending = ReadFileToString(pending_path);
  if (!pending.ok()) return pending.status().IsNotFound() ? Status::OK() : pending.status();
  std::lock_guard<std::mutex> g(mu_);
  // Re-read from scratch: the log may have been truncated under us.
  state_ = LogState();
  entries_.clear();
  log_offset_ = 0;
  SYSTORE_RETURN_NOT_OK(RefreshLocked());
  int64_t version = 0;
  std::vector<std::string> tables;
  try {
    auto j = nlohmann::json::parse(*pending);
    version = j.at("version").get<int64_t>();
    tables = j.at("tables").get<std::vector<std::string>>();
  } catch (const std::exception& e) {
    return Status::Corruption(pending_path + ": " + e.what());
  }
  if (version > state_.version) {
    for (const auto& t : tables) {
      auto it = state_.tables.find(t);
      if (it == state_.tables.end()) {
        SYSTORE_RETURN_NOT_OK(RemoveFile(TablePath(t)));
        continue;
      }
      std::string csv = it->second->ToCsv();
      auto on_disk = ReadFileToString(TablePath(t));
      if (!on_disk.ok() || *on_disk != csv) SYSTORE_RETURN_NOT_OK(ReplaceFileAtomically(TablePath(t), csv));
    }
  }
  SYSTORE_RETURN_NOT_OK(RemoveFile(pending_path));
  return FsyncPath(dir_);
}

Status ReferenceStoreImpl::RefreshLocked() {
  int fd = ::open(LogPath().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::OK();
    return Status::IOError("open '" + LogPath() + "': " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IOError("stat '" + LogPath() + "': " + std::strerror(errno));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if ((log_inode_ != 0 && st.st_ino != log_inode_) || size < log_offset_) {
    // The log was replaced or shrank (only recovery truncates, and only past log_offset_):
    // start over.
    state_ = LogState();
    entries_.clear();
    log_offset_ = 0;
  }
  log_inode_ = st.st_ino;
  if (size == log_offset_) {
    ::close(fd);
    return Status::OK();
  }
  std::string buf(size - log_offset_, '\0');
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(log_offset_ + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  buf.resize(got);
  // Only whole lines: a line without '\n' is being written (or was torn by a crash).
  size_t start = 0;
  int64_t line_no = static_cast<int64_t>(entries_.size());
  Status result;
  while (true) {
    size_t eol = buf.find('\n', start);
    if (eol == std::string::npos) break;
    ++line_no;
    std::string where = LogPath() + " line " + std::to_string(line_no);
    auto e = DecodeEntry(std::string_view(buf).substr(start, eol - start), where, nullptr);
    if (!e.ok()) {
      result = e.status().WithContext("run `systore ref verify`");
      break;
    }
    Status st = ApplyEntry(&state_, *e, where, /*check_hash=*/false);
    if (!st.ok()) {
      result = st.WithContext("run `systore ref verify`");
      break;
    }
    entries_.push_back(std::move(*e));
    start = eol + 1;
  }
  log_offset_ += start;
  snapshot_ = MakeSnapshot(state_);
  return result;
}

std::shared_ptr<const ReferenceSnapshot> ReferenceStoreImpl::MakeSnapshot(const LogState& state) const {
  std::vector<std::shared_ptr<const ReferenceTable>> tables;
  for (const auto& [name, t] : state.tables) tables.push_back(t);
  return std::make_shared<const ReferenceSnapshot>(state.version, state.time, std::move(tables));
}

Status ReferenceStoreImpl::Refresh() {
  next_refresh_.store(SteadyNanos() + options_.refresh_interval, std::memory_order_relaxed);
  std::lock_guard<std::mutex> g(mu_);
  return RefreshLocked();
}

std::shared_ptr<const ReferenceSnapshot> ReferenceStoreImpl::Current() {
  if (options_.refresh_interval == 0 || SteadyNanos() >= next_refresh_.load(std::memory_order_relaxed)) {
    (void)Refresh();  // a bad entry keeps the last good version; Verify reports it
  }
  std::lock_guard<std::mutex> g(mu_);
  return snapshot_;
}

}  // namespace reference_internal
}  // namespace systore
