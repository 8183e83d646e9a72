#pragma once

#include <string>
#include <vector>

namespace yz::cluster::commands {

// Each yzctl command, given the words after its name. Exit status: 0 done
// (for status and wait: every process healthy and every DHT member joined;
// for alerts: no alert firing), 1 the operation failed, the cluster is not
// healthy or an alert fires, 2 a usage error (bad flag, unknown process
// name).
int up(const std::vector<std::string>& args);
int down(const std::vector<std::string>& args);
int status(const std::vector<std::string>& args);
int wait(const std::vector<std::string>& args);
int kill(const std::vector<std::string>& args);
int stop(const std::vector<std::string>& args);
int start(const std::vector<std::string>& args);
int restart(const std::vector<std::string>& args);
int add_node(const std::vector<std::string>& args);
int logs(const std::vector<std::string>& args);
int metrics(const std::vector<std::string>& args);
int query(const std::vector<std::string>& args);
int alerts(const std::vector<std::string>& args);
// The DHT's client API through one member (cluster/commands/data.cc): exit
// 0 stored (W holders) / found, 1 not acknowledged, not found or the member
// failed, 2 bad input (flag, key, value, process name, no cluster).
int put(const std::vector<std::string>& args);
int get(const std::vector<std::string>& args);
// up --scenario FILE (cluster/commands/up_scenario.cc): yzctl_main sends
// `up` here when --scenario is given.
int up_scenario(const std::vector<std::string>& args);
// Samples a running cluster into RUN.json, as `yzsim run --record` writes.
int record(const std::vector<std::string>& args);
// Hidden: the supervisor `up --supervise` starts.
int supervise(const std::vector<std::string>& args);
// Hidden: the webhook receiver `up --alertmanager` starts.
int alert_receiver(const std::vector<std::string>& args);

}  // namespace yz::cluster::commands
