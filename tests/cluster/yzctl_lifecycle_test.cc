// The main path of yzctl against real role processes: up, wait, status
// agreeing with each process's own /health, kill, restart with the same
// node id, down leaving nothing running.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "cluster/cluster_state.h"
#include "cluster/http_client.h"
#include "tests/cluster/yzctl_fixture.h"

namespace yz::cluster::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Every process in `status` reports what its own /health says right now.
// Returns "" or the first disagreement.
std::string disagreement(const json::Value& status) {
  for (const json::Value& p : status.find("processes")->items()) {
    const std::string name = p.string_at("name");
    const HttpReply reply = http_get(p.string_at("http"), "/health");
    const auto health = json::parse(reply.body);
    if (!health) return name + ": /health did not answer";
    if (p.bool_at("healthy") != health->bool_at("healthy")) return name + ": healthy differs";
    if (p.int_at("connectedPeers") != health->int_at("connectedPeers")) {
      return name + ": connectedPeers " + std::to_string(p.int_at("connectedPeers")) + " vs " +
             std::to_string(health->int_at("connectedPeers"));
    }
    if (p.int_at("routingTableSize") != health->int_at("routingTableSize")) {
      return name + ": routingTableSize differs";
    }
    if (p.string_at("nodeId") != health->string_at("nodeId")) return name + ": nodeId differs";
    if (p.string_at("role") != health->string_at("role")) return name + ": role differs";
    if (health->string_at("name") != name) return name + ": name differs";
  }
  return {};
}

using YzctlLifecycle = YzctlTest;

TEST_F(YzctlLifecycle, UpWaitStatusKillRestartDown) {
  const RunResult up = yzctl({"up", "--nodes", "5", "--bridges", "2", "--time-scale", "10"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_NE(up.out.find("9 processes"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("yzctl status"), std::string::npos) << "next commands missing";

  const RunResult wait = yzctl({"wait", "--healthy", "--timeout", "60s"});
  ASSERT_EQ(wait.exit_code, 0) << wait.out << wait.err;

  // Each process in its own folder, with log, pid and ports.json.
  const auto cluster = read_cluster(dir_);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ASSERT_EQ(cluster->processes.size(), 9u);
  for (const ProcessRecord& p : cluster->processes) {
    EXPECT_EQ(p.dir, dir_ + "/" + p.name);
    for (const char* file : {"/log", "/pid", "/ports.json", "/node_id"}) {
      EXPECT_TRUE(std::ifstream(p.dir + file).good()) << p.dir << file;
    }
    EXPECT_EQ(slurp(p.dir + "/pid"), std::to_string(p.pid) + "\n");
  }
  // The bridge and genesis secrets live in 0600 files, never on a command
  // line, and differ.
  std::vector<std::string> secrets;
  for (const char* file : {"/bridge_auth", "/genesis_auth"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir_ + file).c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
    std::string secret = slurp(dir_ + file);
    while (!secret.empty() && secret.back() == '\n') secret.pop_back();
    ASSERT_GE(secret.size(), 32u) << file;
    secrets.push_back(secret);
  }
  EXPECT_NE(secrets[0], secrets[1]);
  for (const ProcessRecord& p : cluster->processes) {
    const std::string cmdline = slurp("/proc/" + std::to_string(p.pid) + "/cmdline");
    for (const std::string& secret : secrets)
      EXPECT_EQ(cmdline.find(secret), std::string::npos) << p.name;
    // --time-scale 10: the 30 s health check runs every 3 s.
    const std::string scaled = std::string("--health-check-interval") + '\0' + "3s";
    EXPECT_NE(cmdline.find(scaled), std::string::npos) << p.name;
  }
  for (const std::string& secret : secrets)
    EXPECT_EQ(slurp(cluster_file(dir_)).find(secret), std::string::npos);

  // status --json agrees with every process's own /health. Links may still
  // be settling right after the wait, so agreement is awaited, bounded.
  std::string last;
  ASSERT_TRUE(eventually(
      [&] {
        int code = -1;
        const auto status = status_json(&code);
        if (!status || code != 0) {
          last = "status exit " + std::to_string(code);
          return false;
        }
        last = disagreement(*status);
        return last.empty();
      },
      std::chrono::seconds(20)))
      << last;

  int code = -1;
  auto status = status_json(&code);
  ASSERT_TRUE(status);
  EXPECT_EQ(code, 0);
  EXPECT_TRUE(status->find("summary")->bool_at("allHealthy"));
  EXPECT_EQ(status->find("summary")->string_at("line"),
            "5/5 DHT nodes joined, genesis joined, 2/2 bridges joined, bootstrap healthy");
  const json::Value* node2 = process(*status, "dht-node-2");
  ASSERT_NE(node2, nullptr);
  const std::string node_id = node2->string_at("nodeId");
  const int old_pid = static_cast<int>(node2->int_at("pid"));
  ASSERT_EQ(node_id.size(), 40u);

  const RunResult kill = yzctl({"kill", "dht-node-2"});
  ASSERT_EQ(kill.exit_code, 0) << kill.err;
  EXPECT_FALSE(pid_alive(old_pid, 0));
  status = status_json(&code);
  ASSERT_TRUE(status);
  EXPECT_NE(code, 0) << "status must fail while a process is down";
  node2 = process(*status, "dht-node-2");
  ASSERT_NE(node2, nullptr);
  EXPECT_EQ(node2->string_at("state"), "down");
  EXPECT_FALSE(node2->bool_at("healthy"));
  EXPECT_EQ(node2->int_at("pid"), 0);
  EXPECT_EQ(node2->string_at("nodeId"), node_id);  // read from its data dir
  EXPECT_NE(status->find("summary")->string_at("line").find("4/5 DHT nodes joined (1 down)"),
            std::string::npos)
      << status->find("summary")->string_at("line");
  const RunResult table = yzctl({"status"});
  EXPECT_NE(table.exit_code, 0);
  EXPECT_NE(table.out.find("down"), std::string::npos) << table.out;

  const RunResult restart = yzctl({"restart", "dht-node-2"});
  ASSERT_EQ(restart.exit_code, 0) << restart.out << restart.err;
  ASSERT_EQ(yzctl({"wait", "--healthy", "--timeout", "60s"}).exit_code, 0);
  status = status_json(&code);
  ASSERT_TRUE(status);
  EXPECT_EQ(code, 0);
  node2 = process(*status, "dht-node-2");
  ASSERT_NE(node2, nullptr);
  EXPECT_TRUE(node2->bool_at("healthy"));
  EXPECT_EQ(node2->string_at("nodeId"), node_id) << "a restart keeps the node's identity";
  EXPECT_NE(node2->int_at("pid"), old_pid);
  EXPECT_EQ(node2->string_at("state"), "running");
  EXPECT_EQ(node2->string_at("joinState"), "joined");
  EXPECT_EQ(node2->int_at("restarts"), 1) << "yzctl restart counts as a restart";

  // logs and metrics read the process's own files and endpoint.
  const RunResult logs = yzctl({"logs", "dht-node-2"});
  EXPECT_EQ(logs.exit_code, 0);
  EXPECT_NE(logs.out.find("yzctl: starting dht-node-2"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("event=listening"), std::string::npos) << logs.out;
  const RunResult metrics = yzctl({"metrics", "dht-node-2"});
  EXPECT_EQ(metrics.exit_code, 0);
  EXPECT_NE(metrics.out.find("yz_peers_missing_handler 0"), std::string::npos) << metrics.out;

  // add-node starts the next node, which joins like the others.
  const RunResult add = yzctl({"add-node"});
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  EXPECT_NE(add.out.find("added dht-node-6"), std::string::npos) << add.out;
  ASSERT_EQ(yzctl({"wait", "--healthy", "--timeout", "60s"}).exit_code, 0);
  status = status_json(&code);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->find("summary")->int_at("nodes"), 6);
  const json::Value* node6 = process(*status, "dht-node-6");
  ASSERT_NE(node6, nullptr);
  EXPECT_GT(node6->int_at("connectedPeers"), 0);

  // down stops every process the test saw, checked by pid.
  const RunResult down = yzctl({"down"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("stopped 10 processes"), std::string::npos) << down.out;
  EXPECT_TRUE(survivors().empty());
  // A second down finds nothing and still succeeds.
  const RunResult again = yzctl({"down"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("nothing is running"), std::string::npos) << again.out;
}

}  // namespace
}  // namespace yz::cluster::testing
