// Delay rules in the simulator (issue 16 item 4): the rules `yzsim shrink`
// derives for race-5's early-return story hold the bridge's dial at
// dht-node-1 in every run, and with the fault every run fails there; without
// the fault the held dial costs nothing. Also: which stories shrink can
// derive rules for.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "roles/delay/delay_rules_file.h"
#include "sim/force_rules.h"
#include "sim/story.h"
#include "sim/trace_file.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using testing::early_return_race;
using testing::load_or_die;

constexpr char kRace5Rules[] = R"(rule {
  name: "bridge-node-1-dial-after-dht-node-1-lookup"
  process: "dht-node-1"
  frame { type: "dht_peer_hello" from_name: "bridge-node-1" }
  for_ms: 2500
  until { received: "find_node_response" }
})";

Scenario race5_with_rules() {
  Scenario scenario = load_or_die("race-5.textproto");
  auto load = roles::parse_delay_rules(kRace5Rules, "rules");
  EXPECT_TRUE(load.rules) << load.error;
  if (load.rules)
    scenario.delay_rules = std::make_shared<const core::DelayRules>(std::move(*load.rules));
  return scenario;
}

bool broke_at(const RunResult& result, const std::string& node) {
  for (const auto& v : result.invariant_violations)
    if (v.invariant == "peers_missing_handler" && v.node == node) return true;
  return false;
}

TEST(DelayRulesSim, Race5RulesHoldTheBridgeDialAndTheFaultBitesEverySeed) {
  const Scenario scenario = race5_with_rules();
  int failed = 0;
  constexpr int kSeeds = 20;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    std::ostringstream trace;
    const RunResult result = testing::run_once(scenario, seed, early_return_race(), &trace);
    EXPECT_NE(trace.str().find("log dht-node-1 delay_hold_started "
                               "rule=bridge-node-1-dial-after-dht-node-1-lookup"),
              std::string::npos)
        << "seed " << seed;
    EXPECT_NE(trace.str().find("reason=until_received"), std::string::npos) << "seed " << seed;
    failed += broke_at(result, "dht-node-1");
  }
  EXPECT_EQ(failed, kSeeds);
}

TEST(DelayRulesSim, Race5RulesWithoutTheFaultBreakNothing) {
  const Scenario scenario = race5_with_rules();
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const RunResult result = testing::run_once(scenario, seed);
    EXPECT_TRUE(result.invariant_violations.empty()) << "seed " << seed;
  }
}

TEST(DelayRulesSim, NoRulesForTheProcessChangeNothing) {
  Scenario scenario = load_or_die("race-5.textproto");
  const RunResult plain = testing::run_once(scenario, 3, early_return_race());
  auto load = roles::parse_delay_rules(
      "rule { process: \"no-such-process\" frame { type: \"ping\" } for_ms: 5 }", "rules");
  ASSERT_TRUE(load.rules) << load.error;
  scenario.delay_rules = std::make_shared<const core::DelayRules>(std::move(*load.rules));
  EXPECT_EQ(testing::run_once(scenario, 3, early_return_race()).trace_hash, plain.trace_hash);
}

TEST(DelayRulesSim, ShrinkDerivesRulesOnlyForTheEarlyReturnShape) {
  const Scenario scenario = load_or_die("race-5.textproto");
  RunSpec spec;
  spec.seed = 1;
  spec.faults = early_return_race();
  std::string text;
  {
    std::ifstream in(testing::scenario_path("race-5.textproto"));
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  const RecordedRun run = record_run(text, "race-5.textproto", scenario, spec);
  const auto story = tell_story(run.trace, run.result, "peers_missing_handler").links;
  const ForceRules force = derive_force_rules(run.trace, story);
  ASSERT_TRUE(force.rules) << force.why_not;
  ASSERT_EQ(force.rules->rules.size(), 1u);
  const core::HoldRule& rule = force.rules->rules[0];
  EXPECT_EQ(rule.process, "dht-node-1");
  EXPECT_EQ(rule.from_name, "bridge-node-1");
  EXPECT_EQ(rule.type, core::MessageType::kDhtPeerHello);
  EXPECT_EQ(rule.until_received, core::MessageType::kFindNodeResponse);

  const ForceRules other = derive_force_rules(
      run.trace, {"dht-node-1 put off attaching the DHT listener by an asynchronous step"});
  EXPECT_FALSE(other.rules);
  EXPECT_NE(other.why_not.find("only the early-return race's shape"), std::string::npos);
}

}  // namespace
}  // namespace yz::sim
