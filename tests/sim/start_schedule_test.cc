// The start schedule yzctl up --scenario uses (sim/start_schedule.h) is the
// one the simulator runs: every process starts, and every crash and restart
// happens, at the virtual time the shared code says, for several seeds.
#include "sim/start_schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "sim/scenario.h"
#include "sim/simulator.h"

namespace yz::sim {
namespace {

// (virtual time ns, process name, "start" | "crash" | "restart")
using Event = std::tuple<std::int64_t, std::string, std::string>;

Scenario load(const std::string& relative) {
  const ScenarioLoad load = load_scenario_file(std::string(YZ_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(load.scenario.has_value()) << load.error;
  return *load.scenario;
}

// The start, crash and restart events of a `yzsim run --seed seed` (the
// default random strategy), read from its trace lines:
// "STEP t=SECONDS.NANOS NAME KIND ...".
std::vector<Event> simulated(const Scenario& scenario, std::uint64_t seed) {
  std::ostringstream trace;
  RunOptions options;
  options.seed = seed;
  options.trace = &trace;
  Simulator sim(scenario, options);
  sim.run();
  std::vector<Event> out;
  std::istringstream lines(trace.str());
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string step, time, name, kind;
    if (!(words >> step >> time >> name >> kind)) continue;
    if (kind != "start" && kind != "crash" && kind != "restart") continue;
    if (time.rfind("t=", 0) != 0) continue;
    const std::size_t dot = time.find('.');
    const std::int64_t t =
        std::stoll(time.substr(2, dot - 2)) * core::kSecond + std::stoll(time.substr(dot + 1));
    out.emplace_back(t, name, kind);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Event> shared(const Scenario& scenario, std::uint64_t seed) {
  std::vector<Event> out;
  const std::vector<core::Duration> starts = start_times(scenario, seed);
  EXPECT_EQ(starts.size(), scenario.processes.size());
  for (std::size_t i = 0; i < starts.size(); ++i)
    out.emplace_back(starts[i], scenario.processes[i].name, "start");
  for (const CrashRestart& c : crash_restarts(scenario, seed)) {
    const std::string& name = scenario.processes[static_cast<std::size_t>(c.process)].name;
    out.emplace_back(c.at, name, "crash");
    out.emplace_back(c.at + c.down, name, "restart");
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(StartSchedule, Incident15StartsWhereTheSimulatorStartsThem) {
  Scenario scenario = load("sim/scenarios/incident-15.textproto");
  scenario.sim_hash_signatures = true;  // faster; starts do not depend on it
  bool some_jitter = false;
  for (const auto& p : scenario.processes) some_jitter |= p.start_jitter > 0;
  ASSERT_TRUE(some_jitter) << "incident-15 should draw start jitter";
  for (const std::uint64_t seed : {1ULL, 2ULL, 7ULL, 12345ULL}) {
    const std::vector<Event> sim = simulated(scenario, seed);
    const std::vector<Event> ours = shared(scenario, seed);
    ASSERT_EQ(ours.size(), scenario.processes.size());
    EXPECT_EQ(sim, ours) << "seed " << seed;
  }
  // Different seeds draw different jitter, so the comparison above can fail.
  EXPECT_NE(start_times(scenario, 1), start_times(scenario, 2));
}

TEST(StartSchedule, CrashesAndRestartsAreTheSimulatorsToo) {
  Scenario scenario = load("tests/sim/scenarios/long-tail.textproto");
  ASSERT_GT(scenario.restarts, 0u);
  for (const std::uint64_t seed : {1ULL, 3ULL, 99ULL}) {
    const std::vector<CrashRestart> crashes = crash_restarts(scenario, seed);
    EXPECT_EQ(crashes.size(), scenario.restarts) << "seed " << seed;
    const std::vector<Event> sim = simulated(scenario, seed);
    EXPECT_EQ(sim, shared(scenario, seed)) << "seed " << seed;
  }
}

TEST(StartSchedule, NoJitterMeansTheDeclaredTimes) {
  const Scenario scenario = load("sim/scenarios/race-5.textproto");
  const std::vector<core::Duration> starts = start_times(scenario, 42);
  for (std::size_t i = 0; i < starts.size(); ++i)
    EXPECT_EQ(starts[i], scenario.processes[i].start_at) << scenario.processes[i].name;
  EXPECT_TRUE(crash_restarts(scenario, 42).empty());
}

}  // namespace
}  // namespace yz::sim
