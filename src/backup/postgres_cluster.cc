#include "backup/postgres_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/file_util.h"

namespace systore::backup {
namespace {
namespace fs = std::filesystem;

Result<std::string> PgBin(const std::string& program) {
  if (const char* b = std::getenv("SYSTORE_PG_BIN"); b && *b) return std::string(b) + "/" + program;
  std::string best;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(e.path() / "bin" / program) && e.path().string() > best) best = e.path().string();
  if (!best.empty()) return best + "/bin/" + program;
  return Status::NotFound(program + " not found ($SYSTORE_PG_BIN or /usr/lib/postgresql/*/bin): install postgresql");
}

// Runs argv to completion (as uid/gid when non-zero), its output in `log`; the error
// carries the log's tail.
Status Run(const std::vector<std::string>& argv, const std::string& log, uid_t uid = 0, gid_t gid = 0,
           const std::string& pgpassword = "") {
  pid_t pid = ::fork();
  if (pid < 0) return Status::IOError("fork failed for " + argv[0]);
  if (pid == 0) {
    if (uid != 0 && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) std::_Exit(126);
    if (!pgpassword.empty()) ::setenv("PGPASSWORD", pgpassword.c_str(), 1);  // not in argv, where ps shows it
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::_Exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string out = ss.str();
  if (out.size() > 2000) out = "..." + out.substr(out.size() - 2000);
  return Status::IOError(fs::path(argv[0]).filename().string() + " failed (status " + std::to_string(status) + "): " + out);
}

std::string PgTime(Timestamp t) {
  // PostgreSQL keeps microseconds: "YYYY-MM-DD HH:MM:SS.ffffff+00".
  Timestamp us = t / 1000 * 1000;
  std::string s = FormatTimestamp(us);
  if (s.find('.') == std::string::npos) s += ".0";
  return s + "+00";
}

// The owner the server programs run as: the data directory's, or `postgres` when root.
Status ServerUser(uid_t* uid, gid_t* gid) {
  *uid = 0;
  *gid = 0;
  if (::geteuid() != 0) return Status::OK();
  struct passwd* pw = ::getpwnam("postgres");
  if (!pw) return Status::Unavailable("running as root and there is no 'postgres' user to run the restored cluster as");
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  return Status::OK();
}

Status ChownTree(const std::string& dir, uid_t uid, gid_t gid) {
  if (uid == 0) return Status::OK();
  std::error_code ec;
  if (::chown(dir.c_str(), uid, gid) != 0) return Status::IOError("chown " + dir);
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (::lchown(it->path().c_str(), uid, gid) != 0) return Status::IOError("chown " + it->path().string());
  return Status::OK();
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

}  // namespace

std::string DatabaseOfUri(const std::string& uri) {
  std::string rest = uri.substr(uri.find("://") + 3);
  size_t slash = rest.find('/');
  if (slash == std::string::npos) return "postgres";
  std::string db = rest.substr(slash + 1);
  db = db.substr(0, db.find('?'));
  return db.empty() ? "postgres" : db;
}

// postgresql://user:password@host/db -> the URI without the password, and the password.
static std::pair<std::string, std::string> SplitPassword(const std::string& uri) {
  const size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return {uri, ""};
  const size_t at = uri.find('@', scheme + 3), slash = uri.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return {uri, ""};
  const size_t colon = uri.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return {uri, ""};
  return {uri.substr(0, colon) + uri.substr(at), uri.substr(colon + 1, at - colon - 1)};
}

Status PgBaseBackup(const std::string& uri_with_password, const std::string& dir, std::string* start_lsn) {
  SYSTORE_ASSIGN_OR_RAISE(std::string bin, PgBin("pg_basebackup"));
  const auto [uri, password] = SplitPassword(uri_with_password);
  SYSTORE_RETURN_NOT_OK(CreateDirectories(dir));
  // -X fetch: the WAL needed to make the copy consistent goes into pg_wal.tar; -c fast:
  // an immediate checkpoint instead of waiting for the next one.
  SYSTORE_RETURN_NOT_OK(Run({bin, "-d", uri, "-D", dir + "/pg", "-Ft", "-X", "fetch", "-c", "fast", "-w",
                             "--label=systore"},
                            dir + "/pg_basebackup.log", 0, 0, password)
                            .WithContext("backing up the PostgreSQL operational store (pg_basebackup; the server must "
                                         "allow replication connections)"));
  if (auto m = ReadFileToString(dir + "/pg/backup_manifest"); m.ok()) {
    size_t p = m->find("\"Start-LSN\"");
    if (p != std::string::npos) {
      size_t q1 = m->find('"', m->find(':', p) + 1), q2 = m->find('"', q1 + 1);
      *start_lsn = m->substr(q1 + 1, q2 - q1 - 1);
    }
  }
  return Status::OK();
}

Status PreparePgCluster(const std::string& tar_dir, const std::string& data_dir, std::optional<Timestamp> time,
                        const std::string& wal_archive) {
  SYSTORE_RETURN_NOT_OK(CreateDirectories(data_dir + "/pg_wal"));
  const std::string log = tar_dir + "/../restore-postgres.log";
  SYSTORE_RETURN_NOT_OK(Run({"/bin/tar", "-xf", tar_dir + "/base.tar", "-C", data_dir}, log));
  if (PathExists(tar_dir + "/pg_wal.tar"))
    SYSTORE_RETURN_NOT_OK(Run({"/bin/tar", "-xf", tar_dir + "/pg_wal.tar", "-C", data_dir + "/pg_wal"}, log));
  ::chmod(data_dir.c_str(), 0700);
  if (time) {
    if (wal_archive.empty())
      return Status::InvalidArgument(
          "a point-in-time recovery of the PostgreSQL operational store needs its WAL archive (--pg-wal-archive DIR: "
          "where the server's archive_command copies WAL segments)");
    const std::string archive = fs::absolute(wal_archive).string();
    std::ofstream conf(data_dir + "/postgresql.auto.conf", std::ios::app);
    std::string quoted;  // inside a single-quoted setting, a quote is doubled; the path is quoted for the shell
    for (char ch : archive) quoted += ch == '\'' ? std::string("''\\''''") : std::string(1, ch);
    conf << "\n# systore restore --time\nrestore_command = 'cp ''" << quoted << "''/%f %p'\n"
         << "recovery_target_time = '" << PgTime(*time) << "'\nrecovery_target_action = 'promote'\n"
         << "archive_mode = off\n";
    if (!conf) return Status::IOError("writing " + data_dir + "/postgresql.auto.conf");
    std::ofstream(data_dir + "/recovery.signal").flush();
  }
  return Status::OK();
}

Status WithPgCluster(const std::string& data_dir, const std::string& database,
                     const std::function<Status(const std::string& uri)>& fn) {
  SYSTORE_ASSIGN_OR_RAISE(std::string pg_ctl, PgBin("pg_ctl"));
  uid_t uid;
  gid_t gid;
  SYSTORE_RETURN_NOT_OK(ServerUser(&uid, &gid));
  char tmpl[] = "/tmp/systore-pgr-XXXXXX";
  if (!::mkdtemp(tmpl)) return Status::IOError("mkdtemp failed");
  const std::string sock = tmpl;
  SYSTORE_RETURN_NOT_OK(ChownTree(data_dir, uid, gid));
  if (uid != 0 && ::chown(sock.c_str(), uid, gid) != 0) return Status::IOError("chown " + sock);
  const int port = FreePort();
  const std::string log = sock + "/server.log";
  std::ostringstream opts;
  // hot_standby off: no connections until recovery ends, and no check that settings
  // such as max_connections are at least the primary's (they live outside the backup).
  opts << "-p " << port << " -k " << sock << " -c listen_addresses=127.0.0.1 -c archive_mode=off -c hot_standby=off";
  Status st = Run({pg_ctl, "-D", data_dir, "-l", log, "-w", "-t", "120", "-o", opts.str(), "start"},
                  sock + "/pg_ctl.log", uid, gid);
  if (!st.ok()) {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    std::error_code ec;
    fs::remove_all(sock, ec);
    return st.WithContext("starting the restored PostgreSQL cluster: " + ss.str().substr(0, 3000));
  }
  const std::string uri = "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/" + database;
  // Recovery to a target ends with a promotion: wait for it before anything writes.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  for (;;) {
    PGconn* c = PQconnectdb(uri.c_str());
    bool done = false;
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult* r = PQexec(c, "SELECT pg_is_in_recovery()");
      done = PQresultStatus(r) == PGRES_TUPLES_OK && std::string(PQgetvalue(r, 0, 0)) == "f";
      PQclear(r);
    }
    PQfinish(c);
    if (done) break;
    if (std::chrono::steady_clock::now() > deadline) {
      st = Status::Unavailable("the restored PostgreSQL cluster did not finish recovery within 5 minutes (log: " + log + ")");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (st.ok()) st = fn(uri);
  Status stop = Run({pg_ctl, "-D", data_dir, "-m", "fast", "-w", "stop"}, sock + "/pg_ctl.log", uid, gid);
  if (st.ok() && !stop.ok()) st = stop;
  if (st.ok()) {
    std::error_code ec;
    fs::remove_all(sock, ec);
  }
  return st;
}

}  // namespace systore::backup
