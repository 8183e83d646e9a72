#include "sim/report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "roles/json/json.h"

namespace yz::sim {
namespace {

std::string hex64(std::uint64_t v) {
  char buffer[20];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(v));
  return buffer;
}

std::string seconds(std::int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", static_cast<double>(ns) / 1e9);
  return buffer;
}

void node_row(std::ostringstream& out, const NodeReport& n) {
  char buffer[200];
  std::snprintf(buffer, sizeof buffer,
                "  %-16s %-9s %s  connections=%-3llu routing=%-3llu failures=%-4llu"
                " missing_handler=%llu dropped_no_handler=%llu\n",
                n.name.c_str(), n.role.c_str(), n.node_id.substr(0, 8).c_str(),
                static_cast<unsigned long long>(n.connected_peers),
                static_cast<unsigned long long>(n.routing_table_size),
                static_cast<unsigned long long>(n.health_failures),
                static_cast<unsigned long long>(n.peers_missing_handler),
                static_cast<unsigned long long>(n.dropped_no_handler));
  out << buffer;
}

}  // namespace

std::string value_checks_text(const ValueCheckResult& v) {
  std::ostringstream out;
  out << "value checks: puts " << v.puts_acked << " acked of " << v.puts << " (" << v.puts_failed
      << " failed); gets " << v.gets_found << " found of " << v.gets << ", failed " << v.gets_failed
      << " of " << v.gets << " (" << v.gets_timed_out << " timed out, " << v.gets_held
      << " held to the invariant, " << v.lost_gets << " broke it); values lost " << v.values_lost
      << " of " << v.puts_acked;
  if (v.mismatches > 0) out << "; expectations not met " << v.mismatches;
  if (v.unfinished + v.skipped > 0)
    out << "; unfinished " << v.unfinished << ", skipped " << v.skipped;
  return out.str();
}

std::string value_checks_json(const ValueCheckResult& v) {
  std::ostringstream out;
  out << "{\"puts\":" << v.puts << ",\"puts_acked\":" << v.puts_acked
      << ",\"puts_failed\":" << v.puts_failed << ",\"gets\":" << v.gets
      << ",\"gets_found\":" << v.gets_found << ",\"gets_failed\":" << v.gets_failed
      << ",\"gets_timed_out\":" << v.gets_timed_out << ",\"gets_held\":" << v.gets_held
      << ",\"lost_gets\":" << v.lost_gets << ",\"values_lost\":" << v.values_lost
      << ",\"mismatches\":" << v.mismatches << ",\"unfinished\":" << v.unfinished
      << ",\"skipped\":" << v.skipped << "}";
  return out.str();
}

std::string health_table(const RunResult& r) {
  std::ostringstream out;
  out << "scenario " << r.scenario << "  seed " << r.seed << "  faults ["
      << (r.faults.empty() ? "none" : "");
  for (std::size_t i = 0; i < r.faults.size(); ++i) out << (i ? "," : "") << r.faults[i];
  out << "]  events " << r.events << "  virtual " << r.virtual_seconds << " s  trace_hash "
      << hex64(r.trace_hash) << "\n";
  out << "signatures " << r.signatures << ", verifications " << r.verifications << "\n\n";

  std::uint64_t healthy = 0;
  for (const auto& n : r.nodes) healthy += n.healthy;
  out << "HEALTHY (" << healthy << "):\n";
  for (const auto& n : r.nodes)
    if (n.healthy) node_row(out, n);
  out << "\nUNHEALTHY (" << r.nodes.size() - healthy << "):\n";
  for (const auto& n : r.nodes)
    if (!n.healthy) node_row(out, n);

  std::uint64_t dht_total = 0, dht_healthy = 0, bridges = 0, bridges_healthy = 0;
  bool genesis_healthy = false;
  for (const auto& n : r.nodes) {
    if (n.role == "node") {
      ++dht_total;
      dht_healthy += n.healthy;
    } else if (n.role == "bridge") {
      ++bridges;
      bridges_healthy += n.healthy;
    } else if (n.role == "genesis") {
      genesis_healthy = n.healthy;
    }
  }
  out << "\n"
      << dht_healthy << "/" << dht_total << " DHT nodes healthy, genesis "
      << (genesis_healthy ? "healthy" : "UNHEALTHY") << ", " << bridges_healthy << "/" << bridges
      << " bridges healthy\n";
  out << "find_node timeouts " << r.summary.find_node_timeouts << ", onboarding failures "
      << r.summary.onboarding_failures << ", frames dropped for want of a handler "
      << r.summary.dropped_no_handler << "\n";
  if (r.invariant_violations.empty()) {
    out << "invariants: none violated\n";
  } else {
    out << "invariants violated (" << r.invariant_violations.size() << "):\n";
    for (const auto& v : r.invariant_violations)
      out << "  " << v.invariant << " first broke on " << v.node << " at step " << v.step
          << " (t=" << seconds(v.virtual_time_ns) << " s)\n";
  }
  if (r.liveness.checked) {
    if (r.liveness.converged)
      out << "liveness: every process healthy " << seconds(r.liveness.converged_after_ns)
          << " s after the faults were healed\n";
    else
      out << "liveness: FAILED, not every process was healthy within the bound after healing\n";
  }
  if (r.lookup_checks.issued > 0)
    out << "lookup checks: " << r.lookup_checks.exact << "/" << r.lookup_checks.issued
        << " agree with brute force (" << r.lookup_checks.completed << " completed)\n";
  if (r.value_checks.any()) out << value_checks_text(r.value_checks) << "\n";
  return out.str();
}

std::string to_json(const RunResult& r) {
  std::ostringstream out;
  out << "{\"scenario\":" << json::quote(r.scenario) << ",\"seed\":" << r.seed << ",\"faults\":[";
  for (std::size_t i = 0; i < r.faults.size(); ++i)
    out << (i ? "," : "") << json::quote(r.faults[i]);
  out << "],\"trace_hash\":\"" << hex64(r.trace_hash) << "\",\"events\":" << r.events
      << ",\"signatures\":" << r.signatures << ",\"verifications\":" << r.verifications
      << ",\"virtual_seconds\":" << r.virtual_seconds << ",\"nodes\":[";
  for (std::size_t i = 0; i < r.nodes.size(); ++i) {
    const auto& n = r.nodes[i];
    out << (i ? "," : "") << "{\"name\":" << json::quote(n.name)
        << ",\"role\":" << json::quote(n.role) << ",\"node_id\":" << json::quote(n.node_id)
        << ",\"healthy\":" << (n.healthy ? "true" : "false")
        << ",\"connected_peers\":" << n.connected_peers
        << ",\"routing_table_size\":" << n.routing_table_size
        << ",\"health_failures\":" << n.health_failures
        << ",\"peers_missing_handler\":" << n.peers_missing_handler
        << ",\"dropped_no_handler\":" << n.dropped_no_handler
        << ",\"find_node_timeouts\":" << n.find_node_timeouts
        << ",\"onboarding_failures\":" << n.onboarding_failures
        << ",\"state\":" << json::quote(n.state) << ",\"reason\":" << json::quote(n.reason) << "}";
  }
  out << "],\"summary\":{\"healthy\":" << r.summary.healthy
      << ",\"unhealthy\":" << r.summary.unhealthy
      << ",\"find_node_timeouts\":" << r.summary.find_node_timeouts
      << ",\"onboarding_failures\":" << r.summary.onboarding_failures
      << ",\"dropped_no_handler\":" << r.summary.dropped_no_handler
      << "},\"invariant_violations\":[";
  for (std::size_t i = 0; i < r.invariant_violations.size(); ++i) {
    const auto& v = r.invariant_violations[i];
    out << (i ? "," : "") << "{\"invariant\":" << json::quote(v.invariant)
        << ",\"node\":" << json::quote(v.node) << ",\"step\":" << v.step
        << ",\"virtual_time\":" << seconds(v.virtual_time_ns) << "}";
  }
  out << "]";
  if (r.liveness.checked)
    out << ",\"liveness\":{\"converged\":" << (r.liveness.converged ? "true" : "false")
        << ",\"converged_after\":" << seconds(r.liveness.converged_after_ns) << "}";
  out << ",\"ordering_hash\":\"" << hex64(r.ordering_hash) << "\"";
  if (r.lookup_checks.issued > 0)
    out << ",\"lookup_checks\":{\"issued\":" << r.lookup_checks.issued
        << ",\"completed\":" << r.lookup_checks.completed << ",\"exact\":" << r.lookup_checks.exact
        << "}";
  if (r.value_checks.any()) out << ",\"value_checks\":" << value_checks_json(r.value_checks);
  out << "}\n";
  return out.str();
}

std::string explore_table(const ExploreResult& r) {
  std::ostringstream out;
  const bool exhaustive = r.strategy == "exhaustive";
  out << "explored " << r.runs << " runs of " << r.scenario << " (strategy " << r.strategy;
  if (exhaustive)
    out << ", at most " << r.bound << " delayed of " << r.default_latency_choices
        << " latency choices";
  else if (r.runs > 0)
    out << ", seeds " << r.first_seed << ".." << r.first_seed + r.runs - 1;
  out << "), faults [";
  for (std::size_t i = 0; i < r.faults.size(); ++i) out << (i ? "," : "") << r.faults[i];
  out << "]\n";
  char rate[96];
  const double per_second = r.wall_seconds > 0 ? r.runs / r.wall_seconds : 0.0;
  std::snprintf(rate, sizeof rate, "%.1f runs/s on %u thread%s (%.1f per thread)", per_second,
                r.jobs, r.jobs == 1 ? "" : "s", per_second / std::max(1u, r.jobs));
  out << "distinct orderings " << r.distinct_orderings << ", distinct trace hashes "
      << r.distinct_trace_hashes << ", events " << r.total_events << ", " << rate << "\n";
  out << "signatures " << r.total_signatures << ", verifications " << r.total_verifications << "\n";
  if (r.value_checks.any())
    out << "over all runs, " << value_checks_text(r.value_checks) << "; runs with failed gets "
        << r.runs_with_failed_gets << "\n";
  if (exhaustive)
    out << (r.complete ? "every ordering within the bound was covered"
                       : "stopped at the --runs cap before covering every ordering")
        << "; " << r.pruned << " runs stopped early at an already explored state\n";
  out << "unhealthy processes per run:\n";
  for (const auto& [unhealthy, runs] : r.unhealthy_histogram)
    out << "  " << unhealthy << " unhealthy: " << runs << " runs\n";
  char fraction[32];
  std::snprintf(fraction, sizeof fraction, "%.2f%%",
                r.runs > 0 ? 100.0 * r.failing_runs / r.runs : 0.0);
  out << "failing runs " << r.failing_runs << "/" << r.runs << " (" << fraction << "): safety "
      << r.safety_failures << ", liveness " << r.liveness_failures << "\n";
  const char* what = exhaustive ? "run" : "seed";
  for (const auto& [kind, seed] : r.first_failing_seed)
    out << "  first failing " << what << " for " << kind << ": " << seed << "\n";
  if (!r.failing_seeds.empty()) {
    out << "failing " << what << "s:";
    for (std::size_t i = 0; i < r.failing_seeds.size() && i < 20; ++i)
      out << " " << r.failing_seeds[i];
    if (r.failing_seeds.size() > 20) out << " ... (--json lists all)";
    out << "\n";
    if (!exhaustive && !r.replay_command.empty())
      out << "replay one with: " << r.replay_command << " --seed " << r.failing_seeds.front()
          << "\n";
    else if (!exhaustive)
      out << "replay one with: yzsim run " << r.scenario << " --strategy " << r.strategy
          << " --seed " << r.failing_seeds.front() << "\n";
  }
  return out.str();
}

std::string to_json(const ExploreResult& r) {
  std::ostringstream out;
  out << "{\"scenario\":" << json::quote(r.scenario) << ",\"strategy\":" << json::quote(r.strategy)
      << ",\"faults\":[";
  for (std::size_t i = 0; i < r.faults.size(); ++i)
    out << (i ? "," : "") << json::quote(r.faults[i]);
  out << "],\"first_seed\":" << r.first_seed << ",\"runs\":" << r.runs << ",\"jobs\":" << r.jobs
      << ",\"distinct_orderings\":" << r.distinct_orderings
      << ",\"distinct_trace_hashes\":" << r.distinct_trace_hashes
      << ",\"events\":" << r.total_events << ",\"signatures\":" << r.total_signatures
      << ",\"verifications\":" << r.total_verifications << ",\"wall_seconds\":" << r.wall_seconds
      << ",\"runs_per_second\":" << (r.wall_seconds > 0 ? r.runs / r.wall_seconds : 0.0)
      << ",\"failing_runs\":" << r.failing_runs << ",\"safety_failures\":" << r.safety_failures
      << ",\"liveness_failures\":" << r.liveness_failures;
  if (r.value_checks.any())
    out << ",\"value_checks\":" << value_checks_json(r.value_checks)
        << ",\"runs_with_failed_gets\":" << r.runs_with_failed_gets;
  if (r.strategy == "exhaustive")
    out << ",\"bound\":" << r.bound << ",\"default_latency_choices\":" << r.default_latency_choices
        << ",\"pruned\":" << r.pruned << ",\"complete\":" << (r.complete ? "true" : "false");
  out << ",\"unhealthy_histogram\":{";
  bool first = true;
  for (const auto& [unhealthy, runs] : r.unhealthy_histogram) {
    out << (first ? "" : ",") << "\"" << unhealthy << "\":" << runs;
    first = false;
  }
  out << "},\"first_failing_seed\":{";
  first = true;
  for (const auto& [kind, seed] : r.first_failing_seed) {
    out << (first ? "" : ",") << json::quote(kind) << ":" << seed;
    first = false;
  }
  out << "},\"failing_seeds\":[";
  for (std::size_t i = 0; i < r.failing_seeds.size(); ++i)
    out << (i ? "," : "") << r.failing_seeds[i];
  out << "]}\n";
  return out.str();
}

}  // namespace yz::sim
