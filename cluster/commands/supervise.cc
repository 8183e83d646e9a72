// yzctl supervise (hidden; started by `up --supervise`): restarts processes
// that died without the operator stopping them, with exponential back-off.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/interrupt.h"
#include "cluster/lifecycle.h"
#include "cluster/process_control.h"
#include "cluster/readiness.h"
#include "roles/runtime/logger.h"

namespace yz::cluster::commands {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kCheckEvery = std::chrono::milliseconds(500);
constexpr auto kFirstBackoff = std::chrono::milliseconds(500);
constexpr auto kMaxBackoff = std::chrono::milliseconds(30000);
// A process that stayed up this long is over its crash loop: the next crash
// is restarted after the first back-off again.
constexpr auto kStableAfter = std::chrono::milliseconds(30000);

struct Backoff {
  std::chrono::milliseconds delay = kFirstBackoff;
  bool pending = false;  // dead, restart due at `due`
  Clock::time_point due;
  Clock::time_point started;  // last restart
};

void log_line(const std::string& text) {
  std::cout << runtime::format_timestamp(std::chrono::system_clock::now()) << " " << text
            << std::endl;
}

std::string ms_text(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s"
                               : std::to_string(d.count()) + "ms";
}

// One pass over the cluster under the lock. Returns false when the
// supervisor should exit: the record is gone or names another supervisor.
bool check_once(const ClusterDir& dir, std::map<std::string, Backoff>& backoffs) {
  ClusterLock lock(dir.path);
  auto cluster = read_cluster(dir.path);
  if (!cluster.ok()) {
    log_line("exiting: " + std::string(cluster.status().message()));
    return false;
  }
  if (cluster->supervisor_pid != static_cast<int>(::getpid())) {
    log_line("exiting: cluster.json names another supervisor (pid " +
             std::to_string(cluster->supervisor_pid) + ")");
    return false;
  }
  const auto now = Clock::now();
  bool changed = false;
  for (ProcessRecord& p : cluster->processes) {
    if (p.state == "stopped") {
      backoffs.erase(p.name);  // the operator's; not ours to restart
      continue;
    }
    Backoff& b = backoffs[p.name];
    if (is_alive(p)) {
      if (!b.pending && b.delay > kFirstBackoff && now - b.started >= kStableAfter) {
        b.delay = kFirstBackoff;
      }
      // A restarted process may have a new port: record it once it is known.
      if (const auto ports = read_ports(p);
          ports && (ports->listen != p.listen || ports->http != p.http)) {
        p.listen = ports->listen;
        p.http = ports->http;
        changed = true;
      }
      continue;
    }
    if (!b.pending) {
      b.pending = true;
      b.due = now + b.delay;
      log_line(p.name + " (pid " + std::to_string(p.pid) + ") died; restarting in " +
               ms_text(b.delay));
      if (p.state != "crashed") {
        p.state = "crashed";
        changed = true;
      }
    }
    if (now < b.due) continue;
    const int old_pid = p.pid;
    if (std::string why = launch(p); !why.empty()) {
      p.state = "crashed";
      log_line("cannot restart " + p.name + ": " + why);
    } else {
      ++p.restarts;
      log_line("restarted " + p.name + " (pid " + std::to_string(old_pid) + " -> " +
               std::to_string(p.pid) + ", restart " + std::to_string(p.restarts) + ")");
    }
    b.pending = false;
    b.started = now;
    b.delay = std::min(b.delay * 2, kMaxBackoff);
    changed = true;
  }
  if (changed) {
    if (std::string why = write_cluster(*cluster); !why.empty()) log_line(why);
  }
  return true;
}

}  // namespace

int supervise(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}}, "supervise");
  if (!args.error.empty()) return usage_error(args.error);
  const ClusterDir dir = cluster_dir(args);
  catch_interrupts();
  log_line("supervising " + dir.path + " (pid " + std::to_string(::getpid()) + ")");
  std::map<std::string, Backoff> backoffs;
  while (!interrupted()) {
    // Processes restarted here are our children: collect the ones that
    // died, or they would linger as zombies.
    reap_exited_children();
    if (!check_once(dir, backoffs)) return 0;
    const auto until = Clock::now() + kCheckEvery;
    while (!interrupted() && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  log_line("stopping on signal");
  return 0;
}

}  // namespace yz::cluster::commands
