// `yzctl up --supervise`: a process that dies without the operator asking
// (a signal from anywhere, `yzctl kill` included) is restarted and counted;
// one the operator stopped is left alone; `down` stops the supervisor too.
#include <signal.h>

#include <thread>

#include "cluster/cluster_state.h"
#include "tests/cluster/yzctl_fixture.h"

namespace yz::cluster::testing {
namespace {

using YzctlSupervise = YzctlTest;

TEST_F(YzctlSupervise, RestartsACrashedOrKilledNodeAndLeavesAStoppedOneDown) {
  const RunResult up =
      yzctl({"up", "--nodes", "3", "--bridges", "1", "--time-scale", "10", "--supervise"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  ASSERT_EQ(yzctl({"wait", "--healthy", "--timeout", "60s"}).exit_code, 0);
  const auto cluster = read_cluster(dir_);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ASSERT_GT(cluster->supervisor_pid, 0);
  EXPECT_TRUE(pid_alive(cluster->supervisor_pid, cluster->supervisor_start_ticks));

  auto status = status_json();
  ASSERT_TRUE(status);
  const json::Value* node = process(*status, "dht-node-2");
  ASSERT_NE(node, nullptr);
  const int crashed_pid = static_cast<int>(node->int_at("pid"));
  const std::string node_id = node->string_at("nodeId");
  ASSERT_GT(crashed_pid, 0);
  EXPECT_EQ(node->int_at("restarts"), 0);

  // A crash, not an operator's stop: SIGKILL straight to the pid.
  ASSERT_EQ(::kill(crashed_pid, SIGKILL), 0);
  std::string last;
  const bool back = eventually(
      [&] {
        status = status_json();
        if (!status) return false;
        node = process(*status, "dht-node-2");
        if (node == nullptr) return false;
        last = "state " + node->string_at("state") + ", restarts " +
               std::to_string(node->int_at("restarts")) + ", pid " +
               std::to_string(node->int_at("pid"));
        return node->string_at("state") == "running" && node->bool_at("healthy") &&
               node->int_at("restarts") >= 1 && node->int_at("pid") != crashed_pid;
      },
      std::chrono::seconds(30));
  EXPECT_TRUE(back) << last;
  EXPECT_EQ(node->string_at("nodeId"), node_id);
  const RunResult table = yzctl({"status"});
  EXPECT_NE(table.out.find("supervisor: running"), std::string::npos) << table.out;

  // yzctl kill is how an operator crashes a process: with any signal it is
  // restarted too, and counted.
  status = status_json();
  ASSERT_TRUE(status);
  node = process(*status, "dht-node-1");
  ASSERT_NE(node, nullptr);
  const int killed_pid = static_cast<int>(node->int_at("pid"));
  const RunResult kill = yzctl({"kill", "dht-node-1", "--signal", "KILL"});
  ASSERT_EQ(kill.exit_code, 0) << kill.out << kill.err;
  EXPECT_NE(kill.out.find("the supervisor will restart it"), std::string::npos) << kill.out;
  const bool killed_back = eventually(
      [&] {
        status = status_json();
        if (!status) return false;
        node = process(*status, "dht-node-1");
        if (node == nullptr) return false;
        last = "state " + node->string_at("state") + ", restarts " +
               std::to_string(node->int_at("restarts"));
        return node->string_at("state") == "running" && node->int_at("restarts") == 1 &&
               node->int_at("pid") != killed_pid;
      },
      std::chrono::seconds(30));
  EXPECT_TRUE(killed_back) << last;
  const RunResult table_after = yzctl({"status"});
  EXPECT_NE(table_after.out.find("RESTARTS"), std::string::npos);

  // yzctl stop is on purpose: the supervisor leaves that node down. Its
  // rounds are every 500 ms; the record must still say stopped after
  // several of them, which only the passing of time can show.
  ASSERT_EQ(yzctl({"stop", "dht-node-3"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  status = status_json();
  ASSERT_TRUE(status);
  node = process(*status, "dht-node-3");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->string_at("state"), "down");
  EXPECT_EQ(node->int_at("restarts"), 0);
  EXPECT_TRUE(node->bool_at("stoppedByOperator"));

  // down stops the supervisor first, then every process.
  const RunResult down = yzctl({"down"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("and the supervisor"), std::string::npos) << down.out;
  EXPECT_FALSE(pid_alive(cluster->supervisor_pid, cluster->supervisor_start_ticks));
  EXPECT_TRUE(survivors().empty());
}

}  // namespace
}  // namespace yz::cluster::testing
