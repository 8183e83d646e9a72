// Bad scenario files are refused with the problem and its line.
#include "sim/scenario.h"

#include <gtest/gtest.h>

#include <string>

namespace yz::sim {
namespace {

constexpr const char* kMinimal = R"(name: "mini"
duration_ms: 60000
process { name: "bootstrap" role: BOOTSTRAP }
process { name: "genesis" role: GENESIS start_at_ms: 100 }
)";

std::string error_of(const std::string& text) {
  const ScenarioLoad load = parse_scenario(text, "test.textproto");
  EXPECT_FALSE(load.scenario.has_value()) << "accepted:\n" << text;
  return load.error;
}

TEST(Scenario, MinimalScenarioLoadsWithDefaults) {
  const ScenarioLoad load = parse_scenario(kMinimal, "test.textproto");
  ASSERT_TRUE(load.scenario) << load.error;
  EXPECT_EQ(load.scenario->processes.size(), 2u);
  EXPECT_EQ(load.scenario->timing.k, 20u);
  EXPECT_EQ(load.scenario->timing.health_check_interval, 30 * core::kSecond);
  EXPECT_EQ(load.scenario->duration, 60 * core::kSecond);
}

TEST(Scenario, ShippedScenariosLoad) {
  for (const char* name : {"incident-15.textproto", "lookup-1000.textproto"}) {
    const ScenarioLoad load =
        load_scenario_file(std::string(YZ_SOURCE_DIR) + "/sim/scenarios/" + name);
    EXPECT_TRUE(load.scenario) << load.error;
  }
}

TEST(Scenario, NodeGroupExpandsWithNamesAndStarts) {
  const ScenarioLoad load = parse_scenario(
      std::string(kMinimal) +
          "node_group { name_prefix: \"n-\" count: 3 first_start_ms: 1000 start_interval_ms: 500 }",
      "t");
  ASSERT_TRUE(load.scenario) << load.error;
  ASSERT_EQ(load.scenario->processes.size(), 5u);
  EXPECT_EQ(load.scenario->processes[4].name, "n-3");
  EXPECT_EQ(load.scenario->processes[4].start_at, 2000 * core::kMillisecond);
}

TEST(Scenario, SyntaxErrorNamesTheLine) {
  const std::string error = error_of("name: \"x\"\nduration_ms: 10\nprocess { name: \"a\" \n");
  EXPECT_NE(error.find("test.textproto:4:"), std::string::npos) << error;
}

TEST(Scenario, UnknownFieldNamesTheLineAndField) {
  const std::string error = error_of(std::string(kMinimal) + "colour: 3\n");
  EXPECT_NE(error.find("test.textproto:5:"), std::string::npos) << error;
  EXPECT_NE(error.find("colour"), std::string::npos) << error;
}

TEST(Scenario, UnknownFaultNamesTheLineAndFault) {
  const std::string error = error_of(std::string(kMinimal) + "fault: \"early_return\"\n");
  EXPECT_NE(error.find("test.textproto:5:"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown fault 'early_return'"), std::string::npos) << error;
}

TEST(Scenario, DuplicateNameNamesTheLine) {
  const std::string error =
      error_of(std::string(kMinimal) + "process { name: \"genesis\" role: NODE }\n");
  EXPECT_NE(error.find("test.textproto:5:"), std::string::npos) << error;
  EXPECT_NE(error.find("used twice"), std::string::npos) << error;
}

TEST(Scenario, SemanticProblemsAreNamed) {
  EXPECT_NE(error_of("duration_ms: 0\n").find("duration_ms must be > 0"), std::string::npos);
  EXPECT_NE(error_of("duration_ms: 5\nprocess { name: \"g\" role: GENESIS }\n")
                .find("exactly one BOOTSTRAP"),
            std::string::npos);
  EXPECT_NE(error_of("duration_ms: 5\nprocess { name: \"b\" role: BOOTSTRAP }\n")
                .find("exactly one GENESIS"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "latency { min_us: 10 max_us: 5 }\n")
                .find("test.textproto:5:"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "process { name: \"x y\" role: NODE }\n")
                .find("must be 1-64 characters"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "process { name: \"x\" }\n").find("has no role"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "node_group { name_prefix: \"n\" count: 0 }\n")
                .find("count must be > 0"),
            std::string::npos);
}

// Found by scenario_fuzz: times this large overflowed the nanosecond clock.
TEST(Scenario, TimesBeyondACenturyAreRefusedNotOverflowed) {
  const std::string huge = "500333333333333";
  EXPECT_NE(error_of(std::string(kMinimal) +
                     "process { name: \"n\" role: NODE start_at_ms: " + huge + " }\n")
                .find("start_at_ms of 'n' is too large"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "node_group { name_prefix: \"n\" count: 3 " +
                     "start_interval_ms: " + huge + " }\n")
                .find("node_group start times are too large"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "liveness_bound_ms: " + huge + "\n")
                .find("liveness_bound_ms is too large"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "lookup_check { count: 1 at_ms: " + huge + " }\n")
                .find("at_ms is too large"),
            std::string::npos);
}

TEST(Scenario, MissingFileIsNamed) {
  const ScenarioLoad load = load_scenario_file("/nonexistent/x.textproto");
  EXPECT_FALSE(load.scenario);
  EXPECT_NE(load.error.find("/nonexistent/x.textproto: cannot open"), std::string::npos);
}

}  // namespace
}  // namespace yz::sim
