#include "core/file_util.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

namespace systore {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " '" + path + "': " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg);
  if (err == EEXIST) return Status::AlreadyExists(msg);
  return Status::IOError(msg);
}

std::string ParentOf(const std::string& path) {
  auto p = std::filesystem::path(path).parent_path();
  return p.empty() ? "." : p.string();
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    off += static_cast<size_t>(n);
  }
  return Status::OK();
}

Status WriteSyncClose(const std::string& path, std::string_view data, int flags) {
  int fd = ::open(path.c_str(), flags | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  Status st = WriteAll(fd, data, path);
  if (st.ok() && ::fsync(fd) != 0) st = ErrnoStatus("fsync", path, errno);
  if (::close(fd) != 0 && st.ok()) st = ErrnoStatus("close", path, errno);
  return st;
}

}  // namespace

Result<std::string> ReadFileToString(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  std::string out;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoStatus("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status FsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  Status st;
  if (::fsync(fd) != 0) st = ErrnoStatus("fsync", path, errno);
  ::close(fd);
  return st;
}

Status WriteFileDurably(const std::string& path, std::string_view data) {
  SYSTORE_RETURN_NOT_OK(WriteSyncClose(path, data, O_CREAT | O_TRUNC));
  return FsyncPath(ParentOf(path));
}

Status CreateFileExclusive(const std::string& path, std::string_view data) {
  std::string tmp = ParentOf(path) + "/.tmp-" + RandomHexId();
  if (Status st = WriteSyncClose(tmp, data, O_CREAT | O_EXCL); !st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) return ErrnoStatus("create", path, err);
  return FsyncPath(ParentOf(path));
}

Status ReplaceFileAtomically(const std::string& path, std::string_view data) {
  std::string tmp = ParentOf(path) + "/.tmp-" + RandomHexId();
  if (Status st = WriteSyncClose(tmp, data, O_CREAT | O_EXCL); !st.ok()) {
    ::unlink(tmp.c_str());  // a failed write (a full disk) leaves no temporary behind
    return st;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus("rename to", path, err);
  }
  return FsyncPath(ParentOf(path));
}

Status CreateDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Status::IOError("create directory '" + path + "': " + ec.message());
  return Status::OK();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::vector<std::string>> ListDirectory(const std::string& path) {
  std::error_code ec;
  std::vector<std::string> out;
  std::filesystem::directory_iterator it(path, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return Status::NotFound("directory '" + path + "' does not exist");
    return Status::IOError("list '" + path + "': " + ec.message());
  }
  for (const auto& entry : it) out.push_back(entry.path().filename().string());
  return out;
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("remove", path, errno);
  return Status::OK();
}

std::string RandomHexId() {
  thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<uint64_t>(::getpid()) << 32)};
  static const char* kHex = "0123456789abcdef";
  std::string out(32, '0');
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) {
    out[i] = kHex[(a >> (i * 4)) & 0xf];
    out[16 + i] = kHex[(b >> (i * 4)) & 0xf];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char c : digest) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

}  // namespace systore
