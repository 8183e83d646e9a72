#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace yz::cluster {

// One process of a local cluster as yzctl records it in <dir>/cluster.json.
struct ProcessRecord {
  std::string name;               // "bootstrap", "genesis", "bridge-node-1", "dht-node-3"
  std::string role;               // bootstrap | genesis | bridge | node
  std::string dir;                // <cluster dir>/<name>/ : log, pid, ports.json, data
  std::vector<std::string> argv;  // exactly how it was started (argv[0] = binary path)
  int pid = 0;                    // 0 when not running
  // "running", "stopped" (by the operator: yzctl stop/kill/down), "crashed"
  std::string state = "stopped";
  std::uint32_t restarts = 0;  // restarts by the supervisor
  std::string listen;          // from ports.json once ready
  std::string http;
  // The kernel's start time of `pid` (clock ticks since boot, /proc/PID/stat
  // field 22). With the binary path it tells our process from a later one
  // that reused the pid.
  std::uint64_t start_ticks = 0;
};

struct ClusterRecord {
  std::string dir;  // absolute
  std::vector<std::string> faults;
  double time_scale = 1.0;
  // `up --role-flag NAME=VALUE`: "--NAME", "VALUE" pairs every process is
  // started with after the scaled timings (a later flag wins), so restarts
  // and added nodes get them too.
  std::vector<std::string> role_flags;
  int supervisor_pid = 0;                // 0 when not supervised
  int prometheus_pid = 0;                // 0 when not started
  std::string prometheus_url;            // http://127.0.0.1:PORT when started
  std::vector<ProcessRecord> processes;  // dependency order
  // First port of --base-port (bootstrap listen; then two per process), or 0
  // when every port is ephemeral.
  int base_port = 0;
  std::string bin_dir;                       // where the role binaries were found
  std::uint64_t supervisor_start_ticks = 0;  // as ProcessRecord::start_ticks
  std::uint64_t prometheus_start_ticks = 0;  // as ProcessRecord::start_ticks
  // `up --tls`: every process has a certificate from the cluster's own CA
  // under <dir>/tls/ (cluster/tls_material.h) and speaks mutual TLS.
  bool tls = false;
  // Ports of the services `up --prometheus [--alertmanager]` runs beside the
  // roles, chosen before anything starts and kept in the record, so that a
  // process never takes one of them (0: none).
  int prometheus_port = 0;
  int alertmanager_port = 0;
  int receiver_port = 0;  // the webhook receiver Alertmanager notifies
  // With --base-port: the first process slot (two ports each) of the
  // kServiceSlots slots kept for those services; processes from that index
  // on (nodes added later) take the slots after them. -1: none kept.
  int service_slot = -1;
  int alertmanager_pid = 0;  // 0 when not started
  std::uint64_t alertmanager_start_ticks = 0;
  std::string alertmanager_url;
  int receiver_pid = 0;  // yzctl alert-receiver; 0 when not started
  std::uint64_t receiver_start_ticks = 0;
};

// Process slots kept for Prometheus, Alertmanager and the receiver under
// --base-port: 2 slots, 4 ports (one spare).
constexpr int kServiceSlots = 2;

// <dir>/cluster.json. A read fails with one line saying why: NotFound when
// there is no file, FailedPrecondition when it cannot be read or is not a
// cluster record of this version. Writes are atomic (temp file + rename).
absl::StatusOr<ClusterRecord> read_cluster(const std::string& dir);
std::string write_cluster(const ClusterRecord& record);  // "" or the error

// The path of <dir>/cluster.json, for messages.
std::string cluster_file(const std::string& dir);

// Holds an exclusive flock on <dir>/cluster.lock for its lifetime, so two
// yzctl commands (or a command and the supervisor) never interleave writes.
class ClusterLock {
 public:
  explicit ClusterLock(const std::string& dir);
  ~ClusterLock();
  ClusterLock(const ClusterLock&) = delete;
  ClusterLock& operator=(const ClusterLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace yz::cluster
