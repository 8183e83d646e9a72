#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "roles/core/timing.h"
#include "sim/scenario.h"

namespace yz::cluster {

// What `yzctl up --scenario` was asked for.
struct ScenarioRequest {
  std::string scenario_path;
  std::uint64_t seed = 1;  // yzsim run's default
  double time_scale = 1.0;
  std::vector<std::string> extra_faults;  // --fault, on top of the scenario's
  bool no_scenario_faults = false;        // --no-scenario-faults
  std::string delay_rules;                // absolute path, "" for none
  std::string dir;                        // the cluster folder, absolute
  std::string bin_dir;                    // the role binaries, absolute
};

// A start or a crash at a virtual time; `record` indexes cluster.processes.
struct PlannedStart {
  std::size_t record = 0;
  core::Duration at = 0;
};
struct PlannedCrash {
  std::size_t record = 0;
  core::Duration at = 0;
  core::Duration down = 0;
};

// The scenario made real: one process record per scenario process (argv
// complete but for the bootstrap's address), the starts and the crashes at
// the virtual times `yzsim run --seed N` uses (sim/start_schedule.h).
struct ScenarioPlan {
  sim::Scenario scenario;
  std::uint64_t seed = 1;
  std::vector<std::string> faults;  // as the simulator names them
  // The bootstrap first (everyone else needs its address), then the other
  // processes in declaration order.
  ClusterRecord cluster;
  // Every process but the bootstrap, by time (ties in declaration order);
  // the bootstrap starts first and its readiness is virtual time 0.
  std::vector<PlannedStart> starts;
  std::vector<PlannedCrash> crashes;  // the simulator's draw order
};

struct PlanResult {
  std::optional<ScenarioPlan> plan;
  std::string error;  // one line, for exit status 2
};

// Loads the scenario (its errors name FILE:LINE), applies the faults, checks
// it against yzctl's own limits and draws the schedule. Starts nothing.
PlanResult plan_scenario(const ScenarioRequest& request);

// The role flags for every timing the scenario sets, durations divided by
// `time_scale` as scaled_timing_flags does (whole milliseconds, at least 1).
std::vector<std::string> scenario_timing_flags(const core::Timing& timing, double time_scale);

// `virtual_time` as a wall-clock offset from the bootstrap's readiness.
std::chrono::nanoseconds wall_offset(core::Duration virtual_time, double time_scale);

// "12.500s" for a virtual or wall duration in nanoseconds.
std::string format_seconds(std::int64_t ns);

}  // namespace yz::cluster
