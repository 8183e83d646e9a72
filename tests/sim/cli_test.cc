// yzsim's flags: bad ones are refused with a message naming them, exit 2.
#include "sim/cli.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using testing::CommandOutcome;
using testing::yzsim;

std::string error_of(const std::vector<std::string>& args) {
  const CliParse parse = parse_cli(args);
  EXPECT_FALSE(parse.options.has_value());
  return parse.error;
}

TEST(Cli, ParsesRun) {
  const CliParse parse =
      parse_cli({"run", "s.textproto", "--seed", "42", "--fault", "early_return_race", "--json"});
  ASSERT_TRUE(parse.options) << parse.error;
  EXPECT_EQ(parse.options->seed, 42u);
  EXPECT_TRUE(parse.options->json);
  EXPECT_TRUE(parse.options->faults.has(core::Fault::kEarlyReturnRace));
}

TEST(Cli, RefusesBadInputNamingIt) {
  EXPECT_NE(error_of({"run", "s", "--seed", "x1"}).find("--seed"), std::string::npos);
  EXPECT_NE(error_of({"run", "s", "--seed", "-1"}).find("--seed"), std::string::npos);
  EXPECT_NE(error_of({"run", "s", "--fault", "nope"}).find("unknown fault 'nope'"),
            std::string::npos);
  EXPECT_NE(error_of({"run", "s", "--colour"}).find("unknown flag '--colour'"), std::string::npos);
  EXPECT_NE(error_of({"explore", "s"}).find("--runs"), std::string::npos);
  EXPECT_NE(error_of({"explore", "s", "--runs", "0"}).find("--runs"), std::string::npos);
  EXPECT_NE(error_of({"fly"}).find("unknown command 'fly'"), std::string::npos);
  EXPECT_NE(error_of({"run"}).find("needs a SCENARIO"), std::string::npos);
  EXPECT_NE(error_of({"run", "s", "--strategy", "lifo"}).find("unknown strategy"),
            std::string::npos);
}

TEST(Cli, BinaryExitsTwoWithTheMessage) {
  const CommandOutcome bad_flag = yzsim("run x --bogus");
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.output.find("yzsim: unknown flag '--bogus'"), std::string::npos);

  const std::string path = ::testing::TempDir() + "/bad.textproto";
  std::ofstream(path) << "duration_ms: 1000\nprocess { name: \"b\" role: BOOTSTRAP }\nbogus: 1\n";
  const CommandOutcome bad_file = yzsim("run " + path);
  EXPECT_EQ(bad_file.exit_code, 2);
  EXPECT_NE(bad_file.output.find(path + ":3:"), std::string::npos) << bad_file.output;
}

TEST(Cli, CheckExitsOneOnFailureZeroOnSuccess) {
  const std::string scenario = std::string(YZ_SOURCE_DIR) + "/sim/scenarios/incident-15.textproto";
  EXPECT_EQ(yzsim("run " + scenario + " --check").exit_code, 0);
  const CommandOutcome broken = yzsim("run " + scenario + " --check --fault early_return_race");
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.output.find("DHT nodes healthy"), std::string::npos);
}

TEST(Cli, FaultsListsTheWholeBugFamilyOneLineEach) {
  const CommandOutcome faults = yzsim("faults");
  EXPECT_EQ(faults.exit_code, 0);
  for (const char* name :
       {"early_return_race", "replacement_cache_no_callback", "message_before_attach",
        "pong_wrong_manager", "lookup_no_termination", "short_bridge_wait"})
    EXPECT_NE(faults.output.find(std::string(name) + "\t"), std::string::npos) << name;
  EXPECT_EQ(std::count(faults.output.begin(), faults.output.end(), '\n'), 6);
}

TEST(Cli, ParsesExploreStrategies) {
  const CliParse exhaustive = parse_cli(
      {"explore", "s", "--strategy", "exhaustive", "--bound", "3", "--jobs", "2", "--save", "dir"});
  ASSERT_TRUE(exhaustive.options) << exhaustive.error;
  EXPECT_EQ(exhaustive.options->strategy, Strategy::kExhaustive);
  EXPECT_EQ(exhaustive.options->bound, 3u);
  EXPECT_EQ(exhaustive.options->jobs, 2u);
  const CliParse pct =
      parse_cli({"explore", "s", "--strategy", "pct", "--depth", "4", "--runs", "9"});
  ASSERT_TRUE(pct.options) << pct.error;
  EXPECT_EQ(pct.options->depth, 4u);
  EXPECT_NE(
      error_of({"explore", "s", "--strategy", "dfs", "--runs", "1"}).find("unknown strategy 'dfs'"),
      std::string::npos);
  EXPECT_NE(error_of({"run", "s", "--strategy", "exhaustive"}).find("use explore"),
            std::string::npos);
  EXPECT_NE(error_of({"explore", "s", "--strategy", "pct"}).find("--runs"), std::string::npos);
  EXPECT_NE(error_of({"explore", "s", "--runs", "1", "--jobs", "0"}).find("--jobs"),
            std::string::npos);
  EXPECT_NE(error_of({"replay"}).find("needs a TRACE"), std::string::npos);
  EXPECT_NE(error_of({"replay", "t", "--seed", "1"}).find("unknown flag '--seed'"),
            std::string::npos);
  const CliParse shrink = parse_cli({"shrink", "t.trace"});
  ASSERT_TRUE(shrink.options);
  EXPECT_EQ(shrink.options->out_path, "t.trace.min");
}

TEST(Cli, ExploreProgressIsPlainLinesWhenNotATerminal) {
  const std::string scenario = std::string(YZ_SOURCE_DIR) + "/sim/scenarios/race-5.textproto";
  const std::string progress = ::testing::TempDir() + "/yzsim-progress.txt";
  // stderr only: the progress lines, not the report.
  const CommandOutcome out = yzsim("explore " + scenario + " --runs 20 --jobs 2 2>" + progress +
                                   " >/dev/null; cat " + progress);
  std::filesystem::remove(progress);
  EXPECT_EQ(out.output.find('\r'), std::string::npos);
  EXPECT_EQ(std::count(out.output.begin(), out.output.end(), '\n'), 10) << out.output;
  EXPECT_NE(out.output.find("20/20 runs, 0 failing,"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("runs/s, ETA"), std::string::npos);
}

// ---- issue 14's tooling ------------------------------------------------------

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Cli, ProcessCapExitsTwoBeforeBuildingAndTheFlagRaisesIt) {
  const std::string path = ::testing::TempDir() + "/yzsim-huge.textproto";
  std::ofstream(path) << "duration_ms: 1000\n"
                         "process { name: \"bootstrap\" role: BOOTSTRAP }\n"
                         "process { name: \"genesis\" role: GENESIS }\n"
                         "node_group { name_prefix: \"n-\" count: 4294967295 }\n";
  // Before the cap, this built four billion processes and died of
  // std::bad_alloc (or the OOM killer); now it is refused, exit 2.
  for (const char* command : {"run", "explore"}) {
    const CommandOutcome huge = yzsim(std::string(command) + " " + path +
                                      (command == std::string("run") ? "" : " --runs 1"));
    EXPECT_EQ(huge.exit_code, 2) << huge.output;
    EXPECT_NE(huge.output.find(path + ":4:1: node_group 'n-' (count 4294967295) brings the "
                                      "scenario to 4294967297 processes, over the cap of 100000"),
              std::string::npos)
        << huge.output;
  }
  const std::string race = std::string(YZ_SOURCE_DIR) + "/sim/scenarios/race-5.textproto";
  const CommandOutcome lowered = yzsim("run " + race + " --max-processes 4");
  EXPECT_EQ(lowered.exit_code, 2);
  EXPECT_NE(lowered.output.find("5 processes, over the cap of 4"), std::string::npos)
      << lowered.output;
  EXPECT_EQ(yzsim("run " + race + " --max-processes 5 --check").exit_code, 0);
  EXPECT_NE(error_of({"run", "s", "--max-processes", "0"}).find("--max-processes"),
            std::string::npos);
  EXPECT_NE(error_of({"run", "s", "--max-processes", "x"}).find("--max-processes"),
            std::string::npos);
}

// The hint used to print the scenario's name (not a file) and leave out
// --fault: it did not run, or ran without the failure. The printed command
// is run here, as printed, from a path with a space in it, and must fail the
// same way (exit 1, through --check).
TEST(Cli, ExploreReplayHintRunsAndReproducesTheFailure) {
  const std::string dir = ::testing::TempDir() + "/yzsim hint";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/my race.textproto";
  std::filesystem::copy_file(std::string(YZ_SOURCE_DIR) + "/sim/scenarios/race-5.textproto", path,
                             std::filesystem::copy_options::overwrite_existing);
  for (const char* strategy : {"random", "swarm", "pct"}) {
    const CommandOutcome explored =
        yzsim("explore '" + path + "' --runs 6 --jobs 2 --fault early_return_race " +
              "--fast-signatures --strategy " + strategy + " 2>/dev/null");
    ASSERT_EQ(explored.exit_code, 0) << explored.output;
    const std::string marker = "replay one with: ";
    const std::size_t at = explored.output.find(marker);
    ASSERT_NE(at, std::string::npos) << explored.output;
    const std::size_t eol = explored.output.find('\n', at);
    const std::string command =
        explored.output.substr(at + marker.size(), eol - at - marker.size());
    EXPECT_NE(command.find("--fault early_return_race"), std::string::npos) << command;
    EXPECT_NE(command.find("--fast-signatures"), std::string::npos) << command;
    EXPECT_NE(command.find(std::string("--strategy ") + strategy), std::string::npos) << command;
    const CommandOutcome replayed = testing::run_command(command + " 2>&1");
    EXPECT_EQ(replayed.exit_code, 1) << command << "\n" << replayed.output;
    EXPECT_NE(replayed.output.find("peers_missing_handler first broke"), std::string::npos)
        << command << "\n"
        << replayed.output;
  }
  std::filesystem::remove_all(dir);
}

// yzsim with `args`, standard error to `err_path` (not folded into the output).
CommandOutcome yzsim_apart(const std::string& args, const std::string& err_path) {
  return testing::run_command(std::string(YZSIM_PATH) + " " + args + " 2>" + err_path);
}

TEST(Cli, RunProgressGoesToStderrAndLeavesStdoutAlone) {
  const std::string scenario = std::string(YZ_SOURCE_DIR) + "/sim/scenarios/incident-15.textproto";
  const std::string err = ::testing::TempDir() + "/yzsim-run-progress.txt";
  const CommandOutcome plain = yzsim_apart("run " + scenario + " --fast-signatures --json", err);
  ASSERT_EQ(plain.exit_code, 0);
  // A short run says nothing unless asked: tests and scripts stay quiet.
  EXPECT_EQ(read_text(err), "");
  const CommandOutcome quiet =
      yzsim_apart("run " + scenario + " --fast-signatures --json --no-progress", err);
  EXPECT_EQ(read_text(err), "");
  EXPECT_EQ(quiet.output, plain.output);

  const CommandOutcome shown =
      yzsim_apart("run " + scenario + " --fast-signatures --json --progress", err);
  ASSERT_EQ(shown.exit_code, 0);
  // Same stdout, trace hash included.
  EXPECT_EQ(shown.output, plain.output);
  const std::string lines = read_text(err);
  std::filesystem::remove(err);
  EXPECT_EQ(lines.find('\r'), std::string::npos) << lines;
  // A line at each tenth of the virtual time and one at the end.
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 10) << lines;
  EXPECT_NE(lines.find("run:  10% of virtual time"), std::string::npos) << lines;
  EXPECT_NE(lines.find("run: 100% of virtual time (600.0 of 600.0 s)"), std::string::npos) << lines;

  // The same with --save, which records the run as it goes.
  const std::string trace = ::testing::TempDir() + "/yzsim-progress.trace";
  const CommandOutcome saved =
      yzsim_apart("run " + scenario + " --fast-signatures --json --progress --save " + trace, err);
  EXPECT_EQ(saved.output, plain.output);
  EXPECT_NE(read_text(err).find("run: 100% of virtual time"), std::string::npos);
  std::filesystem::remove(err);
  std::filesystem::remove(trace);
}

TEST(Cli, BinaryScenarioAndUnknownRoleAreNamedPlainly) {
  const std::string binary = ::testing::TempDir() + "/yzsim-binary.textproto";
  std::ofstream(binary, std::ios::binary) << std::string(
      "\x7f"
      "ELF\x02\x01\x01\0\0",
      9);
  const CommandOutcome out = yzsim("run " + binary);
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.output.find("yzsim: " + binary +
                            ": not a text file: byte 0x7f at offset 0 (line 1, column 1)"),
            std::string::npos)
      << out.output;
  for (char c : out.output) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << out.output;

  const std::string role = ::testing::TempDir() + "/yzsim-role7.textproto";
  std::ofstream(role) << "duration_ms: 1000\nprocess { name: \"b\" role: 7 }\n";
  const CommandOutcome seven = yzsim("run " + role);
  EXPECT_EQ(seven.exit_code, 2);
  EXPECT_NE(seven.output.find(role + ":2:21: process 'b' has unknown role 7"), std::string::npos)
      << seven.output;
}

TEST(Cli, FastSignaturesAreRecordedSoTheTraceReplays) {
  const std::string scenario = std::string(YZ_SOURCE_DIR) + "/sim/scenarios/race-5.textproto";
  const std::string trace = ::testing::TempDir() + "/yzsim-fast.trace";
  const CommandOutcome fast =
      yzsim("run " + scenario + " --seed 3 --json --fast-signatures --save " + trace);
  ASSERT_EQ(fast.exit_code, 0) << fast.output;
  const CommandOutcome ed25519 = yzsim("run " + scenario + " --seed 3 --json --ed25519");
  ASSERT_EQ(ed25519.exit_code, 0) << ed25519.output;
  // Other keys, other ids: another run, and the trace says which keys.
  EXPECT_NE(fast.output, ed25519.output);
  // The stand-in is what yzsim runs unless told --ed25519.
  const CommandOutcome plain = yzsim("run " + scenario + " --seed 3 --json");
  EXPECT_EQ(plain.output, fast.output);
  std::ifstream in(trace);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\nedit signatures sim_hash\n"), std::string::npos);
  const CommandOutcome replayed = yzsim("replay " + trace);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.output;
  EXPECT_NE(replayed.output.find("replay matches"), std::string::npos) << replayed.output;
}

TEST(Cli, SaveReplayAndShrinkThroughTheBinary) {
  const std::string scenario = std::string(YZ_SOURCE_DIR) + "/sim/scenarios/race-5.textproto";
  const std::string dir = ::testing::TempDir() + "/yzsim-cli";
  const std::string trace = dir + "/run.trace";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EXPECT_EQ(
      yzsim("run " + scenario + " --fault early_return_race --seed 5 --save " + trace).exit_code,
      0);
  const CommandOutcome replayed = yzsim("replay " + trace);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.output;
  EXPECT_NE(replayed.output.find("replay matches"), std::string::npos);

  // One changed step in the file: replay exits 1 and names it.
  std::ifstream in(trace);
  std::stringstream text;
  text << in.rdbuf();
  std::string changed = text.str();
  const auto at = changed.find("start_at_ms: 6000");
  ASSERT_NE(at, std::string::npos);
  changed.replace(at, 17, "start_at_ms: 6001");
  std::ofstream(dir + "/changed.trace") << changed;
  const CommandOutcome differs = yzsim("replay " + dir + "/changed.trace");
  EXPECT_EQ(differs.exit_code, 1);
  EXPECT_NE(differs.output.find("replay DIFFERS"), std::string::npos) << differs.output;

  std::ofstream(dir + "/garbage.trace") << "not a trace\n";
  const CommandOutcome garbage = yzsim("replay " + dir + "/garbage.trace");
  EXPECT_EQ(garbage.exit_code, 2);
  EXPECT_NE(garbage.output.find("not a yzsim trace"), std::string::npos);

  const CommandOutcome shrunk = yzsim("shrink " + trace + " --out " + dir + "/min.trace");
  EXPECT_EQ(shrunk.exit_code, 0) << shrunk.output;
  EXPECT_NE(shrunk.output.find("story: "), std::string::npos) << shrunk.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/min.trace"));
  EXPECT_EQ(yzsim("replay " + dir + "/min.trace").exit_code, 0);

  const CommandOutcome explored = yzsim(
      "explore " + scenario + " --strategy exhaustive --bound 1 --fault early_return_race --save " +
      dir + "/failing");
  EXPECT_EQ(explored.exit_code, 0) << explored.output;
  EXPECT_NE(explored.output.find("every ordering within the bound was covered"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir + "/failing/peers_missing_handler.trace"));
  EXPECT_EQ(yzsim("replay " + dir + "/failing/peers_missing_handler.trace").exit_code, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace yz::sim
