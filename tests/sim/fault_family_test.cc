// The bug family: each fault is found by explore on its regression scenario,
// and the fixed code passes the very same orderings.
#include <gtest/gtest.h>

#include <optional>

#include "sim/explore.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

struct Case {
  core::Fault fault;
  const char* scenario;
  Strategy strategy;
  std::uint64_t runs;
  const char* failure;  // the failure kind explore must report
};

void PrintTo(const Case& c, std::ostream* os) { *os << core::fault_name(c.fault); }

class FaultFamily : public ::testing::TestWithParam<Case> {};

TEST_P(FaultFamily, ExploreFindsItAndTheFixedCodePassesTheSameOrderings) {
  const Case& c = GetParam();
  const Scenario scenario = testing::load_or_die(c.scenario);
  ExploreOptions options;
  options.strategy = c.strategy;
  options.runs = c.runs;
  options.bound = 1;
  options.jobs = 2;
  options.faults.enable(c.fault);
  const ExploreReport with_fault = explore(scenario, options);
  EXPECT_GT(with_fault.summary.failing_runs, 0u) << to_json(with_fault.summary);
  EXPECT_TRUE(with_fault.first_failure.contains(c.failure)) << to_json(with_fault.summary);

  options.faults = {};
  const ExploreReport fixed = explore(scenario, options);
  EXPECT_EQ(fixed.summary.failing_runs, 0u) << to_json(fixed.summary);
  // Same strategy, same seeds (or, exhaustive, the same enumeration): the
  // fixed runs are the faulted runs' orderings with the switch off.
  if (c.strategy != Strategy::kExhaustive) {
    EXPECT_EQ(fixed.summary.runs, c.runs);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllFaults, FaultFamily,
    ::testing::Values(Case{core::Fault::kEarlyReturnRace, "race-5.textproto", Strategy::kExhaustive,
                           0, "peers_missing_handler"},
                      Case{core::Fault::kReplacementCacheNoCallback, "full-buckets.textproto",
                           Strategy::kRandom, 20, "frame_lost_no_handler"},
                      Case{core::Fault::kMessageBeforeAttach, "race-5.textproto",
                           Strategy::kExhaustive, 0, "frame_lost_no_handler"},
                      Case{core::Fault::kPongWrongManager, "simultaneous-join.textproto",
                           Strategy::kRandom, 40, "live_link_closed_as_dead"},
                      Case{core::Fault::kLookupNoTermination, "lookup-empty.textproto",
                           Strategy::kRandom, 60, "livelock"},
                      Case{core::Fault::kShortBridgeWait, "slow-wan.textproto", Strategy::kRandom,
                           10, "unhealthy_at_end"}),
    [](const ::testing::TestParamInfo<Case>& param) {
      return std::string(core::fault_name(param.param.fault));
    });

// The invariant checks every established link's listener, whatever table
// the peer sits in (issue 14). With replacement_cache_no_callback the peer
// goes to the replacement cache, not the routing table; peers_missing_handler
// used to count routing-table peers only and never saw it (0 of 100 seeds of
// this scenario), so the run failed only when a frame was already lost. Now
// the link is caught when it is established, before anything is lost.
TEST(FaultFamily, LinkOfAReplacementCachePeerWithoutListenerIsCaughtBeforeALoss) {
  const Scenario scenario = testing::load_or_die("full-buckets.textproto");
  core::FaultSet faults;
  faults.enable(core::Fault::kReplacementCacheNoCallback);
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const RunResult result = testing::run_once(scenario, seed, faults);
    std::optional<std::uint64_t> missing, lost;
    for (const auto& v : result.invariant_violations) {
      if (v.invariant == "peers_missing_handler" && !missing) missing = v.step;
      if (v.invariant == "frame_lost_no_handler" && !lost) lost = v.step;
    }
    ASSERT_TRUE(missing.has_value()) << "seed " << seed;
    if (lost) {
      EXPECT_LT(*missing, *lost) << "seed " << seed;
    }
  }
}

TEST(FaultFamily, EveryRegisteredFaultHasACase) { EXPECT_EQ(core::all_faults().size(), 6u); }

}  // namespace
}  // namespace yz::sim
