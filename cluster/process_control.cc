#include "cluster/process_control.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

extern char** environ;

namespace yz::cluster {
namespace {

using Clock = std::chrono::steady_clock;

struct SignalName {
  int number;
  const char* name;
};
constexpr SignalName kSignals[] = {
    {SIGTERM, "TERM"}, {SIGKILL, "KILL"}, {SIGINT, "INT"},   {SIGHUP, "HUP"},   {SIGQUIT, "QUIT"},
    {SIGUSR1, "USR1"}, {SIGUSR2, "USR2"}, {SIGSTOP, "STOP"}, {SIGCONT, "CONT"}, {SIGABRT, "ABRT"},
};

// The environment a role process gets: ours without the variables the
// roles read as flag defaults, so that nothing but argv decides how it runs.
std::vector<std::string> child_environment() {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (entry.rfind("YZ_", 0) == 0 || entry.rfind("BRIDGE_AUTH=", 0) == 0 ||
        entry.rfind("GENESIS_AUTH=", 0) == 0)
      continue;
    out.push_back(entry);
  }
  return out;
}

}  // namespace

std::optional<ProcStat> read_proc_stat(int pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!in || !std::getline(in, text)) return std::nullopt;
  // The command name in parentheses may itself hold spaces and ')'.
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  std::vector<std::string> f;
  std::string word;
  while (fields >> word) f.push_back(word);
  // f[0] is field 3 (state); field 22 (starttime) is f[19].
  if (f.size() < 20 || f[0].empty()) return std::nullopt;
  ProcStat stat;
  stat.state = f[0][0];
  stat.start_ticks = std::strtoull(f[19].c_str(), nullptr, 10);
  return stat;
}

std::string exe_of(int pid) {
  char buf[PATH_MAX];
  const std::string link = "/proc/" + std::to_string(pid) + "/exe";
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string path(buf, static_cast<std::size_t>(n));
  constexpr std::string_view kDeleted = " (deleted)";
  if (path.size() > kDeleted.size() &&
      path.compare(path.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0) {
    path.resize(path.size() - kDeleted.size());
  }
  return path;
}

std::string canonical_path(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return path;
  return buf;
}

std::string self_exe() { return exe_of(static_cast<int>(::getpid())); }

ProcessRef ref_of(const ProcessRecord& record) {
  ProcessRef ref;
  ref.pid = record.pid;
  ref.binary = record.argv.empty() ? std::string() : canonical_path(record.argv[0]);
  ref.start_ticks = record.start_ticks;
  return ref;
}

bool is_alive(const ProcessRef& ref) {
  if (ref.pid <= 0) return false;
  if (ref.own_child) {
    int status = 0;
    const pid_t r = ::waitpid(ref.pid, &status, WNOHANG);
    if (r == 0) return true;         // our child, still running
    if (r == ref.pid) return false;  // just exited; now reaped
    // ECHILD: someone reaped it already; fall through to /proc.
  }
  const auto stat = read_proc_stat(ref.pid);
  // A zombie has exited; it only waits for a parent (maybe a non-reaping
  // init in a container) to collect it.
  if (!stat || stat->state == 'Z' || stat->state == 'X') return false;
  if (ref.start_ticks != 0 && stat->start_ticks != ref.start_ticks) return false;
  if (ref.own_child) return true;
  if (ref.binary.empty()) return ref.start_ticks != 0;  // pid + start time suffice
  return exe_of(ref.pid) == ref.binary;
}

Spawned spawn_detached(const std::vector<std::string>& argv, const std::string& log_path) {
  Spawned out;
  if (argv.empty()) {
    out.error = "nothing to start";
    return out;
  }
  const std::vector<std::string> environment = child_environment();
  std::vector<char*> args;
  std::vector<char*> envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Belt and braces over O_CLOEXEC: whatever yzctl's caller left open
  // (a test runner's pipes, say) must not keep a pipe reader waiting.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    out.error = "cannot start " + argv[0] + ": " + std::generic_category().message(rc);
    return out;
  }
  out.pid = static_cast<int>(pid);
  // glibc's posix_spawn returns once the exec happened, so the start time
  // read now is the one the process keeps.
  if (const auto stat = read_proc_stat(out.pid)) out.start_ticks = stat->start_ticks;
  return out;
}

std::optional<int> reap_if_exited(int pid) {
  if (pid <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) return status;
  return std::nullopt;
}

void reap_exited_children() {
  int status = 0;
  while (::waitpid(-1, &status, WNOHANG) > 0) {
  }
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by " + signal_name(WTERMSIG(status));
  return "stopped";
}

bool send_signal(const ProcessRef& ref, int sig) {
  if (!is_alive(ref)) return false;
  // Each process leads its own session and group: signalling the group also
  // reaches anything it started.
  if (::kill(-ref.pid, sig) == 0) return true;
  return ::kill(ref.pid, sig) == 0;
}

bool wait_gone(const std::vector<ProcessRef>& refs, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    bool any = false;
    for (const ProcessRef& ref : refs) any = any || is_alive(ref);
    if (!any) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

StopOutcome stop_processes(const std::vector<ProcessRef>& refs, std::chrono::milliseconds grace) {
  StopOutcome outcome;
  std::vector<ProcessRef> alive;
  for (const ProcessRef& ref : refs) {
    if (send_signal(ref, SIGTERM)) {
      ++outcome.signalled;
      alive.push_back(ref);
    }
  }
  if (wait_gone(alive, grace)) return outcome;
  std::vector<ProcessRef> left;
  for (const ProcessRef& ref : alive) {
    if (send_signal(ref, SIGKILL)) {
      ++outcome.killed;
      left.push_back(ref);
    }
  }
  // SIGKILL cannot be caught; the wait only covers the kernel's teardown.
  wait_gone(left, std::chrono::milliseconds(5000));
  for (const ProcessRef& ref : left) {
    if (is_alive(ref)) outcome.survivors.push_back(ref.pid);
  }
  return outcome;
}

std::optional<int> parse_signal(const std::string& text) {
  std::string name = text;
  for (char& c : name) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (const SignalName& s : kSignals) {
    if (name == s.name || name == std::to_string(s.number)) return s.number;
  }
  return std::nullopt;
}

std::string signal_name(int sig) {
  for (const SignalName& s : kSignals) {
    if (s.number == sig) return std::string("SIG") + s.name;
  }
  return "signal " + std::to_string(sig);
}

std::string tail_lines(const std::string& path, int lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  // Read at most the last 64 KiB: a log can be large, the tail is not.
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > 65536 ? size - 65536 : 0;
  in.seekg(start);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::size_t pos = text.size();
  for (int i = 0; i < lines && pos != std::string::npos && pos > 0; ++i) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos || pos == 0 ? text : text.substr(pos + 1);
}

std::string last_line(const std::string& path) { return tail_lines(path, 1); }

}  // namespace yz::cluster
