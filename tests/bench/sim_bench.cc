// Speed of the simulator and of the core's hot data structures. These are
// measurements, not tests: they check nothing and are not run by CTest.
//
//   ninja -C build sim_bench && ./build/bin/sim_bench
//   ./build/bin/sim_bench --benchmark_filter=Incident15 --benchmark_min_time=5
//
// The whole-run benchmarks report items_per_second (simulated events per
// wall-clock second) and runs_per_second; each iteration runs a new seed, so
// the figures average over many different interleavings.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "roles/core/faults.h"
#include "roles/core/lookup.h"
#include "roles/core/node_id.h"
#include "roles/core/routing_table.h"
#include "sim/prng.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace {

using yz::core::NodeId;
using yz::core::PeerInfo;

constexpr char kIncident15[] = YZ_SOURCE_DIR "/sim/scenarios/incident-15.textproto";

// Loaded once per process; the Simulator only borrows it.
const yz::sim::Scenario* Incident15() {
  static const std::optional<yz::sim::Scenario> scenario = [] {
    yz::sim::ScenarioLoad load = yz::sim::load_scenario_file(kIncident15);
    if (!load.scenario) std::fprintf(stderr, "sim_bench: %s\n", load.error.c_str());
    return load.scenario;
  }();
  return scenario ? &*scenario : nullptr;
}

// One full run per iteration, each with the next seed.
void RunIncident15(benchmark::State& state, const yz::core::FaultSet& faults) {
  const yz::sim::Scenario* scenario = Incident15();
  if (scenario == nullptr) {
    state.SkipWithError("cannot load " YZ_SOURCE_DIR "/sim/scenarios/incident-15.textproto");
    return;
  }
  std::uint64_t seed = 1;
  std::uint64_t events = 0;
  std::uint64_t unhealthy = 0;
  for (auto _ : state) {
    yz::sim::RunOptions options;
    options.seed = seed++;
    options.faults = faults;
    yz::sim::Simulator simulator(*scenario, options);
    const yz::sim::RunResult result = simulator.run();
    events += result.events;
    unhealthy += result.summary.unhealthy;
    benchmark::DoNotOptimize(result.trace_hash);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["runs_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["events_per_run"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kAvgIterations);
  // A sanity figure: 0 for the fixed code, most of the network with the fault.
  state.counters["unhealthy_per_run"] =
      benchmark::Counter(static_cast<double>(unhealthy), benchmark::Counter::kAvgIterations);
}

void BM_Incident15_Fixed(benchmark::State& state) { RunIncident15(state, {}); }
BENCHMARK(BM_Incident15_Fixed)->Unit(benchmark::kMillisecond);

void BM_Incident15_EarlyReturnRace(benchmark::State& state) {
  yz::core::FaultSet faults;
  faults.enable(*yz::core::fault_from_name("early_return_race"));
  RunIncident15(state, faults);
}
BENCHMARK(BM_Incident15_EarlyReturnRace)->Unit(benchmark::kMillisecond);

// ---- core data structures -----------------------------------------------------

NodeId RandomId(yz::sim::Xoshiro256& rng) {
  return NodeId::from_words(rng.next(), rng.next(), rng.next());
}

PeerInfo MakePeer(const NodeId& id, int n) {
  PeerInfo peer;
  peer.node_id = id;
  peer.metadata.role = yz::core::Role::kNode;
  peer.metadata.address = "dht-node-" + std::to_string(n);
  peer.metadata.name = peer.metadata.address;
  peer.metadata.protocol_version = 1;
  return peer;
}

// closest(target, 20) on a table that really holds state.range(0) entries:
// k = 20 per bucket, so the peers are spread over the farthest
// range(0) / 20 buckets (random ids would leave most of them in the
// replacement caches of the two or three farthest buckets).
void BM_RoutingTableClosest(benchmark::State& state) {
  const auto peers = static_cast<std::size_t>(state.range(0));
  constexpr std::size_t kK = 20;
  yz::sim::Xoshiro256 rng(42);
  const NodeId self = RandomId(rng);
  yz::core::RoutingTable table(self, kK);
  for (std::size_t i = 0; i < peers; ++i) {
    const int bucket = NodeId::kBits - 1 - static_cast<int>(i / kK);
    table.handle_peer_connected(MakePeer(
        NodeId::in_bucket(self, bucket, rng.next(), rng.next(), rng.next()), static_cast<int>(i)));
  }
  if (table.size() != peers) {
    state.SkipWithError("routing table did not take every peer");
    return;
  }
  std::vector<NodeId> targets;
  for (int i = 0; i < 1024; ++i) targets.push_back(RandomId(rng));

  std::size_t next = 0;
  for (auto _ : state) {
    std::vector<PeerInfo> closest = table.closest(targets[next++ & 1023], kK);
    benchmark::DoNotOptimize(closest.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["table_size"] = static_cast<double>(table.size());
}
BENCHMARK(BM_RoutingTableClosest)->Arg(100)->Arg(1000);

// The iterative find_node state machine on its own, with no I/O: a network of
// state.range(0) peers, each answering from a full routing table of its own
// (k = 20), so the lookup converges the way it does in a real network. The
// answers are computed once, before timing; each iteration replays one of 16
// lookups: seed, next_queries, on_answer, ... until done, then result().
void BM_LookupStateMachine(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  constexpr std::size_t kK = 20;
  constexpr std::size_t kAlpha = 3;
  constexpr int kTargets = 16;
  yz::sim::Xoshiro256 rng(7);

  std::vector<PeerInfo> network;
  for (std::size_t i = 0; i < n; ++i)
    network.push_back(MakePeer(RandomId(rng), static_cast<int>(i)));
  std::map<NodeId, yz::core::RoutingTable> tables;
  for (const PeerInfo& peer : network) {
    auto& table = tables.try_emplace(peer.node_id, peer.node_id, kK).first->second;
    for (const PeerInfo& other : network) table.handle_peer_connected(other);
  }

  struct Case {
    NodeId target;
    std::vector<PeerInfo> seeds;
    std::map<NodeId, std::vector<PeerInfo>> answers;  // by peer asked
  };
  const NodeId self = network.front().node_id;
  std::vector<Case> cases;
  for (int i = 0; i < kTargets; ++i) {
    Case c;
    c.target = RandomId(rng);
    c.seeds = tables.at(self).closest(c.target, kK);
    yz::core::Lookup lookup(self, c.target, kK, kAlpha);
    lookup.add_candidates(c.seeds);
    while (!lookup.done()) {
      const std::vector<PeerInfo> asked = lookup.next_queries();
      if (asked.empty()) break;
      for (const PeerInfo& peer : asked) {
        auto& answer = c.answers[peer.node_id];
        answer = tables.at(peer.node_id).closest(c.target, kK);
        lookup.on_answer(peer.node_id, answer);
      }
    }
    cases.push_back(std::move(c));
  }

  std::size_t next = 0;
  std::uint64_t queries = 0;
  for (auto _ : state) {
    const Case& c = cases[next++ % kTargets];
    yz::core::Lookup lookup(self, c.target, kK, kAlpha);
    lookup.add_candidates(c.seeds);
    while (!lookup.done()) {
      const std::vector<PeerInfo> asked = lookup.next_queries();
      if (asked.empty()) break;
      queries += asked.size();
      for (const PeerInfo& peer : asked) lookup.on_answer(peer.node_id, c.answers.at(peer.node_id));
    }
    yz::core::LookupResult result = lookup.result();
    benchmark::DoNotOptimize(result.closest.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["queries_per_lookup"] =
      benchmark::Counter(static_cast<double>(queries), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_LookupStateMachine)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
