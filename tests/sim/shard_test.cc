// Exploration beyond one machine: N shards of an exploration, merged, give
// what the single run gives (the same JSON, the same saved trace files, byte
// for byte), and merge refuses shards that do not make one exploration.
#include "sim/shard.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using testing::CommandOutcome;
using testing::yzsim;
namespace fs = std::filesystem;

// Every fault on, swarm: 40 runs of race-5 fail in four ways, and the first
// failure of a kind is in different shards for different kinds, while later
// shards have failures of the same kinds too (checked below), so merge must
// pick by run order. Seeds from 3, so no slice starts at the default seed.
const std::string kExploration =
    " --strategy swarm --runs 40 --seed 3 --fault early_return_race"
    " --fault replacement_cache_no_callback --fault message_before_attach"
    " --fault pong_wrong_manager --fault lookup_no_termination --fault short_bridge_wait"
    " --fast-signatures --jobs 1";

std::string scenario() { return std::string(YZ_SOURCE_DIR) + "/sim/scenarios/race-5.textproto"; }

// A fresh directory per test: CTest runs the cases in parallel.
std::string fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string dir = ::testing::TempDir() + "/yzsim-shard-" + info->name();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The wall-clock figures and the thread count, which differ between two
// single runs of the same exploration too; everything else must be equal.
std::string without_wall_time(const std::string& json) {
  static const std::regex kTiming(
      R"re("jobs":\d+|"wall_seconds":[-0-9.e+]+|"runs_per_second":[-0-9.e+]+)re");
  return std::regex_replace(json, kTiming, "");
}

// Every file of `dir` by name, with its bytes.
std::map<std::string, std::string> files_in(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::directory_iterator(dir))
    out[entry.path().filename().string()] = read(entry.path().string());
  return out;
}

// Standard output only: the progress lines on standard error are not part
// of the result.
CommandOutcome explore(const std::string& args) {
  return testing::run_command(std::string(YZSIM_PATH) + " explore " + scenario() + " " + args +
                              " 2>/dev/null");
}

// Runs the exploration whole, then as `count` shards (each with its own
// --save directory), merges the shard files given in reverse order, and
// compares. The single run saves a trace for each of `kinds` failure kinds.
void expect_merge_equals_single_run(const std::string& exploration, std::uint64_t count,
                                    std::size_t kinds) {
  const std::string dir = fresh_dir() + "/n" + std::to_string(count);
  fs::create_directories(dir);
  const CommandOutcome single = explore(exploration + " --json --save " + dir + "/single");
  ASSERT_EQ(single.exit_code, 0) << single.output;
  std::vector<std::string> shard_files;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string index = std::to_string(i);
    const std::string file = dir + "/shard-" + index + ".json";
    const CommandOutcome shard =
        explore(exploration + " --json --shard " + index + "/" + std::to_string(count) + " --out " +
                file + " --save " + dir + "/traces-" + index);
    ASSERT_EQ(shard.exit_code, 0) << shard.output;
    shard_files.insert(shard_files.begin(), file);  // arrival order is not run order
  }
  std::string args;
  for (const auto& f : shard_files) args += " " + f;
  const CommandOutcome merged = yzsim("merge" + args + " --json --save " + dir + "/merged");
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_EQ(without_wall_time(merged.output), without_wall_time(single.output)) << "N=" << count;
  EXPECT_NE(without_wall_time(single.output), single.output);  // the regex did take them out
  const auto single_traces = files_in(dir + "/single");
  EXPECT_EQ(single_traces.size(), kinds) << single.output;
  EXPECT_EQ(files_in(dir + "/merged"), single_traces) << "N=" << count;
}

TEST(Shard, SlicesTileTheRunsInOrder) {
  for (std::uint64_t runs : {0, 1, 2, 7, 40, 1000003})
    for (std::uint64_t count : {1, 2, 3, 7, 64}) {
      std::uint64_t next = 0;
      for (std::uint64_t i = 0; i < count; ++i) {
        const RunSlice slice = shard_slice(runs, i, count);
        EXPECT_EQ(slice.begin, next) << runs << " " << i << "/" << count;
        EXPECT_LE(slice.end - slice.begin, runs / count + 1);
        EXPECT_GE(slice.end - slice.begin, runs / count);
        next = slice.end;
      }
      EXPECT_EQ(next, runs);
    }
  // No overflow on the largest counts.
  const RunSlice last = shard_slice(~0ULL, 999, 1000);
  EXPECT_EQ(last.end, ~0ULL);
}

TEST(Shard, MergeOfOneTwoAndThreeShardsIsTheSingleRun) {
  for (std::uint64_t count : {1, 2, 3}) expect_merge_equals_single_run(kExploration, count, 4);
}

TEST(Shard, PctShardsMergeToo) {
  // pct draws its change points from a probe run, which each shard repeats.
  expect_merge_equals_single_run(
      "--strategy pct --runs 12 --fault early_return_race --fast-signatures --jobs 1", 2, 2);
}

TEST(Shard, MergePicksTheFirstFailureInRunOrderNotInShardOrder) {
  const std::string dir = fresh_dir();
  std::vector<ShardInput> inputs;
  for (int i = 0; i < 3; ++i) {
    const std::string file = dir + "/shard-" + std::to_string(i) + ".json";
    ASSERT_EQ(
        explore(kExploration + " --shard " + std::to_string(i) + "/3 --out " + file).exit_code, 0);
    std::string error;
    auto shard = shard_from_json(read(file), error);
    ASSERT_TRUE(shard.has_value()) << error;
    inputs.insert(inputs.begin(), {file, std::move(*shard)});
  }
  // The exploration is a meaningful test: some kind fails first in one
  // shard and again in a later one.
  std::size_t repeated = 0;
  for (const auto& [kind, failure] : inputs.back().shard.first_failure)
    repeated += inputs.front().shard.first_failure.contains(kind);
  EXPECT_GT(repeated, 0u);
  const MergeOutcome outcome = merge_shards(inputs);
  ASSERT_TRUE(outcome.merged) << outcome.error;
  for (const auto& [kind, failure] : outcome.merged->first_failure)
    for (const auto& in : inputs) {
      const auto it = in.shard.first_failure.find(kind);
      if (it != in.shard.first_failure.end()) {
        EXPECT_LE(failure.run_index, it->second.run_index);
      }
    }
}

TEST(Shard, MergeRefusesShardsThatAreNotOneExploration) {
  const std::string dir = fresh_dir();
  auto shard = [&](const std::string& name, const std::string& args) {
    const std::string file = dir + "/" + name + ".json";
    EXPECT_EQ(explore(args + " --out " + file + " --save " + dir + "/" + name).exit_code, 0)
        << name;
    return " " + file;
  };
  const std::string a0 = shard("a0", kExploration + " --shard 0/3");
  const std::string a1 = shard("a1", kExploration + " --shard 1/3");
  const std::string a2 = shard("a2", kExploration + " --shard 2/3");
  const std::string b0 = shard("b0", kExploration + " --shard 0/2");
  const std::string b1 = shard("b1", kExploration + " --shard 1/2");
  EXPECT_EQ(yzsim("merge" + a0 + a1 + a2).exit_code, 0);
  // Shards of two different splits merge when their runs tile the whole.
  EXPECT_EQ(yzsim("merge" + b0 + b1).exit_code, 0);

  auto refused = [&](const std::string& files, const std::string& says) {
    const CommandOutcome out = yzsim("merge" + files);
    EXPECT_EQ(out.exit_code, 2) << files << ": " << out.output;
    EXPECT_NE(out.output.find(says), std::string::npos) << out.output;
  };
  refused(a0 + a2, "missing shard 1/3");
  refused(a0 + a1 + a2 + a1, "overlapping shards");
  refused(a0 + b1 + a1, "overlapping shards: runs 20..26");
  refused(a0 + b1, "missing shard: runs 14..19");
  refused(a0 + a1 +
              shard("c2",
                    "--strategy swarm --runs 40 --seed 3 --fast-signatures --jobs 1 "
                    "--shard 2/3"),
          "shards of different explorations");
  refused(a0 + a1 + shard("d2", kExploration + " --runs 41 --shard 2/3"), "--runs 40 vs 41");
  refused(a0 + a1 + shard("e2", kExploration + " --seed 4 --shard 2/3"), "--seed 3 vs 4");

  // Not a shard file: explore's --json output.
  std::ofstream(dir + "/plain.json") << explore(kExploration + " --json").output;
  refused(" " + dir + "/plain.json", "not a yzsim shard file");
  refused(" " + dir + "/nowhere.json", "cannot read");
  // A trace that is not the one its shard saved (another shard wrote over
  // it): merge --save refuses before writing anything.
  const std::string trace = dir + "/a1/live_link_closed_as_dead.trace";
  ASSERT_TRUE(fs::exists(trace));
  std::ofstream(trace, std::ios::app) << "# changed\n";
  const CommandOutcome changed = yzsim("merge" + a0 + a1 + a2 + " --save " + dir + "/out");
  EXPECT_EQ(changed.exit_code, 2) << changed.output;
  EXPECT_NE(changed.output.find("is not the trace"), std::string::npos) << changed.output;
  EXPECT_FALSE(fs::exists(dir + "/out"));
}

TEST(Shard, ExploreRefusesBadShardFlags) {
  auto refused = [](const std::string& args, const std::string& says) {
    const CommandOutcome out = yzsim("explore " + scenario() + " " + args);
    EXPECT_EQ(out.exit_code, 2) << args;
    EXPECT_NE(out.output.find(says), std::string::npos) << out.output;
  };
  refused("--runs 4 --shard 3/3", "--shard needs I/N");
  refused("--runs 4 --shard 1", "--shard needs I/N");
  refused("--runs 4 --shard a/b", "--shard needs I/N");
  refused("--runs 4 --shard 0/0", "--shard needs I/N");
  refused("--strategy exhaustive --shard 0/2", "cannot be split");
  refused("--strategy exhaustive --out x.json", "cannot be split");
  const CommandOutcome no_files = yzsim("merge");
  EXPECT_EQ(no_files.exit_code, 2);
  EXPECT_NE(no_files.output.find("merge needs SHARD files"), std::string::npos);
}

TEST(Shard, ShardFileRoundTrips) {
  ShardResult s;
  s.exploration = {"race-5", 42, "swarm", 3, 40, 3, {"early_return_race"}, true, true};
  s.index = 1;
  s.count = 3;
  s.run_begin = 14;
  s.run_end = 27;
  s.summary.runs = 13;
  s.summary.jobs = 2;
  s.summary.faults = {"early_return_race"};
  s.summary.failing_seeds = {17, 21};
  s.summary.unhealthy_histogram = {{0, 12}, {3, 1}};
  s.first_failure["livelock"] = {14, 17, 99, "t/livelock.trace", ~0ULL};
  s.trace_hashes = {1, ~0ULL};
  s.orderings = {5};
  std::string error;
  const auto back = shard_from_json(to_json(s), error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(to_json(*back), to_json(s));
  // A slice that is not its index's is refused.
  s.run_begin = 13;
  EXPECT_FALSE(shard_from_json(to_json(s), error).has_value());
  EXPECT_NE(error.find("are not shard 1/3's"), std::string::npos) << error;
}

}  // namespace
}  // namespace yz::sim
