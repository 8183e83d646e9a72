#include "cluster/layout.h"

#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cluster/tls_material.h"
#include "roles/core/timing.h"
#include "roles/delay/delay_rules_file.h"
#include "roles/json/json.h"
#include "roles/runtime/data_dir.h"
#include "roles/runtime/duration.h"

namespace yz::cluster {
namespace {

constexpr char kHost[] = "127.0.0.1";

std::string address(int port) { return std::string(kHost) + ":" + std::to_string(port); }

}  // namespace

void set_argv_flag(std::vector<std::string>& argv, const std::string& flag,
                   const std::string& value) {
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == flag) {
      argv[i + 1] = value;
      return;
    }
  }
  argv.push_back(flag);
  argv.push_back(value);
}

int port_slot(const ClusterRecord& cluster, std::size_t index) {
  const int i = static_cast<int>(index);
  return cluster.service_slot >= 0 && i >= cluster.service_slot ? i + kServiceSlots : i;
}

std::vector<Member> cluster_members(int nodes, int bridges) {
  std::vector<Member> out;
  out.push_back({"bootstrap", "bootstrap"});
  out.push_back({"genesis", "genesis"});
  for (int i = 1; i <= bridges; ++i) out.push_back({"bridge-node-" + std::to_string(i), "bridge"});
  for (int i = 1; i <= nodes; ++i) out.push_back({"dht-node-" + std::to_string(i), "node"});
  return out;
}

std::string binary_name(const std::string& role) { return "yz-" + role; }

std::vector<std::string> scaled_timing_flags(double time_scale) {
  if (time_scale == 1.0) return {};
  const core::Timing defaults;
  const std::pair<const char*, core::Duration> timings[] = {
      {"--health-check-interval", defaults.health_check_interval},
      {"--startup-grace", defaults.startup_grace},
      {"--find-node-timeout-connected", defaults.find_node_timeout_connected},
      {"--find-node-timeout", defaults.find_node_timeout},
      {"--onboarding-bridge-timeout", defaults.onboarding_bridge_timeout},
      {"--invitation-timeout", defaults.invitation_timeout},
      {"--emergency-throttle", defaults.emergency_throttle},
      {"--emergency-throttle-connected", defaults.emergency_throttle_connected},
      {"--onboarding-give-up", defaults.onboarding_give_up},
      {"--handshake-timeout", defaults.handshake_timeout},
  };
  std::vector<std::string> out;
  for (const auto& [flag, value] : timings) {
    // Whole milliseconds read well in `ps` and logs; at least 1 ms, since
    // the roles refuse a zero duration.
    const double ms = std::round(static_cast<double>(value) / time_scale /
                                 static_cast<double>(core::kMillisecond));
    const auto scaled = static_cast<core::Duration>(std::max(1.0, ms)) * core::kMillisecond;
    out.push_back(flag);
    out.push_back(runtime::format_duration(scaled));
  }
  return out;
}

std::vector<std::string> delay_rules_flags(const std::string& path, double time_scale) {
  return {"--delay-rules", path, "--delay-rules-time-scale", json::number(time_scale)};
}

std::string check_delay_rules_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    return "invalid --delay-rules '" + path + "': no such file";
  if (!std::filesystem::is_regular_file(status))
    return "invalid --delay-rules '" + path + "': not a regular file";
  if (::access(path.c_str(), R_OK) != 0)
    return "invalid --delay-rules '" + path + "': not readable (" + std::strerror(errno) + ")";
  // Read as the role processes will read it, so a bad rule is refused
  // before anything starts instead of by the first process to start.
  const roles::DelayRulesLoad load = roles::load_delay_rules_file(path);
  if (!load.rules) return "invalid --delay-rules: " + load.error;
  return {};
}

ProcessRecord make_process(const ClusterRecord& cluster, const Member& member, std::size_t index,
                           const std::string& bootstrap_address) {
  ProcessRecord p;
  p.name = member.name;
  p.role = member.role;
  p.dir = cluster.dir + "/" + member.name;
  const int listen_port =
      cluster.base_port > 0 ? cluster.base_port + 2 * port_slot(cluster, index) : 0;
  const int http_port = cluster.base_port > 0 ? listen_port + 1 : 0;
  p.argv = {cluster.bin_dir + "/" + binary_name(member.role), "--name", member.name, "--data-dir",
            p.dir, "--listen", address(listen_port), "--http", address(http_port),
            // Info level: joins, onboardings and link changes are what
            // `yzctl logs` is for.
            "--log-level", "info"};
  if (member.role != "bootstrap") {
    p.argv.push_back("--bootstrap");
    p.argv.push_back(bootstrap_address);
    // As in the incident: the bug lives in the DHT members, not the bootstrap.
    for (const std::string& fault : cluster.faults) {
      if (fault == "short_bridge_wait") continue;
      p.argv.push_back("--fault");
      p.argv.push_back(fault);
    }
  } else {
    // Except the original's timeout budget, which is the bootstrap's.
    for (const std::string& fault : cluster.faults) {
      if (fault != "short_bridge_wait") continue;
      p.argv.push_back("--fault");
      p.argv.push_back(fault);
    }
  }
  if (member.role == "bootstrap" || member.role == "bridge") {
    // A path, never the secret itself: argv is visible to every user in ps.
    p.argv.push_back("--bridge-auth-file");
    p.argv.push_back(bridge_auth_path(cluster.dir));
  }
  if (member.role == "bootstrap" || member.role == "genesis") {
    p.argv.push_back("--genesis-auth-file");
    p.argv.push_back(genesis_auth_path(cluster.dir));
  }
  if (cluster.tls) {
    // Paths only: up and add-node write the files (write_process_cert)
    // just before the launch.
    for (const std::string& flag :
         {std::string("--tls-cert"), cert_path(cluster.dir, member.name), std::string("--tls-key"),
          key_path(cluster.dir, member.name), std::string("--tls-ca"), ca_cert_path(cluster.dir)})
      p.argv.push_back(flag);
  }
  for (std::string& flag : scaled_timing_flags(cluster.time_scale)) p.argv.push_back(flag);
  for (const std::string& flag : cluster.role_flags) p.argv.push_back(flag);
  return p;
}

void pin_ports(ProcessRecord& record, const std::string& listen, const std::string& http) {
  set_argv_flag(record.argv, "--listen", listen);
  set_argv_flag(record.argv, "--http", http);
}

std::string bridge_auth_path(const std::string& dir) { return dir + "/bridge_auth"; }
std::string genesis_auth_path(const std::string& dir) { return dir + "/genesis_auth"; }

namespace {

// 32 random bytes as hex into `path` (mode 0600). A failed draw is an
// error, never a weaker secret.
std::string write_random_secret(const std::string& path, const std::string& what) {
  unsigned char bytes[32];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return "cannot draw a random " + what +
             " secret (getrandom: " + std::string(n < 0 ? std::strerror(errno) : "no bytes") + ")";
    }
    got += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string secret;
  for (const unsigned char b : bytes) {
    secret += kHex[b >> 4];
    secret += kHex[b & 0xF];
  }
  if (std::string why = runtime::write_file_atomically(path, secret + "\n", 0600); !why.empty()) {
    return "cannot write " + path + ": " + why;
  }
  return {};
}

}  // namespace

std::string write_bridge_auth(const std::string& dir) {
  return write_random_secret(bridge_auth_path(dir), "bridge");
}

std::string write_genesis_auth(const std::string& dir) {
  return write_random_secret(genesis_auth_path(dir), "genesis");
}

std::string log_path(const ProcessRecord& record) { return record.dir + "/log"; }
std::string pid_path(const ProcessRecord& record) { return record.dir + "/pid"; }
std::string ports_path(const ProcessRecord& record) { return record.dir + "/ports.json"; }

int find_process(const ClusterRecord& cluster, const std::string& name) {
  for (std::size_t i = 0; i < cluster.processes.size(); ++i) {
    if (cluster.processes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string next_node_name(const ClusterRecord& cluster) {
  long highest = 0;
  constexpr std::string_view kPrefix = "dht-node-";
  for (const ProcessRecord& p : cluster.processes) {
    if (p.name.rfind(kPrefix, 0) != 0) continue;
    highest = std::max(highest, std::strtol(p.name.c_str() + kPrefix.size(), nullptr, 10));
  }
  return std::string(kPrefix) + std::to_string(highest + 1);
}

}  // namespace yz::cluster
