#include "sim/compare.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

namespace yz::sim {
namespace {

// Tolerance defaults. The isolated count: the demo's faulted incident-15
// ended with 14 of 15 DHT nodes not healthy in the simulator and 11 of 15 on
// real processes, the same failure on different schedules; which nodes lose
// the race depends on the order frames arrive in, and real processes on
// localhost have no simulated latency. A fifth of the DHT nodes (at least
// two, so that a five-process scenario may differ by its two nodes only
// through the exact checks) keeps that apart from "the failure did not
// happen", which the exact checks catch.
constexpr std::uint64_t kIsolatedMinimum = 2;
constexpr std::uint64_t kIsolatedPercent = 20;
// Join times are compared after removing the median of (real - sim) over
// the processes that ended joined in both: a real process takes wall time to start
// (exec, keys, listeners: ~0.15-0.3 s on a busy 2-core machine) and is seen
// joined at the next sample, and both count in scenario time multiplied by
// the time scale: incident-15 at time scale 20 joined every process 2.0 to
// 6.2 s later than the simulator, median 3.3 s. What is left is each
// process's own lateness: start jitter drawn from the seed (up to 2 s in
// incident-15; seeds 1 and 2 differ by up to 1.2 s), the spread of the
// start-up cost (2.9 s at most in that run). 5 s covers those and stays
// under an onboarding round (race-5's faulted dht-node-2 joined 10 s late),
// so a node that joined one round late still shows.
constexpr std::int64_t kJoinTimeTolerance = 5'000'000'000;

// Why each check is as strict as it is: printed under its tolerance.
std::string why(const std::string& check) {
  if (check == "processes") return "the same scenario starts the same processes in both worlds";
  if (check == "healthy_anchors")
    return "an anchor's health does not hang on one race: a sick anchor is a different outcome";
  if (check == "all_nodes_joined")
    return "a fixed network joins whatever the schedule; one node short is the failure itself";
  if (check == "isolated_nodes")
    return "which nodes lose a race depends on the order frames arrive in, and real processes "
           "on localhost have no simulated latency";
  if (check == "missing_handler_kinds")
    return "the race leaves links without a listener on one side of a link, by role; how many "
           "depends on the schedule";
  if (check == "join_times")
    return "real processes take wall time to start and are sampled, the same for all (the "
           "median); start jitter is drawn from the seed; an onboarding round is longer";
  return "";
}

bool is_anchor(const std::string& role) {
  return role == "bootstrap" || role == "genesis" || role == "bridge";
}

// core/join_state.h's "joined"; a record without join states (older than
// them) counts a healthy process as joined.
bool joined(const NodeReport& n) { return n.state.empty() ? n.healthy : n.state == "joined"; }

std::string seconds(std::int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f s", static_cast<double>(ns) / 1e9);
  return buffer;
}

std::string join_names(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// "node (3), bridge (1)", or with an empty `open`, "3 node, 1 bridge".
std::string kinds_text(const std::map<std::string, std::uint64_t>& kinds,
                       const std::string& open = " (") {
  if (kinds.empty()) return "none";
  std::string out;
  for (const auto& [kind, n] : kinds) {
    out += out.empty() ? "" : ", ";
    out += open.empty() ? std::to_string(n) + " " + kind : kind + open + std::to_string(n) + ")";
  }
  return out;
}

// A process's first joined sample: in the network (a member, or a bridge,
// which is in by registration, as HealthMonitor::join_state says), with a
// peer and a routing entry.
std::map<std::string, std::int64_t> join_times(const Timeline& t) {
  std::map<std::string, std::int64_t> out;
  for (const auto& s : t.health) {
    const auto& p = t.processes[static_cast<std::size_t>(s.process)];
    const bool in_network = s.member || p.role == "bridge";
    if (s.running && in_network && s.connected_peers > 0 && s.routing_table_size > 0)
      out.emplace(p.name, s.t_ns);  // keeps the first
  }
  return out;
}

// The link ends without a DHT listener once every link event is applied.
std::vector<ListenerlessLink> listenerless_at_end(const Timeline& t) {
  std::map<std::tuple<int, int, core::LinkId>, bool> ends;  // -> listener
  for (const auto& e : t.links) {
    const auto key = std::make_tuple(e.process, e.peer, e.link);
    if (e.change == Timeline::LinkChange::kDown)
      ends.erase(key);
    else
      ends[key] = e.listener;
  }
  std::vector<ListenerlessLink> out;
  for (const auto& [key, listener] : ends) {
    if (listener) continue;
    const auto& owner = t.processes[static_cast<std::size_t>(std::get<0>(key))];
    const int peer = std::get<1>(key);
    out.push_back({owner.name, owner.role,
                   peer >= 0 ? t.processes[static_cast<std::size_t>(peer)].name : ""});
  }
  return out;
}

CompareRecordSummary summarize(const RunRecord& record) {
  CompareRecordSummary s;
  s.scenario = record.result.scenario;
  s.seed = record.result.seed;
  s.faults = record.result.faults;
  for (const auto& n : record.result.nodes) {
    if (n.role == "node") {
      ++s.dht_nodes;
      s.dht_nodes_joined += joined(n);
      if (!joined(n)) ++s.unjoined_states[n.state.empty() ? "unhealthy" : n.state];
    }
    if (is_anchor(n.role) && n.healthy) s.healthy_anchors.push_back(n.name);
  }
  std::sort(s.healthy_anchors.begin(), s.healthy_anchors.end());
  s.listenerless_links = listenerless_at_end(record.timeline);
  for (const auto& l : s.listenerless_links) ++s.listenerless_by_kind[l.owner_role];
  // A record without link events (one written by hand, or by a recorder
  // that could not see links) still says which processes have peers whose
  // link lacks a handler.
  if (record.timeline.links.empty()) {
    for (const auto& n : record.result.nodes)
      if (n.peers_missing_handler > 0) {
        s.listenerless_by_kind[n.role] += n.peers_missing_handler;
        s.kinds_from_counters = true;
      }
  }
  return s;
}

CompareSide side_of(const NodeReport& n, const std::map<std::string, std::int64_t>& joins) {
  CompareSide s;
  s.present = true;
  s.role = n.role;
  s.healthy = n.healthy;
  s.state = n.state.empty() ? (n.healthy ? "healthy" : "unhealthy") : n.state;
  s.joined = joined(n);
  s.connected_peers = n.connected_peers;
  s.routing_table_size = n.routing_table_size;
  s.peers_missing_handler = n.peers_missing_handler;
  s.dropped_no_handler = n.dropped_no_handler;
  if (auto it = joins.find(n.name); it != joins.end()) s.joined_at_ns = it->second;
  return s;
}

std::int64_t distance(std::int64_t a, std::int64_t b) { return a > b ? a - b : b - a; }

// Join times are judged only for a process that ended joined in both runs:
// under a fault, whether a node's first onboarding or a later one got it in
// is the race itself (incident-2025-12-03's faulted dht-node-10 was in at
// 4 s in the simulator, at 60 s on real processes, degraded in both), and
// the state checks judge that outcome.
bool judged_join(const CompareRow& row) {
  return row.sim.joined && row.real.joined && row.sim.joined_at_ns && row.real.joined_at_ns;
}

}  // namespace

std::optional<std::string> incomparable(const RunRecord& sim, const RunRecord& real) {
  if (sim.result.scenario != real.result.scenario)
    return "the records are of different scenarios: scenario \"" + sim.result.scenario +
           "\" against \"" + real.result.scenario + "\"";
  return std::nullopt;
}

Comparison compare_runs(const RunRecord& sim, const RunRecord& real,
                        const CompareTolerances& tolerances) {
  Comparison c;
  c.sim = summarize(sim);
  c.real = summarize(real);
  const std::uint64_t fifth = (c.sim.dht_nodes * kIsolatedPercent + 99) / 100;
  c.isolated_tolerance = tolerances.isolated.value_or(std::max(kIsolatedMinimum, fifth));
  c.join_time_tolerance_ns = tolerances.join_time_ns.value_or(kJoinTimeTolerance);

  // Rows in the first record's order, then what only the second has.
  const auto sim_joins = join_times(sim.timeline);
  const auto real_joins = join_times(real.timeline);
  std::map<std::string, std::size_t> row_of;
  for (const auto& n : sim.result.nodes) {
    if (row_of.contains(n.name)) continue;
    row_of[n.name] = c.rows.size();
    c.rows.push_back({n.name, side_of(n, sim_joins), {}, false, {}});
  }
  for (const auto& n : real.result.nodes) {
    auto [it, fresh] = row_of.emplace(n.name, c.rows.size());
    if (fresh) c.rows.push_back({n.name, {}, {}, false, {}});
    if (!c.rows[it->second].real.present) c.rows[it->second].real = side_of(n, real_joins);
  }

  std::vector<std::int64_t> offsets;
  for (const auto& row : c.rows)
    if (judged_join(row)) offsets.push_back(*row.real.joined_at_ns - *row.sim.joined_at_ns);
  std::sort(offsets.begin(), offsets.end());
  if (!offsets.empty()) c.join_time_offset_ns = offsets[(offsets.size() - 1) / 2];

  std::vector<std::string> only_sim, only_real, role_differs, late_joins;
  for (auto& row : c.rows) {
    const CompareSide& a = row.sim;
    const CompareSide& b = row.real;
    if (!a.present) only_real.push_back(row.name);
    if (!b.present) only_sim.push_back(row.name);
    if (!a.present || !b.present) {
      row.differences.push_back("missing");
      continue;
    }
    if (a.role != b.role) {
      row.differences.push_back("role");
      role_differs.push_back(row.name + " (" + a.role + " against " + b.role + ")");
    }
    if (a.healthy != b.healthy) row.differences.push_back("healthy");
    if (a.state != b.state) row.differences.push_back("state");
    if (judged_join(row) && distance(*a.joined_at_ns + c.join_time_offset_ns, *b.joined_at_ns) >
                                c.join_time_tolerance_ns) {
      row.differences.push_back("join_time");
      late_joins.push_back(row.name + " (" + seconds(*a.joined_at_ns) + " against " +
                           seconds(*b.joined_at_ns) + ")");
    }
    row.agree = row.differences.empty();
  }

  auto add = [&c](std::string name, std::string rule, bool applies, bool passed,
                  std::string detail) {
    std::string because = why(name);
    c.checks.push_back({std::move(name), std::move(rule), std::move(because), applies,
                        passed || !applies, std::move(detail)});
  };
  {
    std::string detail =
        "only in sim: " + join_names(only_sim) + "; only in real: " + join_names(only_real);
    if (!role_differs.empty()) detail += "; role differs: " + join_names(role_differs);
    add("processes", "exact: the same process names with the same roles", true,
        only_sim.empty() && only_real.empty() && role_differs.empty(), detail);
  }
  add("healthy_anchors", "exact: the same bootstrap, genesis and bridges healthy at the end", true,
      c.sim.healthy_anchors == c.real.healthy_anchors,
      "sim: " + join_names(c.sim.healthy_anchors) +
          "; real: " + join_names(c.real.healthy_anchors));
  {
    const bool sim_all = c.sim.dht_nodes > 0 && c.sim.dht_nodes_joined == c.sim.dht_nodes;
    const bool real_all = c.real.dht_nodes > 0 && c.real.dht_nodes_joined == c.real.dht_nodes;
    add("all_nodes_joined",
        "exact when the sim's DHT nodes all joined: then every real DHT node must have joined",
        sim_all, real_all,
        "sim: " + std::to_string(c.sim.dht_nodes_joined) + "/" + std::to_string(c.sim.dht_nodes) +
            " joined; real: " + std::to_string(c.real.dht_nodes_joined) + "/" +
            std::to_string(c.real.dht_nodes) + " joined");
  }
  {
    const std::uint64_t a = c.sim.dht_nodes - c.sim.dht_nodes_joined;
    const std::uint64_t b = c.real.dht_nodes - c.real.dht_nodes_joined;
    const std::uint64_t apart = a > b ? a - b : b - a;
    add("isolated_nodes",
        "within " + std::to_string(c.isolated_tolerance) +
            ": DHT nodes not joined at the end (isolated, degraded or joining); default max(" +
            std::to_string(kIsolatedMinimum) + ", " + std::to_string(kIsolatedPercent) +
            "% of the sim's DHT nodes, rounded up), --isolated-tolerance N",
        true, apart <= c.isolated_tolerance,
        "sim: " + std::to_string(a) + " (" + kinds_text(c.sim.unjoined_states, "") +
            "); real: " + std::to_string(b) + " (" + kinds_text(c.real.unjoined_states, "") +
            "); apart " + std::to_string(apart));
  }
  {
    std::set<std::string> a, b;
    for (const auto& [kind, links] : c.sim.listenerless_by_kind) a.insert(kind);
    for (const auto& [kind, links] : c.real.listenerless_by_kind) b.insert(kind);
    add("missing_handler_kinds",
        "exact: the kinds of node (node, bridge, genesis, bootstrap) owning link ends without a "
        "DHT listener at the end; the link counts are shown, not judged",
        true, a == b,
        "sim: " + kinds_text(c.sim.listenerless_by_kind) +
            "; real: " + kinds_text(c.real.listenerless_by_kind));
  }
  add("join_times",
      "within " + seconds(c.join_time_tolerance_ns) +
          " of scenario time, for each process joined at the end in both (its first sample in the "
          "network "
          "with a peer and a routing entry), once the median of real minus sim is taken off; "
          "--join-time-tolerance D",
      true, late_joins.empty(),
      std::to_string(offsets.size()) + " joined in both; real minus sim, median " +
          seconds(c.join_time_offset_ns) + " (taken off); outside: " + join_names(late_joins));

  c.agree = std::all_of(c.checks.begin(), c.checks.end(),
                        [](const CompareCheck& check) { return check.passed; });
  return c;
}

}  // namespace yz::sim
