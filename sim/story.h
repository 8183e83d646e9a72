#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/run_result.h"
#include "sim/trace_file.h"

namespace yz::sim {

// The chain of events that led to a run's failure, in plain words, walked
// back along the trace's happens-before edges rather than read off what
// happened next to what: every step line names the step that caused it
// (cause=N: the send a delivery came from, the step that armed a timer),
// request timeouts name their request (req=N), and the onboarding logs name
// the newcomer a bridge's lookup works for. From a failed onboarding the
// story goes back to the bridge that was asked, the requests its lookup sent
// (and only those), the frames among them that were lost and why their link
// had no handler; a liveness failure with no lost frame is told from an
// unhealthy process's last failed onboarding.
struct Story {
  std::vector<std::string> links;  // root first; join them with " -> "
  // The steps the story tells: the first (its root) and the last (the
  // failure it ends with); 0 when the story rests on no step.
  std::uint64_t first_step = 0;
  std::uint64_t last_step = 0;
  double last_time = 0;  // virtual seconds of last_step
  // True when a lost frame is tied to a failed onboarding by causal links
  // (not merely by coming first).
  bool lost_frame_caused_failure = false;
  std::vector<std::uint64_t> lost_frames;  // the steps that dropped them
};

// `kind` is the failure to explain (a failure_kinds() name; empty: the
// run's first); it decides which unhealthy process a liveness story is about.
Story tell_story(const TraceFile& trace, const RunResult& result, const std::string& kind = {});

// tell_story(...).links, for callers that only print it.
std::vector<std::string> failure_story(const TraceFile& trace, const RunResult& result);

}  // namespace yz::sim
