// yzsim compare's output: the side-by-side table and verdict, and --json.
#include <cstdio>
#include <sstream>

#include "roles/json/json.h"
#include "sim/compare.h"

namespace yz::sim {
namespace {

std::string seconds_value(std::int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", static_cast<double>(ns) / 1e9);
  return buffer;
}

std::string faults_text(const std::vector<std::string>& faults) {
  if (faults.empty()) return "none";
  std::string out;
  for (const auto& f : faults) out += (out.empty() ? "" : ",") + f;
  return out;
}

// "sim|real", with "-" for a side that lacks the process or the value.
template <typename Get>
std::string pair(const CompareRow& row, Get get) {
  return (row.sim.present ? get(row.sim) : std::string("-")) + "|" +
         (row.real.present ? get(row.real) : std::string("-"));
}

std::string number(std::uint64_t v) { return std::to_string(v); }

std::string failed_names(const Comparison& c) {
  std::string out;
  for (const auto& check : c.checks)
    if (!check.passed) out += (out.empty() ? "" : ", ") + check.name;
  return out;
}

// One line per owner (the links come grouped by owner): "owner (kind) -> peer, peer".
void links_lines(std::ostringstream& out, const char* side, const CompareRecordSummary& s) {
  out << "  " << side << ":";
  if (s.listenerless_links.empty())
    out << (s.kinds_from_counters ? " (no link events)" : " none") << "\n";
  for (std::size_t i = 0; i < s.listenerless_links.size(); ++i) {
    const auto& l = s.listenerless_links[i];
    const bool same_owner = i > 0 && s.listenerless_links[i - 1].owner == l.owner;
    if (!same_owner)
      out << (i ? "\n        " : " ") << l.owner << " (" << l.owner_role << ") -> ";
    else
      out << ", ";
    out << (l.peer.empty() ? "?" : l.peer);
  }
  if (!s.listenerless_links.empty()) out << "\n";
}

std::string kinds_json(const std::map<std::string, std::uint64_t>& kinds) {
  std::string out = "{";
  for (const auto& [kind, links] : kinds)
    out += (out.size() > 1 ? "," : "") + json::quote(kind) + ":" + std::to_string(links);
  return out + "}";
}

std::string strings_json(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json::quote(items[i]);
  return out + "]";
}

std::string summary_json(const CompareRecordSummary& s) {
  std::ostringstream out;
  out << "{\"scenario\":" << json::quote(s.scenario) << ",\"seed\":" << s.seed
      << ",\"faults\":" << strings_json(s.faults) << ",\"dht_nodes\":" << s.dht_nodes
      << ",\"dht_nodes_joined\":" << s.dht_nodes_joined
      << ",\"dht_nodes_not_joined\":" << kinds_json(s.unjoined_states)
      << ",\"healthy_anchors\":" << strings_json(s.healthy_anchors) << ",\"listenerless_links\":[";
  for (std::size_t i = 0; i < s.listenerless_links.size(); ++i) {
    const auto& l = s.listenerless_links[i];
    out << (i ? "," : "") << "{\"owner\":" << json::quote(l.owner)
        << ",\"owner_role\":" << json::quote(l.owner_role) << ",\"peer\":" << json::quote(l.peer)
        << "}";
  }
  out << "],\"listenerless_by_kind\":" << kinds_json(s.listenerless_by_kind)
      << ",\"kinds_from_counters\":" << (s.kinds_from_counters ? "true" : "false") << "}";
  return out.str();
}

std::string side_json(const CompareSide& s) {
  if (!s.present) return "null";
  std::ostringstream out;
  out << "{\"role\":" << json::quote(s.role) << ",\"healthy\":" << (s.healthy ? "true" : "false")
      << ",\"state\":" << json::quote(s.state) << ",\"joined\":" << (s.joined ? "true" : "false")
      << ",\"connected_peers\":" << s.connected_peers
      << ",\"routing_table_size\":" << s.routing_table_size
      << ",\"peers_missing_handler\":" << s.peers_missing_handler
      << ",\"dropped_no_handler\":" << s.dropped_no_handler << ",\"joined_at\":"
      << (s.joined_at_ns ? seconds_value(*s.joined_at_ns) : std::string("null")) << "}";
  return out.str();
}

}  // namespace

std::string compare_table(const Comparison& c, const std::string& sim_path,
                          const std::string& real_path) {
  std::ostringstream out;
  out << "yzsim compare: scenario " << c.sim.scenario << "\n"
      << "  sim:  " << sim_path << "  (seed " << c.sim.seed << ", faults "
      << faults_text(c.sim.faults) << ")\n"
      << "  real: " << real_path << "  (seed " << c.real.seed << ", faults "
      << faults_text(c.real.faults) << ")\n\n"
      << "each cell is sim|real; joined at: first in the network with a peer and a routing entry,\n"
      << "seconds of scenario time; counts are shown, not judged\n";
  char line[320];
  const char* format = "%-16s %-9s %-11s %-21s %-9s %-9s %-9s %-9s %-17s %s\n";
  std::snprintf(line, sizeof line, format, "process", "role", "healthy", "state", "conns",
                "routing", "missing", "dropped", "joined at", "row");
  out << line;
  for (const auto& row : c.rows) {
    const std::string role = row.sim.present ? row.sim.role : row.real.role;
    std::string mark = row.agree ? "agree" : "DIFFER:";
    for (std::size_t i = 0; i < row.differences.size(); ++i)
      mark += (i ? "," : " ") + row.differences[i];
    std::snprintf(
        line, sizeof line, format, row.name.c_str(), role.c_str(),
        pair(row, [](const CompareSide& s) { return std::string(s.healthy ? "yes" : "no"); })
            .c_str(),
        pair(row, [](const CompareSide& s) { return s.state; }).c_str(),
        pair(row, [](const CompareSide& s) { return number(s.connected_peers); }).c_str(),
        pair(row, [](const CompareSide& s) { return number(s.routing_table_size); }).c_str(),
        pair(row, [](const CompareSide& s) { return number(s.peers_missing_handler); }).c_str(),
        pair(row, [](const CompareSide& s) { return number(s.dropped_no_handler); }).c_str(),
        pair(row,
             [](const CompareSide& s) {
               return s.joined_at_ns ? seconds_value(*s.joined_at_ns) : std::string("-");
             })
            .c_str(),
        mark.c_str());
    out << line;
  }
  out << "\nlink ends without a DHT listener at the end (owner (kind) -> peer):\n";
  links_lines(out, "sim ", c.sim);
  links_lines(out, "real", c.real);

  out << "\nchecks (rows marked DIFFER are judged only through these):\n";
  for (const auto& check : c.checks) {
    out << "  "
        << (!check.applies ? "n/a   "
            : check.passed ? "ok    "
                           : "DIFFER")
        << "  " << check.name << ": " << check.detail << "\n"
        << "          tolerance: " << check.rule << "\n"
        << "          why: " << check.why << "\n";
  }
  if (c.agree)
    out << "\nverdict: AGREE\n";
  else
    out << "\nverdict: DIFFER (" << failed_names(c) << ")\n";
  return out.str();
}

std::string to_json(const Comparison& c) {
  std::ostringstream out;
  out << "{\"agree\":" << (c.agree ? "true" : "false") << ",\"failed\":[";
  bool first = true;
  for (const auto& check : c.checks) {
    if (check.passed) continue;
    out << (first ? "" : ",") << json::quote(check.name);
    first = false;
  }
  out << "],\"tolerances\":{\"isolated\":" << c.isolated_tolerance
      << ",\"join_time_seconds\":" << seconds_value(c.join_time_tolerance_ns)
      << "},\"join_time_offset_seconds\":" << seconds_value(c.join_time_offset_ns)
      << ",\"sim\":" << summary_json(c.sim) << ",\"real\":" << summary_json(c.real)
      << ",\"processes\":[";
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    const auto& row = c.rows[i];
    out << (i ? "," : "") << "{\"name\":" << json::quote(row.name)
        << ",\"agree\":" << (row.agree ? "true" : "false")
        << ",\"differences\":" << strings_json(row.differences) << ",\"sim\":" << side_json(row.sim)
        << ",\"real\":" << side_json(row.real) << "}";
  }
  out << "],\"checks\":[";
  for (std::size_t i = 0; i < c.checks.size(); ++i) {
    const auto& check = c.checks[i];
    out << (i ? "," : "") << "{\"name\":" << json::quote(check.name)
        << ",\"applies\":" << (check.applies ? "true" : "false")
        << ",\"passed\":" << (check.passed ? "true" : "false")
        << ",\"rule\":" << json::quote(check.rule) << ",\"why\":" << json::quote(check.why)
        << ",\"detail\":" << json::quote(check.detail) << "}";
  }
  out << "]}\n";
  return out.str();
}

}  // namespace yz::sim
