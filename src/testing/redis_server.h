// Throwaway redis-server processes for tests: 127.0.0.1, a free non-default port,
// --save '' --appendonly no, data dir in a temp dir; killed and deleted by the
// destructor (also when a test fails). Stop()/Restart() simulate an outage.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/test_util_internal.h"
#include "testing/child_process.h"
#include "systore/result.h"

namespace systore::testing {

class RedisTestServer {
 public:
  /// Starts a standalone server; extra_args are appended (e.g. cluster options).
  static Result<std::unique_ptr<RedisTestServer>> Start(std::vector<std::string> extra_args = {}, int port = 0) {
    std::unique_ptr<RedisTestServer> s(new RedisTestServer());
    s->dir_ = (std::filesystem::temp_directory_path() / ("systore-redis-" + RandomHexId())).string();
    std::filesystem::create_directories(s->dir_);
    if (port == 0) {
      SYSTORE_ASSIGN_OR_RAISE(port, FreePort());
    }
    s->port_ = port;
    s->extra_ = std::move(extra_args);
    SYSTORE_RETURN_NOT_OK(s->Launch());
    return s;
  }
  ~RedisTestServer() {
    Kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// Kills the server (SIGKILL: an abrupt outage).
  void Kill() { child_.Stop(SIGKILL); }
  /// Starts it again on the same port.
  Status Restart() { return Launch(); }

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }

  /// A free loopback TCP port whose +10000 (cluster bus) port is free too.
  static Result<int> FreePort() {
    for (int attempt = 0; attempt < 50; ++attempt) {
      int p = BindLoopbackPort(0);
      if (p > 0 && p + 10000 < 65536 && BindLoopbackPort(p + 10000) > 0) return p;
    }
    return Status::IOError("cannot find a free port");
  }

 private:
  RedisTestServer() = default;

  Status Launch() {
    std::vector<std::string> args = {"redis-server", "--port",    std::to_string(port_), "--bind",      "127.0.0.1",
                                     "--save",       "",          "--appendonly",        "no",          "--dir",
                                     dir_,           "--logfile", dir_ + "/redis.log",   "--daemonize", "no"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    SYSTORE_RETURN_NOT_OK(child_.Start({args, dir_ + "/redis.log"}));
    return child_.WaitForPort(port_, std::chrono::seconds(10));
  }

  std::string dir_;
  int port_ = 0;
  ChildProcess child_;
  std::vector<std::string> extra_;
};

}  // namespace systore::testing
