// Swarm testing draws a latency shape up to WAN scale and timing constants
// valid for it (sim/explore.cc, swarm_edits), deterministically from the
// seed; and the project's own exploration runs a swarm budget over several
// shapes with every fault off, expecting zero failures (issue 14).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "sim/explore.h"
#include "sim/trace_file.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using core::kMillisecond;
using core::kSecond;

core::Duration slowest_of(const ScenarioEdits& e) {
  return std::max(*e.latency_max, e.latency_tail_max.value_or(0));
}

TEST(Swarm, DrawsAreDeterministicValidAndCoverWanShapes) {
  const Scenario scenario = testing::load_or_die("incident-15.textproto");
  std::map<std::string, std::set<core::Duration>> values;
  int wan = 0, tails = 0, kept = 0, finding_1_shape = 0, seconds_one_way = 0;
  int faster_than_round_trip = 0, short_unconnected = 0, short_bridge_wait = 0;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    const ScenarioEdits e = swarm_edits(seed, {}, scenario);
    const ScenarioEdits again = swarm_edits(seed, {}, scenario);
    ASSERT_EQ(describe_swarm(e), describe_swarm(again)) << seed;
    ASSERT_TRUE(e.latency_min && e.latency_max && e.latency_tail_max && e.liveness_bound);
    const core::Duration slowest = slowest_of(e);
    const auto t = [&](const char* name) {
      EXPECT_TRUE(e.timing.contains(name)) << name;
      return e.timing.contains(name) ? e.timing.at(name) : 0;
    };
    const std::string at = "seed " + std::to_string(seed) + ": " + describe_swarm(e);
    // The handshake deadline (10 s) must cover four legs with room to spare.
    EXPECT_LE(slowest, 2 * kSecond) << at;
    EXPECT_LE(*e.latency_min, *e.latency_max) << at;
    // A round trip fits in under 3 health-check intervals: a live link is
    // never closed as dead for want of pongs (3 in a row).
    EXPECT_GT(3 * t("health_check_interval"), 2 * slowest) << at;
    // A request on an open link can be answered in time: over a round trip.
    EXPECT_GT(t("find_node_timeout_connected"), 2 * slowest) << at;
    EXPECT_GT(t("invitation_timeout"), 2 * slowest) << at;
    EXPECT_GE(*e.liveness_bound, scenario.liveness_bound) << at;
    EXPECT_GE(*e.liveness_bound, 60 * kSecond) << at;
    for (const auto& [name, value] : e.timing) values[name].insert(value);
    values["latency_max"].insert(*e.latency_max);
    wan += slowest >= 300 * kMillisecond;
    seconds_one_way += *e.latency_min >= kSecond;
    tails += e.latency_tail_per_mille.value_or(0) > 0 && *e.latency_tail_max > *e.latency_max;
    kept += *e.latency_min == scenario.latency_min && *e.latency_max == scenario.latency_max;
    // The issue's finding 1: health checks faster than a handshake over
    // 400-700 ms links.
    finding_1_shape += t("health_check_interval") <= kSecond && slowest >= 400 * kMillisecond;
    // Health checks faster than a round trip.
    faster_than_round_trip += t("health_check_interval") < 2 * slowest;
    // Timeouts the system must cope with: to an unlinked peer shorter than
    // a dial, and a bridge wait shorter than the bridge's budget.
    short_unconnected += t("find_node_timeout") < 6 * slowest;
    short_bridge_wait += t("onboarding_bridge_timeout") <
                         2 * t("find_node_timeout_connected") + 3 * t("invitation_timeout");
  }
  EXPECT_GT(wan, 500);
  EXPECT_GT(seconds_one_way, 150);
  EXPECT_GT(tails, 300);
  EXPECT_GT(kept, 150);
  EXPECT_GT(finding_1_shape, 20);
  EXPECT_GT(faster_than_round_trip, 100);
  EXPECT_GT(short_unconnected, 300);
  EXPECT_GT(short_bridge_wait, 1000);
  for (const auto& [name, drawn] : values) EXPECT_GE(drawn.size(), 4u) << name;
}

// Answers every latency choice with one fixed fraction of its limit.
class FractionChooser : public Chooser {
 public:
  FractionChooser(std::uint64_t numerator, std::uint64_t denominator)
      : numerator_(numerator), denominator_(denominator) {}
  std::uint64_t choose(ChoiceKind kind, std::uint64_t limit, int) override {
    if (kind != ChoiceKind::kLatency) return 0;
    limits.insert(limit);
    __extension__ using Wide = unsigned __int128;
    return static_cast<std::uint64_t>(static_cast<Wide>(limit) * numerator_ / denominator_);
  }
  std::set<std::uint64_t> limits;

 private:
  std::uint64_t numerator_, denominator_;
};

// When genesis (started at 0.2 s) is accepted by the bootstrap: its dial's
// latency, read back from the trace.
std::string genesis_accepted_at(Scenario scenario, Chooser& chooser) {
  std::ostringstream trace;
  RunOptions options;
  options.chooser = &chooser;
  options.trace = &trace;
  scenario.duration = 3 * kSecond;
  scenario.liveness_bound = 0;
  Simulator(scenario, options).run();
  std::istringstream lines(trace.str());
  for (std::string line; std::getline(lines, line);)
    if (line.find(" bootstrap accept ") != std::string::npos &&
        line.find("peer=genesis") != std::string::npos)
      return line.substr(line.find("t=") + 2,
                         line.find(' ', line.find("t=")) - line.find("t=") - 2);
  return "none";
}

// The tail: one choice over [0, tail_max - min], its first (1000 - p) per
// mille onto [min, max] and the rest onto [max, tail_max], monotonically, so
// 0 is the fastest and the limit the slowest for every strategy.
TEST(Swarm, LatencyTailMapsOneChoiceOntoBodyAndTail) {
  Scenario scenario = testing::load_or_die("race-5.textproto");
  ScenarioEdits edits;
  edits.latency_min = 10 * kMillisecond;
  edits.latency_max = 20 * kMillisecond;
  edits.latency_tail_max = 1010 * kMillisecond;
  edits.latency_tail_per_mille = 100;  // 10%
  scenario = apply_edits(scenario, edits);
  FractionChooser slowest(1, 1), body_end(9, 10), fastest(0, 1), mid_tail(95, 100);
  EXPECT_EQ(genesis_accepted_at(scenario, slowest), "1.210000000");  // started at 0.2 s, + tail_max
  EXPECT_EQ(slowest.limits, std::set<std::uint64_t>{1000 * kMillisecond});
  EXPECT_EQ(genesis_accepted_at(scenario, body_end), "0.220000000");  // the body's end
  EXPECT_EQ(genesis_accepted_at(scenario, fastest), "0.210000000");
  EXPECT_EQ(genesis_accepted_at(scenario, mid_tail), "0.715000000");  // half way up the tail
  // Without a tail the choice is as it always was: [0, max - min].
  Scenario plain = testing::load_or_die("race-5.textproto");
  FractionChooser plain_slowest(1, 1);
  genesis_accepted_at(plain, plain_slowest);
  EXPECT_EQ(
      plain_slowest.limits,
      std::set<std::uint64_t>{static_cast<std::uint64_t>(plain.latency_max - plain.latency_min)});
}

TEST(Swarm, ScenarioLatencyTailIsReadAndChecked) {
  const std::string base = R"(duration_ms: 1000
process { name: "bootstrap" role: BOOTSTRAP }
process { name: "genesis" role: GENESIS }
)";
  const ScenarioLoad ok =
      parse_scenario(base +
                         "latency { min_us: 1000 max_us: 5000 tail_max_us: 900000 "
                         "tail_per_mille: 20 }\n",
                     "t");
  ASSERT_TRUE(ok.scenario) << ok.error;
  EXPECT_EQ(ok.scenario->latency_tail_max, 900 * kMillisecond);
  EXPECT_EQ(ok.scenario->latency_tail_per_mille, 20u);
  const ScenarioLoad low = parse_scenario(
      base + "latency { min_us: 1000 max_us: 5000 tail_max_us: 10 tail_per_mille: 20 }\n", "t");
  EXPECT_NE(low.error.find("tail_max_us (10) is below max_us (5000)"), std::string::npos)
      << low.error;
  const ScenarioLoad all = parse_scenario(
      base + "latency { min_us: 1 max_us: 5 tail_max_us: 10 tail_per_mille: 1000 }\n", "t");
  EXPECT_NE(all.error.find("tail_per_mille must be below 1000"), std::string::npos) << all.error;
}

// A swarm run's knobs (tail, timing, liveness bound) go into its trace, and
// the trace replays step for step.
TEST(Swarm, WanRunsTraceAndReplayWithTheirKnobs) {
  const std::string path = testing::scenario_path("race-5.textproto");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const Scenario scenario = testing::load_or_die("race-5.textproto");
  int replayed = 0;
  for (std::uint64_t seed = 1; seed <= 40 && replayed < 3; ++seed) {
    RunSpec spec;
    spec.strategy = Strategy::kSwarm;
    spec.seed = seed;
    spec.edits = swarm_edits(seed, {}, scenario);
    spec.edits.sim_hash_signatures = true;
    if (spec.edits.latency_tail_per_mille.value_or(0) == 0) continue;  // a tail, a WAN shape
    const RecordedRun recorded = record_run(text.str(), path, scenario, spec);
    const std::string formatted = format_trace(recorded.trace);
    EXPECT_NE(formatted.find("\nedit latency_tail_max_ns "), std::string::npos);
    EXPECT_NE(formatted.find("\nedit timing.health_check_interval_ns "), std::string::npos);
    EXPECT_NE(formatted.find("\nedit liveness_bound_ns "), std::string::npos);
    const TraceLoad load = parse_trace(formatted, "t");
    ASSERT_TRUE(load.trace) << load.error;
    EXPECT_EQ(format_trace(*load.trace), formatted);
    EXPECT_EQ(describe_swarm(load.trace->edits), describe_swarm(spec.edits));
    const ReplayOutcome outcome = replay(*load.trace);
    EXPECT_TRUE(outcome.matches) << "seed " << seed << ": " << outcome.difference;
    ++replayed;
  }
  EXPECT_EQ(replayed, 3);
}

TEST(Swarm, RunPrintsWhatTheSwarmDrew) {
  const testing::CommandOutcome out =
      testing::yzsim("run " + testing::scenario_path("race-5.textproto") +
                     " --strategy swarm --seed 3 --fast-signatures");
  EXPECT_NE(out.output.find("\nswarm drew: latency "), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("health_check_interval"), std::string::npos) << out.output;
}

// Found by the swarm (incident-15, seed 358, with the core fixes): the
// crash window opens 20 s after the first DHT node starts, so a later node
// could be "crashed" before its own start (nothing to stop) and "restarted"
// (started early); its start event then started it a second time, with two
// health-check loops pinging twice per interval, and a live link was closed
// as dead. Only a process a crash stopped restarts now.
TEST(Swarm, ACrashDrawnBeforeAProcessStartsDoesNotStartItTwice) {
  Scenario scenario = testing::load_or_die("race-5.textproto");
  for (auto& p : scenario.processes)
    if (p.name == "dht-node-2") p.start_at = 30 * kSecond;  // late: crashes land before it
  scenario.duration = 60 * kSecond;
  scenario.restarts = 12;
  int early_crashes = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    std::ostringstream trace;
    const RunResult result = testing::run_once(scenario, seed, {}, &trace);
    std::istringstream lines(trace.str());
    std::map<std::string, int> starts;
    std::string process, kind;
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string first;
      words >> first;
      if (first == "log") {
        std::string who, what;
        words >> who >> what;
        if (what != "started") continue;
        // Started by its start event once, then only by restarts after crashes.
        if (kind == "start") {
          EXPECT_EQ(starts[who], 0) << "seed " << seed << ": " << who;
        } else if (kind == "restart") {
          EXPECT_GT(starts[who], 0) << "seed " << seed << ": " << who;
        }
        ++starts[who];
      } else {
        std::string time;
        words >> time >> process >> kind;
        if (kind == "crash" && process == "dht-node-2" && starts[process] == 0) ++early_crashes;
      }
    }
    EXPECT_FALSE(run_failed(result)) << "seed " << seed;
  }
  EXPECT_GT(early_crashes, 0);  // the case did come up
}

// ---- the CI exploration ---------------------------------------------------
//
// A swarm budget over several shapes, every fault off: zero failures. Each
// shape is its own CTest test (label sim), so they run in parallel; the
// whole budget (4,820 runs) takes about 60 s of CPU, 30 s on 2 cores.
// Measured on the code with the core fixes: 0 failures in seeds 1..1000 of
// each shape (1..200 of herd-50), a superset of these.
//
// EXPECTS THE CORE FIXES OF ISSUE 14 (branch x14-core): on the code before
// them the swarm fails some 12-17% of runs (seeds 3, 4, 8, ... of every
// shape), every one a liveness failure from one of the two bugs it was made
// to find: a bridge that sends bridge_health_update before its bootstrap
// handshake completes (refused: not_handshake / missing_proof) and is
// locked out when handshakes outlast the health-check interval (finding 1);
// and the bootstrap's per-bridge wait equal to the bridge's own lookup
// timeout, so that over seconds-long links every answer comes late
// (late_bridge_answer, finding 2).

struct Shape {
  const char* scenario;
  std::uint64_t runs;
};

void PrintTo(const Shape& s, std::ostream* os) { *os << s.scenario; }

class SwarmExploration : public ::testing::TestWithParam<Shape> {};

TEST_P(SwarmExploration, FindsNothingWithEveryFaultOff) {
  const Shape& shape = GetParam();
  const Scenario scenario = testing::load_or_die(shape.scenario);
  ExploreOptions options;
  options.strategy = Strategy::kSwarm;
  options.runs = shape.runs;
  options.jobs = 2;
  options.edits.sim_hash_signatures = true;  // the same role code, ~7x the runs per second
  const ExploreReport report = explore(scenario, options);
  EXPECT_EQ(report.summary.runs, shape.runs);
  std::string failures;
  for (const auto& [kind, first] : report.first_failure)
    failures += "\n  " + kind + ": yzsim run " + testing::scenario_path(shape.scenario) +
                " --strategy swarm --fast-signatures --check --seed " +
                std::to_string(first.spec.seed) + "   (" + describe_swarm(first.spec.edits) + ")";
  EXPECT_EQ(report.summary.failing_runs, 0u) << to_json(report.summary) << failures;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, SwarmExploration,
    ::testing::Values(Shape{"race-5.textproto", 1000},              // one bridge, 5 processes
                      Shape{"simultaneous-join.textproto", 1000},   // nodes starting together
                      Shape{"full-buckets.textproto", 600},         // k = 2, replacement caches
                      Shape{"zero-latency-k2.textproto", 800},      // ties decided by order alone
                      Shape{"late-infrastructure.textproto", 800},  // the bootstrap starts last
                      Shape{"incident-15.textproto", 500},          // the incident's topology
                      Shape{"herd-50.textproto", 120}),             // 3 bridges, 50-node herd
    [](const ::testing::TestParamInfo<Shape>& param) {
      std::string name = param.param.scenario;
      name = name.substr(0, name.find('.'));
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

}  // namespace
}  // namespace yz::sim
