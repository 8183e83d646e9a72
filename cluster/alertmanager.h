#pragma once

#include <string>

#include "cluster/cluster_state.h"
#include "cluster/service.h"

namespace yz::cluster {

// <dir>/alertmanager/: config, data, log, and notifications.jsonl, where
// the receiver appends every notification Alertmanager sends.
std::string alertmanager_dir(const std::string& cluster_dir);
std::string notifications_path(const std::string& cluster_dir);

// alertmanager.yml: one route to one webhook receiver at
// http://127.0.0.1:`receiver_port`/alerts, grouped by alert and process,
// with short waits (1 s group wait, 5 s group interval) so that a
// notification arrives within seconds of an alert firing.
std::string alertmanager_config_text(int receiver_port);

// Starts `yzctl alert-receiver` on 127.0.0.1:`receiver_port`, then Debian's
// prometheus-alertmanager on 127.0.0.1:`port` (its gossip cluster off, so
// it binds nothing else), and waits until both answer.
struct AlertmanagerStart {
  ServiceStart receiver;
  ServiceStart alertmanager;
  std::string error;
};
AlertmanagerStart start_alertmanager(
    const std::string& cluster_dir, int port, int receiver_port,
    const std::string& binary = "/usr/bin/prometheus-alertmanager");

// Stops both, by pid, and clears their record; returns whether any ran.
bool stop_alertmanager(ClusterRecord& record);

}  // namespace yz::cluster
