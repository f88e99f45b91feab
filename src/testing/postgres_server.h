// A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a fresh temp
// dir, postgres on 127.0.0.1 and a free non-default port (unix socket in the temp dir),
// stopped (pg_ctl stop -m fast) and deleted by Stop() / the destructor.
//
// initdb refuses to run as root: when we are root, the server programs run as the
// `postgres` system user (created by the Debian package) in a forked child that drops
// privileges, and the temp dir is handed to that user. The server binaries are looked
// up in $SYSTORE_PG_BIN, else /usr/lib/postgresql/<newest>/bin.
#pragma once

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/test_util_internal.h"
#include "testing/child_process.h"
#include "systore/result.h"

namespace systore::testing {

class PgTestServer {
 public:
  struct Options {
    bool fsync = true;  // false: faster tests, no durability
    std::string extra_options;  // more server options, e.g. "-c archive_mode=on ..."
  };

  static Result<std::unique_ptr<PgTestServer>> Start(const Options& options) {
    std::unique_ptr<PgTestServer> s(new PgTestServer());
    SYSTORE_ASSIGN_OR_RAISE(s->bin_, FindBinDir());
    char tmpl[] = "/tmp/systore-pg-XXXXXX";
    if (!::mkdtemp(tmpl)) return Status::IOError("mkdtemp failed");
    s->dir_ = tmpl;
    if (::geteuid() == 0) {
      struct passwd* pw = ::getpwnam("postgres");
      if (!pw) return Status::Unavailable("running as root and there is no 'postgres' user to run initdb as");
      s->uid_ = pw->pw_uid;
      s->gid_ = pw->pw_gid;
      if (::chown(s->dir_.c_str(), s->uid_, s->gid_) != 0) return Status::IOError("chown " + s->dir_ + " failed");
    }
    SYSTORE_ASSIGN_OR_RAISE(s->port_, FreePort());
    SYSTORE_RETURN_NOT_OK(s->Run({s->bin_ + "/initdb", "-D", s->dir_ + "/data", "-U", "postgres", "-A", "trust", "-E",
                                  "UTF8", "--locale=C", "--no-sync"},
                                 "initdb"));
    std::ostringstream opts;
    opts << "-p " << s->port_ << " -k " << s->dir_ << " -c listen_addresses=127.0.0.1 -c max_connections=200"
         << " -c fsync=" << (options.fsync ? "on" : "off") << " " << options.extra_options;
    SYSTORE_RETURN_NOT_OK(s->Run({s->bin_ + "/pg_ctl", "-D", s->dir_ + "/data", "-l", s->dir_ + "/server.log", "-w",
                                  "-t", "60", "-o", opts.str(), "start"},
                                 "pg_ctl start"));
    s->running_ = true;
    return s;
  }

  ~PgTestServer() { (void)Stop(); }

  /// Stops the server and deletes its directory. Idempotent.
  Status Stop() {
    Status st;
    if (running_) {
      st = Run({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"}, "pg_ctl stop");
      running_ = false;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
    return st;
  }

  /// Creates database `name` (createdb) for a test that wants a fresh one.
  Status CreateDatabase(const std::string& name) {
    return Run({bin_ + "/createdb", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "postgres", name},
               "createdb " + name);
  }

  int port() const { return port_; }
  /// The user the server runs as (0: ourselves), for directories it must write.
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }
  /// A libpq URI for `database` as the superuser.
  std::string uri(const std::string& database = "postgres") const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }

 private:
  PgTestServer() = default;

  static Result<std::string> FindBinDir() {
    if (const char* b = std::getenv("SYSTORE_PG_BIN")) return std::string(b);
    std::string best;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      if (std::filesystem::exists(e.path() / "bin" / "initdb") && e.path().string() > best) best = e.path().string();
    }
    if (best.empty()) return Status::Unavailable("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin");
    return best + "/bin";
  }

  static Result<int> FreePort() { return FreeLoopbackPort(); }

  // Runs argv (as the postgres user when we are root), output to <dir>/<what>.out; on
  // failure the error carries that output and the server log.
  Status Run(const std::vector<std::string>& args, const std::string& what) {
    Status st = RunChild({args, dir_ + "/" + what.substr(0, what.find(' ')) + ".out", uid_, gid_});
    if (st.ok()) return st;
    std::ifstream server_log(dir_ + "/server.log");
    std::stringstream out;
    out << server_log.rdbuf();
    return Status::Unavailable(what + ": " + st.message() + out.str());
  }

  std::string bin_, dir_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace systore::testing
