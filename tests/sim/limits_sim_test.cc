// Legitimate traffic never reaches a limit (roles/core/rate_limit.h): the
// incident scenario, fixed and with the fault, on several seeds, leaves
// every yz_limited_total at 0, and no link's handshake reaches the guard's
// deadline. A limit logs "limited" whenever it bites (the first of each
// 10 s), a deadline "handshake_timeout", and the simulator writes warnings
// into the trace, so the trace tells.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using testing::early_return_race;
using testing::load_or_die;
using testing::run_once;

std::string FirstLimitedLine(const std::string& trace) {
  std::istringstream in(trace);
  std::string line;
  while (std::getline(in, line))
    if (line.find(" limited ") != std::string::npos ||
        line.find("link_flooding") != std::string::npos ||
        line.find(" handshake_timeout ") != std::string::npos)
      return line;
  return {};
}

TEST(LimitsSimTest, IncidentScenarioNeverHitsALimit) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  for (std::uint64_t seed : {1, 2, 3, 7}) {
    std::ostringstream trace;
    const RunResult result = run_once(scenario, seed, {}, &trace);
    EXPECT_EQ(FirstLimitedLine(trace.str()), "") << "seed " << seed;
    for (const auto& node : result.nodes)
      EXPECT_TRUE(node.healthy) << node.name << " seed " << seed;
  }
}

TEST(LimitsSimTest, IncidentWithTheFaultNeverHitsALimit) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  std::ostringstream trace;
  run_once(scenario, 1, early_return_race(), &trace);
  EXPECT_EQ(FirstLimitedLine(trace.str()), "");
}

// The check above can see a limit: with find_node answered once a second per
// peer, the joins' lookups do reach it.
TEST(LimitsSimTest, ATightLimitShowsInTheTrace) {
  Scenario scenario = load_or_die("incident-15.textproto");
  scenario.timing.limits.lookups_per_second = 1;
  scenario.timing.limits.lookups_burst = 1;
  std::ostringstream trace;
  run_once(scenario, 1, {}, &trace);
  EXPECT_NE(FirstLimitedLine(trace.str()), "");
}

}  // namespace
}  // namespace yz::sim
