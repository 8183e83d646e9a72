// Bootstrap, genesis, two bridges and fifteen nodes as real processes on
// 127.0.0.1: healthy, scraped, restarted, stopped.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <memory>

#include "tests/integration/local_cluster.h"

namespace yz::integration {
namespace {

class HealthyCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions options;
    options.common_flags = {"--health-check-interval", "1s", "--startup-grace", "10s"};
    cluster_ = new LocalCluster(options);
    start_error_ = cluster_->start();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(start_error_, ""); }

  static bool all_healthy() {
    for (auto& m : cluster_->members()) {
      const HttpReply reply = cluster_->health(m);
      if (reply.status != 200 || !json_true(reply.body, "healthy")) return false;
      if (m.role != "bootstrap" && json_number(reply.body, "routingTableSize") <= 0) return false;
      if (json_number(reply.body, "peersMissingHandler") != 0) return false;
    }
    return true;
  }

  static LocalCluster* cluster_;
  static std::string start_error_;
};

LocalCluster* HealthyCluster::cluster_ = nullptr;
std::string HealthyCluster::start_error_;

TEST_F(HealthyCluster, AllNineteenProcessesBecomeHealthy) {
  ASSERT_EQ(cluster_->members().size(), 19u);
  ASSERT_TRUE(eventually(all_healthy, std::chrono::seconds(60)));
  for (auto& m : cluster_->members()) {
    const HttpReply reply = cluster_->health(m);
    EXPECT_EQ(json_field(reply.body, "name"), m.name);
    EXPECT_EQ(json_field(reply.body, "role"), m.role);
    EXPECT_EQ(json_field(reply.body, "nodeId")->size(), 40u);
    if (m.role == "bootstrap") continue;
    EXPECT_TRUE(json_true(reply.body, "bootstrapConnected")) << m.name;
    EXPECT_GT(json_number(reply.body, "connectedPeers"), 0) << m.name;
    const HttpReply metrics = http_get(cluster_->http_address(m), "/metrics");
    ASSERT_EQ(metrics.status, 200);
    EXPECT_EQ(metric_value(metrics.body, "yz_peers_missing_handler"), 0.0) << m.name;
    EXPECT_EQ(metric_value(metrics.body, "yz_healthy"), 1.0) << m.name;
    const auto dropped =
        metric_value(metrics.body, "yz_dht_messages_dropped_total{reason=\"no_handler\"}");
    EXPECT_TRUE(!dropped || *dropped == 0) << m.name;
  }
}

TEST_F(HealthyCluster, EveryRolesMetricsPassPromtool) {
  if (access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "promtool is not installed";
  ASSERT_TRUE(eventually(all_healthy, std::chrono::seconds(60)));
  for (const char* name : {"bootstrap", "genesis", "bridge-node-1", "dht-node-1"}) {
    auto& m = cluster_->member(name);
    const HttpReply metrics = http_get(cluster_->http_address(m), "/metrics");
    ASSERT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("process_resident_memory_bytes"), std::string::npos);
    EXPECT_NE(metrics.body.find("yz_build_info{"), std::string::npos);
    const std::string path = cluster_->dir() + "/" + m.name + ".metrics";
    std::ofstream(path) << metrics.body;
    const std::string command =
        "/usr/bin/promtool check metrics < " + path + " > " + path + ".promtool 2>&1";
    const int status = std::system(command.c_str());
    EXPECT_EQ(WEXITSTATUS(status), 0) << name << ": " << read_file(path + ".promtool");
  }
}

TEST_F(HealthyCluster, StatusListsLinksAllServedByTheDht) {
  ASSERT_TRUE(eventually(all_healthy, std::chrono::seconds(60)));
  auto& m = cluster_->member("dht-node-3");
  const HttpReply status = http_get(cluster_->http_address(m), "/status");
  ASSERT_EQ(status.status, 200);
  EXPECT_NE(status.body.find("\"links\":[{"), std::string::npos) << status.body;
  EXPECT_NE(status.body.find("\"dhtListener\":true"), std::string::npos) << status.body;
  EXPECT_EQ(status.body.find("\"dhtListener\":false"), std::string::npos) << status.body;
}

TEST_F(HealthyCluster, UnknownPathIs404) {
  auto& m = cluster_->member("dht-node-2");
  EXPECT_EQ(http_get(cluster_->http_address(m), "/nope").status, 404);
}

TEST_F(HealthyCluster, NodeKilledAndRestartedKeepsItsIdAndRejoins) {
  ASSERT_TRUE(eventually(all_healthy, std::chrono::seconds(60)));
  auto& m = cluster_->member("dht-node-7");
  const std::string id_before = *json_field(cluster_->health(m).body, "nodeId");
  auto& genesis = cluster_->member("genesis");
  const long peers_before = json_number(cluster_->health(genesis).body, "connectedPeers");
  ASSERT_GT(peers_before, 0);
  m.child.signal(SIGKILL);
  const auto status = m.child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status));
  // Its peers notice the link is gone.
  EXPECT_TRUE(eventually(
      [&] { return json_number(cluster_->health(genesis).body, "connectedPeers") < peers_before; },
      std::chrono::seconds(20)));

  ASSERT_EQ(cluster_->restart(m), "");
  EXPECT_TRUE(eventually(
      [&] {
        const HttpReply reply = cluster_->health(m);
        return reply.status == 200 && json_number(reply.body, "connectedPeers") > 0 &&
               json_number(reply.body, "routingTableSize") > 0;
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(json_field(cluster_->health(m).body, "nodeId"), id_before);
}

TEST_F(HealthyCluster, SigtermStopsANodeWithExitZero) {
  auto& m = cluster_->member("dht-node-15");
  const auto started = std::chrono::steady_clock::now();
  m.child.signal(SIGTERM);
  // A generous bound that only catches a hang; the measured time is
  // reported, not judged.
  const auto status = m.child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value()) << "still running 10 s after SIGTERM";
  RecordProperty("sigterm_exit_ms",
                 std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count()));
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

}  // namespace
}  // namespace yz::integration
