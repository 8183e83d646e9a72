// yzctl up --scenario's plan: which processes, with which argv, starting,
// crashing and restarting when (cluster/scenario_plan.h). No process runs.
#include "cluster/scenario_plan.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cluster/layout.h"
#include "sim/start_schedule.h"

namespace yz::cluster {
namespace {

const std::string kSource = YZ_SOURCE_DIR;

// The value after `flag` in argv, or "" (and whether it is there at all).
std::string flag_value(const std::vector<std::string>& argv, const std::string& flag) {
  const auto it = std::find(argv.begin(), argv.end(), flag);
  return it == argv.end() || it + 1 == argv.end() ? std::string() : *(it + 1);
}

std::vector<std::string> flag_values(const std::vector<std::string>& argv,
                                     const std::string& flag) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) out.push_back(argv[i + 1]);
  return out;
}

ScenarioRequest request(const std::string& scenario) {
  ScenarioRequest r;
  r.scenario_path = kSource + "/" + scenario;
  r.dir = "/tmp/yz-plan-test";
  r.bin_dir = "/opt/yz/bin";
  return r;
}

TEST(ScenarioPlan, Race5ProcessesRolesAndFlags) {
  ScenarioRequest r = request("sim/scenarios/race-5.textproto");
  r.time_scale = 10;
  r.extra_faults = {"early_return_race"};
  r.delay_rules = "/abs/rules.textproto";
  const PlanResult result = plan_scenario(r);
  ASSERT_TRUE(result.plan) << result.error;
  const ScenarioPlan& plan = *result.plan;
  const auto& ps = plan.cluster.processes;
  ASSERT_EQ(ps.size(), 5u);
  const std::vector<std::pair<std::string, std::string>> expected = {{"bootstrap", "bootstrap"},
                                                                     {"genesis", "genesis"},
                                                                     {"bridge-node-1", "bridge"},
                                                                     {"dht-node-1", "node"},
                                                                     {"dht-node-2", "node"}};
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const ProcessRecord& p = ps[i];
    EXPECT_EQ(p.name, expected[i].first);
    EXPECT_EQ(p.role, expected[i].second);
    EXPECT_EQ(p.argv.front(), "/opt/yz/bin/yz-" + p.role);
    EXPECT_EQ(flag_value(p.argv, "--name"), p.name);
    EXPECT_EQ(flag_value(p.argv, "--data-dir"), "/tmp/yz-plan-test/" + p.name);
    // Every process gets every fault, as in the simulator.
    EXPECT_EQ(flag_values(p.argv, "--fault"), (std::vector<std::string>{"early_return_race"}))
        << p.name;
    // The scenario's timings (the defaults here) divided by the scale.
    EXPECT_EQ(flag_value(p.argv, "--health-check-interval"), "3s") << p.name;
    EXPECT_EQ(flag_value(p.argv, "--find-node-timeout"), "300ms") << p.name;
    EXPECT_EQ(flag_value(p.argv, "--startup-grace"), "6s") << p.name;
    EXPECT_EQ(flag_value(p.argv, "--k"), "20") << p.name;
    EXPECT_EQ(flag_value(p.argv, "--delay-rules"), "/abs/rules.textproto") << p.name;
    EXPECT_EQ(flag_value(p.argv, "--delay-rules-time-scale"), "10") << p.name;
  }
  EXPECT_EQ(plan.faults, (std::vector<std::string>{"early_return_race"}));
  // Starts: all but the bootstrap, at the declared times (race-5 has no jitter).
  ASSERT_EQ(plan.starts.size(), 4u);
  const core::Duration times[] = {200, 400, 1000, 6000};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(plan.starts[i].record, i + 1);
    EXPECT_EQ(plan.starts[i].at, times[i] * core::kMillisecond);
  }
  EXPECT_TRUE(plan.crashes.empty());
}

TEST(ScenarioPlan, FaultsFollowYzsimRun) {
  // incident-15 turns short_bridge_wait on; --no-scenario-faults clears it.
  ScenarioRequest r = request("sim/scenarios/incident-15.textproto");
  PlanResult with = plan_scenario(r);
  ASSERT_TRUE(with.plan) << with.error;
  EXPECT_EQ(with.plan->faults, (std::vector<std::string>{"short_bridge_wait"}));
  EXPECT_EQ(flag_values(with.plan->cluster.processes[3].argv, "--fault"),
            (std::vector<std::string>{"short_bridge_wait"}));
  // Scale 1: the scenario's own timings, unscaled.
  EXPECT_EQ(flag_value(with.plan->cluster.processes[0].argv, "--health-check-interval"), "30s");
  r.no_scenario_faults = true;
  PlanResult without = plan_scenario(r);
  ASSERT_TRUE(without.plan) << without.error;
  EXPECT_TRUE(without.plan->faults.empty());
  EXPECT_TRUE(flag_values(without.plan->cluster.processes[3].argv, "--fault").empty());
}

TEST(ScenarioPlan, StartsAndCrashesAreTheSharedSchedule) {
  for (const char* file :
       {"sim/scenarios/incident-15.textproto", "tests/sim/scenarios/long-tail.textproto"}) {
    for (const std::uint64_t seed : {1ULL, 5ULL}) {
      ScenarioRequest r = request(file);
      r.seed = seed;
      const PlanResult result = plan_scenario(r);
      ASSERT_TRUE(result.plan) << result.error;
      const ScenarioPlan& plan = *result.plan;
      const auto times = sim::start_times(plan.scenario, seed);
      for (const PlannedStart& s : plan.starts) {
        const std::string& name = plan.cluster.processes[s.record].name;
        const auto it = std::find_if(plan.scenario.processes.begin(), plan.scenario.processes.end(),
                                     [&](const auto& p) { return p.name == name; });
        ASSERT_NE(it, plan.scenario.processes.end());
        EXPECT_EQ(s.at, times[static_cast<std::size_t>(it - plan.scenario.processes.begin())]);
      }
      EXPECT_TRUE(std::is_sorted(plan.starts.begin(), plan.starts.end(),
                                 [](const auto& a, const auto& b) { return a.at < b.at; }));
      const auto crashes = sim::crash_restarts(plan.scenario, seed);
      ASSERT_EQ(plan.crashes.size(), crashes.size());
      for (std::size_t i = 0; i < crashes.size(); ++i) {
        EXPECT_EQ(plan.cluster.processes[plan.crashes[i].record].name,
                  plan.scenario.processes[static_cast<std::size_t>(crashes[i].process)].name);
        EXPECT_EQ(plan.crashes[i].at, crashes[i].at);
        EXPECT_EQ(plan.crashes[i].down, crashes[i].down);
        EXPECT_EQ(plan.cluster.processes[plan.crashes[i].record].role, "node");
      }
    }
  }
}

TEST(ScenarioPlan, BadInputIsRefusedWithItsReason) {
  const std::string dir = ::testing::TempDir() + "/plan-bad";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/bad.textproto") << "name: \"x\"\nduration_ms: 1000\n"
                                          << "process { name: \"b\" role: BOOTSTRAPP }\n";
  }
  ScenarioRequest r = request("");
  r.scenario_path = dir + "/bad.textproto";
  PlanResult bad = plan_scenario(r);
  EXPECT_FALSE(bad.plan);
  EXPECT_NE(bad.error.find(dir + "/bad.textproto:3:"), std::string::npos) << bad.error;

  r.scenario_path = dir + "/missing.textproto";
  EXPECT_FALSE(plan_scenario(r).plan);

  r = request("sim/scenarios/scale-10000.textproto");
  PlanResult big = plan_scenario(r);
  EXPECT_FALSE(big.plan);
  EXPECT_NE(big.error.find("at most 1000 DHT nodes"), std::string::npos) << big.error;

  r = request("sim/scenarios/race-5.textproto");
  r.extra_faults = {"no_such_fault"};
  PlanResult fault = plan_scenario(r);
  EXPECT_FALSE(fault.plan);
  EXPECT_NE(fault.error.find("unknown fault 'no_such_fault'"), std::string::npos) << fault.error;

  {
    std::ofstream(dir + "/slash.textproto")
        << "name: \"x\"\nduration_ms: 1000\n"
        << "process { name: \"b\" role: BOOTSTRAP }\n"
        << "process { name: \"tls\" role: GENESIS start_at_ms: 10 }\n";
  }
  r.scenario_path = dir + "/slash.textproto";
  r.extra_faults.clear();
  PlanResult reserved = plan_scenario(r);
  EXPECT_FALSE(reserved.plan);
  EXPECT_NE(reserved.error.find("'tls'"), std::string::npos) << reserved.error;
}

TEST(ScenarioPlan, DelayRulesFileIsChecked) {
  const std::string dir = ::testing::TempDir() + "/plan-rules";
  std::filesystem::create_directories(dir);
  EXPECT_NE(check_delay_rules_file(dir + "/none").find("no such file"), std::string::npos);
  EXPECT_NE(check_delay_rules_file(dir).find("not a regular file"), std::string::npos);
  std::ofstream(dir + "/rules.textproto") << "# no rules\n";
  EXPECT_EQ(check_delay_rules_file(dir + "/rules.textproto"), "");
  std::ofstream(dir + "/bad.textproto")
      << "rule { process: \"x\" for_ms: 1 frame { type: \"nope\" } }\n";
  EXPECT_NE(check_delay_rules_file(dir + "/bad.textproto").find("unknown message type \"nope\""),
            std::string::npos)
      << check_delay_rules_file(dir + "/bad.textproto");
  EXPECT_EQ(delay_rules_flags("/r", 2.5),
            (std::vector<std::string>{"--delay-rules", "/r", "--delay-rules-time-scale", "2.5"}));
}

TEST(ScenarioPlan, TimingFlagsScaleLikeTheClustersOwn) {
  // At the same scale the defaults give the flags scaled_timing_flags gives.
  const core::Timing defaults;
  const std::vector<std::string> ours = scenario_timing_flags(defaults, 10);
  const std::vector<std::string> theirs = scaled_timing_flags(10);
  for (std::size_t i = 0; i + 1 < theirs.size(); i += 2)
    EXPECT_EQ(flag_value(ours, theirs[i]), theirs[i + 1]) << theirs[i];
  EXPECT_EQ(flag_value(scenario_timing_flags(defaults, 1e6), "--find-node-timeout"), "1ms");
}

}  // namespace
}  // namespace yz::cluster
