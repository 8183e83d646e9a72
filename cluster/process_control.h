#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"

namespace yz::cluster {

// What the kernel says about a pid: its state letter ('R', 'S', 'Z', ...) and
// its start time in clock ticks since boot.
struct ProcStat {
  char state = '?';
  std::uint64_t start_ticks = 0;
};
std::optional<ProcStat> read_proc_stat(int pid);

// The binary `pid` runs (from /proc/PID/exe, without the " (deleted)" the
// kernel adds once the file was replaced, e.g. by a rebuild); "" when
// unreadable.
std::string exe_of(int pid);

// realpath(path), or `path` itself when it cannot be resolved.
std::string canonical_path(const std::string& path);

// A process yzctl started earlier, possibly from another invocation.
struct ProcessRef {
  int pid = 0;
  // Canonical path; empty to accept any binary when start_ticks is known
  // (a supervisor started by another copy of yzctl is still ours).
  std::string binary;
  std::uint64_t start_ticks = 0;
  // Started by this very process: then waitpid is the truth about it (and
  // reaps it), whatever binary it turned into.
  bool own_child = false;
};
ProcessRef ref_of(const ProcessRecord& record);

// Whether `ref` is still the process we started: alive, not a zombie, running
// the recorded binary and started at the recorded time. A pid that was reused
// by something else counts as dead.
bool is_alive(const ProcessRef& ref);
inline bool is_alive(const ProcessRecord& record) { return is_alive(ref_of(record)); }

struct Spawned {
  int pid = 0;  // 0 on failure
  std::uint64_t start_ticks = 0;
  std::string error;
};

// Starts argv[0] with `argv` detached from yzctl: a session of its own
// (setsid, so a terminal's Ctrl-C or hang-up does not reach it), stdin from
// /dev/null, stdout and stderr appended to `log_path`, default signal
// dispositions, no inherited descriptors, and an environment without YZ_*,
// BRIDGE_AUTH and GENESIS_AUTH, so that its argv alone says how it runs.
Spawned spawn_detached(const std::vector<std::string>& argv, const std::string& log_path);

// For a child of this process: its wait status once it has exited (and is
// then reaped), nullopt while it runs or when it is not our child.
std::optional<int> reap_if_exited(int pid);
// Reaps every exited child without waiting (the supervisor's duty).
void reap_exited_children();
// "exited with status 2", "was killed by SIGKILL".
std::string describe_wait_status(int status);

// Sends `sig` to the process group of `ref` (each process leads its own),
// after checking that it is still ours. Returns false when it was not alive.
bool send_signal(const ProcessRef& ref, int sig);

// Waits until none of `refs` is alive or `timeout` passed; returns whether
// all are gone.
bool wait_gone(const std::vector<ProcessRef>& refs, std::chrono::milliseconds timeout);

struct StopOutcome {
  int signalled = 0;           // were alive and got SIGTERM
  int killed = 0;              // still alive after the grace period: got SIGKILL
  std::vector<int> survivors;  // pids alive even after SIGKILL (should be none)
};
// SIGTERM to every alive process in the order given, then waits up to
// `grace` for all, then SIGKILL to the ones left, and waits for those.
StopOutcome stop_processes(const std::vector<ProcessRef>& refs, std::chrono::milliseconds grace);

// "TERM", "SIGTERM", "15" -> 15; nullopt for unknown names.
std::optional<int> parse_signal(const std::string& text);
std::string signal_name(int sig);  // 15 -> "SIGTERM"

// The last `lines` lines of a file (empty when unreadable).
std::string tail_lines(const std::string& path, int lines);
// The last non-empty line of a file.
std::string last_line(const std::string& path);

// This executable's path (/proc/self/exe).
std::string self_exe();

}  // namespace yz::cluster
