#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "cluster/join_state.h"
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
  // Its join state (cluster/join_state.h): reported by /health or derived;
  // kDown when not running, kUnknown when /health did not answer.
  JoinState join = JoinState::kUnknown;
};

// How many processes of one kind are in each join state; the states are
// exclusive, so the counts always add up to `total`.
struct StateCounts {
  int total = 0;
  int joining = 0;
  int joined = 0;
  int isolated = 0;
  int degraded = 0;
  int down = 0;
  int unknown = 0;
  void add(JoinState state);
  int sum() const { return joining + joined + isolated + degraded + down + unknown; }
  // "3/15 joined (11 isolated, 1 down)": the states that are not joined,
  // only those with a count, so the parts add up to the total.
  std::string text(const std::string& noun) const;
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
  std::vector<std::string> isolated;  // DHT members (genesis, bridges, nodes) in state isolated
  std::vector<std::string> degraded;  // DHT members in state degraded
  StateCounts node_states;            // dht-node-*
  StateCounts bridge_states;          // bridge-node-*
  StateCounts member_states;          // every DHT member: genesis, bridges, nodes
  std::string genesis_state;          // its join state's name, or "none"
  bool all_joined = false;            // every DHT member joined
  // Every process running with /health healthy AND every DHT member joined:
  // what `status` and `wait --healthy` exit 0 on.
  bool all_healthy = false;
  bool supervised = false;  // a supervisor is running
  int supervisor_pid = 0;
  // "15/15 DHT nodes joined, genesis joined, 2/2 bridges joined, bootstrap healthy"
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
