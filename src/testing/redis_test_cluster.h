// A throwaway Redis Cluster for tests and benchmarks: `masters` masters with `replicas`
// replicas each, redis-server processes on 127.0.0.1 (RedisTestServer: free ports, no
// persistence, temp dirs), joined with `redis-cli --cluster create`, returned once every
// node says cluster_state:ok and every master has its replicas attached. Every process
// is killed and its dir removed by the destructor, also when a test fails.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cache/redis_connection.h"
#include "testing/redis_server.h"

namespace systore::testing {

class RedisTestCluster {
 public:
  static Result<std::unique_ptr<RedisTestCluster>> Start(int masters = 3, int replicas = 1,
                                                         int node_timeout_ms = 1000) {
    std::unique_ptr<RedisTestCluster> c(new RedisTestCluster());
    const int n = masters * (1 + replicas);
    for (int i = 0; i < n; ++i) {
      SYSTORE_ASSIGN_OR_RAISE(auto s,
                              RedisTestServer::Start({"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                                      "--cluster-node-timeout", std::to_string(node_timeout_ms)}));
      c->servers_.push_back(std::move(s));
    }
    std::string cmd = "timeout 60 redis-cli --cluster create";
    for (auto& s : c->servers_) cmd += " " + s->address();
    const std::string log = c->servers_[0]->dir() + "/cluster-create.log";
    cmd += " --cluster-replicas " + std::to_string(replicas) + " --cluster-yes >" + log + " 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      return Status::Unavailable("redis-cli --cluster create failed: " + text.str());
    }
    // Bounded: 30 s for the state to converge on every node and replicas to attach.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!c->Converged(masters, replicas)) {
      if (std::chrono::steady_clock::now() > deadline) return Status::Unavailable("cluster did not converge in 30 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return c;
  }

  size_t size() const { return servers_.size(); }
  RedisTestServer& server(size_t i) { return *servers_[i]; }
  std::vector<std::string> addresses() const {
    std::vector<std::string> out;
    for (auto& s : servers_) out.push_back(s->address());
    return out;
  }

  /// One command to node i on a fresh connection.
  Result<cache_internal::RedisReply> Command(size_t i, const std::vector<std::string_view>& argv) {
    SYSTORE_ASSIGN_OR_RAISE(auto conn,
                            cache_internal::RedisConnection::Connect("127.0.0.1", servers_[i]->port(), 1000, 10000));
    return conn->Command(argv);
  }
  /// Index of the node with this port, or -1.
  int IndexOfPort(int port) const {
    for (size_t i = 0; i < servers_.size(); ++i) {
      if (servers_[i]->port() == port) return static_cast<int>(i);
    }
    return -1;
  }
  /// The node serving `slot` as master, asked of node `ask`.
  Result<int> MasterOfSlot(int slot, size_t ask = 0) {
    SYSTORE_ASSIGN_OR_RAISE(auto r, Command(ask, {"CLUSTER", "SLOTS"}));
    for (auto& range : r.elements) {
      if (range.elements.size() >= 3 && range.elements[0].integer <= slot && slot <= range.elements[1].integer) {
        return IndexOfPort(static_cast<int>(range.elements[2].elements[1].integer));
      }
    }
    return Status::NotFound("slot " + std::to_string(slot) + " has no master");
  }
  /// Indexes of the current masters, asked of node `ask`.
  Result<std::vector<int>> Masters(size_t ask = 0) {
    SYSTORE_ASSIGN_OR_RAISE(auto r, Command(ask, {"CLUSTER", "SLOTS"}));
    std::vector<int> out;
    for (auto& range : r.elements) {
      int i = IndexOfPort(static_cast<int>(range.elements[2].elements[1].integer));
      if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
    }
    return out;
  }
  Result<std::string> NodeId(size_t i) {
    SYSTORE_ASSIGN_OR_RAISE(auto r, Command(i, {"CLUSTER", "MYID"}));
    return r.str;
  }
  /// cluster_state:ok on node i.
  bool StateOk(size_t i) {
    auto r = Command(i, {"CLUSTER", "INFO"});
    return r.ok() && r->str.find("cluster_state:ok") != std::string::npos;
  }

 private:
  RedisTestCluster() = default;

  bool Converged(int masters, int replicas) {
    for (size_t i = 0; i < servers_.size(); ++i) {
      if (!StateOk(i)) return false;
    }
    auto m = Masters();
    if (!m.ok() || static_cast<int>(m->size()) != masters) return false;
    for (int i : *m) {
      if (i < 0) return false;
      auto info = Command(i, {"INFO", "replication"});
      if (!info.ok() || info->str.find("connected_slaves:" + std::to_string(replicas)) == std::string::npos) {
        return false;
      }
      // Synced replicas only: one still loading its first copy cannot take over.
      if (replicas > 0 && info->str.find("state=online") == std::string::npos) return false;
    }
    return true;
  }

  std::vector<std::unique_ptr<RedisTestServer>> servers_;
};

}  // namespace systore::testing
