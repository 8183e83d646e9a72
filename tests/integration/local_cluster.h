#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace yz::integration {

struct ClusterOptions {
  int nodes = 15;
  int bridges = 2;
  // Flags every process gets (timings shortened for tests).
  std::vector<std::string> common_flags;
  // Flags genesis, bridges and nodes get (faults).
  std::vector<std::string> dht_flags;
  // Flags for one member by name (its own TLS certificate), if set.
  std::function<std::vector<std::string>(const std::string& name)> member_flags;
  // Start each node only once the previous one has joined or failed its
  // first onboarding, as containers coming up one after another would;
  // otherwise nodes are started back to back and join concurrently.
  bool one_join_at_a_time = false;
  // Called before each member after the bootstrap starts, with its name:
  // a test waits there on observable state (a scenario's start order).
  std::function<void(const std::string& name)> before_start;
};

// bootstrap, genesis, bridge-node-1..B and dht-node-1..N as separate
// processes on 127.0.0.1 with ephemeral ports, each with its own data dir
// under one temporary folder. Every process is stopped by PID when the
// cluster goes out of scope.
class LocalCluster {
 public:
  struct Member {
    std::string name;
    std::string role;
    std::string data_dir;
    std::string log;
    std::vector<std::string> argv;
    Child child;
  };

  explicit LocalCluster(ClusterOptions options);
  ~LocalCluster();

  // Starts everything in dependency order, each once its predecessor wrote
  // its ports file. Returns an empty string or what went wrong.
  std::string start();

  std::vector<Member>& members() { return members_; }
  Member& member(const std::string& name);
  std::string http_address(const Member& member) const;
  HttpReply health(const Member& member) const;
  // Starts a stopped member again with the same flags and data dir.
  std::string restart(Member& member);
  const std::string& dir() const { return dir_; }
  std::string bootstrap_address() const { return bootstrap_address_; }

 private:
  std::string launch(Member& member);

  ClusterOptions options_;
  std::string dir_;
  std::string bootstrap_address_;
  std::vector<Member> members_;
};

}  // namespace yz::integration
