// The simulator's side of the data plane (issue 17 item 3): scenario
// value checks, read and refused with their line; the checker's rule for
// value_lost; and runs of values-15 that find every acknowledged value with
// the fix, count the incident's failed gets without calling them an
// invariant, and stay deterministic.
#include "sim/value_checks.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "roles/core/dht_member.h"
#include "sim/explore.h"
#include "sim/report.h"
#include "sim/shard.h"
#include "sim/start_schedule.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using core::kMillisecond;
using core::kSecond;

constexpr const char* kBase = R"(name: "v"
duration_ms: 60000
process { name: "bootstrap" role: BOOTSTRAP }
process { name: "genesis" role: GENESIS start_at_ms: 100 }
process { name: "bridge" role: BRIDGE start_at_ms: 200 }
process { name: "n1" role: NODE start_at_ms: 300 }
process { name: "n2" role: NODE start_at_ms: 400 }
)";

std::string error_of(const std::string& extra) {
  const ScenarioLoad load = parse_scenario(std::string(kBase) + extra, "v.textproto");
  EXPECT_FALSE(load.scenario.has_value()) << "accepted:\n" << extra;
  return load.error;
}

// kBase has 7 lines: the extra text starts on line 8.
void expect_error(const std::string& extra, const std::string& where, const std::string& what) {
  const std::string error = error_of(extra);
  EXPECT_NE(error.find("v.textproto:" + where), std::string::npos) << error;
  EXPECT_NE(error.find(what), std::string::npos) << error;
}

TEST(ValueCheckScenario, ReadsChecksGeneratorCrashesAndTiming) {
  const ScenarioLoad load = parse_scenario(std::string(kBase) + R"(
value_check { at_ms: 10000 from: "n1" put { key: "k" value: "v1" } }
value_check { at_ms: 20000 from: "bridge" get { key: "k" expect_value: "v1" } }
value_check { at_ms: 21000 from: "genesis" get { key: "other" expect_found: false } }
value_checks { puts: 3 gets_per_put: 2 from_ms: 30000 }
crash { process: "n2" at_ms: 15000 down_ms: 4000 }
timing { republish_interval_ms: 20000 get_timeout_ms: 5000 put_write_quorum: 2 }
)",
                                           "v.textproto");
  ASSERT_TRUE(load.scenario) << load.error;
  const Scenario& s = *load.scenario;
  ASSERT_EQ(s.value_checks.size(), 3u);
  EXPECT_EQ(s.value_checks[0].op, ValueCheckSpec::Op::kPut);
  EXPECT_EQ(s.value_checks[0].at, 10 * kSecond);
  EXPECT_EQ(s.value_checks[0].value, "v1");
  EXPECT_EQ(s.value_checks[1].op, ValueCheckSpec::Op::kGet);
  EXPECT_EQ(s.value_checks[1].expect_value, "v1");
  EXPECT_FALSE(s.value_checks[1].expect_found.has_value());
  EXPECT_EQ(s.value_checks[2].expect_found, false);
  // Unset generator fields take the documented defaults.
  EXPECT_EQ(s.value_check_generator.puts, 3u);
  EXPECT_EQ(s.value_check_generator.spacing, kSecond);
  EXPECT_EQ(s.value_check_generator.get_after, 5 * kSecond);
  EXPECT_EQ(s.value_check_generator.get_spacing, 10 * kSecond);
  ASSERT_EQ(s.crashes.size(), 1u);
  EXPECT_EQ(s.crashes[0].process, "n2");
  EXPECT_EQ(s.crashes[0].down, 4 * kSecond);
  EXPECT_EQ(s.timing.republish_interval, 20 * kSecond);
  EXPECT_EQ(s.timing.get_timeout, 5 * kSecond);
  EXPECT_EQ(s.timing.put_write_quorum, 2u);
  EXPECT_TRUE(s.has_value_checks());
}

TEST(ValueCheckScenario, BadChecksAreRefusedWithTheirLine) {
  expect_error("value_check { at_ms: 1 from: \"n9\" get { key: \"k\" } }",
               "8:", "from 'n9' is not a process");
  expect_error("value_check { at_ms: 1 from: \"bootstrap\" get { key: \"k\" } }",
               "8:", "is the bootstrap");
  expect_error("value_check { at_ms: 1 get { key: \"k\" } }", "8:", "has no from");
  expect_error("value_check { at_ms: 60000 from: \"n1\" get { key: \"k\" } }",
               "8:", "before duration_ms");
  expect_error("value_check { at_ms: 1 from: \"n1\" }", "8:", "needs a put");
  expect_error("value_check {\n at_ms: 1 from: \"n1\"\n put { key: \"\" value: \"x\" } }",
               "10:", "key must be 1-256 bytes");
  expect_error(
      "value_check { at_ms: 1 from: \"n1\" get { key: \"" + std::string(257, 'a') + "\" } }",
      "8:", "key must be 1-256 bytes");
  expect_error("value_check { at_ms: 1 from: \"n1\" put { key: \"k\" value: \"" +
                   std::string(65537, 'x') + "\" } }",
               "8:", "over the 65536");
  expect_error(
      "value_check { at_ms: 1 from: \"n1\" get { key: \"k\" expect_value: \"x\" "
      "expect_found: false } }",
      "8:", "at once");
  // An unknown field inside a check is the parser's error, with its line.
  expect_error("\nvalue_check { at_ms: 1 from: \"n1\" get { key: \"k\" colour: 1 } }",
               "9:", "colour");
}

TEST(ValueCheckScenario, BadGeneratorsAndCrashesAreRefused) {
  expect_error("value_checks { gets_per_put: 1 }", "8:", "puts must be > 0");
  expect_error("value_checks { puts: 2 gets_per_put: 2 from_ms: 50000 get_spacing_ms: 10000 }",
               "8:", "not before duration_ms");
  expect_error("crash { process: \"genesis\" at_ms: 1 down_ms: 1 }", "8:", "is not a NODE");
  expect_error("crash { process: \"n7\" at_ms: 1 down_ms: 1 }", "8:", "is not a process");
  expect_error("crash { process: \"n1\" at_ms: 1 }", "8:", "down_ms must be > 0");
  expect_error("crash { process: \"n1\" at_ms: 70000 down_ms: 1 }", "8:", "before duration_ms");
}

TEST(ValueCheckScenario, GeneratorIsDrawnFromTheSeedInTimeOrder) {
  const ScenarioLoad load =
      parse_scenario(std::string(kBase) +
                         "value_check { at_ms: 12000 from: \"n2\" get { key: \"x\" } }\n"
                         "value_checks { puts: 4 gets_per_put: 3 from_ms: 10000 spacing_ms: 1000 "
                         "get_after_ms: 500 get_spacing_ms: 2000 }\n",
                     "v.textproto");
  ASSERT_TRUE(load.scenario) << load.error;
  const auto a = expand_value_checks(*load.scenario, 7);
  const auto b = expand_value_checks(*load.scenario, 7);
  const auto c = expand_value_checks(*load.scenario, 8);
  ASSERT_EQ(a.size(), 1u + 4 * (1 + 3));
  std::map<std::string, int> puts_of_key;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].spec.key, b[i].spec.key);
    EXPECT_EQ(a[i].process, b[i].process);
    if (i > 0) {
      EXPECT_LE(a[i - 1].spec.at, a[i].spec.at);
    }
    EXPECT_NE(load.scenario->processes[static_cast<std::size_t>(a[i].process)].role,
              core::Role::kBootstrap);
    // Bridges refuse puts and gets (not_member): never drawn.
    EXPECT_NE(a[i].spec.from, "bridge");
    if (a[i].spec.op == ValueCheckSpec::Op::kPut) ++puts_of_key[a[i].spec.key];
  }
  EXPECT_EQ(puts_of_key.size(), 4u);  // a key is never reused
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) differs |= a[i].spec.key != c[i].spec.key;
  EXPECT_TRUE(differs) << "another seed draws other keys";
  // A process shrinking dropped is neither drawn nor kept.
  ScenarioEdits edits;
  edits.dropped = {"n2"};
  for (const auto& check : expand_value_checks(apply_edits(*load.scenario, edits), 7))
    EXPECT_NE(check.spec.from, "n2");
}

TEST(ValueCheckScenario, NamedCrashesFollowTheDrawnOnesInTheSharedSchedule) {
  ScenarioLoad load = parse_scenario(std::string(kBase) +
                                         "crash { process: \"n2\" at_ms: 15000 down_ms: 4000 }\n"
                                         "crash { process: \"n1\" at_ms: 25000 down_ms: 1000 }\n",
                                     "v.textproto");
  ASSERT_TRUE(load.scenario) << load.error;
  const auto crashes = crash_restarts(*load.scenario, 3);
  ASSERT_EQ(crashes.size(), 2u);  // restarts: 0 draws none
  EXPECT_EQ(crashes[0].process, 4);
  EXPECT_EQ(crashes[0].at, 15 * kSecond);
  EXPECT_EQ(crashes[0].down, 4 * kSecond);
  EXPECT_EQ(crashes[1].process, 3);
  load.scenario->restarts = 2;
  const auto more = crash_restarts(*load.scenario, 3);
  ASSERT_EQ(more.size(), 4u);
  EXPECT_EQ(more[2].at, 15 * kSecond);
}

// The checker's rule, on a fake host whose data plane answers as told.
class FakeHost {
 public:
  std::map<int, core::NodeId> ids = {{1, core::NodeId::from_words(1, 0, 0)},
                                     {2, core::NodeId::from_words(2, 0, 0)},
                                     {3, core::NodeId::from_words(3, 0, 0)}};
  std::map<int, bool> joined = {{1, true}, {2, true}, {3, true}};
  bool safety_broken = false;
  core::TimePoint now = 0;
  std::vector<std::pair<std::string, int>> violations;
  std::function<void(core::PutOutcome)> put_done;
  std::function<void(core::GetOutcome)> get_done;

  ValueChecker::Host host() {
    ValueChecker::Host h;
    h.running_member = [](int) { return true; };
    h.put = [this](int, const std::string&, const std::string&,
                   std::function<void(core::PutOutcome)> done) { put_done = std::move(done); };
    h.get = [this](int, const std::string&, std::function<void(core::GetOutcome)> done) {
      get_done = std::move(done);
    };
    h.node_id = [this](int p) { return ids.at(p); };
    h.joined = [this](int p) { return joined.at(p); };
    h.safety_broken = [this] { return safety_broken; };
    h.violation = [this](const std::string& i, int p) { violations.emplace_back(i, p); };
    h.now = [this] { return now; };
    h.k = 2;
    return h;
  }
};

std::vector<ValueCheck> put_then_gets(int gets) {
  std::vector<ValueCheck> checks;
  ValueCheck put;
  put.process = 1;
  put.spec.key = "k";
  put.spec.value = "v";
  checks.push_back(put);
  for (int i = 0; i < gets; ++i) {
    ValueCheck get;
    get.process = 3;
    get.spec.op = ValueCheckSpec::Op::kGet;
    get.spec.key = "k";
    checks.push_back(get);
  }
  return checks;
}

core::PutOutcome acked(const FakeHost& fake, std::uint64_t seq) {
  core::PutOutcome out;
  out.ok = true;
  out.seq = seq;
  out.holders = {core::PeerInfo{fake.ids.at(1), {}}, core::PeerInfo{fake.ids.at(2), {}}};
  return out;
}

core::GetOutcome answer(const FakeHost& fake, std::uint64_t seq) {
  core::GetOutcome out;
  if (seq == 0) {
    out.error = "not_found";
    return out;
  }
  out.found = true;
  core::SignedValue value;
  value.publisher = fake.ids.at(1);
  value.seq = seq;
  value.data = "v";
  out.values.push_back(value);
  out.sources = {core::PeerInfo{fake.ids.at(2), {}}};
  return out;
}

TEST(ValueChecker, AnAcknowledgedPutNotReadBackIsValueLost) {
  FakeHost fake;
  ValueChecker checker(put_then_gets(3), fake.host());
  checker.issue(0);
  fake.put_done(acked(fake, 5));
  checker.issue(1);
  fake.get_done(answer(fake, 5));  // found: fine
  checker.issue(2);
  fake.get_done(answer(fake, 4));  // an older seq: lost
  checker.issue(3);
  fake.get_done(answer(fake, 0));  // not found: lost
  const ValueCheckResult r = checker.result();
  EXPECT_EQ(r.puts_acked, 1u);
  EXPECT_EQ(r.gets, 3u);
  EXPECT_EQ(r.gets_found, 2u);
  EXPECT_EQ(r.gets_failed, 2u);
  EXPECT_EQ(r.gets_held, 3u);
  EXPECT_EQ(r.lost_gets, 2u);
  EXPECT_EQ(r.values_lost, 1u);  // one value, read wrongly twice
  ASSERT_EQ(fake.violations.size(), 2u);
  EXPECT_EQ(fake.violations[0], std::make_pair(std::string("value_lost"), 3));
}

TEST(ValueChecker, KHolderCrashesExcuseALoss) {
  FakeHost fake;
  ValueChecker checker(put_then_gets(2), fake.host());
  checker.issue(0);
  fake.put_done(acked(fake, 5));
  checker.crashing(1, fake.ids.at(1));  // one holder of k = 2: still owed
  checker.issue(1);
  fake.get_done(answer(fake, 0));
  EXPECT_EQ(checker.result().lost_gets, 1u);
  checker.crashing(2, fake.ids.at(2));  // the second: no longer owed
  checker.issue(2);
  fake.get_done(answer(fake, 0));
  const ValueCheckResult r = checker.result();
  EXPECT_EQ(r.gets_failed, 2u);
  EXPECT_EQ(r.lost_gets, 1u);
  EXPECT_EQ(fake.violations.size(), 1u);
}

TEST(ValueChecker, CrashesOfProcessesNotHoldingDoNotCount) {
  FakeHost fake;
  ValueChecker checker(put_then_gets(1), fake.host());
  checker.issue(0);
  fake.put_done(acked(fake, 5));
  // Process 3 never held it: crashing it twice excuses nothing.
  checker.crashing(3, fake.ids.at(3));
  checker.crashing(3, fake.ids.at(3));
  checker.issue(1);
  fake.get_done(answer(fake, 0));
  EXPECT_EQ(checker.result().lost_gets, 1u);
}

TEST(ValueChecker, GetsOfAnUnformedNetworkAreCountedNotHeld) {
  FakeHost fake;
  ValueChecker checker(put_then_gets(2), fake.host());
  checker.issue(0);
  fake.put_done(acked(fake, 5));
  fake.joined[3] = false;  // the getter has not joined
  checker.issue(1);
  fake.get_done(answer(fake, 0));
  fake.joined[3] = true;
  fake.safety_broken = true;  // the network never formed as it should
  checker.issue(2);
  fake.get_done(answer(fake, 0));
  const ValueCheckResult r = checker.result();
  EXPECT_EQ(r.gets_failed, 2u);
  EXPECT_EQ(r.gets_held, 0u);
  EXPECT_EQ(r.lost_gets, 0u);
  EXPECT_TRUE(fake.violations.empty());
}

TEST(ValueChecker, AGetBeforeTheAcknowledgementIsOwedNothing) {
  FakeHost fake;
  ValueChecker checker(put_then_gets(1), fake.host());
  checker.issue(0);
  checker.issue(1);  // the put has not been acknowledged yet
  fake.put_done(acked(fake, 5));
  fake.get_done(answer(fake, 0));
  const ValueCheckResult r = checker.result();
  EXPECT_EQ(r.gets_failed, 1u);  // a user still saw nothing
  EXPECT_EQ(r.lost_gets, 0u);
  EXPECT_TRUE(fake.violations.empty());
}

TEST(ValueChecker, AGetterThatCrashesLeavesItUnfinished) {
  FakeHost fake;
  ValueChecker checker(put_then_gets(1), fake.host());
  checker.issue(0);
  fake.put_done(acked(fake, 5));
  checker.issue(1);
  auto late = fake.get_done;
  checker.crashing(3, fake.ids.at(3));
  late(answer(fake, 0));  // "stopped", after the crash: ignored
  const ValueCheckResult r = checker.result();
  EXPECT_EQ(r.unfinished, 1u);
  EXPECT_EQ(r.gets_failed, 0u);
  EXPECT_TRUE(fake.violations.empty());
}

// ---- whole runs --------------------------------------------------------------

Scenario values15() {
  Scenario s = testing::load_or_die("values-15.textproto");
  s.sim_hash_signatures = true;  // as yzsim explores by default
  return s;
}

TEST(ValueCheckRun, WithTheFixEveryAcknowledgedValueIsReadBack) {
  const Scenario scenario = values15();
  for (std::uint64_t seed : {1, 2, 3}) {
    const RunResult r = testing::run_once(scenario, seed);
    const ValueCheckResult& v = r.value_checks;
    SCOPED_TRACE("seed " + std::to_string(seed) + ": " + value_checks_text(v));
    EXPECT_TRUE(r.invariant_violations.empty()) << r.invariant_violations[0].invariant;
    EXPECT_FALSE(run_failed(r));
    // 21 puts and 84 gets, less those whose member was down at the time.
    EXPECT_EQ(v.puts + v.gets + v.skipped, 105u);
    EXPECT_GT(v.puts, 17u);
    EXPECT_GT(v.gets, 70u);
    EXPECT_EQ(v.puts_acked, v.puts);
    EXPECT_EQ(v.gets_failed, 0u);
    EXPECT_EQ(v.values_lost, 0u);
    EXPECT_EQ(v.mismatches, 0u);
    EXPECT_GT(v.gets_found, 60u);
    EXPECT_GT(v.gets_held, 70u);
  }
}

TEST(ValueCheckRun, SameSeedSameTraceHashAndResults) {
  const Scenario scenario = values15();
  const RunResult a = testing::run_once(scenario, 11);
  const RunResult b = testing::run_once(scenario, 11);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(to_json(a), to_json(b));
  // The checks are events of the run: without them it is another run.
  Scenario without = scenario;
  without.value_checks.clear();
  without.value_check_generator = {};
  EXPECT_NE(testing::run_once(without, 11).trace_hash, a.trace_hash);
}

TEST(ValueCheckRun, TheIncidentCountsFailedGetsWithoutCallingThemValueLost) {
  const Scenario scenario = values15();
  const RunResult r = testing::run_once(scenario, 1, testing::early_return_race());
  const ValueCheckResult& v = r.value_checks;
  SCOPED_TRACE(value_checks_text(v));
  EXPECT_GT(v.gets_failed, 0u);
  const auto kinds = failure_kinds(r);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "frame_lost_no_handler"), kinds.end());
  EXPECT_EQ(std::find(kinds.begin(), kinds.end(), "value_lost"), kinds.end());
  EXPECT_EQ(v.lost_gets, 0u);
  EXPECT_NE(health_table(r).find("value checks: "), std::string::npos);
}

TEST(ValueCheckRun, AnExpectationNotMetIsAViolation) {
  ScenarioLoad load = load_scenario_file(testing::scenario_path("values-15.textproto"));
  ASSERT_TRUE(load.scenario) << load.error;
  Scenario s = *load.scenario;
  s.sim_hash_signatures = true;
  // A hand-broken expectation: the value read back is not this one.
  for (auto& check : s.value_checks)
    if (check.expect_value) check.expect_value = "something else";
  const RunResult r = testing::run_once(s, 1);
  const auto kinds = failure_kinds(r);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "value_mismatch"), kinds.end());
  EXPECT_EQ(r.value_checks.mismatches, 2u);
  EXPECT_EQ(r.value_checks.values_lost, 0u);
  EXPECT_NE(to_json(r).find("\"mismatches\":2"), std::string::npos);
}

TEST(ValueCheckRun, TraceShowsTheChecksAndTheirAnswers) {
  const Scenario scenario = values15();
  std::ostringstream trace;
  testing::run_once(scenario, 1, {}, &trace);
  const std::string text = trace.str();
  EXPECT_NE(text.find(" value_check"), std::string::npos);
  EXPECT_NE(text.find("    value put key=greeting from=dht-node-3"), std::string::npos);
  EXPECT_NE(text.find("    value put_done"), std::string::npos);
  EXPECT_NE(text.find("    value get_done"), std::string::npos);
}

ExploreResult explore_values15(Strategy strategy, std::uint64_t runs) {
  ExploreOptions options;
  options.strategy = strategy;
  options.runs = runs;
  options.first_seed = 1;
  options.edits.sim_hash_signatures = true;
  options.jobs = 2;
  return explore(values15(), options).summary;
}

// Seeded exploration of values-15 (LAN latency, its five crashes): with the
// fix nothing acknowledged is lost, and no get fails (200 runs measured:
// 0 failed of 16,292).
TEST(ValueCheckRun, ExplorationFindsNoLostValueWithTheFix) {
  const ExploreResult r = explore_values15(Strategy::kRandom, 20);
  SCOPED_TRACE(explore_table(r));
  EXPECT_EQ(r.runs, 20u);
  EXPECT_EQ(r.failing_runs, 0u);
  EXPECT_GT(r.value_checks.puts_acked, 300u);
  EXPECT_EQ(r.value_checks.gets_failed, 0u);
  EXPECT_EQ(r.value_checks.values_lost, 0u);
  EXPECT_NE(to_json(r).find("\"value_checks\":{"), std::string::npos);
}

// Swarm exploration of values-15 draws latency shapes up to seconds one
// way, timing and more crashes. It found the core acknowledging a put
// stored on its publisher alone when the publisher's lookup found nobody
// (the quorum was min(W, holders found)): the value died with its
// publisher (swarm seeds 7, 37, 91, 174, 188 of 1..200), and gets that had
// nobody to ask answering not_found (seeds 475, 946 of 1..1000). A put now
// needs W holders, and such a get answers no_peers.
TEST(ValueCheckRun, SwarmFindsNoLostValueWithTheFix) {
  const ExploreResult r = explore_values15(Strategy::kSwarm, 16);
  SCOPED_TRACE(explore_table(r));
  EXPECT_EQ(r.failing_runs, 0u);
  EXPECT_EQ(r.value_checks.values_lost, 0u);
}

// End to end with k = 3: the put's three holders, found by a first run,
// crash one at a time (restarting empty). With all three gone the get
// finds nothing, and that is no violation (k crashes); with two gone it
// must still find the value, from the third.
std::string k3_scenario(const std::string& key, const std::string& getter,
                        const std::vector<std::string>& crashed) {
  std::string text = R"(name: "k3" duration_ms: 120000
timing { k: 3 put_write_quorum: 3 }
process { name: "bootstrap" role: BOOTSTRAP }
process { name: "genesis" role: GENESIS start_at_ms: 1000 }
process { name: "bridge" role: BRIDGE start_at_ms: 2000 }
node_group { name_prefix: "n-" count: 6 first_start_ms: 3000 start_interval_ms: 2000 }
signatures: SIM_HASH
)";
  text += "value_check { at_ms: 40000 from: \"n-1\" put { key: \"" + key + "\" value: \"V\" } }\n";
  if (!getter.empty())
    text += "value_check { at_ms: 90000 from: \"" + getter + "\" get { key: \"" + key + "\" } }\n";
  for (std::size_t i = 0; i < crashed.size(); ++i)
    text += "crash { process: \"" + crashed[i] + "\" at_ms: " + std::to_string(50000 + 10000 * i) +
            " down_ms: 5000 }\n";
  return text;
}

TEST(ValueCheckRun, KHolderCrashesLoseTheValueWithoutAViolationFewerDoNot) {
  std::vector<std::string> holders;
  std::string key, getter;
  for (int attempt = 0; attempt < 10 && key.empty(); ++attempt) {
    const std::string k = "key-" + std::to_string(attempt);
    const ScenarioLoad load = parse_scenario(k3_scenario(k, "", {}), "k3");
    ASSERT_TRUE(load.scenario) << load.error;
    RunOptions options;
    options.seed = 5;
    Simulator sim(*load.scenario, options);
    const RunResult r = sim.run();
    ASSERT_EQ(r.value_checks.puts_acked, 1u) << value_checks_text(r.value_checks);
    std::vector<std::string> held, others;
    bool genesis_holds = false;
    for (const auto& node : r.nodes) {
      auto* member = dynamic_cast<core::DhtMember*>(&sim.process(node.name)->role());
      if (member == nullptr || node.name == "bridge") continue;
      const bool holds = member->data().values_held() > 0;
      if (holds && node.name == "genesis") genesis_holds = true;
      (holds ? held : others).push_back(node.name);
    }
    ASSERT_EQ(held.size(), 3u) << "k = 3 holders";
    if (genesis_holds) continue;  // the genesis never crashes: another key
    key = k;
    holders = held;
    getter = others.back();  // a DHT node that does not hold it
  }
  ASSERT_FALSE(key.empty()) << "every key drawn had the genesis among its holders";

  const ScenarioLoad all = parse_scenario(k3_scenario(key, getter, holders), "k3");
  ASSERT_TRUE(all.scenario) << all.error;
  const RunResult lost = testing::run_once(*all.scenario, 5);
  SCOPED_TRACE(value_checks_text(lost.value_checks));
  EXPECT_EQ(lost.value_checks.gets, 1u);
  EXPECT_EQ(lost.value_checks.gets_held, 1u);
  EXPECT_EQ(lost.value_checks.gets_found, 0u);
  EXPECT_EQ(lost.value_checks.gets_failed, 1u);
  EXPECT_EQ(lost.value_checks.lost_gets, 0u);
  EXPECT_TRUE(lost.invariant_violations.empty());

  const ScenarioLoad two = parse_scenario(k3_scenario(key, getter, {holders[0], holders[1]}), "k3");
  ASSERT_TRUE(two.scenario) << two.error;
  const RunResult kept = testing::run_once(*two.scenario, 5);
  EXPECT_EQ(kept.value_checks.gets_found, 1u) << value_checks_text(kept.value_checks);
  EXPECT_TRUE(kept.invariant_violations.empty());
}

// A shard file carries the value checks' sums, so merged shards report
// what one machine would.
TEST(ValueCheckRun, ShardFileCarriesTheValueChecks) {
  ShardResult shard;
  shard.count = 1;
  shard.summary.value_checks.puts = 7;
  shard.summary.value_checks.puts_acked = 6;
  shard.summary.value_checks.gets = 30;
  shard.summary.value_checks.gets_failed = 4;
  shard.summary.value_checks.gets_timed_out = 1;
  shard.summary.value_checks.values_lost = 2;
  shard.summary.runs_with_failed_gets = 3;
  std::string error;
  const auto back = shard_from_json(to_json(shard), error);
  ASSERT_TRUE(back) << error;
  const ValueCheckResult& v = back->summary.value_checks;
  EXPECT_EQ(v.puts, 7u);
  EXPECT_EQ(v.puts_acked, 6u);
  EXPECT_EQ(v.gets, 30u);
  EXPECT_EQ(v.gets_failed, 4u);
  EXPECT_EQ(v.gets_timed_out, 1u);
  EXPECT_EQ(v.values_lost, 2u);
  EXPECT_EQ(back->summary.runs_with_failed_gets, 3u);
  // Without value checks the file has none, and reads back as none.
  const auto none = shard_from_json(to_json(ShardResult{}), error);
  ASSERT_TRUE(none) << error;
  EXPECT_FALSE(none->summary.value_checks.any());
}

}  // namespace
}  // namespace yz::sim
