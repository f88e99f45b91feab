// The MongoDB backend's connection and capability check. Against FerretDB (a
// MongoDB-wire server without multi-document transactions) Open must refuse with a
// clear error instead of writing non-atomically. FerretDB is not a Debian package: the
// test runs it when $SYSTORE_FERRETDB names a ferretdb binary (1.24.x) and skips
// otherwise; see docs/operational-store.md for how to build one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "operational/conformance_internal.h"
#include "systore/operational_store.h"

namespace systore {
namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool PortOpen(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

TEST(MongoBackend, UnreachableServerIsUnavailable) {
  const std::string uri =
      "mongodb://127.0.0.1:" + std::to_string(FreePort()) + "/ops?serverSelectionTimeoutMS=300";
  auto r = OperationalStore::Open({.uri = uri});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("cannot reach"), std::string::npos) << r.status().ToString();
}

TEST(MongoBackend, MalformedUriIsInvalidArgument) {
  EXPECT_TRUE(OperationalStore::Open({.uri = "mongodb://"}).status().IsInvalidArgument());
}

TEST(MongoBackend, FerretDbWithoutTransactionsIsRefusedClearly) {
  const char* bin = std::getenv("SYSTORE_FERRETDB");
  if (!bin || !*bin || ::access(bin, X_OK) != 0) GTEST_SKIP() << "set SYSTORE_FERRETDB to a ferretdb 1.24 binary";
  testing::OpsTempDir dir;
  const int port = FreePort();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string listen = "--listen-addr=127.0.0.1:" + std::to_string(port);
    std::string sqlite = "--sqlite-url=file:" + dir.path() + "/";
    std::string state = "--state-dir=" + dir.path();
    ::freopen((dir.path() + "/ferretdb.log").c_str(), "w", stderr);
    ::execl(bin, bin, "--handler=sqlite", sqlite.c_str(), listen.c_str(), state.c_str(), "--telemetry=disable",
            "--debug-addr=-", "--log-level=warn", static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    up = PortOpen(port);
  }
  if (up) {
    auto r = OperationalStore::Open({.uri = "mongodb://127.0.0.1:" + std::to_string(port) + "/ops"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
    EXPECT_NE(r.status().message().find("cannot run multi-document transactions"), std::string::npos)
        << r.status().ToString();
    EXPECT_FALSE(r.status().retryable());
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(up) << "ferretdb did not start listening on port " << port;
}

}  // namespace
}  // namespace systore
