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

// Issue 14: `role: 7` named no role; it is an unknown one.
TEST(Scenario, UnknownRoleValueIsNamedAsUnknownNotMissing) {
  const std::string error = error_of(std::string(kMinimal) + "process { name: \"x\" role: 7 }\n");
  EXPECT_NE(error.find("test.textproto:5:"), std::string::npos) << error;
  EXPECT_NE(error.find("process 'x' has unknown role 7"), std::string::npos) << error;
  EXPECT_NE(error.find("BOOTSTRAP, GENESIS, BRIDGE or NODE"), std::string::npos) << error;
  EXPECT_EQ(error.find("has no role"), std::string::npos) << error;
}

// Issue 14: a node group's count was unbounded and every process was built
// up front (count: 4294967295 died of std::bad_alloc). The total is capped,
// and checked before a single process exists.
TEST(Scenario, ProcessCapRefusesHugeGroupsBeforeBuildingThem) {
  const std::string huge =
      std::string(kMinimal) + "node_group { name_prefix: \"n-\" count: 4294967295 }\n";
  const std::string error = error_of(huge);
  EXPECT_NE(error.find("test.textproto:5:"), std::string::npos) << error;
  EXPECT_NE(error.find("4294967297 processes, over the cap of 100000"), std::string::npos) << error;
  EXPECT_NE(error.find("--max-processes"), std::string::npos) << error;
  // Two groups that pass one by one and not together.
  const std::string two = std::string(kMinimal) +
                          "node_group { name_prefix: \"a-\" count: 60000 }\n"
                          "node_group { name_prefix: \"b-\" count: 60000 }\n";
  EXPECT_NE(error_of(two).find("node_group 'b-' (count 60000) brings the scenario to 120002"),
            std::string::npos);
  // The limit is the caller's: the cap counts every process, exactly.
  const std::string three = std::string(kMinimal) + "node_group { name_prefix: \"n-\" count: 3 }\n";
  EXPECT_TRUE(parse_scenario(three, "t", ScenarioLimits{5}).scenario);
  const ScenarioLoad over = parse_scenario(three, "t", ScenarioLimits{4});
  EXPECT_FALSE(over.scenario);
  EXPECT_NE(over.error.find("5 processes, over the cap of 4"), std::string::npos) << over.error;
  const ScenarioLoad processes_only = parse_scenario(kMinimal, "t", ScenarioLimits{1});
  EXPECT_FALSE(processes_only.scenario);
  EXPECT_NE(processes_only.error.find("t: the scenario has 2 processes, over the cap of 1"),
            std::string::npos)
      << processes_only.error;
}

// Issue 14: a binary file's error quoted the byte the tokenizer choked on.
// It names the file, the offset, line and column, says it is not text and
// shows the byte in hex only.
TEST(Scenario, BinaryFileIsNamedNotTextWithoutTheRawByte) {
  const std::string elf(
      "\x7f"
      "ELF\x02\x01\x01\0\0\0",
      10);
  std::string error = error_of(elf);
  EXPECT_EQ(error,
            "test.textproto: not a text file: byte 0x7f at offset 0 (line 1, column 1) is a "
            "control character; a scenario is a yz.sim.v1.Scenario text proto");
  // Later in the file, not UTF-8: the line and column are where it is.
  error = error_of(std::string(kMinimal) + "process { name: \"n\xff\" role: NODE }\n");
  EXPECT_NE(error.find("byte 0xff at offset 155 (line 5, column 19) is not UTF-8"),
            std::string::npos)
      << error;
  for (char c : error) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << error;
  // UTF-8 in a comment or a description is text.
  EXPECT_TRUE(parse_scenario(std::string(kMinimal) + "# caf\xc3\xa9 \xe2\x9c\x93\n"
                                                     "description: \"na\xc3\xafve\"\n",
                             "t")
                  .scenario);
  // A name with an escaped control character is quoted escaped.
  error = error_of(std::string(kMinimal) + "process { name: \"n\\001\" role: NODE }\n");
  EXPECT_NE(error.find("process name 'n\\x01' must be"), std::string::npos) << error;
  EXPECT_EQ(not_text_problem("a\tb\r\n\f\v", "t"), "");
}

TEST(Scenario, MissingFileIsNamed) {
  const ScenarioLoad load = load_scenario_file("/nonexistent/x.textproto");
  EXPECT_FALSE(load.scenario);
  EXPECT_NE(load.error.find("/nonexistent/x.textproto: cannot open"), std::string::npos);
}

}  // namespace
}  // namespace yz::sim
