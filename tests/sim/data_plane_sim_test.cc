// The data plane in the simulator (issue 17): on a 15-process network, a
// put from one node is stored on the k closest holders and read back by
// every other member, and it is still read back after all its holders but
// one have crashed, before and after the survivor republishes it.
//
// Each process is the real role behind a thin wrapper that runs this test's
// actions (put, get, crash) at chosen virtual times through the process's
// own Env, so runs stay deterministic. A crash here stops the role and then
// swallows everything sent to the process: its links close, as in the
// simulator's crash, and dials to it hang until they time out.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "roles/core/dht_member.h"
#include "roles/make_process.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using core::kSecond;

constexpr char kScenario[] = R"(
name: "data-plane-15"
description: "bootstrap, genesis, a bridge and 12 DHT nodes; k 5, republish every 20 s"
duration_ms: 130000
latency { min_us: 500 max_us: 5000 }
timing { k: 5 republish_interval_ms: 20000 }
signatures: SIM_HASH
process { name: "bootstrap"     role: BOOTSTRAP start_at_ms: 0 }
process { name: "genesis"       role: GENESIS   start_at_ms: 200 }
process { name: "bridge-node-1" role: BRIDGE    start_at_ms: 400 }
node_group {
  name_prefix: "dht-node-"
  count: 12
  first_start_ms: 1000
  start_interval_ms: 1000
  start_jitter_ms: 500
}
)";

constexpr std::size_t kK = 5;
constexpr std::size_t kQuorum = 3;  // Timing's default
const std::string kKey = "greeting";
const std::string kData = "hello, DHT";

class Driven;

// The actions of one run and what they saw.
struct Harness {
  struct Action {
    core::Duration at;
    std::string process;
    std::function<void(Driven&)> run;
  };
  std::vector<Action> actions;
  std::map<std::string, Driven*> processes;  // by name
  std::vector<core::PutOutcome> puts;
  std::map<std::string, core::GetOutcome> gets;  // by getter
  std::set<std::string> crashed;
  bool all_members_at_put = false;
  // Kept after the run: the processes live as long as their simulator.
  std::unique_ptr<Simulator> simulator;
};

class Driven : public core::Process {
 public:
  Driven(core::Env& env, const core::ProcessConfig& config, Harness& harness)
      : env_(env), name_(config.name), harness_(harness), inner_(roles::make_process(env, config)) {
    harness_.processes[name_] = this;
  }

  core::DhtMember* member() { return dynamic_cast<core::DhtMember*>(&inner_->role()); }
  const std::string& name() const { return name_; }
  bool crashed() const { return crashed_; }
  void crash() {
    inner_->stop();
    crashed_ = true;
    harness_.crashed.insert(name_);
  }

  void start() override {
    inner_->start();
    for (const Harness::Action& action : harness_.actions) {
      if (action.process != name_) continue;
      env_.start_timer(action.at - env_.now(), [this, run = action.run] {
        if (!crashed_) run(*this);
      });
    }
  }
  void stop() override {
    if (!crashed_) inner_->stop();
  }
  void on_link_accepted(core::LinkId link) override {
    if (!crashed_) inner_->on_link_accepted(link);
  }
  void on_link_opened(core::LinkId link) override {
    if (!crashed_) inner_->on_link_opened(link);
  }
  void on_link_closed(core::LinkId link, std::string_view reason) override {
    if (!crashed_) inner_->on_link_closed(link, reason);
  }
  void on_frame(core::LinkId link, core::Message&& message) override {
    if (!crashed_) inner_->on_frame(link, std::move(message));
  }
  core::ProcessStatus status() override { return inner_->status(); }
  std::size_t peers_missing_handler() override { return inner_->peers_missing_handler(); }
  core::InvariantCounters invariant_counters() override { return inner_->invariant_counters(); }
  core::Process& role() override { return inner_->role(); }

 private:
  core::Env& env_;
  std::string name_;
  Harness& harness_;
  std::unique_ptr<core::Process> inner_;
  bool crashed_ = false;
};

Scenario DataScenario() {
  ScenarioLoad load = parse_scenario(kScenario, "data-plane-15");
  EXPECT_TRUE(load.scenario) << load.error;
  return load.scenario ? *load.scenario : Scenario{};
}

std::vector<std::string> Members(const Scenario& scenario) {
  std::vector<std::string> out;
  for (const ProcessSpec& p : scenario.processes)
    if (p.role != core::Role::kBootstrap) out.push_back(p.name);
  return out;
}

RunResult RunWith(const Scenario& scenario, std::uint64_t seed, Harness& harness) {
  RunOptions options;
  options.seed = seed;
  options.make_process = [&harness](core::Env& env, const core::ProcessConfig& config) {
    return std::make_unique<Driven>(env, config, harness);
  };
  harness.simulator = std::make_unique<Simulator>(scenario, options);
  return harness.simulator->run();
}

void PutAt(Harness& h, core::Duration at, const std::string& from) {
  h.actions.push_back({at, from, [&h](Driven& self) {
                         h.all_members_at_put = std::all_of(
                             h.processes.begin(), h.processes.end(), [](const auto& entry) {
                               core::DhtMember* m = entry.second->member();
                               return m == nullptr || m->is_member() ||
                                      m->config().role == core::Role::kBridge;
                             });
                         self.member()->data().put(kKey, kData, 0, [&h](core::PutOutcome outcome) {
                           h.puts.push_back(std::move(outcome));
                         });
                       }});
}

void GetAt(Harness& h, core::Duration at, const std::string& from) {
  h.actions.push_back({at, from, [&h](Driven& self) {
                         self.member()->data().get(
                             kKey, 0, [&h, name = self.name()](core::GetOutcome outcome) {
                               h.gets[name] = std::move(outcome);
                             });
                       }});
}

// Every getter found exactly the put's value, published by `publisher`.
void ExpectFoundEverywhere(const Harness& h, const std::vector<std::string>& getters,
                           const core::NodeId& publisher) {
  for (const std::string& name : getters) {
    auto it = h.gets.find(name);
    ASSERT_NE(it, h.gets.end()) << name << " got no answer";
    const core::GetOutcome& got = it->second;
    EXPECT_TRUE(got.found) << name << ": " << got.error;
    ASSERT_EQ(got.values.size(), 1u) << name;
    EXPECT_EQ(got.values[0].data, kData) << name;
    EXPECT_EQ(got.values[0].name, kKey) << name;
    EXPECT_EQ(got.values[0].publisher, publisher) << name;
    EXPECT_FALSE(got.sources.empty()) << name;
    EXPECT_LT(got.took, 10 * kSecond) << name;
  }
}

// Who holds the value at the end of a run: the members whose store has it.
std::vector<std::string> Holders(const Harness& h) {
  std::vector<std::string> out;
  for (const auto& [name, process] : h.processes) {
    core::DhtMember* m = process->member();
    if (m != nullptr && !process->crashed() && m->data().values_held() > 0) out.push_back(name);
  }
  return out;
}

TEST(DataPlaneSim, APutIsStoredOnTheKClosestAndReadByEveryMember) {
  const Scenario scenario = DataScenario();
  const std::vector<std::string> members = Members(scenario);
  for (std::uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Harness h;
    PutAt(h, 60 * kSecond, "dht-node-1");
    std::vector<std::string> getters;
    for (const std::string& name : members)
      if (name != "dht-node-1") getters.push_back(name);
    for (const std::string& name : getters) GetAt(h, 70 * kSecond, name);
    const RunResult result = RunWith(scenario, seed, h);
    EXPECT_TRUE(result.invariant_violations.empty());
    EXPECT_TRUE(h.all_members_at_put);

    ASSERT_EQ(h.puts.size(), 1u);
    const core::PutOutcome& put = h.puts[0];
    EXPECT_TRUE(put.ok) << put.error;
    EXPECT_GE(put.holders.size(), kQuorum);
    EXPECT_GE(put.asked, kK);
    EXPECT_LT(put.took, 10 * kSecond);
    for (const core::PeerInfo& holder : put.holders)
      EXPECT_NE(holder.metadata.role, core::Role::kBridge);

    const core::NodeId publisher = h.processes["dht-node-1"]->member()->self().node_id;
    ExpectFoundEverywhere(h, getters, publisher);

    // Held by exactly the k members closest to the key that hold values
    // (genesis and the nodes; never the bridge).
    const core::NodeId key = core::value_key_id(kKey);
    std::vector<std::pair<core::NodeId, std::string>> by_distance;
    for (const auto& [name, process] : h.processes) {
      core::DhtMember* m = process->member();
      if (m != nullptr && m->data().holds_values())
        by_distance.emplace_back(m->self().node_id ^ key, name);
    }
    std::sort(by_distance.begin(), by_distance.end());
    std::vector<std::string> closest;
    for (std::size_t i = 0; i < kK; ++i) closest.push_back(by_distance[i].second);
    std::sort(closest.begin(), closest.end());
    EXPECT_EQ(Holders(h), closest);
    EXPECT_EQ(h.processes["bridge-node-1"]->member()->data().values_held(), 0u);
  }
}

TEST(DataPlaneSim, FoundWhileFewerThanKHoldersHaveCrashedAndRepublishedToNewOnes) {
  const Scenario scenario = DataScenario();
  const std::vector<std::string> members = Members(scenario);
  for (std::uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Harness h;
    PutAt(h, 60 * kSecond, "dht-node-1");
    // At 65 s every holder but one crashes (k - 1 of the k; the first by
    // name survives).
    h.actions.push_back({65 * kSecond, "bootstrap", [&h](Driven&) {
                           const std::vector<std::string> holders = Holders(h);
                           for (std::size_t i = 1; i < holders.size(); ++i)
                             h.processes[holders[i]]->crash();
                         }});
    // Gets before the survivor's republish (at 80 s: 20 s after it took the
    // value) and after it.
    for (const std::string& name : members) GetAt(h, 70 * kSecond, name);
    const RunResult first = RunWith(scenario, seed, h);
    EXPECT_TRUE(first.invariant_violations.empty());
    ASSERT_EQ(h.puts.size(), 1u);
    ASSERT_TRUE(h.puts[0].ok) << h.puts[0].error;
    EXPECT_EQ(h.crashed.size(), kK - 1);
    std::vector<std::string> live;
    for (const std::string& name : members)
      if (!h.crashed.contains(name)) live.push_back(name);
    const core::NodeId publisher = h.processes["dht-node-1"]->member()->self().node_id;
    ExpectFoundEverywhere(h, live, publisher);

    // The same run again, with gets after the republish (and the check of
    // who holds it at the end, 130 s).
    Harness again;
    PutAt(again, 60 * kSecond, "dht-node-1");
    again.actions.push_back({65 * kSecond, "bootstrap", [&again](Driven&) {
                               const std::vector<std::string> holders = Holders(again);
                               for (std::size_t i = 1; i < holders.size(); ++i)
                                 again.processes[holders[i]]->crash();
                             }});
    for (const std::string& name : members) GetAt(again, 100 * kSecond, name);
    const RunResult second = RunWith(scenario, seed, again);
    EXPECT_TRUE(second.invariant_violations.empty());
    EXPECT_EQ(again.crashed, h.crashed);  // deterministic: the same holders crashed
    ExpectFoundEverywhere(again, live, publisher);
    // At least k live holders again (more when some holder's view of the k
    // closest differs from another's: each republishes to its own).
    EXPECT_GE(Holders(again).size(), kK) << "republishing did not re-replicate";
  }
}

TEST(DataPlaneSim, TheHarnessChangesNothingWithoutActions) {
  // No action: the run is the one without the wrapper, and nothing is held.
  const Scenario scenario = DataScenario();
  Harness h;
  const RunResult wrapped = RunWith(scenario, 7, h);
  const RunResult plain = testing::run_once(scenario, 7);
  EXPECT_EQ(wrapped.trace_hash, plain.trace_hash);
  for (const auto& [name, process] : h.processes)
    if (core::DhtMember* m = process->member()) {
      EXPECT_EQ(m->data().values_held(), 0u) << name;
    }
}

}  // namespace
}  // namespace yz::sim
