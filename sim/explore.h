#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/strategies.h"

namespace yz::sim {

// The ways a run fails, by name: each broken invariant's own name (safety),
// "livelock" and "liveness" (the network did not converge after healing), or
// "unhealthy_at_end" for a scenario without a liveness phase.
std::vector<std::string> failure_kinds(const RunResult& result);
bool run_failed(const RunResult& result);
bool is_liveness_failure(const std::string& kind);

// Everything that fixes one run of a scenario: with it, the run can be
// executed again, traced, written out and replayed.
struct RunSpec {
  Strategy strategy = Strategy::kRandom;
  std::uint64_t seed = 1;
  core::FaultSet faults;  // on top of the scenario's (after edits)
  std::uint32_t pct_depth = 3;
  std::uint64_t pct_points = 0;        // expected latency choices, for pct
  std::vector<std::uint64_t> delayed;  // exhaustive: the delayed latency choices
  ScenarioEdits edits;                 // swarm's knobs
};

// Runs one spec. `base` carries tracing, choice recording and pruning.
RunResult run_spec(const Scenario& scenario, const RunSpec& spec, RunOptions base = {});

// Draws swarm testing's knobs for one run from its seed: a latency shape
// (LAN to slow WAN, some with a long tail), timing constants valid for that
// shape (health-check interval, find_node, invitation and onboarding
// timeouts), a liveness bound long enough for it, how far apart the DHT
// nodes start, how many crash and restart, and which of `faults` are on.
// `scenario` gives the values a draw may keep. The ranges, and why each is
// bounded where it is, are in explore.cc (swarm_edits).
ScenarioEdits swarm_edits(std::uint64_t seed, const core::FaultSet& faults,
                          const Scenario& scenario);

// The swarm's knobs in one line, e.g. "latency wan-tail 120-450 ms, 2% to
// 1.8 s; health_check_interval 2 s; ...", for yzsim run --strategy swarm.
std::string describe_swarm(const ScenarioEdits& edits);

struct ExploreOptions {
  Strategy strategy = Strategy::kRandom;
  std::uint64_t first_seed = 1;
  // Runs to make; for exhaustive, a cap on the enumeration (0: no cap).
  std::uint64_t runs = 0;
  core::FaultSet faults;
  std::uint32_t depth = 3;  // pct
  std::uint32_t bound = 2;  // exhaustive: most latency choices delayed in one run
  ScenarioEdits edits;      // applied to every run (swarm adds its own)
  unsigned jobs = 1;
  // Run only the shard_index-th of shard_count slices of the runs (seed
  // strategies only: exhaustive's pruning at each level needs every earlier
  // level's states, so it cannot be split). Run indices, seeds and first
  // failures stay those of the whole exploration; sim/shard.h merges slices.
  std::uint64_t shard_index = 0;
  std::uint64_t shard_count = 1;
  // Called from worker threads, under a lock, after every run.
  std::function<void(std::uint64_t done, std::uint64_t failing, std::uint64_t planned)> progress;
};

struct FirstFailure {
  std::uint64_t run_index = 0;
  RunSpec spec;
  std::uint64_t step = 0;  // of the violation, where there is one
};

// Runs are independent and each is single-threaded; `jobs` threads share
// them out and the results are combined in run order, so the outcome does
// not depend on the number of threads.
struct ExploreReport {
  ExploreResult summary;
  std::map<std::string, FirstFailure> first_failure;  // by failure kind
  // The runs [run_begin, run_end) of the whole exploration this report
  // covers (all of them without a shard), and the hashes behind the two
  // distinct counts, which only the sets themselves can merge.
  std::uint64_t run_begin = 0;
  std::uint64_t run_end = 0;
  std::set<std::uint64_t> trace_hashes;
  std::set<std::uint64_t> orderings;
};

// The runs of shard `index` of `count` (index < count) of `runs`:
// contiguous, in run order, the first runs % count shards one run longer.
struct RunSlice {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};
RunSlice shard_slice(std::uint64_t runs, std::uint64_t index, std::uint64_t count);

ExploreReport explore(const Scenario& scenario, const ExploreOptions& options);

}  // namespace yz::sim
