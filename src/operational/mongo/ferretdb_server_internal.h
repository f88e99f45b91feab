// FerretDbServer: a throwaway FerretDB (MongoDB wire protocol, SQLite storage) on a free
// loopback port, for the MongoDB backend's tests and benchmark. The binary comes from
// $SYSTORE_FERRETDB or scripts/ferretdb.sh's output under the source tree.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "core/file_util.h"
#include "core/test_util_internal.h"
#include "systore/result.h"

namespace systore::testing {

class FerretDbServer {
 public:
  /// The ferretdb binary to use, or "" when there is none.
  static std::string FindBinary() {
    if (const char* b = std::getenv("SYSTORE_FERRETDB"); b && *b) return ::access(b, X_OK) == 0 ? b : "";
    if (const char* src = std::getenv("SYSTORE_SOURCE_DIR"); src && *src) {
      std::string b = std::string(src) + "/.tools/ferretdb-1.24.2/ferretdb";
      if (::access(b.c_str(), X_OK) == 0) return b;
    }
    return "";
  }

  static Result<std::unique_ptr<FerretDbServer>> Start(const std::string& binary) {
    auto s = std::unique_ptr<FerretDbServer>(new FerretDbServer());
    s->dir_ = (std::filesystem::temp_directory_path() / ("systore-ferretdb-" + RandomHexId())).string();
    std::filesystem::create_directories(s->dir_);
    SYSTORE_ASSIGN_OR_RAISE(s->port_, FreeLoopbackPort());
    pid_t pid = ::fork();
    if (pid < 0) return Status::IOError("fork failed");
    if (pid == 0) {
      const std::string listen = "--listen-addr=127.0.0.1:" + std::to_string(s->port_);
      const std::string sqlite = "--sqlite-url=file:" + s->dir_ + "/";
      const std::string state = "--state-dir=" + s->dir_;
      if (!::freopen((s->dir_ + "/ferretdb.log").c_str(), "w", stderr)) std::_Exit(126);
      ::execl(binary.c_str(), binary.c_str(), "--handler=sqlite", sqlite.c_str(), listen.c_str(), state.c_str(),
              "--telemetry=disable", "--debug-addr=-", "--log-level=warn", static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    s->pid_ = pid;
    for (int i = 0; i < 400; ++i) {
      if (LoopbackPortOpen(s->port_)) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Status::Unavailable("ferretdb did not listen on 127.0.0.1:" + std::to_string(s->port_) + " within 20 s; see " +
                               s->dir_ + "/ferretdb.log");
  }

  ~FerretDbServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  int port() const { return port_; }
  /// mongodb://127.0.0.1:PORT/DB?systoreAtomicity=journal (FerretDB has no transactions).
  std::string uri(const std::string& db, bool journal = true) const {
    return "mongodb://127.0.0.1:" + std::to_string(port_) + "/" + db + (journal ? "?systoreAtomicity=journal" : "");
  }

 private:
  FerretDbServer() = default;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace systore::testing
