#pragma once

#include <string>

#include "roles/metrics/registry.h"

namespace yz::metrics {

// Registers the standard Prometheus process collector metrics
// (process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds), read from /proc at every collection so that
// dashboards written for other Prometheus clients work unchanged.
//
// Idempotent: a second call on the same registry adds nothing, because a
// second collect callback would count CPU time twice. Outside Linux (no
// /proc) the metrics exist but stay at 0.
void AddProcessMetrics(Registry& registry);

// Registers yz_build_info{role,version} = 1: the usual "info" gauge, joined
// in queries to label other series with the build and role.
void AddBuildInfo(Registry& registry, const std::string& version, const std::string& role);

}  // namespace yz::metrics
