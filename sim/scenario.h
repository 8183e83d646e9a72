#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "roles/core/faults.h"
#include "roles/core/frame.h"
#include "roles/core/timing.h"

namespace yz::sim {

struct ProcessSpec {
  std::string name;
  core::Role role = core::Role::kNode;
  core::Duration start_at = 0;
  core::Duration start_jitter = 0;  // drawn per run from the seed
};

// A validated scenario, in the form the simulator runs.
struct Scenario {
  std::string name;
  std::string description;
  core::Duration duration = 0;
  core::Duration latency_min = 0;
  core::Duration latency_max = 0;
  core::Timing timing;
  std::vector<ProcessSpec> processes;  // declaration order
  core::FaultSet faults;
  std::string bridge_auth;
  std::string genesis_auth;
  std::uint32_t lookup_checks = 0;
  core::Duration lookup_check_at = 0;
  core::Duration liveness_bound = 0;  // 0: no liveness phase
  std::uint32_t restarts = 0;         // DHT node crashes, each restarted later
  bool sim_hash_signatures = false;   // the stand-in for Ed25519 (sim/sim_signatures.h)
};

// Changes made to a scenario after it was read: the knobs swarm testing
// draws for a run, and the processes shrinking removed. A trace file records
// them beside the scenario text, so a replay rebuilds the same scenario.
struct ScenarioEdits {
  std::vector<std::string> dropped;  // process names
  std::optional<core::Duration> latency_min;
  std::optional<core::Duration> latency_max;
  std::optional<std::uint32_t> start_spacing_percent;  // DHT node start times, scaled
  std::optional<core::FaultSet> faults;                // replaces the scenario's
  std::optional<core::Duration> duration;
  std::optional<std::uint32_t> restarts;
  bool sim_hash_signatures = false;  // --fast-signatures
  bool empty() const {
    return dropped.empty() && !latency_min && !latency_max && !start_spacing_percent && !faults &&
           !duration && !restarts && !sim_hash_signatures;
  }
};

// Applies the edits; a dropped name that is not in the scenario is ignored.
Scenario apply_edits(const Scenario& scenario, const ScenarioEdits& edits);

struct ScenarioLoad {
  std::optional<Scenario> scenario;
  // "FILE:LINE:COLUMN: problem" when the scenario was refused.
  std::string error;
};

// Parses and validates a yz.sim.v1.Scenario text proto. Every refusal names
// the problem and, where there is one, its line.
ScenarioLoad parse_scenario(const std::string& text, const std::string& origin);
ScenarioLoad load_scenario_file(const std::string& path);

}  // namespace yz::sim
