#pragma once

#include <string>

#include "sim/timeline.h"

namespace yz::sim {

// A recorded run as Chrome trace-event JSON ({"traceEvents":[...]}), for
// ui.perfetto.dev or chrome://tracing. One process per yz process (pid =
// index + 1, named after it) with three threads: "messages" (a slice per
// frame sent and per frame received, joined by a flow arrow; a dropped
// frame's slice says so), "health" (a slice per stretch of healthy,
// unhealthy or not started; violations as instants) and "links" (an
// instant per link change). Counters per process: connected peers, routing
// table size, peers missing a handler. Timestamps are virtual time in
// microseconds, written from integer nanoseconds so the file is the same
// byte for byte for the same run.
std::string perfetto_json(const RunRecord& record);

}  // namespace yz::sim
