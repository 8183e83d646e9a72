// `yzctl up --supervise`: a process that dies without the operator asking is
// restarted and counted; one the operator killed is left alone; `down`
// stops the supervisor too.
#include <signal.h>

#include <thread>

#include "cluster/cluster_state.h"
#include "tests/cluster/yzctl_fixture.h"

namespace yz::cluster::testing {
namespace {

using YzctlSupervise = YzctlTest;

TEST_F(YzctlSupervise, RestartsACrashedNodeAndLeavesAKilledOneDown) {
  const RunResult up =
      yzctl({"up", "--nodes", "3", "--bridges", "1", "--time-scale", "10", "--supervise"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  ASSERT_EQ(yzctl({"wait", "--healthy", "--timeout", "60s"}).exit_code, 0);
  std::string error;
  const auto cluster = read_cluster(dir_, &error);
  ASSERT_TRUE(cluster) << error;
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

  // yzctl kill is the operator's: the supervisor leaves that node down.
  ASSERT_EQ(yzctl({"kill", "dht-node-1", "--signal", "KILL"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // six supervisor rounds
  status = status_json();
  ASSERT_TRUE(status);
  node = process(*status, "dht-node-1");
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
