#pragma once

#include <string>
#include <vector>

#include "cluster/cluster_state.h"

namespace yz::cluster {

// What `yzctl up` starts at most, with or without --scenario.
constexpr long kMaxNodes = 1000;
constexpr long kMaxBridges = 16;
constexpr double kMaxTimeScale = 1000;

// Names and roles of a cluster in dependency order: bootstrap, genesis,
// bridge-node-1..B, dht-node-1..N.
struct Member {
  std::string name;
  std::string role;
};
std::vector<Member> cluster_members(int nodes, int bridges);

// "yz-node" for role "node".
std::string binary_name(const std::string& role);

// The role flags that `time_scale` shortens: each timing constant of
// roles/core/timing.h divided by the scale, as `--flag value` pairs. Empty
// for a scale of 1, so the roles keep their own defaults.
std::vector<std::string> scaled_timing_flags(double time_scale);

// `--delay-rules PATH --delay-rules-time-scale S`, the hold rules every
// role process applies to itself (each rule names the process it is for).
std::vector<std::string> delay_rules_flags(const std::string& path, double time_scale);
// "" when `path` is a regular file this user can read; else why not, naming it.
std::string check_delay_rules_file(const std::string& path);

// The record of process number `index` (its position in dependency order,
// which also picks its ports under --base-port), with the argv it starts
// with. `bootstrap_address` is empty for the bootstrap itself.
ProcessRecord make_process(const ClusterRecord& cluster, const Member& member, std::size_t index,
                           const std::string& bootstrap_address);

// The port slot (two ports: listen, http) of process number `index` under
// --base-port: its index, moved past the slots kept for the services.
int port_slot(const ClusterRecord& cluster, std::size_t index);

// Sets `flag`'s value in argv (appends the pair when absent).
void set_argv_flag(std::vector<std::string>& argv, const std::string& flag,
                   const std::string& value);

// After the first start of the bootstrap: pins its --listen and --http in
// argv to the addresses it got, because every other process was started
// with that --bootstrap address, so a restarted bootstrap must keep it. The
// others keep port 0 and take a fresh port when restarted (a freed ephemeral
// port can be taken by any outgoing connection meanwhile, and the bootstrap
// records a member's new address when it registers again).
void pin_ports(ProcessRecord& record, const std::string& listen, const std::string& http);

// <cluster dir>/bridge_auth, the shared secret of bootstrap and bridges.
std::string bridge_auth_path(const std::string& dir);
// Writes a fresh random secret there (mode 0600); returns "" or the error.
std::string write_bridge_auth(const std::string& dir);
// <cluster dir>/genesis_auth, the shared secret of bootstrap and genesis,
// and its writer, like the bridge secret's.
std::string genesis_auth_path(const std::string& dir);
std::string write_genesis_auth(const std::string& dir);

// <process dir>/log, <process dir>/pid, <process dir>/ports.json.
std::string log_path(const ProcessRecord& record);
std::string pid_path(const ProcessRecord& record);
std::string ports_path(const ProcessRecord& record);

// Index of the process called `name`, or -1.
int find_process(const ClusterRecord& cluster, const std::string& name);

// Next free "dht-node-N" (one past the highest N in use).
std::string next_node_name(const ClusterRecord& cluster);

}  // namespace yz::cluster
