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

// The value checks in one line ("value checks: puts 10 acked of 10, ...,
// values lost 0 of 10"), and as a JSON object (snake_case, the struct's
// field names).
std::string value_checks_text(const ValueCheckResult& v);
std::string value_checks_json(const ValueCheckResult& v);

struct ExploreResult {
  std::string scenario;
  std::string strategy = "random";
  unsigned jobs = 1;
  std::vector<std::string> faults;
  std::uint64_t first_seed = 0;
  std::uint64_t runs = 0;
  std::map<std::uint64_t, std::uint64_t> unhealthy_histogram;  // unhealthy count -> runs
  std::vector<std::uint64_t> failing_seeds;  // a node unhealthy or an invariant broken
  std::uint64_t distinct_trace_hashes = 0;
  std::uint64_t distinct_orderings = 0;  // distinct event orders, times aside
  std::uint64_t total_events = 0;
  std::uint64_t total_signatures = 0;     // RunResult::signatures, summed
  std::uint64_t total_verifications = 0;  // RunResult::verifications, summed
  ValueCheckResult value_checks;          // summed over the runs
  std::uint64_t runs_with_failed_gets = 0;
  double wall_seconds = 0;
  std::uint64_t failing_runs = 0;
  std::uint64_t safety_failures = 0;    // runs with a broken invariant
  std::uint64_t liveness_failures = 0;  // runs that did not converge or livelocked
  // Per failure kind: the first failing run's seed (exhaustive: run index).
  std::map<std::string, std::uint64_t> first_failing_seed;
  // Exhaustive only.
  std::uint32_t bound = 0;
  std::uint64_t default_latency_choices = 0;  // choice points of the all-default run
  std::uint64_t pruned = 0;                   // runs ended at an already explored state
  bool complete = false;                      // every ordering within the bound was run
  // The yzsim run command, without --seed, that replays one failing seed
  // (its scenario path, strategy and flags); yzsim fills it. Empty: the
  // hint names the scenario only.
  std::string replay_command;
};

std::string explore_table(const ExploreResult& result);
std::string to_json(const ExploreResult& result);

}  // namespace yz::sim
