// Traces: a recorded run replays step for step; a changed one is caught at
// its first differing step; shrink keeps the failure and tells its story.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "sim/explore.h"
#include "sim/shrink.h"
#include "sim/story.h"
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

TraceFile record(const std::string& name, RunSpec spec) {
  const std::string text = read(testing::scenario_path(name));
  const ScenarioLoad load = parse_scenario(text, name);
  EXPECT_TRUE(load.scenario) << load.error;
  return record_run(text, name, *load.scenario, spec).trace;
}

RunSpec faulted(std::uint64_t seed, Strategy strategy = Strategy::kRandom) {
  RunSpec spec;
  spec.seed = seed;
  spec.strategy = strategy;
  spec.faults.enable(core::Fault::kEarlyReturnRace);
  return spec;
}

TEST(Trace, FormatParsesBackToTheSameTrace) {
  const TraceFile t = record("race-5.textproto", faulted(4));
  const std::string text = format_trace(t);
  const TraceLoad load = parse_trace(text, "t");
  ASSERT_TRUE(load.trace) << load.error;
  EXPECT_EQ(format_trace(*load.trace), text);
  EXPECT_EQ(load.trace->choices.size(), t.choices.size());
  EXPECT_GT(t.choices.size(), 100u);
  EXPECT_EQ(load.trace->failures, t.failures);
}

TEST(Replay, EveryStrategysRunReplaysExactly) {
  for (Strategy s : {Strategy::kRandom, Strategy::kPct, Strategy::kSwarm, Strategy::kFifo}) {
    RunSpec spec = faulted(9, s);
    spec.pct_points = 200;
    if (s == Strategy::kSwarm)
      spec.edits = swarm_edits(9, spec.faults, testing::load_or_die("incident-15.textproto"));
    const TraceFile t = record("incident-15.textproto", spec);
    const ReplayOutcome outcome = replay(t);
    EXPECT_TRUE(outcome.matches) << strategy_name(s) << ": " << outcome.difference;
    EXPECT_EQ(outcome.steps_compared, t.events);
    EXPECT_EQ(outcome.result.trace_hash, t.trace_hash);
  }
}

TEST(Replay, AChangedChoiceIsCaughtAtItsStep) {
  TraceFile t = record("race-5.textproto", faulted(2));
  // Make one latency the slowest possible: the run changes from there on.
  std::size_t latency = 0;
  for (std::size_t i = 0, seen = 0; i < t.choices.size(); ++i)
    if (t.choices[i].kind == ChoiceKind::kLatency && ++seen == 40) latency = i;
  ASSERT_NE(latency, 0u);
  t.choices[latency].value = t.choices[latency].value == 0 ? 1000 : 0;
  const ReplayOutcome outcome = replay(t);
  EXPECT_FALSE(outcome.matches);
  EXPECT_NE(outcome.difference.find("first difference at line"), std::string::npos)
      << outcome.difference;
  EXPECT_NE(outcome.difference.find("recorded:"), std::string::npos);
  EXPECT_GT(outcome.steps_compared, 0u);
  EXPECT_LT(outcome.steps_compared, t.events);
}

TEST(Replay, AChangedScenarioIsCaught) {
  TraceFile t = record("race-5.textproto", faulted(2));
  const auto at = t.scenario_text.find("start_at_ms: 6000");
  ASSERT_NE(at, std::string::npos);
  t.scenario_text.replace(at, 17, "start_at_ms: 7000");
  EXPECT_FALSE(replay(t).matches);
}

TEST(Trace, BadFilesAreRefusedNamingTheLine) {
  const std::string good = format_trace(record("race-5.textproto", faulted(1)));
  EXPECT_NE(parse_trace("hello\n", "f").error.find("f:1: not a yzsim trace"), std::string::npos);
  EXPECT_NE(parse_trace(good.substr(0, good.size() / 2), "f").error.find("f:"), std::string::npos);
  std::string bad_choice = good;
  bad_choice.replace(bad_choice.find("\nchoices ") + 1, 0, "");
  const auto list = bad_choice.find('\n', bad_choice.find("\nchoices ") + 1) + 1;
  bad_choice[list] = 'z';
  EXPECT_NE(parse_trace(bad_choice, "f").error.find("bad choice"), std::string::npos);
  std::string bad_fault = good;
  bad_fault.replace(bad_fault.find("faults early_return_race"), 24, "faults early_return_rase");
  EXPECT_NE(parse_trace(bad_fault, "f").error.find("unknown fault"), std::string::npos);
  EXPECT_NE(load_trace_file("/nonexistent/x.trace").error.find("cannot open"), std::string::npos);
}

TEST(Shrink, TheIncidentShrinksToItsStory) {
  const TraceFile t = record("incident-15.textproto", faulted(3));
  const ShrinkResult s = shrink(t, {});
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.kind, "peers_missing_handler");
  EXPECT_EQ(s.processes_before, 19u);
  EXPECT_LE(s.processes_after, 6u);
  EXPECT_LT(s.events_after * 10, s.events_before);
  EXPECT_LE(s.non_default_choices_after, s.non_default_choices_before);
  std::string story;
  for (const auto& part : s.story) story += part + " -> ";
  EXPECT_NE(story.find("accepted a link from bridge-node-"), std::string::npos) << story;
  EXPECT_NE(story.find("routing table"), std::string::npos) << story;
  EXPECT_NE(story.find("the DHT returned early, no handler attached"), std::string::npos);
  EXPECT_NE(story.find("dropped at dht-node-"), std::string::npos) << story;
  // "(findNode timeout)", or the bootstrap's own wording for a bridge that did not answer.
  EXPECT_NE(story.find("onboarding timed out ("), std::string::npos) << story;
  EXPECT_NE(story.find("'s lookup for dht-node-"), std::string::npos) << story;
  // The minimal trace replays and still fails the same way.
  const ReplayOutcome again = replay(s.minimal);
  EXPECT_TRUE(again.matches) << again.difference;
  const auto kinds = failure_kinds(again.result);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), s.kind), kinds.end());
}

TEST(Shrink, RefusesAPassingTrace) {
  RunSpec spec;
  spec.seed = 1;
  const ShrinkResult s = shrink(record("race-5.textproto", spec), {});
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.error.find("does not fail"), std::string::npos);
}

}  // namespace
}  // namespace yz::sim
