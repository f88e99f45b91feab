// Test helpers shared by every module's tests (never used by the library itself).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/file_util.h"
#include "systore/result.h"

namespace systore::testing {

/// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "systore-test-")
      : path_((std::filesystem::temp_directory_path() / (prefix + RandomHexId())).string()) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Binds 127.0.0.1:`port` (0: any) for a moment; returns the port bound, or -1.
inline int BindLoopbackPort(int port = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof a;
  int out = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    out = ntohs(a.sin_port);
  }
  ::close(fd);
  return out;
}

/// A loopback TCP port that was free a moment ago, for a test server to listen on.
inline Result<int> FreeLoopbackPort() {
  const int port = BindLoopbackPort(0);
  if (port <= 0) return Status::IOError("cannot find a free loopback port");
  return port;
}

/// True when something accepts connections on 127.0.0.1:`port`.
inline bool LoopbackPortOpen(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

/// Crash and multi-process tests re-execute their own test binary as the child: the
/// child's work runs from a static initialiser that checks an environment variable, so
/// no fork-without-exec state (threads, allocator locks) leaks into it. Forks, sets `env`
/// in the child, closes `close_in_child` there (e.g. the read end of an ack pipe) and
/// execs /proc/self/exe. Returns the child's pid (or -1).
inline pid_t SpawnSelf(const std::vector<std::pair<std::string, std::string>>& env, int close_in_child = -1) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (close_in_child >= 0) ::close(close_in_child);
  for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  path[n > 0 ? n : 0] = 0;
  char* argv[] = {path, nullptr};
  ::execv(path, argv);
  std::_Exit(127);
}

/// One round of a crash test: starts the child (SpawnSelf) with the environment that
/// `make_env` builds around the write end of an acknowledgement pipe, waits until the
/// child has written `first_ack_bytes` bytes (0: does not wait) and then `delay_us`
/// more, SIGKILLs it and returns every byte it wrote. Fails when the child could not
/// start, died before its first acknowledgement, or exited by itself.
inline Result<std::string> KillChildMidWrite(
    const std::function<std::vector<std::pair<std::string, std::string>>(int ack_fd)>& make_env, size_t first_ack_bytes,
    int delay_us) {
  int fds[2];
  if (::pipe(fds) != 0) return Status::IOError("pipe failed");
  const pid_t pid = SpawnSelf(make_env(fds[1]), fds[0]);
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return Status::IOError("cannot start the child");
  }
  std::string acks;
  char buf[4096];
  while (acks.size() < first_ack_bytes) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    acks.append(buf, static_cast<size_t>(n));
  }
  const bool died_early = acks.size() < first_ack_bytes;
  if (!died_early) ::usleep(static_cast<useconds_t>(delay_us));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) acks.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  if (!WIFSIGNALED(status)) {
    return Status::Internal(
        std::string(died_early ? "the child died before its first acknowledgement" : "the child exited by itself") +
        " with status " + std::to_string(WEXITSTATUS(status)));
  }
  return acks;
}

/// The fixed-size acknowledgements in `bytes` (a trailing partial one is ignored).
template <typename Ack>
std::vector<Ack> DecodeAcks(const std::string& bytes) {
  std::vector<Ack> out(bytes.size() / sizeof(Ack));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(Ack));
  return out;
}

}  // namespace systore::testing
