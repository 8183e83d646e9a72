// yzctl up: starts a whole cluster in dependency order, each process once
// what it needs is ready, and stops everything it started if any step fails.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cluster/alertmanager.h"
#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/commands/up_steps.h"
#include "cluster/health_view.h"
#include "cluster/interrupt.h"
#include "cluster/layout.h"
#include "cluster/lifecycle.h"
#include "cluster/monitoring.h"
#include "cluster/prometheus.h"
#include "cluster/readiness.h"
#include "cluster/role_flags.h"
#include "cluster/rules.h"
#include "cluster/service.h"
#include "cluster/tls_material.h"
#include "roles/core/faults.h"
#include "roles/core/timing.h"
#include "roles/runtime/data_dir.h"

namespace yz::cluster::commands {
namespace {

using Clock = std::chrono::steady_clock;

// Prometheus applies target lists every 5 s and scrapes every second.
constexpr auto kTargetsTimeout = std::chrono::milliseconds(30000);

struct UpOptions {
  int nodes = 15;
  int bridges = 2;
  std::vector<std::string> faults;
  int base_port = 0;
  double time_scale = 1.0;
  bool supervise = false;
  bool prometheus = false;
  bool alertmanager = false;
  std::string rules_dir;  // --rules, or the copy beside the binary
  bool tls = false;
  std::string bin_dir;
  std::chrono::milliseconds ready_timeout = kDefaultReadyTimeout;
  std::string delay_rules;              // absolute path, "" for none
  std::vector<std::string> role_flags;  // --role-flag, as "--NAME" "VALUE"
};

std::string valid_faults() {
  std::string out;
  for (const auto& info : core::all_faults())
    out += (out.empty() ? "" : ", ") + std::string(info.name);
  return out;
}

// Parses and checks every flag; returns "" or the usage error.
std::string parse_options(const Args& args, UpOptions* options) {
  if (!args.positional.empty())
    return "unexpected argument '" + args.positional[0] + "' for yzctl up";
  if (args.has("--nodes")) {
    const auto n = parse_int(args.get("--nodes"), 0, kMaxNodes);
    if (!n)
      return "invalid --nodes '" + args.get("--nodes") + "': expected 0-" +
             std::to_string(kMaxNodes);
    options->nodes = static_cast<int>(*n);
  }
  if (args.has("--bridges")) {
    const auto n = parse_int(args.get("--bridges"), 0, kMaxBridges);
    if (!n)
      return "invalid --bridges '" + args.get("--bridges") + "': expected 0-" +
             std::to_string(kMaxBridges);
    options->bridges = static_cast<int>(*n);
  }
  for (const std::string& value : args.all("--fault")) {
    // Comma-separated lists are accepted, as the roles accept them.
    std::size_t start = 0;
    while (start <= value.size()) {
      const std::size_t comma = value.find(',', start);
      const std::string name =
          value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!core::fault_from_name(name))
        return "unknown fault '" + name + "'; valid faults: " + valid_faults();
      if (std::find(options->faults.begin(), options->faults.end(), name) ==
          options->faults.end()) {
        options->faults.push_back(name);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  options->alertmanager = args.has("--alertmanager");
  // Alertmanager is fed by the cluster's Prometheus, so it brings one.
  options->prometheus = args.has("--prometheus") || options->alertmanager;
  if (args.has("--rules")) {
    if (!options->prometheus) return "--rules needs --prometheus (the rules are Prometheus's)";
    options->rules_dir = args.get("--rules");
    if (!std::filesystem::is_directory(options->rules_dir))
      return "invalid --rules '" + options->rules_dir + "': not a directory";
  }
  // Under --base-port the services take slots of their own.
  const int processes =
      2 + options->bridges + options->nodes + (options->prometheus ? kServiceSlots : 0);
  if (args.has("--base-port")) {
    const long last_first = 65535 - 2 * static_cast<long>(processes) + 1;
    const auto port = parse_int(args.get("--base-port"), 1, 65535);
    if (!port || *port > last_first) {
      return "invalid --base-port '" + args.get("--base-port") + "': " + std::to_string(processes) +
             " processes need " + std::to_string(2 * processes) + " ports from it, so 1-" +
             std::to_string(std::max(1L, last_first));
    }
    options->base_port = static_cast<int>(*port);
  }
  if (args.has("--time-scale")) {
    const auto scale = parse_positive_double(args.get("--time-scale"));
    if (!scale || *scale > kMaxTimeScale) {
      return "invalid --time-scale '" + args.get("--time-scale") +
             "': expected a number above 0 and at most 1000 (10 divides every timing by 10)";
    }
    options->time_scale = *scale;
  }
  if (args.has("--ready-timeout")) {
    const auto timeout = parse_timeout(args.get("--ready-timeout"));
    if (!timeout)
      return "invalid --ready-timeout '" + args.get("--ready-timeout") +
             "': expected a duration such as 10s";
    options->ready_timeout = *timeout;
  }
  if (args.has("--delay-rules")) {
    const std::string path = args.get("--delay-rules");
    if (std::string error = check_delay_rules_file(path); !error.empty()) return error;
    options->delay_rules = std::filesystem::absolute(path).lexically_normal().string();
  }
  for (const std::string& spec : args.all("--role-flag")) {
    if (std::string error = add_role_flag(spec, &options->role_flags); !error.empty()) return error;
  }
  options->supervise = args.has("--supervise");
  options->tls = args.has("--tls");
  options->bin_dir =
      args.get("--bin-dir", std::filesystem::path(self_exe()).parent_path().string());
  return {};
}

}  // namespace

// Every role binary, executable; returns "" or the first one missing.
std::string check_binaries(const std::string& bin_dir) {
  for (const char* role : {"bootstrap", "genesis", "bridge", "node"}) {
    const std::string path = bin_dir + "/" + binary_name(role);
    if (::access(path.c_str(), X_OK) != 0) {
      return "missing binary " + path + " (build it, or point --bin-dir at the folder holding it)";
    }
  }
  return {};
}

// A folder that already holds a cluster record: refuses when any of its
// processes still runs, else clears the stale state. Returns "" to go on,
// else the error; sets *stale_note when stale state was replaced.
std::string take_over(const ClusterDir& dir, std::string* stale_note) {
  if (!std::filesystem::exists(cluster_file(dir.path))) return {};
  const auto old = read_cluster(dir.path);
  if (!old.ok()) {
    return std::string(old.status().message()) +
           "; remove it (or the folder) to start a cluster there";
  }
  int running = 0;
  for (const ProcessRecord& p : old->processes) running += is_alive(p) ? 1 : 0;
  if (supervisor_alive(*old)) ++running;
  for (const auto& [pid, ticks] : {std::pair{old->prometheus_pid, old->prometheus_start_ticks},
                                   std::pair{old->alertmanager_pid, old->alertmanager_start_ticks},
                                   std::pair{old->receiver_pid, old->receiver_start_ticks}})
    running += service_alive(pid, ticks) ? 1 : 0;
  if (running > 0) {
    return "cluster in " + dir.shown + " is running (" + std::to_string(running) + " process" +
           (running == 1 ? "" : "es") + "); yzctl down" + dir_flag(dir) + " first";
  }
  for (const ProcessRecord& p : old->processes) {
    // Only folders this cluster made: <dir>/<name>.
    const std::filesystem::path folder = dir.path + "/" + p.name;
    if (!p.name.empty() && p.name.find('/') == std::string::npos && p.name != "." &&
        p.name != "..") {
      std::error_code ec;
      std::filesystem::remove_all(folder, ec);
    }
  }
  std::error_code ec;
  std::filesystem::remove(dir.path + "/supervisor.log", ec);
  // What `up --scenario` ran (cluster/run_recorder.h) is not this run.
  std::filesystem::remove(dir.path + "/scenario.json", ec);
  std::filesystem::remove_all(tls_dir(dir.path), ec);
  // The old run's samples and notifications would read as this run's.
  std::filesystem::remove_all(prometheus_dir(dir.path), ec);
  std::filesystem::remove_all(alertmanager_dir(dir.path), ec);
  *stale_note = "replaced the stale state in " + dir.shown + " (" +
                std::to_string(old->processes.size()) + " recorded processes, none running)";
  return {};
}

namespace {

std::chrono::milliseconds join_timeout(double time_scale) {
  // By onboarding_give_up a newcomer that heard nothing asks again, so its
  // first attempt has ended one way or the other; two seconds of slack.
  const core::Timing defaults;
  const auto give_up_ms = static_cast<long>(static_cast<double>(defaults.onboarding_give_up) /
                                            time_scale / static_cast<double>(core::kMillisecond));
  return std::chrono::milliseconds(give_up_ms + 2000);
}

std::string seconds(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", std::chrono::duration<double>(d).count());
  return buf;
}

// Stops every process this `up` started, newest first, and says so.
int abandon(ClusterRecord& cluster, const ClusterDir& dir, const std::string& error) {
  std::vector<ProcessRecord*> started;
  for (auto it = cluster.processes.rbegin(); it != cluster.processes.rend(); ++it) {
    if (it->pid > 0) started.push_back(&*it);
  }
  const StopOutcome outcome = stop_records(started, kDefaultGrace, /*own_children=*/true);
  stop_monitoring(cluster);
  cluster.supervisor_pid = 0;
  write_cluster(cluster);
  // Counted by what was still alive: a process that exited on its own (a
  // port in use) needed no stopping.
  const int stopped = outcome.signalled;
  std::string message = "up failed: " + error + "\nyzctl: ";
  message += stopped == 0 ? std::string("no process was left running")
                          : "stopped the " + std::to_string(stopped) + " process" +
                                (stopped == 1 ? "" : "es") + " already started";
  if (!outcome.survivors.empty()) {
    message += " (" + std::to_string(outcome.survivors.size()) + " would not die)";
  }
  message += "; their logs are in " + dir.shown + "/<name>/log";
  return failure(message);
}

void print_summary(const ClusterRecord& cluster, const ClusterDir& dir, const UpOptions& options,
                   Clock::duration took, const std::vector<std::string>& notes, int rule_files) {
  const ProcessRecord& bootstrap = cluster.processes.front();
  std::cout << "yzctl: cluster up in " << dir.shown << ": " << cluster.processes.size()
            << " processes (bootstrap, genesis, " << options.bridges << " bridge"
            << (options.bridges == 1 ? "" : "s") << ", " << options.nodes << " DHT node"
            << (options.nodes == 1 ? "" : "s") << ") started in " << seconds(took) << "\n";
  std::cout << "  bootstrap   " << bootstrap.listen << " (http " << bootstrap.http << ")\n";
  std::string faults;
  for (const auto& f : cluster.faults) faults += (faults.empty() ? "" : ", ") + f;
  std::cout << "  faults      " << (faults.empty() ? "none" : faults) << "\n";
  if (cluster.tls) {
    std::cout << "  tls         mutual TLS on every gRPC port, throwaway CA " << dir.shown
              << "/tls/ca.crt (HTTP stays plain)\n";
  }
  if (cluster.time_scale != 1.0) {
    std::cout << "  time scale  " << json::number(cluster.time_scale)
              << " (every timing divided by " << json::number(cluster.time_scale) << ")\n";
  }
  std::cout << "  targets     " << dir.shown << "/prometheus/targets.json (file_sd)\n";
  if (cluster.prometheus_pid > 0) {
    std::cout << "  prometheus  " << cluster.prometheus_url << " (pid " << cluster.prometheus_pid
              << ", scraping every process each second since before the bootstrap; " << rule_files
              << " rule file" << (rule_files == 1 ? "" : "s") << " from " << options.rules_dir
              << (cluster.time_scale != 1.0 ? ", `for:` scaled" : std::string()) << ")\n";
  }
  if (cluster.alertmanager_pid > 0) {
    std::cout << "  alerts      " << cluster.alertmanager_url << " (alertmanager pid "
              << cluster.alertmanager_pid << ") -> " << dir.shown
              << "/alertmanager/notifications.jsonl (receiver pid " << cluster.receiver_pid
              << ")\n";
  }
  if (cluster.supervisor_pid > 0) {
    std::cout << "  supervisor  pid " << cluster.supervisor_pid
              << " (restarts crashed processes; log " << dir.shown << "/supervisor.log)\n";
  }
  for (const std::string& note : notes) std::cout << "  note        " << note << "\n";
  const std::string d = dir_flag(dir);
  const std::string some_node = options.nodes >= 3  ? "dht-node-3"
                                : options.nodes > 0 ? "dht-node-1"
                                                    : "genesis";
  std::cout << "\nNext:\n"
            << "  yzctl status" << d << "                   every process's health\n"
            << "  yzctl wait --healthy" << d << "           block until all are healthy\n"
            << "  yzctl kill " << some_node << d
            << "          break one (--signal KILL to crash it)\n"
            << "  yzctl restart " << some_node << d
            << "       bring it back with the same node id\n"
            << "  yzctl logs " << some_node << " -f" << d << "       follow its log\n"
            << (cluster.prometheus_pid > 0
                    ? "  yzctl query 'sum(yz_healthy)'" + d + "  ask the cluster's Prometheus\n" +
                          "  yzctl alerts --watch" + d + "          pending and firing alerts\n"
                    : std::string())
            << "  yzctl down" << d
            << "                     stop everything (--clean removes the folder)\n";
}

}  // namespace

int up(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv,
                               {{"--nodes"},
                                {"--bridges"},
                                {"--fault", true, true},
                                {"--dir"},
                                {"--base-port"},
                                {"--time-scale"},
                                {"--supervise", false},
                                {"--prometheus", false},
                                {"--alertmanager", false},
                                {"--rules"},
                                {"--tls", false},
                                {"--bin-dir"},
                                {"--ready-timeout"},
                                {"--delay-rules"},
                                {"--role-flag", true, true}},
                               "up");
  if (!args.error.empty()) return usage_error(args.error);
  UpOptions options;
  if (std::string error = parse_options(args, &options); !error.empty()) return usage_error(error);
  options.bin_dir = canonical_path(options.bin_dir);
  if (std::string error = check_binaries(options.bin_dir); !error.empty()) return failure(error);

  const ClusterDir dir = cluster_dir(args);
  if (std::string error = runtime::prepare_data_dir(dir.path); !error.empty())
    return failure(error);
  catch_interrupts();
  // Held for the whole start: a second `up` waits here and then finds the
  // first one's processes running.
  ClusterLock lock(dir.path);
  if (!lock.held()) return failure("cannot lock " + dir.shown + "/cluster.lock");
  std::vector<std::string> notes;
  std::string stale_note;
  if (std::string error = take_over(dir, &stale_note); !error.empty()) return failure(error);
  if (!stale_note.empty()) std::cout << "yzctl: " << stale_note << "\n";

  ClusterRecord cluster;
  cluster.dir = dir.path;
  cluster.faults = options.faults;
  cluster.time_scale = options.time_scale;
  cluster.role_flags = options.role_flags;
  cluster.base_port = options.base_port;
  cluster.bin_dir = options.bin_dir;
  cluster.tls = options.tls;
  if (std::string error = write_bridge_auth(dir.path); !error.empty()) return failure(error);
  if (std::string error = write_genesis_auth(dir.path); !error.empty()) return failure(error);
  if (cluster.tls) {
    if (std::string error = write_cluster_ca(dir.path); !error.empty())
      return failure("cannot make the cluster's CA: " + error);
  }
  if (std::string error = write_cluster(cluster); !error.empty()) return failure(error);

  const auto began = Clock::now();
  const auto members = cluster_members(options.nodes, options.bridges);
  // Every process is planned (recorded, not started) first, so that with
  // --prometheus the target list names all of them before the bootstrap runs.
  if (options.prometheus && options.base_port > 0) {
    cluster.service_slot = static_cast<int>(members.size());
  }
  for (std::size_t i = 0; i < members.size(); ++i) {
    cluster.processes.push_back(make_process(cluster, members[i], i, std::string()));
    if (!options.delay_rules.empty()) {
      for (std::string& flag : delay_rules_flags(options.delay_rules, options.time_scale))
        cluster.processes.back().argv.push_back(std::move(flag));
    }
  }
  int rule_files = 0;
  if (options.prometheus) {
    if (options.rules_dir.empty()) options.rules_dir = default_rules_dir();
    if (std::string error = plan_monitoring_ports(cluster, options.alertmanager); !error.empty())
      return abandon(cluster, dir, error);
    if (std::string error = write_cluster(cluster); !error.empty())
      return abandon(cluster, dir, error);
    const MonitoringOptions monitoring{options.alertmanager, options.rules_dir};
    const std::string failed = start_monitoring(cluster, monitoring, &rule_files);
    write_cluster(cluster);  // whatever started is recorded for down
    if (!failed.empty()) return abandon(cluster, dir, failed);
    // Prometheus applies a new target list only every 5 s; wait until it
    // has this one, so it scrapes each process from its first second.
    if (std::string error = wait_targets(cluster, static_cast<int>(members.size()),
                                         /*scraped=*/false, kTargetsTimeout);
        !error.empty())
      return abandon(cluster, dir, "targets never loaded: " + error);
  }
  if (std::string error = write_cluster(cluster); !error.empty()) return failure(error);

  for (std::size_t i = 0; i < members.size(); ++i) {
    ProcessRecord& record = cluster.processes[i];
    if (i > 0) set_argv_flag(record.argv, "--bootstrap", cluster.processes.front().listen);
    if (cluster.tls) {
      if (std::string error = write_process_cert(dir.path, record.name, {}); !error.empty())
        return abandon(cluster, dir, error);
    }
    if (std::string error = launch(record); !error.empty()) return abandon(cluster, dir, error);
    // Recorded at once, so that a yzctl killed right now leaves `down` the pid.
    write_cluster(cluster);
    if (std::string error = wait_ready(record, options.ready_timeout); !error.empty()) {
      return abandon(cluster, dir, error);
    }
    if (record.role == "bootstrap") {
      pin_ports(record, record.listen, record.http);
      // Its onboarding counters start at 0 in the TSDB, so increase() over
      // the join phase counts every onboarding.
      if (options.prometheus) {
        if (std::string error =
                wait_targets(cluster, 1, /*scraped=*/true, kTargetsTimeout, record.name);
            !error.empty())
          notes.push_back("the bootstrap was not scraped before genesis started: " + error);
      }
    }
    if (std::string error = write_cluster(cluster); !error.empty())
      return abandon(cluster, dir, error);
    if (record.role != "node") continue;
    // One join at a time, as the incident's containers came up: the next
    // node starts once this one is a member or its onboarding failed.
    switch (wait_joined(record, join_timeout(options.time_scale))) {
      case JoinOutcome::kMember:
      case JoinOutcome::kOnboardingFailed:
        break;
      case JoinOutcome::kDied:
        return abandon(cluster, dir,
                       record.name + " died while joining; last line of its log: " +
                           last_line(log_path(record)));
      case JoinOutcome::kUndecided:
        if (interrupted()) return abandon(cluster, dir, "interrupted");
        notes.push_back(record.name +
                        " had neither joined nor failed onboarding when the next one started");
        break;
    }
  }
  const auto took = Clock::now() - began;

  if (options.prometheus) {
    // `up` returns once Prometheus holds a sample of every process, so a
    // query right after it sees the whole cluster.
    if (std::string error = wait_targets(cluster, static_cast<int>(cluster.processes.size()),
                                         /*scraped=*/true, kTargetsTimeout);
        !error.empty())
      return abandon(cluster, dir, "not every process was scraped: " + error);
  }
  if (options.supervise) {
    const std::vector<std::string> supervisor_argv = {self_exe(), "supervise", "--dir", dir.path};
    const Spawned spawned = spawn_detached(supervisor_argv, dir.path + "/supervisor.log");
    if (spawned.pid == 0)
      return abandon(cluster, dir, "cannot start the supervisor: " + spawned.error);
    cluster.supervisor_pid = spawned.pid;
    cluster.supervisor_start_ticks = spawned.start_ticks;
  }
  if (std::string error = write_cluster(cluster); !error.empty())
    return abandon(cluster, dir, error);
  print_summary(cluster, dir, options, took, notes, rule_files);
  return 0;
}

}  // namespace yz::cluster::commands
