#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/choice.h"

namespace yz::sim {

struct NodeReport {
  std::string name;
  std::string role;
  std::string node_id;
  bool healthy = false;
  std::uint64_t connected_peers = 0;
  std::uint64_t routing_table_size = 0;
  std::uint64_t health_failures = 0;
  std::uint64_t peers_missing_handler = 0;
  std::uint64_t dropped_no_handler = 0;
  std::uint64_t find_node_timeouts = 0;
  std::uint64_t onboarding_failures = 0;
  // The join state at the end of the run (core/join_state.h): joining,
  // joined, isolated or degraded; what /health's "state" would say.
  std::string state;
  // Why it is not joined ("none" when it is): /health's "reason".
  std::string reason;
};

struct InvariantViolation {
  std::string invariant;
  std::string node;
  std::uint64_t step = 0;
  std::int64_t virtual_time_ns = 0;
};

struct LookupCheckResult {
  std::uint64_t issued = 0;
  std::uint64_t completed = 0;
  // Lookups whose k closest equal the brute-force k closest of all members.
  std::uint64_t exact = 0;
};

struct RunSummary {
  std::uint64_t healthy = 0;
  std::uint64_t unhealthy = 0;
  std::uint64_t find_node_timeouts = 0;
  std::uint64_t onboarding_failures = 0;
  std::uint64_t dropped_no_handler = 0;
};

// The liveness phase: faults off at heal time, then every process must be
// healthy within the scenario's bound.
struct LivenessResult {
  bool checked = false;
  bool converged = false;
  std::int64_t converged_after_ns = 0;  // from heal time
};

struct RunResult {
  std::string scenario;
  std::uint64_t seed = 0;
  std::vector<std::string> faults;
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;
  // Signatures made and checked by every process's scheme (Ed25519 or the
  // stand-in): with Ed25519 they dominate a run's CPU time. Checks answered
  // from a process's memory of credentials are not counted.
  std::uint64_t signatures = 0;
  std::uint64_t verifications = 0;
  double virtual_seconds = 0;
  std::vector<NodeReport> nodes;
  RunSummary summary;
  std::vector<InvariantViolation> invariant_violations;  // first step of each, in step order
  LookupCheckResult lookup_checks;
  LivenessResult liveness;
  // The order of events without their times: runs with equal ordering hashes
  // ran the same events in the same order.
  std::uint64_t ordering_hash = 0;
  std::uint64_t latency_choices = 0;
  bool pruned = false;          // exhaustive exploration ended it at a known state
  std::vector<Choice> choices;  // with RunOptions::record_choices
};

}  // namespace yz::sim
