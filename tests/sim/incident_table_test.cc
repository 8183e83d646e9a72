// incident-2025-12-03.textproto replays the incident's own health table.
#include <gtest/gtest.h>

#include <set>

#include "sim/explore.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

const std::set<std::string> kHealthy = {"bootstrap",     "genesis",    "bridge-node-1",
                                        "bridge-node-2", "dht-node-8", "dht-node-10",
                                        "dht-node-11"};

class IncidentTable : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(IncidentTable, ThreeEarlyNodesHealthyTwelveIsolated) {
  const Scenario scenario = testing::load_or_die("incident-2025-12-03.textproto");
  const RunResult r = testing::run_once(scenario, GetParam(), testing::early_return_race());
  std::set<std::string> healthy;
  for (const auto& node : r.nodes) {
    if (node.healthy) {
      healthy.insert(node.name);
      continue;
    }
    EXPECT_EQ(node.role, "node") << node.name;
    EXPECT_EQ(node.connected_peers, 0u) << node.name;
    EXPECT_EQ(node.routing_table_size, 0u) << node.name;
    EXPECT_GT(node.health_failures, 0u) << node.name;
  }
  EXPECT_EQ(healthy, kHealthy);
  EXPECT_EQ(r.summary.unhealthy, 12u);
  // The helpers are healthy but cannot help: frames to them are dropped.
  for (const auto& node : r.nodes) {
    if (node.name == "dht-node-8" || node.name == "dht-node-10" || node.name == "dht-node-11") {
      EXPECT_GT(node.peers_missing_handler, 0u) << node.name;
    }
  }
}

TEST_P(IncidentTable, FailureCountsKeepRising) {
  Scenario half = testing::load_or_die("incident-2025-12-03.textproto");
  const Scenario full = half;
  half.duration /= 2;
  const RunResult early = testing::run_once(half, GetParam(), testing::early_return_race());
  const RunResult late = testing::run_once(full, GetParam(), testing::early_return_race());
  for (std::size_t i = 0; i < late.nodes.size(); ++i) {
    if (late.nodes[i].healthy) continue;
    EXPECT_GT(late.nodes[i].health_failures, early.nodes[i].health_failures) << late.nodes[i].name;
  }
}

TEST_P(IncidentTable, WithoutTheFaultAllNineteenAreHealthy) {
  const Scenario scenario = testing::load_or_die("incident-2025-12-03.textproto");
  const RunResult r = testing::run_once(scenario, GetParam());
  EXPECT_EQ(r.summary.healthy, 19u);
  EXPECT_FALSE(run_failed(r));
}

INSTANTIATE_TEST_SUITE_P(Seeds, IncidentTable, ::testing::Values(1, 2, 3, 7, 42, 1000));

}  // namespace
}  // namespace yz::sim
