#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/run_result.h"

namespace yz::sim {

// The health breakdown in the incident report's own form.
std::string health_table(const RunResult& result);
std::string to_json(const RunResult& result);

struct ExploreResult {
  std::string scenario;
  std::vector<std::string> faults;
  std::uint64_t first_seed = 0;
  std::uint64_t runs = 0;
  std::map<std::uint64_t, std::uint64_t> unhealthy_histogram;  // unhealthy count -> runs
  std::vector<std::uint64_t> failing_seeds;  // a node unhealthy or an invariant broken
  std::uint64_t distinct_trace_hashes = 0;
  std::uint64_t total_events = 0;
  double wall_seconds = 0;
};

std::string explore_table(const ExploreResult& result);
std::string to_json(const ExploreResult& result);

}  // namespace yz::sim
