#include "sim/explore.h"

#include <chrono>
#include <set>

namespace yz::sim {

bool run_failed(const RunResult& result) {
  return result.summary.unhealthy > 0 || !result.invariant_violations.empty();
}

ExploreResult explore(const Scenario& scenario, std::uint64_t first_seed, std::uint64_t runs,
                      const core::FaultSet& faults, Strategy strategy,
                      const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  ExploreResult out;
  out.scenario = scenario.name;
  out.first_seed = first_seed;
  std::set<std::uint64_t> hashes;
  // Wall time is reported, never used to decide anything in a run.
  const auto started = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < runs; ++i) {
    RunOptions options;
    options.seed = first_seed + i;
    options.faults = faults;
    options.strategy = strategy;
    Simulator simulator(scenario, options);
    const RunResult result = simulator.run();
    if (i == 0) out.faults = result.faults;
    ++out.runs;
    out.total_events += result.events;
    hashes.insert(result.trace_hash);
    out.unhealthy_histogram[result.summary.unhealthy]++;
    if (run_failed(result)) out.failing_seeds.push_back(options.seed);
    if (progress) progress(out.runs, out.failing_seeds.size());
  }
  out.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out.distinct_trace_hashes = hashes.size();
  return out;
}

}  // namespace yz::sim
