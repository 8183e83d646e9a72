// yzsim's flags: bad ones are refused with a message naming them, exit 2.
#include "sim/cli.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

namespace yz::sim {
namespace {

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

struct Outcome {
  int exit_code;
  std::string output;
};

Outcome yzsim(const std::string& args) {
  const std::string command = std::string(YZSIM_PATH) + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buffer;
  while (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) out += buffer.data();
  const int status = pclose(pipe.release());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(Cli, BinaryExitsTwoWithTheMessage) {
  const Outcome bad_flag = yzsim("run x --bogus");
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.output.find("yzsim: unknown flag '--bogus'"), std::string::npos);

  const std::string path = ::testing::TempDir() + "/bad.textproto";
  std::ofstream(path) << "duration_ms: 1000\nprocess { name: \"b\" role: BOOTSTRAP }\nbogus: 1\n";
  const Outcome bad_file = yzsim("run " + path);
  EXPECT_EQ(bad_file.exit_code, 2);
  EXPECT_NE(bad_file.output.find(path + ":3:"), std::string::npos) << bad_file.output;
}

TEST(Cli, CheckExitsOneOnFailureZeroOnSuccess) {
  const std::string scenario = std::string(YZ_SOURCE_DIR) + "/sim/scenarios/incident-15.textproto";
  EXPECT_EQ(yzsim("run " + scenario + " --check").exit_code, 0);
  const Outcome broken = yzsim("run " + scenario + " --check --fault early_return_race");
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.output.find("DHT nodes healthy"), std::string::npos);
}

TEST(Cli, FaultsListsEarlyReturnRace) {
  const Outcome faults = yzsim("faults");
  EXPECT_EQ(faults.exit_code, 0);
  EXPECT_NE(faults.output.find("early_return_race"), std::string::npos);
}

}  // namespace
}  // namespace yz::sim
