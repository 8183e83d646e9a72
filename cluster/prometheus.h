#pragma once

#include <string>
#include <string_view>

#include "cluster/cluster_state.h"

namespace yz::cluster {

// The cluster's processes as a Prometheus file_sd target list,
// <dir>/prometheus/targets.json: one group per process, its HTTP address as
// the target, labelled with role and name. Rewritten whenever the set of
// processes or their ports change; Prometheus re-reads it by itself.
std::string write_prometheus_targets(const ClusterRecord& record);

// <dir>/prometheus/prometheus.yml: scrape every target in targets.json once
// a second.
std::string write_prometheus_config(const std::string& cluster_dir);

struct PrometheusStart {
  int pid = 0;
  std::uint64_t start_ticks = 0;
  std::string url;    // http://127.0.0.1:PORT
  std::string error;  // one line, when it could not start or never became ready
};

// Starts Debian's `prometheus` on 127.0.0.1:`port` (0 picks a free one),
// detached, with its data and log under <dir>/prometheus/, and waits until
// it answers /-/ready.
PrometheusStart start_prometheus(const std::string& cluster_dir, int port,
                                 const std::string& binary = "/usr/bin/prometheus");

// SIGTERM to the cluster's Prometheus (SIGKILL after 5 s), if it is still
// the process yzctl started; clears its record. Returns whether one ran.
bool stop_prometheus(ClusterRecord& record, const std::string& binary = "/usr/bin/prometheus");

// Runs an instant PromQL query through the HTTP API and renders the result
// as a table (one row per series: labels, value). `error` is set instead
// when the server is unreachable or refuses the query.
struct QueryOutcome {
  std::string table;
  std::string error;
  int series = 0;
};
QueryOutcome query_prometheus(const std::string& url, std::string_view promql);

std::string url_encode(std::string_view text);

}  // namespace yz::cluster
