// yzctl down: stops the supervisor, then every process by pid (nodes first,
// bootstrap last), SIGKILL after the grace period. Idempotent.
#include <filesystem>
#include <iostream>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/health_view.h"
#include "cluster/lifecycle.h"
#include "cluster/monitoring.h"
#include "cluster/process_control.h"

namespace yz::cluster::commands {
namespace {

// The supervisor goes first, or it would restart what we stop.
bool stop_supervisor(const ClusterRecord& cluster) {
  if (!supervisor_alive(cluster)) return false;
  ProcessRef ref;
  ref.pid = cluster.supervisor_pid;
  ref.start_ticks = cluster.supervisor_start_ticks;
  stop_processes({ref}, kDefaultGrace);
  return true;
}

}  // namespace

int down(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"--clean", false}, {"--grace"}}, "down");
  if (!args.error.empty()) return usage_error(args.error);
  if (!args.positional.empty())
    return usage_error("unexpected argument '" + args.positional[0] + "' for yzctl down");
  int exit_code = 0;
  const auto grace_or = grace_period(args, &exit_code);
  if (!grace_or) return exit_code;
  const auto grace = *grace_or;
  const ClusterDir dir = cluster_dir(args);
  if (!std::filesystem::exists(cluster_file(dir.path))) {
    std::cout << "yzctl: nothing is running in " << dir.shown << " (no cluster there)\n";
    return 0;
  }
  auto cluster = load_cluster(dir, &exit_code);
  if (!cluster) return exit_code;

  const bool had_supervisor = stop_supervisor(*cluster);
  const std::vector<std::string> services = stop_monitoring(*cluster);
  std::size_t running = 0;
  StopOutcome outcome;
  {
    ClusterLock lock(dir.path);
    if (!lock.held()) return failure("cannot lock " + dir.shown + "/cluster.lock");
    // Read again under the lock: the supervisor may have restarted one.
    cluster = load_cluster(dir, &exit_code);
    if (!cluster) return exit_code;
    std::vector<ProcessRecord*> targets;
    for (auto it = cluster->processes.rbegin(); it != cluster->processes.rend(); ++it) {
      if (is_alive(*it)) ++running;
      // Every one, alive or not: each ends recorded as stopped, pid 0.
      targets.push_back(&*it);
    }
    outcome = stop_records(targets, grace, /*own_children=*/false);
    cluster->supervisor_pid = 0;
    cluster->supervisor_start_ticks = 0;
    stop_monitoring(*cluster);  // clears their record (they are stopped already)
    if (std::string error = write_cluster(*cluster); !error.empty()) return failure(error);
  }

  if (!outcome.survivors.empty()) {
    std::string pids;
    for (const int pid : outcome.survivors) pids += " " + std::to_string(pid);
    return failure("these processes survived SIGKILL:" + pids);
  }
  if (running == 0 && !had_supervisor && services.empty()) {
    std::cout << "yzctl: nothing is running in " << dir.shown << "\n";
  } else {
    std::cout << "yzctl: stopped " << running << " process" << (running == 1 ? "" : "es")
              << (had_supervisor ? " and the supervisor" : "");
    for (const std::string& service : services) std::cout << " and " << service;
    std::cout << " in " << dir.shown;
    if (outcome.killed > 0) std::cout << " (" << outcome.killed << " needed SIGKILL)";
    std::cout << "\n";
  }
  if (args.has("--clean")) {
    std::error_code ec;
    std::filesystem::remove_all(dir.path, ec);
    if (ec) return failure("cannot remove " + dir.shown + ": " + ec.message());
    std::cout << "yzctl: removed " << dir.shown << "\n";
  }
  return 0;
}

}  // namespace yz::cluster::commands
