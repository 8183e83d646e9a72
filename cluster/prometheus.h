#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cluster/cluster_state.h"
#include "cluster/service.h"

namespace yz::cluster {

// <dir>/prometheus/ and <dir>/prometheus/rules/ (the rules Prometheus loads).
std::string prometheus_dir(const std::string& cluster_dir);
std::string prometheus_rules_dir(const std::string& cluster_dir);

// The cluster's processes as a Prometheus file_sd target list,
// <dir>/prometheus/targets.json: one group per process with an HTTP address
// (also one not started yet, whose port was chosen in advance), labelled
// with role and name. Rewritten with cluster.json; Prometheus re-reads it
// by itself.
std::string write_prometheus_targets(const ClusterRecord& record);

// <dir>/prometheus/prometheus.yml: scrape and evaluate once a second, every
// rules/*.yml loaded, `honor_labels: true` so the processes' own labels win
// over the target labels (the roles expose `role` themselves; without it
// Prometheus would store theirs as exported_role), and, when
// `alertmanager` ("127.0.0.1:PORT") is not empty, alerts sent there.
std::string prometheus_config_text(const std::string& cluster_dir, const std::string& alertmanager);
std::string write_prometheus_config(const std::string& cluster_dir,
                                    const std::string& alertmanager = {});

// Starts Debian's `prometheus` on 127.0.0.1:`port`, detached, with its data
// and log under <dir>/prometheus/, and waits until it answers /-/ready.
ServiceStart start_prometheus(const std::string& cluster_dir, int port,
                              const std::string& binary = "/usr/bin/prometheus");

// Stops the cluster's Prometheus, if it is still the process yzctl
// started, and clears its record. Returns whether one ran.
bool stop_prometheus(ClusterRecord& record);

std::string url_encode(std::string_view text);

}  // namespace yz::cluster
