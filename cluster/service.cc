#include "cluster/service.h"

#include <signal.h>
#include <unistd.h>

#include <thread>

#include "cluster/http_client.h"
#include "cluster/interrupt.h"
#include "cluster/process_control.h"

namespace yz::cluster {
namespace {

ProcessRef ref_for(int pid, std::uint64_t start_ticks) {
  ProcessRef ref;
  ref.pid = pid;
  ref.start_ticks = start_ticks;  // with an empty binary: any binary, this start time
  return ref;
}

}  // namespace

ServiceStart start_service(const std::string& what, const std::vector<std::string>& argv,
                           const std::string& log_path, const std::string& address,
                           const std::string& ready_path, std::chrono::milliseconds timeout) {
  ServiceStart out;
  if (argv.empty() || ::access(argv[0].c_str(), X_OK) != 0) {
    out.error = (argv.empty() ? what : argv[0]) + " not found (scripts/setup installs it)";
    return out;
  }
  const Spawned spawned = spawn_detached(argv, log_path);
  if (spawned.pid == 0) {
    out.error = "cannot start " + what + ": " + spawned.error;
    return out;
  }
  out.pid = spawned.pid;
  out.start_ticks = spawned.start_ticks;
  ProcessRef ref = ref_for(spawned.pid, spawned.start_ticks);
  ref.own_child = true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && !interrupted()) {
    if (http_get(address, ready_path).status == 200) return out;
    if (!is_alive(ref)) {
      out.error = what + " exited during start-up; see " + log_path;
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop_service(out.pid, out.start_ticks);
  out.error = what + " did not answer " + ready_path + " on " + address + " within " +
              std::to_string(timeout.count() / 1000) + " s; see " + log_path;
  out.pid = 0;
  out.start_ticks = 0;
  return out;
}

bool stop_service(int pid, std::uint64_t start_ticks) {
  if (pid <= 0) return false;
  const ProcessRef ref = ref_for(pid, start_ticks);
  if (!is_alive(ref)) return false;
  send_signal(ref, SIGTERM);
  if (!wait_gone({ref}, std::chrono::seconds(5))) send_signal(ref, SIGKILL);
  wait_gone({ref}, std::chrono::seconds(2));
  reap_if_exited(pid);
  return true;
}

bool service_alive(int pid, std::uint64_t start_ticks) {
  return pid > 0 && is_alive(ref_for(pid, start_ticks));
}

}  // namespace yz::cluster
