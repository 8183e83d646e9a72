// yzctl add-node [COUNT]: more DHT nodes for a running cluster, each joined
// before the next starts, as in `up`.
#include <iostream>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/layout.h"
#include "cluster/lifecycle.h"
#include "cluster/readiness.h"
#include "cluster/tls_material.h"
#include "roles/core/timing.h"

namespace yz::cluster::commands {
namespace {

constexpr long kMaxAdd = 1000;

// Stops and forgets the nodes this command added, from `first` on.
int abandon(ClusterRecord& cluster, std::size_t first, const std::string& error) {
  std::vector<ProcessRecord*> added;
  for (std::size_t i = cluster.processes.size(); i > first; --i) {
    if (cluster.processes[i - 1].pid > 0) added.push_back(&cluster.processes[i - 1]);
  }
  stop_records(added, kDefaultGrace, /*own_children=*/true);
  const std::size_t count = cluster.processes.size() - first;
  cluster.processes.resize(first);
  write_cluster(cluster);
  return failure("add-node failed: " + error + "\nyzctl: stopped and removed the " +
                 std::to_string(count) + " node" + (count == 1 ? "" : "s") +
                 " this command started");
}

}  // namespace

int add_node(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"--ready-timeout"}}, "add-node");
  if (!args.error.empty()) return usage_error(args.error);
  if (args.positional.size() > 1) return usage_error("yzctl add-node takes at most one COUNT");
  long count = 1;
  if (!args.positional.empty()) {
    const auto parsed = parse_int(args.positional.front(), 1, kMaxAdd);
    if (!parsed) {
      return usage_error("invalid COUNT '" + args.positional.front() + "': expected 1-" +
                         std::to_string(kMaxAdd));
    }
    count = *parsed;
  }
  auto timeout = kDefaultReadyTimeout;
  if (args.has("--ready-timeout")) {
    const auto parsed = parse_timeout(args.get("--ready-timeout"));
    if (!parsed)
      return usage_error("invalid --ready-timeout '" + args.get("--ready-timeout") +
                         "': expected a duration such as 10s");
    timeout = *parsed;
  }
  const ClusterDir dir = cluster_dir(args);
  ClusterLock lock(dir.path);
  int exit_code = 0;
  auto cluster = load_cluster(dir, &exit_code);
  if (!cluster) return exit_code;
  const int bootstrap = find_process(*cluster, "bootstrap");
  if (bootstrap < 0 || !is_alive(cluster->processes[static_cast<std::size_t>(bootstrap)])) {
    return failure("the bootstrap of " + dir.shown + " is not running (yzctl up" + dir_flag(dir) +
                   " first)");
  }
  const std::string bootstrap_address =
      cluster->processes[static_cast<std::size_t>(bootstrap)].listen;
  if (cluster->base_port > 0) {
    // The slots kept for Prometheus and Alertmanager are skipped.
    const long last =
        cluster->base_port +
        2 * static_cast<long>(port_slot(
                *cluster, cluster->processes.size() + static_cast<std::size_t>(count) - 1)) +
        1;
    if (last > 65535)
      return usage_error("--base-port " + std::to_string(cluster->base_port) +
                         " leaves no ports for " + std::to_string(count) + " more nodes");
  }
  const core::Timing defaults;
  const auto join_timeout = std::chrono::milliseconds(
      static_cast<long>(static_cast<double>(defaults.onboarding_give_up) / cluster->time_scale /
                        static_cast<double>(core::kMillisecond)) +
      2000);

  const std::size_t first = cluster->processes.size();
  for (long k = 0; k < count; ++k) {
    const Member member{next_node_name(*cluster), "node"};
    const std::size_t index = cluster->processes.size();
    cluster->processes.push_back(make_process(*cluster, member, index, bootstrap_address));
    ProcessRecord& record = cluster->processes.back();
    if (cluster->tls) {
      // From the CA `up --tls` left in the cluster folder.
      if (std::string error = write_process_cert(cluster->dir, record.name, {}); !error.empty())
        return abandon(*cluster, first, error);
    }
    if (std::string error = launch(record); !error.empty()) return abandon(*cluster, first, error);
    write_cluster(*cluster);
    if (std::string error = wait_ready(record, timeout); !error.empty())
      return abandon(*cluster, first, error);
    write_cluster(*cluster);
    const JoinOutcome joined = wait_joined(record, join_timeout);
    if (joined == JoinOutcome::kDied)
      return abandon(*cluster, first, record.name + " died while joining");
    std::cout << "yzctl: added " << record.name << " (pid " << record.pid << ", listen "
              << record.listen << ", http " << record.http << ")"
              << (joined == JoinOutcome::kMember             ? ""
                  : joined == JoinOutcome::kOnboardingFailed ? "; its onboarding failed"
                                                             : "; not yet a member")
              << "\n";
  }
  return 0;
}

}  // namespace yz::cluster::commands
