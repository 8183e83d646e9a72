// Trace hashes pinned: optimisations of the core and the simulator must not
// change a single event of a run. A change here is a change of behaviour; if
// it is meant, say so and update the values in the same commit. (Re-pinned
// when the signed handshake of issue 6 landed, which changes every run; the
// scale work was checked to give these same values before and after; and
// again for admission by membership chain: genesis's designation round
// trip and the bridges' invitations add frames and draws to every run; and
// for issue 13: the handshake deadline moved from PeerLinks into the guard,
// which starts it at the dial rather than the open, keeps one on the
// bootstrap links too, and cancels it when a link closes early -- PeerLinks
// left those timers to fire as no-ops, so the long runs have fewer events;
// and again when store and find_value left the contract, also issue 13: the
// message types after them were renumbered, which the hash sees, while every
// run's event count stayed the same; and for issue 14: the bootstrap waits
// for a bridge longer than the bridge's whole budget (Timing::bridge_wait),
// a bridge's lookup for a newcomer has a budget of its own (one more timer
// per onboarding, and every timer draws an ordering key, so later draws
// shift: lookup-1000 has 80 more events, scale-1000 1,013 fewer, with the
// same outcome), and incident-15 now turns on short_bridge_wait, the
// original's 10 s budget, which the incident needs (its outcome is
// unchanged: seed 1 all healthy without early_return_race, 1/15 with it).
// Item 1 of issue 14 (nothing sent before a link's handshake) changed no
// pinned run.)
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using testing::early_return_race;
using testing::load_or_die;
using testing::run_once;

std::string hex(std::uint64_t v) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(v));
  return buffer;
}

TEST(GoldenHash, Incident15) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  struct Golden {
    std::uint64_t seed;
    const char* fixed;
    const char* faulted;
  };
  for (const Golden& g : {Golden{1, "8bc9e8e78886a89d", "d0ea4b22948dffc4"},
                          Golden{2, "af6c8934f5af092d", "21af35aedbdeea96"},
                          Golden{3, "1e19223bd6af2e72", "d806b3fc3eee8d7d"}}) {
    EXPECT_EQ(hex(run_once(scenario, g.seed).trace_hash), g.fixed) << "seed " << g.seed;
    EXPECT_EQ(hex(run_once(scenario, g.seed, early_return_race()).trace_hash), g.faulted)
        << "seed " << g.seed << " early_return_race";
  }
}

TEST(GoldenHash, Lookup1000) {
  const Scenario scenario = load_or_die("lookup-1000.textproto");
  const RunResult result = run_once(scenario, 1);
  EXPECT_EQ(hex(result.trace_hash), "9769cef6a5bff6b3");
  EXPECT_EQ(result.events, 1034908u);
}

// What `scale_sim --nodes 1000 --lookups 100 --seed 1` runs.
TEST(GoldenHash, Scale1000) {
  const ScenarioLoad load = parse_scenario(R"(
name: "scale-1000"
duration_ms: 85000
latency { min_us: 500 max_us: 20000 }
timing { health_check_interval_ms: 600000 }
process { name: "bootstrap"     role: BOOTSTRAP start_at_ms: 0 }
process { name: "genesis"       role: GENESIS   start_at_ms: 1000 }
process { name: "bridge-node-1" role: BRIDGE    start_at_ms: 2000 }
process { name: "bridge-node-2" role: BRIDGE    start_at_ms: 2000 }
node_group {
  name_prefix: "dht-node-"
  count: 1000
  first_start_ms: 5000
  start_interval_ms: 20
  start_jitter_ms: 20
}
lookup_check { count: 100 at_ms: 55000 }
)",
                                           "<golden>");
  ASSERT_TRUE(load.scenario) << load.error;
  const RunResult result = run_once(*load.scenario, 1);
  EXPECT_EQ(hex(result.trace_hash), "fef1f3817cf3ec7d");
  EXPECT_EQ(result.events, 1008486u);
  EXPECT_EQ(result.lookup_checks.exact, 100u);
}

}  // namespace
}  // namespace yz::sim
