// FerretDbServer: a throwaway FerretDB (MongoDB wire protocol, SQLite storage) on a free
// loopback port, for the MongoDB backend's tests and benchmark. The binary comes from
// $SYSTORE_FERRETDB or scripts/ferretdb.sh's output under the source tree.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/file_util.h"
#include "core/test_util_internal.h"
#include "testing/child_process.h"
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
    SYSTORE_RETURN_NOT_OK(
        s->child_.Start({{binary, "--handler=sqlite", "--sqlite-url=file:" + s->dir_ + "/",
                          "--listen-addr=127.0.0.1:" + std::to_string(s->port_), "--state-dir=" + s->dir_,
                          "--telemetry=disable", "--debug-addr=-", "--log-level=warn"},
                         s->dir_ + "/ferretdb.log"}));
    SYSTORE_RETURN_NOT_OK(s->child_.WaitForPort(s->port_, std::chrono::seconds(20)));
    return s;
  }

  ~FerretDbServer() {
    child_.Stop(SIGTERM);
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
  ChildProcess child_;
};

}  // namespace systore::testing
