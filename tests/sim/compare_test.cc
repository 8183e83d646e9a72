// yzsim compare: the comparison of two run records as a pure function
// (records built by hand, one difference at a time), and the command over
// records the simulator writes, fixed against faulted.
#include "sim/compare.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "roles/json/json.h"
#include "sim/cli.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using testing::CommandOutcome;
using testing::scenario_path;
using testing::yzsim;

// A record of `nodes` DHT nodes, all joined, with bootstrap, genesis and two
// bridges healthy; each process joins 1 s after its index's second.
RunRecord healthy_record(int nodes, const std::string& scenario = "shape") {
  RunRecord r;
  r.result.scenario = scenario;
  r.result.seed = 1;
  std::vector<std::pair<std::string, std::string>> procs = {{"bootstrap", "bootstrap"},
                                                            {"genesis", "genesis"},
                                                            {"bridge-node-1", "bridge"},
                                                            {"bridge-node-2", "bridge"}};
  for (int i = 1; i <= nodes; ++i) procs.push_back({"dht-node-" + std::to_string(i), "node"});
  for (std::size_t i = 0; i < procs.size(); ++i) {
    NodeReport n;
    n.name = procs[i].first;
    n.role = procs[i].second;
    n.healthy = true;
    n.state = "joined";
    n.connected_peers = 3;
    n.routing_table_size = 3;
    r.result.nodes.push_back(n);
    r.timeline.processes.push_back({n.name, n.role, ""});
    Timeline::HealthSample joined;
    joined.t_ns = static_cast<std::int64_t>(i + 1) * 1'000'000'000;
    joined.process = static_cast<int>(i);
    joined.running = joined.healthy = joined.member = true;
    joined.connected_peers = joined.routing_table_size = 3;
    r.timeline.health.push_back(joined);
  }
  return r;
}

int index_of(const RunRecord& r, const std::string& name) {
  for (std::size_t i = 0; i < r.result.nodes.size(); ++i)
    if (r.result.nodes[i].name == name) return static_cast<int>(i);
  ADD_FAILURE() << "no process " << name;
  return 0;
}

void isolate(RunRecord& r, const std::string& name) {
  NodeReport& n = r.result.nodes[static_cast<std::size_t>(index_of(r, name))];
  n.healthy = false;
  n.state = "isolated";
  n.connected_peers = n.routing_table_size = 0;
}

// A link from `owner` to `peer` that never got its DHT listener.
void listenerless(RunRecord& r, const std::string& owner, const std::string& peer) {
  Timeline::LinkEvent up;
  up.process = index_of(r, owner);
  up.peer = index_of(r, peer);
  up.link = r.timeline.links.size() + 1;
  r.timeline.links.push_back(up);
}

const CompareCheck& check(const Comparison& c, const std::string& name) {
  auto it = std::find_if(c.checks.begin(), c.checks.end(),
                         [&](const CompareCheck& x) { return x.name == name; });
  EXPECT_NE(it, c.checks.end()) << name;
  return *it;
}

std::vector<std::string> failed(const Comparison& c) {
  std::vector<std::string> out;
  for (const auto& x : c.checks)
    if (!x.passed) out.push_back(x.name);
  return out;
}

using Names = std::vector<std::string>;

TEST(Compare, IdenticalRecordsAgree) {
  const RunRecord r = healthy_record(5);
  const Comparison c = compare_runs(r, r);
  EXPECT_TRUE(c.agree) << compare_table(c, "a", "b");
  EXPECT_EQ(c.rows.size(), 9u);
  for (const auto& row : c.rows) EXPECT_TRUE(row.agree) << row.name;
  EXPECT_EQ(c.isolated_tolerance, 2u);  // max(2, 20% of 5)
  EXPECT_NE(compare_table(c, "a", "b").find("verdict: AGREE"), std::string::npos);
}

TEST(Compare, AnUnhealthyBridgeDisagreesNamingTheAnchors) {
  const RunRecord sim = healthy_record(5);
  RunRecord real = sim;
  real.result.nodes[static_cast<std::size_t>(index_of(real, "bridge-node-2"))].healthy = false;
  const Comparison c = compare_runs(sim, real);
  EXPECT_FALSE(c.agree);
  EXPECT_EQ(failed(c), Names{"healthy_anchors"});
  EXPECT_NE(check(c, "healthy_anchors").detail.find("real: bootstrap, bridge-node-1, genesis"),
            std::string::npos);
  EXPECT_NE(compare_table(c, "a", "b").find("verdict: DIFFER (healthy_anchors)"),
            std::string::npos);
}

TEST(Compare, IsolatedCountWithinAndOutsideTheTolerance) {
  RunRecord sim = healthy_record(15);
  isolate(sim, "dht-node-1");  // the sim did not all join: judged by count
  RunRecord real = sim;
  for (const char* name : {"dht-node-2", "dht-node-3", "dht-node-4"}) isolate(real, name);
  // 1 against 4: 3 apart, the default for 15 nodes is max(2, 3) = 3.
  Comparison c = compare_runs(sim, real);
  EXPECT_EQ(c.isolated_tolerance, 3u);
  EXPECT_TRUE(c.agree) << compare_table(c, "a", "b");
  EXPECT_FALSE(check(c, "all_nodes_joined").applies);
  isolate(real, "dht-node-5");
  c = compare_runs(sim, real);
  EXPECT_EQ(failed(c), Names{"isolated_nodes"});
  EXPECT_EQ(check(c, "isolated_nodes").detail,
            "sim: 1 (1 isolated); real: 5 (5 isolated); apart 4");
  // A stated tolerance replaces the default, and the output says which.
  c = compare_runs(sim, real, CompareTolerances{4, std::nullopt});
  EXPECT_TRUE(c.agree);
  EXPECT_EQ(check(c, "isolated_nodes").rule.rfind("within 4:", 0), 0u);
}

TEST(Compare, OneUnjoinedNodeWhenTheSimAllJoinedDisagrees) {
  const RunRecord sim = healthy_record(15);
  RunRecord real = sim;
  isolate(real, "dht-node-7");
  const Comparison c = compare_runs(sim, real);
  EXPECT_EQ(failed(c), Names{"all_nodes_joined"});  // 1 apart is within the count's tolerance
  const auto& row = c.rows[static_cast<std::size_t>(index_of(sim, "dht-node-7"))];
  EXPECT_FALSE(row.agree);
  EXPECT_EQ(row.differences, (Names{"healthy", "state"}));
}

TEST(Compare, MissingHandlerLinksOnAnotherKindOfNodeDisagree) {
  RunRecord sim = healthy_record(3);
  RunRecord real = sim;
  listenerless(sim, "dht-node-1", "bridge-node-1");
  listenerless(real, "bridge-node-1", "dht-node-1");
  Comparison c = compare_runs(sim, real);
  EXPECT_EQ(failed(c), Names{"missing_handler_kinds"});
  EXPECT_EQ(check(c, "missing_handler_kinds").detail, "sim: node (1); real: bridge (1)");
  ASSERT_EQ(c.real.listenerless_links.size(), 1u);
  EXPECT_EQ(c.real.listenerless_links[0].owner_role, "bridge");
  EXPECT_EQ(c.real.listenerless_links[0].peer, "dht-node-1");

  // On the same kind, other links and counts: agree (counts are not judged).
  real = sim;
  listenerless(real, "dht-node-2", "bridge-node-2");
  c = compare_runs(sim, real);
  EXPECT_TRUE(check(c, "missing_handler_kinds").passed);

  // A listener that came later, or a link that went down, no longer counts.
  real = healthy_record(3);
  listenerless(real, "dht-node-1", "bridge-node-1");
  Timeline::LinkEvent later = real.timeline.links.back();
  later.change = Timeline::LinkChange::kListener;
  later.listener = true;
  real.timeline.links.push_back(later);
  listenerless(real, "dht-node-2", "bridge-node-1");
  Timeline::LinkEvent down = real.timeline.links.back();
  down.change = Timeline::LinkChange::kDown;
  real.timeline.links.push_back(down);
  EXPECT_TRUE(compare_runs(healthy_record(3), real).agree);
}

TEST(Compare, WithoutLinkEventsTheKindsComeFromTheCounters) {
  RunRecord sim = healthy_record(3);
  listenerless(sim, "dht-node-1", "bridge-node-1");
  RunRecord real = healthy_record(3);
  real.result.nodes[static_cast<std::size_t>(index_of(real, "dht-node-3"))].peers_missing_handler =
      2;
  const Comparison c = compare_runs(sim, real);
  EXPECT_TRUE(c.real.kinds_from_counters);
  EXPECT_TRUE(check(c, "missing_handler_kinds").passed) << check(c, "missing_handler_kinds").detail;
}

TEST(Compare, AProcessMissingFromOneSideIsADisagreementNotACrash) {
  const RunRecord sim = healthy_record(3);
  RunRecord real = healthy_record(4);
  const Comparison c = compare_runs(sim, real);
  EXPECT_FALSE(c.agree);
  EXPECT_EQ(failed(c), Names{"processes"});
  EXPECT_EQ(check(c, "processes").detail, "only in sim: none; only in real: dht-node-4");
  ASSERT_EQ(c.rows.size(), 8u);
  EXPECT_FALSE(c.rows.back().sim.present);
  EXPECT_EQ(c.rows.back().differences, Names{"missing"});
  // Both directions, and the table and JSON draw the absent side.
  const Comparison back = compare_runs(real, sim);
  EXPECT_EQ(check(back, "processes").detail, "only in sim: dht-node-4; only in real: none");
  EXPECT_NE(compare_table(back, "a", "b").find("yes|-"), std::string::npos);
  EXPECT_NE(to_json(back).find("\"real\":null"), std::string::npos);
}

TEST(Compare, JoinTimesApartBeyondTheTolerance) {
  const RunRecord sim = healthy_record(3);
  RunRecord real = sim;
  real.timeline.health[static_cast<std::size_t>(index_of(real, "dht-node-2"))].t_ns +=
      6'000'000'000;
  Comparison c = compare_runs(sim, real);
  EXPECT_EQ(failed(c), Names{"join_times"});
  EXPECT_EQ(check(c, "join_times").detail,
            "7 joined in both; real minus sim, median 0.000 s (taken off); outside: dht-node-2 "
            "(6.000 s against 12.000 s)");
  c = compare_runs(sim, real, CompareTolerances{std::nullopt, 6'000'000'000});
  EXPECT_TRUE(c.agree);
}

TEST(Compare, JoinTimesOfProcessesNotJoinedAtTheEndAreShownNotJudged) {
  // Under a fault, whether a node got in at its first onboarding or a later
  // one is the race itself; the state checks judge the outcome.
  RunRecord sim = healthy_record(3);
  isolate(sim, "dht-node-2");
  RunRecord real = sim;
  real.timeline.health[static_cast<std::size_t>(index_of(real, "dht-node-2"))].t_ns +=
      50'000'000'000;
  const Comparison c = compare_runs(sim, real);
  EXPECT_TRUE(c.agree) << compare_table(c, "a", "b");
  const auto& row = c.rows[static_cast<std::size_t>(index_of(sim, "dht-node-2"))];
  EXPECT_TRUE(row.agree);
  ASSERT_TRUE(row.real.joined_at_ns.has_value());
  EXPECT_EQ(check(c, "join_times").detail.rfind("6 joined in both;", 0), 0u);
}

TEST(Compare, AStartUpLagCommonToEveryProcessIsTakenOff) {
  // Real processes take wall time to start and are sampled: every join
  // comes later by about the same, which says nothing about the protocol.
  const RunRecord sim = healthy_record(3);
  RunRecord real = sim;
  for (auto& sample : real.timeline.health) sample.t_ns += 9'000'000'000;
  Comparison c = compare_runs(sim, real);
  EXPECT_TRUE(c.agree) << compare_table(c, "a", "b");
  EXPECT_EQ(c.join_time_offset_ns, 9'000'000'000);
  // One process a further onboarding round late still shows.
  real.timeline.health[static_cast<std::size_t>(index_of(real, "dht-node-3"))].t_ns +=
      10'000'000'000;
  c = compare_runs(sim, real);
  EXPECT_EQ(failed(c), Names{"join_times"});
  EXPECT_EQ(c.join_time_offset_ns, 9'000'000'000);
  EXPECT_NE(to_json(c).find("\"join_time_offset_seconds\":9.000"), std::string::npos);
}

TEST(Compare, RecordsOfDifferentScenariosAreRefused) {
  const auto why = incomparable(healthy_record(3, "race-5"), healthy_record(3, "incident-15"));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("\"race-5\""), std::string::npos);
  EXPECT_NE(why->find("\"incident-15\""), std::string::npos);
  EXPECT_FALSE(incomparable(healthy_record(3), healthy_record(4)).has_value());
}

TEST(Compare, JsonNamesTheFailedChecksAndTheTolerances) {
  RunRecord sim = healthy_record(5);
  RunRecord real = sim;
  real.result.nodes[static_cast<std::size_t>(index_of(real, "genesis"))].healthy = false;
  std::string error;
  const auto doc = json::parse(to_json(compare_runs(sim, real)), &error);
  ASSERT_TRUE(doc.has_value()) << error;
  EXPECT_FALSE(doc->find("agree")->as_bool());
  ASSERT_EQ(doc->find("failed")->items().size(), 1u);
  EXPECT_EQ(doc->find("failed")->items()[0].text(), "healthy_anchors");
  EXPECT_EQ(doc->find("tolerances")->find("isolated")->as_uint(), 2u);
  EXPECT_EQ(doc->find("processes")->items().size(), 9u);
  EXPECT_EQ(doc->find("checks")->items().size(), 6u);
}

TEST(CompareCli, ParsesTolerancesAndRefusesBadOnes) {
  const CliParse ok = parse_cli({"compare", "a.json", "b.json", "--isolated-tolerance", "4",
                                 "--join-time-tolerance", "2500ms", "--json"});
  ASSERT_TRUE(ok.options) << ok.error;
  EXPECT_EQ(ok.options->compare_paths, (Names{"a.json", "b.json"}));
  EXPECT_EQ(ok.options->isolated_tolerance, 4u);
  EXPECT_EQ(ok.options->join_time_tolerance_ns, 2'500'000'000);
  EXPECT_TRUE(ok.options->json);
  EXPECT_EQ(parse_cli({"compare", "a", "b", "--join-time-tolerance", "3"})
                .options->join_time_tolerance_ns,
            3'000'000'000);
  EXPECT_NE(parse_cli({"compare", "a.json"}).error.find("two RUN.json files"), std::string::npos);
  EXPECT_NE(parse_cli({"compare", "a", "b", "--isolated-tolerance", "-1"})
                .error.find("--isolated-tolerance"),
            std::string::npos);
  EXPECT_NE(parse_cli({"compare", "a", "b", "--join-time-tolerance", "soon"})
                .error.find("--join-time-tolerance"),
            std::string::npos);
  EXPECT_NE(parse_cli({"compare", "a", "b", "--seed", "1"}).error.find("unknown flag '--seed'"),
            std::string::npos);
}

// ---- the command over records the simulator writes ---------------------------

class CompareCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/yzsim-compare");
    ASSERT_EQ(testing::run_command("mkdir -p '" + *dir_ + "'").exit_code, 0);
    const std::string race = scenario_path("race-5.textproto");
    const std::string incident = scenario_path("incident-15.textproto");
    for (const auto& [args, file] : std::vector<std::pair<std::string, std::string>>{
             {race + " --seed 1", "fixed"},
             {race + " --seed 1 --fault early_return_race", "faulted"},
             {incident + " --seed 1", "i15-1"},
             {incident + " --seed 2", "i15-2"}}) {
      const CommandOutcome run = yzsim("run " + args + " --record " + path(file));
      ASSERT_EQ(run.exit_code, 0) << run.output;
    }
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string path(const std::string& name) { return *dir_ + "/" + name + ".json"; }
  static CommandOutcome compare(const std::string& a, const std::string& b,
                                const std::string& flags = "") {
    return yzsim("compare " + path(a) + " " + path(b) + flags);
  }
  static std::string* dir_;
};
std::string* CompareCommand::dir_ = nullptr;

TEST_F(CompareCommand, ARecordAgreesWithItself) {
  const CommandOutcome same = compare("faulted", "faulted");
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_NE(same.output.find("verdict: AGREE"), std::string::npos);
}

TEST_F(CompareCommand, FixedAgainstFaultedRace5NamesTheMissingHandlerCheck) {
  const CommandOutcome c = compare("fixed", "faulted");
  EXPECT_EQ(c.exit_code, 1) << c.output;
  // With the fault, seed 1's nodes end with links to the bridge (and each
  // other) that never got a DHT listener: degraded, not joined.
  EXPECT_NE(c.output.find("DIFFER  missing_handler_kinds: sim: none; real: node ("),
            std::string::npos)
      << c.output;
  EXPECT_NE(c.output.find("dht-node-1 (node) -> bridge-node-1"), std::string::npos);
  EXPECT_NE(c.output.find("DIFFER  all_nodes_joined"), std::string::npos);
  EXPECT_NE(c.output.find("verdict: DIFFER ("), std::string::npos);
  const CommandOutcome j = compare("fixed", "faulted", " --json");
  EXPECT_EQ(j.exit_code, 1);
  std::string error;
  const auto doc = json::parse(j.output, &error);
  ASSERT_TRUE(doc.has_value()) << error << "\n" << j.output;
  bool named = false;
  for (const auto& f : doc->find("failed")->items()) named |= f.text() == "missing_handler_kinds";
  EXPECT_TRUE(named) << j.output;
}

TEST_F(CompareCommand, Incident15SeedsOneAndTwoBothJoinAndAgree) {
  const CommandOutcome c = compare("i15-1", "i15-2");
  EXPECT_EQ(c.exit_code, 0) << c.output;
  EXPECT_NE(c.output.find("all_nodes_joined: sim: 15/15 joined; real: 15/15 joined"),
            std::string::npos)
      << c.output;
}

TEST_F(CompareCommand, BadInputExitsTwoNamingTheProblem) {
  const std::string missing = *dir_ + "/no-such.json";
  CommandOutcome c = yzsim("compare " + missing + " " + path("fixed"));
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find(missing + ": cannot read"), std::string::npos) << c.output;

  const std::string not_json = *dir_ + "/not-json.json";
  std::ofstream(not_json) << "{\"format\":";
  c = yzsim("compare " + path("fixed") + " " + not_json);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find(not_json + ": not JSON"), std::string::npos) << c.output;

  const std::string other = *dir_ + "/other.json";
  std::ofstream(other) << "{\"scenario\":\"race-5\"}";
  c = yzsim("compare " + path("fixed") + " " + other);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find(other + ": not a RUN.json"), std::string::npos) << c.output;

  c = compare("fixed", "i15-1");
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find("different scenarios: scenario \"race-5\" against \"incident-15\""),
            std::string::npos)
      << c.output;

  c = yzsim("compare " + path("fixed"));
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find("compare needs two RUN.json files"), std::string::npos) << c.output;
  EXPECT_NE(yzsim("--help").output.find("yzsim compare SIM.json REAL.json"), std::string::npos);
}

}  // namespace
}  // namespace yz::sim
