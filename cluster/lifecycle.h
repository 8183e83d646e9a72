#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "cluster/process_control.h"

namespace yz::cluster {

// How long a stopped process gets between SIGTERM and SIGKILL.
constexpr std::chrono::milliseconds kDefaultGrace{5000};
// How long a started process gets to write ports.json and answer /health.
constexpr std::chrono::milliseconds kDefaultReadyTimeout{10000};

// Starts `record` with its argv in its folder: the folder made (0700), a
// stale ports.json removed, a line marking the start appended to its log,
// the process spawned detached, its pid file written. Sets pid, start_ticks
// and state "running". Returns "" or the error.
std::string launch(ProcessRecord& record);

// Stops the given processes (SIGTERM in the order given, SIGKILL after
// `grace`) and records them as stopped by the operator, pid 0, pid file
// removed. `own_children` says they were started by this yzctl, which
// reaps them.
StopOutcome stop_records(const std::vector<ProcessRecord*>& records,
                         std::chrono::milliseconds grace, bool own_children);

}  // namespace yz::cluster
