// yzctl kill, stop, start and restart: one process at a time, by name.
#include <signal.h>

#include <iostream>
#include <memory>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/health_view.h"
#include "cluster/layout.h"
#include "cluster/lifecycle.h"
#include "cluster/readiness.h"

namespace yz::cluster::commands {
namespace {

constexpr auto kKillWait = std::chrono::milliseconds(5000);

// The one NAME a command takes, or a usage error.
std::optional<std::string> single_name(const Args& args, const std::string& command,
                                       int* exit_code) {
  if (args.positional.size() == 1) return args.positional.front();
  *exit_code = usage_error(args.positional.empty()
                               ? "yzctl " + command + " needs a process NAME (see yzctl status)"
                               : "yzctl " + command + " takes one NAME, got " +
                                     std::to_string(args.positional.size()));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ready_timeout(const Args& args, int* exit_code) {
  if (!args.has("--ready-timeout")) return kDefaultReadyTimeout;
  const auto parsed = parse_timeout(args.get("--ready-timeout"));
  if (!parsed) {
    *exit_code = usage_error("invalid --ready-timeout '" + args.get("--ready-timeout") +
                             "': expected a duration such as 10s");
  }
  return parsed;
}

// The cluster a command acts on, locked for the whole command, and the one
// process it names.
struct NamedProcess {
  ClusterDir dir;
  std::unique_ptr<ClusterLock> lock;
  ClusterRecord cluster;
  ProcessRecord* record = nullptr;  // in cluster.processes
};

// Takes the one NAME of `args`, locks the cluster and finds the process;
// null (with the exit code set) on a usage error, with no cluster or no
// such process.
std::unique_ptr<NamedProcess> lock_named(const Args& args, const std::string& command,
                                         int* exit_code) {
  const auto name = single_name(args, command, exit_code);
  if (!name) return nullptr;
  auto named = std::make_unique<NamedProcess>();
  named->dir = cluster_dir(args);
  named->lock = std::make_unique<ClusterLock>(named->dir.path);
  auto cluster = load_cluster(named->dir, exit_code);
  if (!cluster) return nullptr;
  named->cluster = std::move(*cluster);
  const int index = process_index(named->cluster, *name, named->dir, exit_code);
  if (index < 0) return nullptr;
  named->record = &named->cluster.processes[static_cast<std::size_t>(index)];
  return named;
}

// Starts a stopped process with its recorded argv and waits until it
// answers. On failure it is stopped again and recorded as stopped.
int start_recorded(ClusterRecord& cluster, ProcessRecord& record, std::chrono::milliseconds timeout,
                   const std::string& verb) {
  const bool restart = verb == "restarted";
  if (std::string error = launch(record); !error.empty()) {
    record.state = "stopped";
    write_cluster(cluster);
    return failure(error);
  }
  // Counted like the supervisor's restarts: RESTARTS is every new run.
  if (restart) ++record.restarts;
  write_cluster(cluster);
  if (std::string error = wait_ready(record, timeout, /*role_ready=*/false); !error.empty()) {
    stop_records({&record}, kDefaultGrace, /*own_children=*/true);
    write_cluster(cluster);
    return failure(verb + " failed: " + error);
  }
  if (std::string error = write_cluster(cluster); !error.empty()) return failure(error);
  std::cout << "yzctl: " << verb << " " << record.name << " (pid " << record.pid << ", listen "
            << record.listen << ", http " << record.http << ")\n";
  return 0;
}

}  // namespace

int kill(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"--signal"}}, "kill");
  if (!args.error.empty()) return usage_error(args.error);
  int exit_code = 0;
  const auto sig = parse_signal(args.get("--signal", "TERM"));
  if (!sig) {
    return usage_error("unknown signal '" + args.get("--signal") +
                       "' (TERM, KILL, INT, HUP, QUIT, USR1, USR2, STOP, CONT, ABRT)");
  }
  const auto named = lock_named(args, "kill", &exit_code);
  if (!named) return exit_code;
  const std::string& name = named->record->name;
  ClusterRecord& cluster = named->cluster;
  ProcessRecord& record = *named->record;
  const ProcessRef ref = ref_of(record);
  if (!is_alive(ref)) return failure(name + " is not running");
  const int pid = record.pid;
  // STOP and CONT pause and resume: the process is still there.
  const bool ends_it = *sig != SIGSTOP && *sig != SIGCONT;
  // Not recorded as stopped: `kill` is how an operator makes a process
  // crash, so under --supervise it is restarted like any other crash.
  // `yzctl stop` is the way to take one down on purpose.
  if (!send_signal(ref, *sig)) return failure(name + " is not running");
  std::cout << "yzctl: sent " << signal_name(*sig) << " to " << name << " (pid " << pid << ")";
  if (!ends_it) {
    std::cout << "\n";
    return 0;
  }
  if (wait_gone({ref}, kKillWait)) {
    record.state = "crashed";
    write_cluster(cluster);
    std::cout << "; it exited"
              << (supervisor_alive(cluster) ? " (the supervisor will restart it)" : "") << "\n";
  } else {
    std::cout << "; still running after 5s (yzctl stop " << name << dir_flag(named->dir)
              << " sends SIGKILL after a grace period)\n";
  }
  return 0;
}

int stop(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"--grace"}}, "stop");
  if (!args.error.empty()) return usage_error(args.error);
  int exit_code = 0;
  const auto grace_or = grace_period(args, &exit_code);
  if (!grace_or) return exit_code;
  const auto grace = *grace_or;
  const auto named = lock_named(args, "stop", &exit_code);
  if (!named) return exit_code;
  const std::string& name = named->record->name;
  ClusterRecord& cluster = named->cluster;
  ProcessRecord& record = *named->record;
  const bool was_running = is_alive(record);
  const int pid = record.pid;
  const StopOutcome outcome = stop_records({&record}, grace, /*own_children=*/false);
  if (std::string error = write_cluster(cluster); !error.empty()) return failure(error);
  if (!outcome.survivors.empty())
    return failure(name + " (pid " + std::to_string(pid) + ") survived SIGKILL");
  if (!was_running) {
    std::cout << "yzctl: " << name << " is not running\n";
  } else {
    std::cout << "yzctl: stopped " << name << " (pid " << pid << ")"
              << (outcome.killed > 0 ? " with SIGKILL after the grace period" : "") << "\n";
  }
  return 0;
}

int start(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"--ready-timeout"}}, "start");
  if (!args.error.empty()) return usage_error(args.error);
  int exit_code = 0;
  const auto timeout = ready_timeout(args, &exit_code);
  if (!timeout) return exit_code;
  const auto named = lock_named(args, "start", &exit_code);
  if (!named) return exit_code;
  const std::string& name = named->record->name;
  ClusterRecord& cluster = named->cluster;
  ProcessRecord& record = *named->record;
  if (is_alive(record)) {
    std::cout << "yzctl: " << name << " is already running (pid " << record.pid << ")\n";
    return 0;
  }
  return start_recorded(cluster, record, *timeout, "started");
}

int restart(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"--ready-timeout"}, {"--grace"}}, "restart");
  if (!args.error.empty()) return usage_error(args.error);
  int exit_code = 0;
  const auto timeout = ready_timeout(args, &exit_code);
  if (!timeout) return exit_code;
  const auto grace_or = grace_period(args, &exit_code);
  if (!grace_or) return exit_code;
  const auto grace = *grace_or;
  const auto named = lock_named(args, "restart", &exit_code);
  if (!named) return exit_code;
  const std::string& name = named->record->name;
  ClusterRecord& cluster = named->cluster;
  ProcessRecord& record = *named->record;
  if (is_alive(record)) {
    const StopOutcome outcome = stop_records({&record}, grace, /*own_children=*/false);
    if (std::string error = write_cluster(cluster); !error.empty()) return failure(error);
    if (!outcome.survivors.empty()) return failure(name + " survived SIGKILL; not restarting it");
  }
  return start_recorded(cluster, record, *timeout, "restarted");
}

}  // namespace yz::cluster::commands
