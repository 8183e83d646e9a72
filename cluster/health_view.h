#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "roles/json/json.h"

namespace yz::cluster {

// One process as `yzctl status` sees it: the record, whether the recorded
// pid is still our process, and its own /health answer.
struct ProcessView {
  ProcessRecord record;
  bool running = false;               // alive and still the recorded binary
  std::optional<json::Value> health;  // the /health body, when it answered
  bool healthy = false;               // health's "healthy" (false when down)
  std::string node_id;                // from /health, else from <dir>/node_id; "" if neither
  // "running", "down" (not running), "unresponsive" (running, /health silent)
  std::string state;
  bool stopped_by_operator = false;  // down because of yzctl kill/stop/down
};

struct Summary {
  int processes = 0;
  int healthy = 0;
  int nodes = 0;
  int nodes_healthy = 0;
  int bridges = 0;
  int bridges_healthy = 0;
  bool has_genesis = false;
  bool genesis_healthy = false;
  bool has_bootstrap = false;
  bool bootstrap_healthy = false;
  std::vector<std::string> down;      // names not running
  std::vector<std::string> isolated;  // running nodes with 0 connections and 0 routing entries
  bool all_healthy = false;
  bool supervised = false;  // a supervisor is running
  int supervisor_pid = 0;
  // "15/15 DHT nodes healthy, genesis healthy, 2/2 bridges healthy, bootstrap healthy"
  std::string line;
};

// Checks every process (in parallel: a stopped process costs one timeout,
// not one per process) and asks the running ones for /health.
std::vector<ProcessView> probe_cluster(const ClusterRecord& cluster);
Summary summarize(const ClusterRecord& cluster, const std::vector<ProcessView>& views);

// The table `yzctl status` prints: one row per process, then the summary.
std::string format_table(const std::vector<ProcessView>& views, const Summary& summary);
// {"processes":[...],"summary":{...}} with the processes' /health values.
std::string format_json(const ClusterRecord& cluster, const std::vector<ProcessView>& views,
                        const Summary& summary);

// Whether the supervisor recorded in `cluster` is alive.
bool supervisor_alive(const ClusterRecord& cluster);

}  // namespace yz::cluster
