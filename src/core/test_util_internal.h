// Test helpers shared by every module's tests (never used by the library itself).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/file_util.h"

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

}  // namespace systore::testing
