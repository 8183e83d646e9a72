// Stories from causality, not adjacency (issue 14, item 3): on a herd the
// story names the frame whose loss made the onboarding fail, not the first
// frame lost; liveness failures shrink; shrink keeps the kind a trace was
// saved for; traces written before the cause fields still replay.
#include "sim/story.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "sim/explore.h"
#include "sim/shrink.h"
#include "sim/trace_file.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A scenario of sim/scenarios, or (with a "tests/" prefix) of the tests.
RecordedRun record(const std::string& name, std::uint64_t seed, core::FaultSet faults = {}) {
  const std::string path = name.starts_with("tests/") ? std::string(YZ_SOURCE_DIR) + "/" + name
                                                      : testing::scenario_path(name);
  const std::string text = read(path);
  EXPECT_FALSE(text.empty()) << path;
  const ScenarioLoad load = parse_scenario(text, name);
  EXPECT_TRUE(load.scenario) << load.error;
  RunSpec spec;
  spec.seed = seed;
  spec.faults = faults;
  return record_run(text, name, *load.scenario, spec);
}

std::string joined(const std::vector<std::string>& links) {
  std::string out;
  for (const auto& part : links) out += (out.empty() ? "" : " -> ") + part;
  return out;
}

// The test's own reading of a trace, independent of sim/story.cc: step
// lines by number, with the log lines that follow each.
struct Line {
  std::uint64_t n = 0;
  double t = 0;
  std::string process;
  std::string text;
  std::vector<std::string> logs;
  std::string field(const std::string& key) const {
    const std::regex re(" " + key + "=([^ ]+)");
    std::smatch m;
    return std::regex_search(text, m, re) ? m[1].str() : std::string();
  }
  bool logged(const std::string& what) const {
    return std::any_of(logs.begin(), logs.end(), [&](const std::string& l) {
      return l.find(" " + what) != std::string::npos;
    });
  }
};

std::vector<Line> lines_of(const TraceFile& trace) {
  std::vector<Line> out(1);
  for (const auto& text : trace.steps) {
    if (text.starts_with(" ")) {
      out.back().logs.push_back(text);
      continue;
    }
    Line line;
    std::istringstream in(text);
    std::string t;
    in >> line.n >> t >> line.process;
    line.t = std::strtod(t.c_str() + 2, nullptr);
    line.text = text;
    EXPECT_EQ(line.n, out.size()) << text;
    out.push_back(std::move(line));
  }
  return out;
}

std::uint64_t cause_of(const Line& line) {
  return std::strtoull(line.field("cause").c_str(), nullptr, 10);
}

struct Herd {
  std::uint64_t seed = 0;
  RecordedRun run;
  Story story;
  std::uint64_t first_drop = 0;
};

// early_return_race, and the bootstrap's old fixed 10 s wait per bridge
// where there is a fault switch for it: with the wait longer than the
// bridge's lookup budget, and late answers used, onboardings complete in
// spite of the lost frames and there is no failure to explain.
core::FaultSet herd_faults() {
  core::FaultSet faults = testing::early_return_race();
  if (const auto fault = core::fault_from_name("short_bridge_wait")) faults.enable(*fault);
  return faults;
}

// The first seed whose first lost frame is a DHT node's own lookup (as in
// the issue) and whose story ties lost frames to a failed onboarding.
Herd herd_run() {
  Herd herd;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    RecordedRun run = record("herd-40.textproto", seed, herd_faults());
    const auto lines = lines_of(run.trace);
    std::uint64_t first = 0;
    for (const auto& line : lines)
      if (line.n != 0 && line.logged("dropped_no_handler")) {
        first = line.n;
        break;
      }
    if (first == 0 || lines[first].field("peer").starts_with("bridge-node-")) continue;
    Story story = tell_story(run.trace, run.result);
    if (!story.lost_frame_caused_failure) continue;
    herd = Herd{seed, std::move(run), std::move(story), first};
    break;
  }
  return herd;
}

TEST(Story, HerdNamesTheFrameThatMadeTheOnboardingFailNotTheFirstDropped) {
  const Herd herd = herd_run();
  ASSERT_NE(herd.seed, 0u) << "no herd-40 seed in 1..30 whose first lost frame is a node's own "
                              "lookup and whose onboarding failure traces back to lost frames";
  const auto lines = lines_of(herd.run.trace);
  const std::string story = joined(herd.story.links);
  SCOPED_TRACE("seed " + std::to_string(herd.seed) + ": " + story);

  // The story ends with a newcomer's failed onboarding, at the bootstrap.
  std::map<std::string, std::string> short_of;
  for (const auto& node : herd.run.result.nodes) short_of[node.name] = node.node_id.substr(0, 8);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(herd.story.links.back(), m,
                                std::regex("^(dht-node-[0-9]+)'s onboarding (timed out|failed)")));
  const std::string newcomer = m[1].str();
  const Line& failed = lines.at(herd.story.last_step);
  EXPECT_EQ(failed.process, "bootstrap");
  EXPECT_TRUE(failed.logged("onboarding_failed newcomer=" + short_of[newcomer])) << failed.text;

  // The frames it names: find_node from one bridge, lost for want of a
  // handler, sent by that bridge (cause=) after it was asked to onboard the
  // newcomer, and lost before the failure.
  ASSERT_FALSE(herd.story.lost_frames.empty());
  const std::string bridge = lines.at(herd.story.lost_frames.front()).field("peer");
  ASSERT_TRUE(bridge.starts_with("bridge-node-")) << bridge;
  EXPECT_NE(story.find("find_node from " + bridge + " dropped at "), std::string::npos);
  for (std::uint64_t n : herd.story.lost_frames) {
    const Line& lost = lines.at(n);
    EXPECT_EQ(lost.field("peer"), bridge) << lost.text;
    EXPECT_EQ(lost.field("type"), "find_node") << lost.text;
    EXPECT_TRUE(lost.logged("dropped_no_handler")) << lost.text;
    EXPECT_EQ(lines.at(cause_of(lost)).process, bridge) << lost.text;
    EXPECT_LT(lost.t, failed.t);
    EXPECT_NE(story.find(lost.process), std::string::npos) << lost.process;
    // Walked back along cause=, the lost frame leads to the bridge's ask
    // for this newcomer, not to a lookup it ran at the same time for
    // another one.
    std::uint64_t s = cause_of(lost);
    while (s != 0 && !lines.at(s).logged("onboarding_requested")) s = cause_of(lines.at(s));
    ASSERT_NE(s, 0u) << lost.text;
    EXPECT_EQ(lines.at(s).process, bridge);
    EXPECT_TRUE(lines.at(s).logged("onboarding_requested newcomer=" + short_of[newcomer]))
        << lines.at(s).logs.front();
  }

  // And not the first frame lost: a node's own lookup, long before.
  const Line& first = lines.at(herd.first_drop);
  EXPECT_EQ(
      std::count(herd.story.lost_frames.begin(), herd.story.lost_frames.end(), herd.first_drop), 0);
  EXPECT_EQ(story.find("from " + first.field("peer") + " dropped"), std::string::npos);
  EXPECT_LT(first.t + 10, lines.at(herd.story.lost_frames.front()).t);
}

TEST(Story, TheFirstStepOfTheStoryIsWhyTheLinkHadNoHandler) {
  const Herd herd = herd_run();
  ASSERT_NE(herd.seed, 0u);
  const auto lines = lines_of(herd.run.trace);
  // early_return_race: the node the first named frame was lost at had
  // returned early for the bridge, on the same link, before the loss.
  const Line& lost = lines.at(herd.story.lost_frames.front());
  const Line& root = lines.at(herd.story.first_step);
  EXPECT_EQ(root.process, lost.process);
  EXPECT_EQ(root.field("link"), lost.field("link"));
  EXPECT_TRUE(root.logged("peer_already_in_routing_table")) << root.text;
  EXPECT_LT(root.n, lost.n);
  EXPECT_NE(
      herd.story.links.front().find(lost.process + " accepted a link from " + lost.field("peer")),
      std::string::npos)
      << herd.story.links.front();
}

TEST(Shrink, ALivenessFailureShrinksToFewerProcessesAndEvents) {
  // long-tail: a liveness failure that needs the slow draws of its latency
  // tail. Replayed flat, dropping a process turned every later draw into
  // the fastest latency and nothing shrank (16 -> 16 processes, 0.5x).
  RecordedRun run;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    run = record("tests/sim/scenarios/long-tail.textproto", seed);
    if (std::count(run.trace.failures.begin(), run.trace.failures.end(), "liveness") > 0) break;
  }
  ASSERT_EQ(run.trace.failures, std::vector<std::string>{"liveness"});
  std::set<std::pair<std::string, std::string>> unhealthy;
  for (const auto& node : run.result.nodes)
    if (!node.healthy) unhealthy.insert({node.role, node.state});

  const ShrinkResult s = shrink(run.trace, {});
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.kind, "liveness");
  EXPECT_LT(s.processes_after, s.processes_before);
  EXPECT_LE(s.processes_after * 2, s.processes_before);
  EXPECT_LT(s.events_after, s.events_before);
  // The same liveness check fails, on a process of a role and state that
  // were unhealthy before, and the minimal trace replays.
  EXPECT_TRUE(s.result.liveness.checked);
  EXPECT_FALSE(s.result.liveness.converged);
  const auto kinds = failure_kinds(s.result);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "liveness"), kinds.end());
  bool same = false;
  for (const auto& node : s.result.nodes)
    same = same || (!node.healthy && unhealthy.contains({node.role, node.state}));
  EXPECT_TRUE(same);
  const ReplayOutcome again = replay(s.minimal);
  EXPECT_TRUE(again.matches) << again.difference;
  EXPECT_EQ(s.minimal.saved_for, "liveness");
  EXPECT_FALSE(s.story.empty());
}

TEST(Shrink, ShrinksTheKindTheTraceWasSavedForNotTheFirstListed) {
  RecordedRun run = record("herd-40.textproto", 5, testing::early_return_race());
  ASSERT_GE(run.trace.failures.size(), 2u);
  const std::string first = run.trace.failures.front();
  const std::string saved = run.trace.failures.back();
  ASSERT_NE(saved, first);
  run.trace.saved_for = saved;
  const TraceLoad load = parse_trace(format_trace(run.trace), "t");
  ASSERT_TRUE(load.trace) << load.error;
  EXPECT_EQ(load.trace->saved_for, saved);

  ShrinkOptions options;
  options.max_runs = 300;
  const ShrinkResult s = shrink(*load.trace, options);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.kind, saved);
  const auto kinds = failure_kinds(s.result);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), saved), kinds.end());
  EXPECT_LT(s.processes_after, s.processes_before);
  EXPECT_EQ(s.minimal.saved_for, saved);
  // --invariant still wins over what the trace was saved for.
  options.kind = first;
  options.max_runs = 50;
  EXPECT_EQ(shrink(*load.trace, options).kind, first);
}

TEST(Shrink, ExploreSavesTheKindAndShrinkKeepsItThroughTheBinary) {
  const auto dir = std::filesystem::temp_directory_path() / "yz_story_test_saved_for";
  std::filesystem::remove_all(dir);
  const auto explored = testing::yzsim(
      "explore " + testing::scenario_path("herd-40.textproto") +
      " --runs 1 --seed 5 --jobs 1 --fault early_return_race --save " + dir.string());
  ASSERT_EQ(explored.exit_code, 0) << explored.output;
  // Every kind's trace says which it was saved for, and shrinking one that
  // the run did not list first keeps that one.
  std::size_t traces = 0, shrunk_traces = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".trace") continue;
    ++traces;
    const std::string kind = entry.path().stem().string();
    const std::string text = read(entry.path().string());
    EXPECT_NE(text.find("\nsaved_for " + kind + "\n"), std::string::npos) << kind;
    if (text.find("\nfailure " + kind + "\n") == text.find("\nfailure ")) continue;  // first
    ++shrunk_traces;
    const std::string out = (dir / (kind + ".min")).string();
    const auto shrunk =
        testing::yzsim("shrink " + entry.path().string() + " --max-runs 200 --out " + out);
    ASSERT_EQ(shrunk.exit_code, 0) << shrunk.output;
    EXPECT_TRUE(shrunk.output.starts_with("shrunk " + kind + ": ")) << shrunk.output;
    EXPECT_NE(read(out).find("\nsaved_for " + kind + "\n"), std::string::npos);
    const auto told = testing::yzsim("replay " + entry.path().string() + " --story");
    EXPECT_EQ(told.exit_code, 0) << told.output;
    EXPECT_NE(told.output.find("story: "), std::string::npos) << told.output;
  }
  EXPECT_GE(traces, 2u);
  EXPECT_GE(shrunk_traces, 1u);
  std::filesystem::remove_all(dir);
}

TEST(Replay, TracesWrittenBeforeTheCauseFieldsStillReplay) {
  const RecordedRun run = record("race-5.textproto", 4, testing::early_return_race());
  std::string text = format_trace(run.trace);
  ASSERT_NE(text.find(" cause="), std::string::npos);
  ASSERT_NE(text.find("request_timeout"), std::string::npos);
  // What an older yzsim wrote: no cause=N on the steps, no req=N on
  // request_timeout logs.
  text = std::regex_replace(text, std::regex(" cause=[0-9]+"), "");
  text = std::regex_replace(text, std::regex("(request_timeout [^\n]*) req=[0-9]+"), "$1");
  const TraceLoad load = parse_trace(text, "old");
  ASSERT_TRUE(load.trace) << load.error;
  const ReplayOutcome outcome = replay(*load.trace);
  EXPECT_TRUE(outcome.matches) << outcome.difference;
  // A real difference is still caught.
  TraceFile changed = *load.trace;
  for (auto& line : changed.steps)
    if (line.find(" type=find_node ") != std::string::npos) {
      line.replace(line.find(" type=find_node "), 16, " type=ping ");
      break;
    }
  EXPECT_FALSE(replay(changed).matches);
}

}  // namespace
}  // namespace yz::sim
