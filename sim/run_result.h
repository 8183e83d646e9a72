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

// The scenario's puts and gets (proto ValueCheck gives the rules).
struct ValueCheckResult {
  std::uint64_t puts = 0;  // issued from a running member
  std::uint64_t puts_acked = 0;
  std::uint64_t puts_failed = 0;  // answered without an acknowledgement
  std::uint64_t gets = 0;         // issued from a running member
  std::uint64_t gets_found = 0;   // answered with at least one value
  // Answered without a value acknowledged before it was issued, or with
  // nothing at all for a key a put had been issued for before it: what a
  // user sees as a lookup that failed.
  std::uint64_t gets_failed = 0;
  // Gets whose budget ran out (also failed when they missed a value): not
  // an answer, so never value_lost.
  std::uint64_t gets_timed_out = 0;
  std::uint64_t gets_held = 0;  // held to the value_lost invariant
  std::uint64_t lost_gets = 0;  // held gets that broke it
  // Acknowledged puts some held get could not read back: "values lost:
  // values_lost of puts_acked".
  std::uint64_t values_lost = 0;
  std::uint64_t mismatches = 0;  // explicit expectations not met (value_mismatch)
  // Issued but never answered: the member crashed first, or the run ended.
  std::uint64_t unfinished = 0;
  std::uint64_t skipped = 0;  // its member was not running at the time
  bool any() const { return puts + gets + skipped > 0; }
  void add(const ValueCheckResult& o) {
    puts += o.puts;
    puts_acked += o.puts_acked;
    puts_failed += o.puts_failed;
    gets += o.gets;
    gets_found += o.gets_found;
    gets_failed += o.gets_failed;
    gets_timed_out += o.gets_timed_out;
    gets_held += o.gets_held;
    lost_gets += o.lost_gets;
    values_lost += o.values_lost;
    mismatches += o.mismatches;
    unfinished += o.unfinished;
    skipped += o.skipped;
  }
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
  ValueCheckResult value_checks;
  LivenessResult liveness;
  // The order of events without their times: runs with equal ordering hashes
  // ran the same events in the same order.
  std::uint64_t ordering_hash = 0;
  std::uint64_t latency_choices = 0;
  bool pruned = false;          // exhaustive exploration ended it at a known state
  std::vector<Choice> choices;  // with RunOptions::record_choices
};

}  // namespace yz::sim
