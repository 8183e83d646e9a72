// Same scenario + seed => same trace hash, in one process and across two.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "sim/report.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using testing::early_return_race;
using testing::load_or_die;
using testing::run_once;
using testing::scenario_path;

std::string trace_hash_of(const std::string& json) {
  std::smatch match;
  if (std::regex_search(json, match, std::regex("\"trace_hash\":\"([0-9a-f]{16})\"")))
    return match[1];
  return {};
}

TEST(Determinism, SameSeedSameRunInOneProcess) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  for (const auto& faults : {core::FaultSet{}, early_return_race()}) {
    std::ostringstream trace_a, trace_b;
    const RunResult a = run_once(scenario, 11, faults, &trace_a);
    const RunResult b = run_once(scenario, 11, faults, &trace_b);
    EXPECT_EQ(a.trace_hash, b.trace_hash);
    EXPECT_EQ(a.events, b.events);
    EXPECT_EQ(to_json(a), to_json(b));
    EXPECT_EQ(trace_a.str(), trace_b.str());
    EXPECT_GT(a.events, 1000u);
  }
}

TEST(Determinism, DifferentSeedsDifferentRuns) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  EXPECT_NE(run_once(scenario, 1).trace_hash, run_once(scenario, 2).trace_hash);
  EXPECT_NE(run_once(scenario, 1).trace_hash,
            run_once(scenario, 1, early_return_race()).trace_hash);
}

TEST(Determinism, TracingDoesNotChangeTheRun) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  std::ostringstream trace;
  EXPECT_EQ(run_once(scenario, 3).trace_hash, run_once(scenario, 3, {}, &trace).trace_hash);
}

// In-process runs sign with Ed25519 (the scenario's default); yzsim's own
// default is the stand-in, so the command asks for Ed25519.
TEST(Determinism, SameSeedSameHashAcrossProcesses) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  const RunResult in_process = run_once(scenario, 99, early_return_race());
  char expected[17];
  std::snprintf(expected, sizeof expected, "%016llx",
                static_cast<unsigned long long>(in_process.trace_hash));
  const std::string command = std::string(YZSIM_PATH) + " run " +
                              scenario_path("incident-15.textproto") +
                              " --seed 99 --fault early_return_race --ed25519 --json";
  const auto [status_a, a] = testing::run_command(command);
  const auto [status_b, b] = testing::run_command(command);
  ASSERT_EQ(status_a, 0) << a;
  ASSERT_EQ(status_b, 0) << b;
  EXPECT_EQ(trace_hash_of(a), expected);
  EXPECT_EQ(trace_hash_of(b), expected);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace yz::sim
