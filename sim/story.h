#pragma once

#include <string>
#include <vector>

#include "sim/run_result.h"
#include "sim/trace_file.h"

namespace yz::sim {

// The chain of events that led to a run's first failure, in plain words,
// read off a trace's step and log lines: who accepted which link, what the
// DHT did with it, which frame was lost where, and whose onboarding failed.
// Each element is one link of the chain; join them with " -> ".
std::vector<std::string> failure_story(const TraceFile& trace, const RunResult& result);

}  // namespace yz::sim
