#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/choice.h"
#include "sim/explore.h"
#include "sim/scenario.h"

namespace yz::sim {

// A replayable trace: the scenario's text and the edits made to it, the
// seed, every choice the run made, and every step with the trace hash after
// it. `yzsim run --save`, `explore --save` and `shrink` write it; `replay`
// and `shrink` read it. Text, one record per line, so it diffs and greps.
struct TraceFile {
  std::string scenario_origin;  // the file it came from, for messages
  std::string scenario_text;
  std::uint64_t seed = 1;
  std::string strategy;   // informational: replay uses the choices
  core::FaultSet faults;  // on top of the scenario's
  ScenarioEdits edits;
  std::uint64_t trace_hash = 0;
  std::uint64_t ordering_hash = 0;
  std::uint64_t events = 0;
  std::vector<std::string> failures;  // failure kinds of the recorded run
  // The failure this trace was saved to show (explore --save's KIND.trace,
  // shrink's minimal trace): what shrink keeps unless told otherwise.
  // Empty: the first of `failures`.
  std::string saved_for;
  ChoiceLog choices;
  std::vector<std::string> steps;  // the step lines, log lines included
};

std::string format_trace(const TraceFile& trace);

struct TraceLoad {
  std::optional<TraceFile> trace;
  std::string error;  // "FILE:LINE: problem"
};
TraceLoad parse_trace(const std::string& text, const std::string& origin);
TraceLoad load_trace_file(const std::string& path);

// The scenario a trace ran: its text parsed, its edits applied.
ScenarioLoad trace_scenario(const TraceFile& trace, const ScenarioLimits& limits = {});

// One run, with its choices and step lines captured, as a trace file.
struct RecordedRun {
  RunResult result;
  TraceFile trace;
};
// `options` may carry progress reporting; tracing and choices are set here.
RecordedRun record_run(const std::string& scenario_text, const std::string& origin,
                       const Scenario& base, const RunSpec& spec, Chooser* chooser = nullptr,
                       RunOptions options = {});

// Re-executes a trace from its recorded choices and compares every step.
struct ReplayOutcome {
  bool matches = false;
  std::uint64_t steps_compared = 0;
  std::string difference;  // the first step that differs, in words
  RunResult result;
};
ReplayOutcome replay(const TraceFile& trace, const ScenarioLimits& limits = {});

}  // namespace yz::sim
