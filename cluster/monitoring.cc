#include "cluster/monitoring.h"

#include <thread>

#include "cluster/alertmanager.h"
#include "cluster/interrupt.h"
#include "cluster/layout.h"
#include "cluster/ports.h"
#include "cluster/prometheus.h"
#include "cluster/prometheus_api.h"
#include "cluster/rules.h"

namespace yz::cluster {
namespace {

std::string loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace

std::string plan_monitoring_ports(ClusterRecord& cluster, bool alertmanager) {
  const auto pick = [](int* port) {
    *port = free_loopback_port();
    return *port != 0;
  };
  if (cluster.base_port > 0) {
    // The slot after the processes `up` starts; nodes added later go past it.
    const int first = cluster.base_port + 2 * cluster.service_slot;
    cluster.prometheus_port = first;
    if (alertmanager) {
      cluster.alertmanager_port = first + 1;
      cluster.receiver_port = first + 2;
    }
  } else {
    if (!pick(&cluster.prometheus_port) ||
        (alertmanager && (!pick(&cluster.alertmanager_port) || !pick(&cluster.receiver_port))))
      return "no free port on 127.0.0.1 for Prometheus";
  }
  for (ProcessRecord& p : cluster.processes) {
    if (cluster.base_port > 0) {
      // make_process put the slot's address in argv already.
      for (std::size_t i = 0; i + 1 < p.argv.size(); ++i) {
        if (p.argv[i] == "--http") p.http = p.argv[i + 1];
      }
      continue;
    }
    // Fixed in advance (ephemeral otherwise), so that Prometheus already
    // knows the target when the process starts and scrapes it within a
    // second; a restart keeps the port, so the target stays the same.
    int port = 0;
    if (!pick(&port)) return "no free port on 127.0.0.1 for " + p.name;
    p.http = loopback(port);
    set_argv_flag(p.argv, "--http", p.http);
  }
  return {};
}

std::string start_monitoring(ClusterRecord& cluster, const MonitoringOptions& options,
                             int* rule_files) {
  const RulesInstall rules =
      install_rules(options.rules_dir, prometheus_rules_dir(cluster.dir), cluster.time_scale);
  if (!rules.error.empty()) return rules.error;
  *rule_files = rules.files;
  std::string alertmanager_address;
  if (options.alertmanager) {
    const AlertmanagerStart am =
        start_alertmanager(cluster.dir, cluster.alertmanager_port, cluster.receiver_port);
    cluster.receiver_pid = am.receiver.pid;
    cluster.receiver_start_ticks = am.receiver.start_ticks;
    cluster.alertmanager_pid = am.alertmanager.pid;
    cluster.alertmanager_start_ticks = am.alertmanager.start_ticks;
    if (!am.error.empty()) return am.error;
    alertmanager_address = loopback(cluster.alertmanager_port);
    cluster.alertmanager_url = "http://" + alertmanager_address;
  }
  if (std::string error = write_prometheus_config(cluster.dir, alertmanager_address);
      !error.empty())
    return error;
  const ServiceStart started = start_prometheus(cluster.dir, cluster.prometheus_port);
  if (!started.error.empty()) return started.error;
  cluster.prometheus_pid = started.pid;
  cluster.prometheus_start_ticks = started.start_ticks;
  cluster.prometheus_url = "http://" + loopback(cluster.prometheus_port);
  return {};
}

std::string wait_targets(const ClusterRecord& cluster, int count, bool scraped,
                         std::chrono::milliseconds timeout, const std::string& only_name) {
  const std::string selector =
      only_name.empty() ? "up{job=\"yz\"}" : "up{job=\"yz\",name=\"" + only_name + "\"}";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (!interrupted()) {
    std::string error;
    const auto samples = query_samples(cluster.prometheus_url, selector, &error);
    int known = 0;
    int up = 0;
    for (const Sample& s : samples) {
      ++known;
      up += s.value == 1 ? 1 : 0;
    }
    if (known >= count && (!scraped || up >= count)) return {};
    last = !error.empty() ? error
                          : std::to_string(known) + " of " + std::to_string(count) +
                                " targets known, " + std::to_string(up) + " scraped";
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return interrupted() ? "interrupted" : "Prometheus: " + last;
}

std::vector<std::string> stop_monitoring(ClusterRecord& cluster) {
  std::vector<std::string> stopped;
  // Prometheus first: it would otherwise report Alertmanager unreachable.
  if (stop_prometheus(cluster)) stopped.push_back("Prometheus");
  if (stop_alertmanager(cluster)) stopped.push_back("Alertmanager");
  return stopped;
}

}  // namespace yz::cluster
