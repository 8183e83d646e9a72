#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/trace_file.h"

namespace yz::sim {

struct ShrinkOptions {
  std::string kind;               // the failure to keep; empty: the trace's first
  std::uint64_t max_runs = 3000;  // simulator runs the search may spend
};

struct ShrinkResult {
  bool ok = false;
  std::string error;
  std::string kind;  // the failure kept
  TraceFile minimal;
  RunResult result;
  std::uint64_t events_before = 0;
  std::uint64_t events_after = 0;
  std::size_t processes_before = 0;
  std::size_t processes_after = 0;
  std::size_t non_default_choices_before = 0;
  std::size_t non_default_choices_after = 0;
  std::uint64_t runs = 0;
  std::vector<std::string> story;
};

// Minimises a failing trace while the same failure kind still happens:
// first fewer processes (DHT nodes, then extra bridges), then fewer
// non-default choices (delta debugging, Zeller and Hildebrandt 2002), then a
// shorter run (cut just after the story's last event).
ShrinkResult shrink(const TraceFile& trace, const ShrinkOptions& options);

}  // namespace yz::sim
