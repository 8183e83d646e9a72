#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace yz::cluster {

// A helper process yzctl runs beside the roles (Prometheus, Alertmanager,
// the alert receiver): detached like the roles, recorded by pid and start
// time, stopped by pid.
struct ServiceStart {
  int pid = 0;
  std::uint64_t start_ticks = 0;
  std::string error;  // one line, when it could not start or never became ready
};

// Spawns `argv` (stdout and stderr to `log_path`) and waits up to `timeout`
// until GET http://`address``ready_path` answers 200. On failure the
// process, if it started, is stopped again.
ServiceStart start_service(const std::string& what, const std::vector<std::string>& argv,
                           const std::string& log_path, const std::string& address,
                           const std::string& ready_path,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

// SIGTERM (SIGKILL after 5 s) to `pid` if it is still the process started
// at `start_ticks`; returns whether it was running.
bool stop_service(int pid, std::uint64_t start_ticks);

// Whether that process still runs.
bool service_alive(int pid, std::uint64_t start_ticks);

}  // namespace yz::cluster
