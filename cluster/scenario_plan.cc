#include "cluster/scenario_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cluster/layout.h"
#include "roles/core/faults.h"
#include "roles/runtime/duration.h"
#include "sim/start_schedule.h"

namespace yz::cluster {
namespace {

// A process's folder is <dir>/<name>, beside yzctl's own folders.
std::string bad_name(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return "is not a folder name";
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return "has a character other than letters, digits, '-', '_' and '.'";
  }
  for (const char* reserved : {"tls", "prometheus", "alertmanager"})
    if (name == reserved) return "is the name of a folder yzctl keeps for itself";
  return {};
}

std::string role_of(core::Role role) { return std::string(core::role_name(role)); }

}  // namespace

std::vector<std::string> scenario_timing_flags(const core::Timing& timing, double time_scale) {
  const std::pair<const char*, core::Duration> durations[] = {
      {"--health-check-interval", timing.health_check_interval},
      {"--startup-grace", timing.startup_grace},
      {"--find-node-timeout-connected", timing.find_node_timeout_connected},
      {"--find-node-timeout", timing.find_node_timeout},
      {"--onboarding-bridge-timeout", timing.onboarding_bridge_timeout},
      {"--invitation-timeout", timing.invitation_timeout},
      {"--invitation-expiry", timing.invitation_expiry},
      {"--emergency-throttle", timing.emergency_throttle},
      {"--emergency-throttle-connected", timing.emergency_throttle_connected},
      {"--onboarding-give-up", timing.onboarding_give_up},
      {"--handshake-timeout", timing.handshake_timeout},
      {"--value-ttl", timing.value_ttl},
      {"--republish-interval", timing.republish_interval},
      {"--put-timeout", timing.put_timeout},
      {"--get-timeout", timing.get_timeout},
  };
  std::vector<std::string> out;
  for (const auto& [flag, value] : durations) {
    // As scaled_timing_flags: whole milliseconds, at least 1 (the roles
    // refuse a zero duration).
    const double ms = std::round(static_cast<double>(value) / time_scale /
                                 static_cast<double>(core::kMillisecond));
    const auto scaled = static_cast<core::Duration>(std::max(1.0, ms)) * core::kMillisecond;
    out.push_back(flag);
    out.push_back(runtime::format_duration(scaled));
  }
  // Counts are not times: unscaled.
  for (const auto& [flag, value] : {std::pair<const char*, std::uint64_t>{
                                        "--health-failure-limit", timing.health_failure_limit},
                                    {"--k", timing.k},
                                    {"--alpha", timing.alpha},
                                    {"--put-write-quorum", timing.put_write_quorum}}) {
    out.push_back(flag);
    out.push_back(std::to_string(value));
  }
  return out;
}

std::chrono::nanoseconds wall_offset(core::Duration virtual_time, double time_scale) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(
      static_cast<double>(std::max<core::Duration>(virtual_time, 0)) / time_scale));
}

std::string format_seconds(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(ns) / 1e9);
  return buf;
}

PlanResult plan_scenario(const ScenarioRequest& request) {
  PlanResult out;
  sim::ScenarioLoad load = sim::load_scenario_file(request.scenario_path);
  if (!load.scenario) {
    out.error = load.error;
    return out;
  }
  ScenarioPlan plan;
  plan.scenario = std::move(*load.scenario);
  plan.seed = request.seed;
  sim::Scenario& scenario = plan.scenario;

  // As yzsim run: --no-scenario-faults clears the file's, --fault adds.
  if (request.no_scenario_faults) scenario.faults = {};
  for (const std::string& name : request.extra_faults) {
    const auto fault = core::fault_from_name(name);
    if (!fault) {
      out.error = "unknown fault '" + name + "'";
      return out;
    }
    scenario.faults.enable(*fault);
  }
  plan.faults = scenario.faults.names();

  long nodes = 0, bridges = 0, genesis = 0;
  for (const sim::ProcessSpec& spec : scenario.processes) {
    if (std::string why = bad_name(spec.name); !why.empty()) {
      out.error = request.scenario_path + ": process name '" + sim::printable(spec.name) + "' " +
                  why + "; yzctl keeps each process in DIR/<name>";
      return out;
    }
    nodes += spec.role == core::Role::kNode;
    bridges += spec.role == core::Role::kBridge;
    genesis += spec.role == core::Role::kGenesis;
  }
  if (nodes > kMaxNodes || bridges > kMaxBridges) {
    out.error = request.scenario_path + ": " + std::to_string(nodes) + " DHT nodes and " +
                std::to_string(bridges) + " bridges; yzctl up starts at most " +
                std::to_string(kMaxNodes) + " DHT nodes and " + std::to_string(kMaxBridges) +
                " bridges (yzsim runs larger scenarios)";
    return out;
  }
  if (genesis > 1) {
    out.error = request.scenario_path + ": " + std::to_string(genesis) +
                " GENESIS processes; a real cluster has one genesis";
    return out;
  }

  ClusterRecord& cluster = plan.cluster;
  cluster.dir = request.dir;
  cluster.bin_dir = request.bin_dir;
  cluster.faults = plan.faults;
  cluster.time_scale = request.time_scale;

  // make_process gives each role its flags, folder and secrets; the
  // faults and timings it would add are replaced by the scenario's own.
  ClusterRecord bare = cluster;
  bare.faults.clear();
  bare.time_scale = 1.0;
  const std::vector<core::Duration> times = sim::start_times(scenario, request.seed);
  std::vector<std::size_t> record_of(scenario.processes.size(), 0);
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < scenario.processes.size(); ++i)
    if (scenario.processes[i].role == core::Role::kBootstrap)
      order.insert(order.begin(), i);
    else
      order.push_back(i);
  for (const std::size_t i : order) {
    const sim::ProcessSpec& spec = scenario.processes[i];
    record_of[i] = cluster.processes.size();
    ProcessRecord p = make_process(bare, Member{spec.name, role_of(spec.role)},
                                   cluster.processes.size(), std::string());
    // As in the simulator, every process gets every fault: each acts only
    // where its role has the code it breaks.
    for (const std::string& fault : plan.faults) {
      p.argv.push_back("--fault");
      p.argv.push_back(fault);
    }
    for (std::string& flag : scenario_timing_flags(scenario.timing, request.time_scale))
      p.argv.push_back(std::move(flag));
    if (!request.delay_rules.empty()) {
      for (std::string& flag : delay_rules_flags(request.delay_rules, request.time_scale))
        p.argv.push_back(std::move(flag));
    }
    cluster.processes.push_back(std::move(p));
    if (spec.role != core::Role::kBootstrap) plan.starts.push_back({record_of[i], times[i]});
  }
  std::stable_sort(plan.starts.begin(), plan.starts.end(),
                   [](const PlannedStart& a, const PlannedStart& b) { return a.at < b.at; });
  for (const sim::CrashRestart& c : sim::crash_restarts(scenario, request.seed))
    plan.crashes.push_back({record_of[static_cast<std::size_t>(c.process)], c.at, c.down});
  out.plan = std::move(plan);
  return out;
}

}  // namespace yz::cluster
