#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"

namespace yz::cluster {

// `up --prometheus [--alertmanager]`: the services that watch a cluster,
// started before its first process so the whole join phase is recorded.

struct MonitoringOptions {
  bool alertmanager = false;
  std::string rules_dir;  // the *.yml to load (deploy/prometheus/rules)
};

// Chooses the ports of Prometheus, Alertmanager and the receiver and the
// HTTP port of every process already in `cluster.processes` (planned, not
// started): from the slots kept under --base-port, else free ephemeral
// ports. The processes' argv and `http` are set, so targets.json lists
// every process before it runs. Returns "" or the error.
std::string plan_monitoring_ports(ClusterRecord& cluster, bool alertmanager);

// Copies the rules (scaled by the cluster's time scale) into
// <dir>/prometheus/rules/, starts the receiver and Alertmanager when asked,
// then Prometheus, and records them in `cluster`. Sets *rule_files to the
// number of rule files loaded. Returns "" or the error (whatever started
// is then recorded, for the caller to stop).
std::string start_monitoring(ClusterRecord& cluster, const MonitoringOptions& options,
                             int* rule_files);

// Polls Prometheus until its `up` series for the cluster's targets number
// `count` and (with `scraped`) all of them are 1, or until `timeout`.
// `only_name` narrows it to the target with that `name` label. Returns ""
// or what was still missing.
std::string wait_targets(const ClusterRecord& cluster, int count, bool scraped,
                         std::chrono::milliseconds timeout, const std::string& only_name = {});

// Stops Alertmanager, the receiver and Prometheus (by pid) and clears their
// record; returns the names of those that ran.
std::vector<std::string> stop_monitoring(ClusterRecord& cluster);

}  // namespace yz::cluster
