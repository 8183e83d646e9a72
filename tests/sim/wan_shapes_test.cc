// Shapes nobody tuned for (issue 14): the two findings with no fault switch
// on, each held by its regression scenario, and the health reason that tells
// the early-return bug's isolation from a slow network's.
#include <gtest/gtest.h>

#include <string>

#include "sim/explore.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using testing::early_return_race;
using testing::load_or_die;
using testing::run_once;

core::FaultSet short_bridge_wait() {
  core::FaultSet faults;
  faults.enable(core::Fault::kShortBridgeWait);
  return faults;
}

// Finding 1: 1 s health checks over 400-700 ms links. The bridge used to
// send bridge_health_update mid-handshake and was refused and locked out
// for ever; nothing reaches a peer before its handshake now.
TEST(WanShapes, FastHealthChecksOverSlowLinksConverge) {
  const Scenario scenario = load_or_die("fast-health-slow-links.textproto");
  ASSERT_GT(scenario.liveness_bound, 0);
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const RunResult r = run_once(scenario, seed);
    EXPECT_TRUE(r.liveness.converged) << "seed " << seed;
    EXPECT_EQ(r.summary.unhealthy, 0u) << "seed " << seed;
    EXPECT_TRUE(r.invariant_violations.empty()) << "seed " << seed;
    EXPECT_FALSE(run_failed(r)) << "seed " << seed;
  }
}

// Finding 2: 2-2.5 s one way. Every node joins with the bootstrap's wait
// derived from the bridge's budget and the measured round trip.
TEST(WanShapes, SlowWanJoinsEveryNode) {
  const Scenario scenario = load_or_die("slow-wan.textproto");
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const RunResult r = run_once(scenario, seed);
    EXPECT_FALSE(run_failed(r)) << "seed " << seed;
    for (const NodeReport& n : r.nodes) {
      EXPECT_TRUE(n.healthy) << n.name << " seed " << seed;
      EXPECT_EQ(n.state, "joined") << n.name << " seed " << seed;
      EXPECT_EQ(n.reason, "none") << n.name << " seed " << seed;
    }
  }
}

// With the original's budget (10 s per bridge, later answers dropped) the
// same shape isolates every node, and /health says why: the network is
// slow, not peers dropping frames.
TEST(WanShapes, SlowWanWithTheOriginalsBudgetIsolatesAndSaysTheNetworkIsSlow) {
  const Scenario scenario = load_or_die("slow-wan.textproto");
  const RunResult r = run_once(scenario, 1, short_bridge_wait());
  EXPECT_TRUE(run_failed(r));
  int isolated = 0;
  for (const NodeReport& n : r.nodes) {
    if (n.role != "node") continue;
    EXPECT_FALSE(n.healthy) << n.name;
    EXPECT_EQ(n.state, "isolated") << n.name;
    EXPECT_EQ(n.reason, "network_slow") << n.name;
    EXPECT_EQ(n.dropped_no_handler, 0u) << n.name;
    isolated += n.state == "isolated";
  }
  EXPECT_EQ(isolated, 8);
  EXPECT_TRUE(r.invariant_violations.empty());
}

// The incident's isolated nodes name the other cause: peers drop frames.
TEST(WanShapes, TheIncidentsIsolatedNodesSayPeersDropFrames) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  const RunResult r = run_once(scenario, 1, early_return_race());
  int isolated = 0;
  for (const NodeReport& n : r.nodes) {
    if (n.state != "isolated") continue;
    ++isolated;
    EXPECT_EQ(n.reason, "peers_drop_frames") << n.name;
  }
  EXPECT_GE(isolated, 10);
}

// The incident needed both of the original's flaws: with today's budget
// (the scenario's short_bridge_wait off) early_return_race still breaks
// links, but most newcomers join around them (degraded, not isolated).
TEST(WanShapes, TheIncidentWithTodaysBudgetIsolatesFewer) {
  Scenario scenario = load_or_die("incident-15.textproto");
  ASSERT_TRUE(scenario.faults.has(core::Fault::kShortBridgeWait));
  scenario.faults = {};
  const RunResult r = run_once(scenario, 1, early_return_race());
  EXPECT_FALSE(r.invariant_violations.empty());
  int isolated = 0, degraded = 0;
  for (const NodeReport& n : r.nodes) {
    isolated += n.state == "isolated";
    degraded += n.state == "degraded";
    if (n.state == "isolated") {
      EXPECT_EQ(n.reason, "peers_drop_frames") << n.name;
    }
    if (n.state == "degraded") {
      EXPECT_EQ(n.reason, "missing_handler") << n.name;
    }
  }
  EXPECT_LT(isolated, 10);
  EXPECT_GT(degraded, 0);
}

}  // namespace
}  // namespace yz::sim
