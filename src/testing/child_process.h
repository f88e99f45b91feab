// ChildProcess: the one fork/exec/wait/stop helper behind the throwaway test servers
// (postgres_server.h, redis_server.h, ferretdb_server.h). Tests and benchmarks only.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/test_util_internal.h"
#include "systore/result.h"

namespace systore::testing {

struct ChildOptions {
  std::vector<std::string> argv;  // argv[0]: a path, or a name looked up in $PATH
  std::string log;                // stdout and stderr appended here ("": inherited)
  uid_t uid = 0;                  // non-zero: run as this user (we are root)
  gid_t gid = 0;
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Stop(SIGKILL); }

  /// Forks and execs `o.argv`. A child that cannot exec exits with status 127.
  Status Start(const ChildOptions& o) {
    Stop(SIGKILL);
    name_ = o.argv.empty() ? "" : o.argv[0];
    log_ = o.log;
    pid_t pid = ::fork();
    if (pid < 0) return Status::IOError("fork failed for " + name_);
    if (pid == 0) {
      if (o.uid != 0 && (::setgroups(0, nullptr) != 0 || ::setgid(o.gid) != 0 || ::setuid(o.uid) != 0)) {
        std::_Exit(126);
      }
      if (!o.log.empty()) {
        int fd = ::open(o.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
          ::dup2(fd, 1);
          ::dup2(fd, 2);
        }
      }
      std::vector<char*> argv;
      for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      std::_Exit(127);
    }
    pid_ = pid;
    return Status::OK();
  }

  /// Waits until something accepts connections on 127.0.0.1:`port`; Unavailable (naming
  /// the log) when the child exits first or `timeout` passes (the child is then killed).
  Status WaitForPort(int port, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (LoopbackPortOpen(port)) return Status::OK();
      int st = 0;
      if (pid_ > 0 && ::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return Status::Unavailable(name_ + " exited at start (status " + std::to_string(st) + "; is it installed?)" +
                                   LogHint());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Stop(SIGKILL);
    return Status::Unavailable(name_ + " did not listen on 127.0.0.1:" + std::to_string(port) + " within " +
                               std::to_string(timeout.count()) + " ms" + LogHint());
  }

  /// Waits for the child to exit; OK when it exited with status 0, else Unavailable with
  /// the log's text.
  Status Wait() {
    int status = 0;
    if (pid_ > 0) ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
    std::string text;
    if (!log_.empty()) {
      std::ifstream in(log_);
      std::stringstream s;
      s << in.rdbuf();
      text = ": " + s.str();
    }
    return Status::Unavailable(name_ + " failed (status " + std::to_string(status) + ")" + text);
  }

  /// Sends `signal` and reaps the child. Idempotent.
  void Stop(int signal = SIGTERM) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  bool running() const { return pid_ > 0; }

 private:
  std::string LogHint() const { return log_.empty() ? "" : "; see " + log_; }

  std::string name_, log_;
  pid_t pid_ = -1;
};

/// Runs `o` to completion (ChildProcess::Wait()'s result).
inline Status RunChild(const ChildOptions& o) {
  ChildProcess c;
  SYSTORE_RETURN_NOT_OK(c.Start(o));
  return c.Wait();
}

}  // namespace systore::testing
