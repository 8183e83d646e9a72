#include "tests/integration/local_cluster.h"

#include <unistd.h>

namespace yz::integration {
namespace {

constexpr char kBridgeAuth[] = "integration-test-bridge-secret";

}  // namespace

LocalCluster::LocalCluster(ClusterOptions options)
    : options_(std::move(options)), dir_(make_temp_dir("yz-cluster")) {
  auto add = [&](const std::string& name, const std::string& role) {
    Member m;
    m.name = name;
    m.role = role;
    m.data_dir = dir_ + "/" + name;
    m.log = dir_ + "/" + name + ".log";
    members_.push_back(std::move(m));
  };
  add("bootstrap", "bootstrap");
  add("genesis", "genesis");
  for (int i = 1; i <= options_.bridges; ++i) add("bridge-node-" + std::to_string(i), "bridge");
  for (int i = 1; i <= options_.nodes; ++i) add("dht-node-" + std::to_string(i), "node");
}

LocalCluster::~LocalCluster() {
  // Nodes first, bootstrap last, each by PID.
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) it->child.stop();
}

LocalCluster::Member& LocalCluster::member(const std::string& name) {
  for (auto& m : members_)
    if (m.name == name) return m;
  return members_.front();
}

std::string LocalCluster::launch(Member& m) {
  if (m.argv.empty()) {
    m.argv = {binary("yz-" + m.role), "--name", m.name,       "--data-dir", m.data_dir, "--listen",
              "127.0.0.1:0",          "--http", "127.0.0.1:0"};
    if (m.role != "bootstrap") {
      m.argv.push_back("--bootstrap");
      m.argv.push_back(bootstrap_address_);
      for (const auto& f : options_.dht_flags) m.argv.push_back(f);
    }
    for (const auto& f : options_.common_flags) m.argv.push_back(f);
    if (options_.member_flags)
      for (const auto& f : options_.member_flags(m.name)) m.argv.push_back(f);
  }
  unlink((m.data_dir + "/ports.json").c_str());
  m.child = Child::spawn(m.argv, {{"BRIDGE_AUTH", kBridgeAuth}, {"GENESIS_AUTH", kTestGenesisAuth}},
                         m.log);
  if (m.child.pid() <= 0) return "cannot start " + m.argv[0];
  const bool ready =
      eventually([&] { return port_of(m.data_dir, "http").has_value() || !m.child.running(); },
                 std::chrono::seconds(10));
  if (!ready || !m.child.running())
    return m.name + " did not start; its log says: " + read_file(m.log);
  return {};
}

std::string LocalCluster::start() {
  if (dir_.empty()) return "cannot create a temporary folder";
  if (auto error = launch(members_.front()); !error.empty()) return error;
  bootstrap_address_ = *port_of(members_.front().data_dir, "listen");
  for (std::size_t i = 1; i < members_.size(); ++i) {
    Member& m = members_[i];
    if (options_.before_start) options_.before_start(m.name);
    if (auto error = launch(m); !error.empty()) return error;
    if (options_.one_join_at_a_time && m.role == "node") {
      // Bounded: a node that neither joins nor fails is reported by the test.
      eventually(
          [&] {
            const HttpReply status = http_get(http_address(m), "/status");
            return json_true(status.body, "member") ||
                   json_number(status.body, "onboardingFailures", 0) > 0;
          },
          std::chrono::seconds(20));
    }
  }
  return {};
}

std::string LocalCluster::restart(Member& m) { return launch(m); }

std::string LocalCluster::http_address(const Member& m) const {
  return port_of(m.data_dir, "http").value_or("");
}

HttpReply LocalCluster::health(const Member& m) const {
  return http_get(http_address(m), "/health");
}

}  // namespace yz::integration
