// On a 1,000-node simulated network, each lookup's k closest agree with the
// brute-force k closest of all members.
#include <gtest/gtest.h>

#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

TEST(LookupConvergence, ThousandNodesAgreeWithBruteForce) {
  const Scenario scenario = testing::load_or_die("lookup-1000.textproto");
  const RunResult result = testing::run_once(scenario, 1);
  EXPECT_EQ(result.summary.unhealthy, 0u);
  EXPECT_EQ(result.lookup_checks.issued, 200u);
  EXPECT_EQ(result.lookup_checks.completed, 200u);
  EXPECT_EQ(result.lookup_checks.exact, 200u);
  EXPECT_TRUE(result.invariant_violations.empty());
}

}  // namespace
}  // namespace yz::sim
