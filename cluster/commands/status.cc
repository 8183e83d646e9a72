// yzctl status and yzctl wait: every process's own /health, as a table (or
// JSON) with the incident's summary line.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/health_view.h"
#include "cluster/interrupt.h"

namespace yz::cluster::commands {
namespace {

using Clock = std::chrono::steady_clock;

struct Snapshot {
  std::optional<ClusterRecord> cluster;
  std::vector<ProcessView> views;
  Summary summary;
};

Snapshot take_snapshot(const ClusterDir& dir, int* exit_code) {
  Snapshot s;
  s.cluster = load_cluster(dir, exit_code);
  if (!s.cluster) return s;
  s.views = probe_cluster(*s.cluster);
  s.summary = summarize(*s.cluster, s.views);
  return s;
}

std::string render(const Snapshot& s, bool json) {
  return json ? format_json(*s.cluster, s.views, s.summary) : format_table(s.views, s.summary);
}

// Sleeps up to `d` in short steps, returning early on Ctrl-C.
void nap(std::chrono::milliseconds d) {
  const auto until = Clock::now() + d;
  while (!interrupted() && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

int status(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"--json", false}, {"--watch", false}}, "status");
  if (!args.error.empty()) return usage_error(args.error);
  if (!args.positional.empty())
    return usage_error("unexpected argument '" + args.positional[0] + "' for yzctl status");
  const ClusterDir dir = cluster_dir(args);
  const bool json = args.has("--json");
  int exit_code = 0;
  if (!args.has("--watch")) {
    const Snapshot s = take_snapshot(dir, &exit_code);
    if (!s.cluster) return exit_code;
    std::cout << render(s, json);
    return s.summary.all_healthy ? 0 : kExitFailure;
  }
  // --watch: redraw every second until Ctrl-C. On a terminal the screen is
  // cleared each time; elsewhere snapshots follow one another.
  catch_interrupts();
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  int last = kExitFailure;
  while (!interrupted()) {
    const Snapshot s = take_snapshot(dir, &exit_code);
    if (!s.cluster) return exit_code;
    std::string frame = render(s, json);
    if (tty && !json)
      frame = "\033[H\033[2J" + dir.shown + "  (every 1s; Ctrl-C to stop)\n\n" + frame;
    std::cout << frame << (tty ? "" : "\n") << std::flush;
    last = s.summary.all_healthy ? 0 : kExitFailure;
    nap(std::chrono::milliseconds(1000));
  }
  return last;
}

int wait(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"--healthy", false}, {"--timeout"}}, "wait");
  if (!args.error.empty()) return usage_error(args.error);
  if (!args.positional.empty())
    return usage_error("unexpected argument '" + args.positional[0] + "' for yzctl wait");
  if (!args.has("--healthy")) return usage_error("yzctl wait needs a condition: --healthy");
  std::chrono::milliseconds timeout(60000);
  if (args.has("--timeout")) {
    const auto parsed = parse_timeout(args.get("--timeout"));
    if (!parsed)
      return usage_error("invalid --timeout '" + args.get("--timeout") +
                         "': expected a duration such as 60s");
    timeout = *parsed;
  }
  const ClusterDir dir = cluster_dir(args);
  catch_interrupts();
  const auto began = Clock::now();
  const auto deadline = began + timeout;
  int exit_code = 0;
  while (true) {
    const Snapshot s = take_snapshot(dir, &exit_code);
    if (!s.cluster) return exit_code;
    if (s.summary.all_healthy) {
      char took[32];
      std::snprintf(took, sizeof took, "%.1fs",
                    std::chrono::duration<double>(Clock::now() - began).count());
      std::cout << "yzctl: all " << s.summary.processes << " processes healthy and joined after "
                << took << ": " << s.summary.line << "\n";
      return 0;
    }
    if (Clock::now() >= deadline || interrupted()) {
      std::cout << format_table(s.views, s.summary);
      return failure(std::string(interrupted() ? "interrupted" : "timed out") +
                     ": not all processes healthy and joined after " +
                     args.get("--timeout", "60s"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace yz::cluster::commands
