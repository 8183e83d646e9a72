#include "cluster/health_view.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <future>

#include "cluster/http_client.h"
#include "cluster/process_control.h"
#include "cluster/readiness.h"
#include "roles/runtime/logger.h"

namespace yz::cluster {
namespace {

constexpr auto kProbeTimeout = std::chrono::milliseconds(2000);

std::string read_node_id_file(const ProcessRecord& record) {
  std::ifstream in(record.dir + "/node_id");
  std::string id;
  if (!in || !std::getline(in, id) || id.size() != 40) return {};
  return id;
}

ProcessView probe(const ProcessRecord& record, double grace_seconds) {
  ProcessView view;
  view.record = record;
  view.running = is_alive(record);
  view.stopped_by_operator = record.state == "stopped";
  if (view.running) {
    // ports.json is the truth for a running process: one the supervisor
    // restarted may have a new port that cluster.json has not caught up with.
    if (const auto ports = read_ports(record)) {
      view.record.listen = ports->listen;
      view.record.http = ports->http;
    }
    view.health = get_json(view.record.http, "/health", kProbeTimeout);
  }
  if (view.health) {
    view.healthy = view.health->bool_at("healthy");
    view.node_id = view.health->string_at("nodeId");
    view.state = "running";
    view.join = join_state_of(record.role, *view.health, grace_seconds);
  } else {
    view.node_id = read_node_id_file(record);
    view.state = view.running ? "unresponsive" : "down";
    view.join = view.running ? JoinState::kUnknown : JoinState::kDown;
  }
  return view;
}

std::string uptime_text(double seconds) {
  const auto s = static_cast<long>(seconds);
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%lds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  }
  return buf;
}

std::string number_or_dash(const ProcessView& view, const char* key) {
  if (!view.health || view.health->find(key) == nullptr) return "-";
  return std::to_string(view.health->int_at(key));
}

std::string health_word(const ProcessView& view) {
  if (view.state == "down") return view.stopped_by_operator ? "down (stopped)" : "down";
  if (view.state == "unresponsive") return "no answer";
  return view.healthy ? "healthy" : "UNHEALTHY";
}

// A JSON member copied from /health, or null when there is none.
std::string health_member(const ProcessView& view, const char* key) {
  if (!view.health) return "null";
  const json::Value* v = view.health->find(key);
  if (v == nullptr) return "null";
  switch (v->type()) {
    case json::Value::Type::kBool:
      return v->as_bool() ? "true" : "false";
    case json::Value::Type::kNumber:
      return json::number(v->as_double());
    case json::Value::Type::kString:
      return json::quote(v->as_string());
    default:
      return "null";
  }
}

std::string anchor_word(bool present, bool healthy, const std::vector<ProcessView>& views,
                        const char* role) {
  if (!present) return "none";
  for (const ProcessView& v : views) {
    if (v.record.role == role && v.state == "down") return "down";
  }
  return healthy ? "healthy" : "UNHEALTHY";
}

std::string state_word(const ProcessView& view) {
  const std::string name = join_state_name(view.join);
  // Upper case for the states that page someone, as HEALTH does.
  if (view.join == JoinState::kIsolated || view.join == JoinState::kDegraded) {
    std::string upper = name;
    for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
    return upper;
  }
  return view.join == JoinState::kUnknown ? "-" : name;
}

}  // namespace

bool supervisor_alive(const ClusterRecord& cluster) {
  if (cluster.supervisor_pid <= 0) return false;
  ProcessRef ref;
  ref.pid = cluster.supervisor_pid;
  ref.start_ticks = cluster.supervisor_start_ticks;
  return is_alive(ref);
}

std::vector<ProcessView> probe_cluster(const ClusterRecord& cluster) {
  std::vector<std::future<ProcessView>> pending;
  const double grace = startup_grace_seconds(cluster.time_scale);
  for (const ProcessRecord& record : cluster.processes) {
    pending.push_back(
        std::async(std::launch::async, [&record, grace] { return probe(record, grace); }));
  }
  std::vector<ProcessView> views;
  for (auto& f : pending) views.push_back(f.get());
  return views;
}

void StateCounts::add(JoinState state) {
  ++total;
  switch (state) {
    case JoinState::kJoining:
      ++joining;
      break;
    case JoinState::kJoined:
      ++joined;
      break;
    case JoinState::kIsolated:
      ++isolated;
      break;
    case JoinState::kDegraded:
      ++degraded;
      break;
    case JoinState::kDown:
      ++down;
      break;
    case JoinState::kUnknown:
      ++unknown;
      break;
  }
}

std::string StateCounts::text(const std::string& noun) const {
  std::string out = std::to_string(joined) + "/" + std::to_string(total) + " " + noun + " joined";
  std::string rest;
  for (const auto& [count, word] : {std::pair{isolated, "isolated"},
                                    std::pair{degraded, "degraded"}, std::pair{joining, "joining"},
                                    std::pair{down, "down"}, std::pair{unknown, "not answering"}}) {
    if (count == 0) continue;
    rest += (rest.empty() ? "" : ", ") + std::to_string(count) + " " + word;
  }
  return rest.empty() ? out : out + " (" + rest + ")";
}

Summary summarize(const ClusterRecord& cluster, const std::vector<ProcessView>& views) {
  Summary s;
  s.genesis_state = "none";
  for (const ProcessView& v : views) {
    ++s.processes;
    if (v.healthy) ++s.healthy;
    if (v.state == "down") s.down.push_back(v.record.name);
    const std::string& role = v.record.role;
    if (role != "bootstrap") {
      s.member_states.add(v.join);
      if (v.join == JoinState::kIsolated) s.isolated.push_back(v.record.name);
      if (v.join == JoinState::kDegraded) s.degraded.push_back(v.record.name);
    }
    if (role == "node") {
      ++s.nodes;
      if (v.healthy) ++s.nodes_healthy;
      s.node_states.add(v.join);
    } else if (role == "bridge") {
      ++s.bridges;
      if (v.healthy) ++s.bridges_healthy;
      s.bridge_states.add(v.join);
    } else if (role == "genesis") {
      s.has_genesis = true;
      s.genesis_healthy = v.healthy;
      s.genesis_state = join_state_name(v.join);
    } else if (role == "bootstrap") {
      s.has_bootstrap = true;
      s.bootstrap_healthy = v.healthy;
    }
  }
  s.all_joined = s.member_states.joined == s.member_states.total;
  s.all_healthy = s.processes > 0 && s.healthy == s.processes && s.all_joined;
  s.supervised = supervisor_alive(cluster);
  s.supervisor_pid = s.supervised ? cluster.supervisor_pid : 0;

  // By join state, not by /health's `healthy`: a node inside its start-up
  // grace counts as healthy there although it has no connection at all.
  s.line = s.node_states.text("DHT nodes");
  s.line += ", genesis " + s.genesis_state;
  s.line += ", " + s.bridge_states.text("bridges");
  s.line += ", bootstrap " + anchor_word(s.has_bootstrap, s.bootstrap_healthy, views, "bootstrap");
  return s;
}

std::string format_table(const std::vector<ProcessView>& views, const Summary& summary) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"NAME", "ROLE", "NODE ID", "HEALTH", "STATE", "CONN", "ROUTING", "FAILURES",
                  "MISSING", "UPTIME", "PID", "RESTARTS", "LISTEN", "HTTP"});
  for (const ProcessView& v : views) {
    const bool up = v.state != "down";
    rows.push_back({v.record.name, v.record.role, v.node_id.empty() ? "-" : v.node_id.substr(0, 8),
                    health_word(v), state_word(v), number_or_dash(v, "connectedPeers"),
                    number_or_dash(v, "routingTableSize"), number_or_dash(v, "healthFailures"),
                    number_or_dash(v, "peersMissingHandler"),
                    v.health ? uptime_text(v.health->double_at("uptime")) : "-",
                    up ? std::to_string(v.record.pid) : "-", std::to_string(v.record.restarts),
                    v.record.listen.empty() ? "-" : v.record.listen,
                    v.record.http.empty() ? "-" : v.record.http});
  }
  // Numeric columns align right, text columns left.
  const std::vector<bool> right = {false, false, false, false, false, true,  true,
                                   true,  true,  true,  true,  true,  false, false};
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      if (c > 0) line += "  ";
      line += right[c] ? pad + row[c] : row[c] + (c + 1 < row.size() ? pad : "");
    }
    out += line + "\n";
  }
  out += "\n" + summary.line + "\n";
  if (!summary.down.empty()) {
    out += "down:";
    for (const auto& name : summary.down) out += " " + name;
    out += "\n";
  }
  if (!summary.isolated.empty()) {
    out += "isolated:";
    for (const auto& name : summary.isolated) out += " " + name;
    out += "\n";
  }
  if (!summary.degraded.empty()) {
    out += "degraded (peers missing a DHT handler):";
    for (const auto& name : summary.degraded) out += " " + name;
    out += "\n";
  }
  if (summary.supervised) {
    out += "supervisor: running (pid " + std::to_string(summary.supervisor_pid) + ")\n";
  }
  return out;
}

std::string format_json(const ClusterRecord& cluster, const std::vector<ProcessView>& views,
                        const Summary& summary) {
  std::string out = "{\"dir\":" + json::quote(cluster.dir) + ",\"processes\":[";
  for (std::size_t i = 0; i < views.size(); ++i) {
    const ProcessView& v = views[i];
    const bool up = v.state != "down";
    if (i > 0) out += ",";
    out += "\n  {\"name\":" + json::quote(v.record.name);
    out += ",\"role\":" + json::quote(v.record.role);
    out += ",\"nodeId\":" + (v.node_id.empty() ? "null" : json::quote(v.node_id));
    out += std::string(",\"healthy\":") + (v.healthy ? "true" : "false");
    for (const char* key : {"connectedPeers", "routingTableSize", "healthFailures",
                            "peersMissingHandler", "uptime"}) {
      out += ",\"" + std::string(key) + "\":" + health_member(v, key);
    }
    out += ",\"pid\":" + std::to_string(up ? v.record.pid : 0);
    out += ",\"listen\":" + json::quote(v.record.listen);
    out += ",\"http\":" + json::quote(v.record.http);
    out += ",\"state\":" + json::quote(v.state);
    out += ",\"joinState\":" + json::quote(join_state_name(v.join));
    out += std::string(",\"stoppedByOperator\":") + (v.stopped_by_operator ? "true" : "false");
    out += ",\"restarts\":" + std::to_string(v.record.restarts) + "}";
  }
  const auto names = [](const std::vector<std::string>& list) {
    std::string text = "[";
    for (std::size_t i = 0; i < list.size(); ++i) {
      text += (i > 0 ? "," : "") + json::quote(list[i]);
    }
    return text + "]";
  };
  const auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  out += "\n],\"summary\":{";
  out += "\"processes\":" + std::to_string(summary.processes);
  out += ",\"healthy\":" + std::to_string(summary.healthy);
  out += ",\"nodes\":" + std::to_string(summary.nodes);
  out += ",\"nodesHealthy\":" + std::to_string(summary.nodes_healthy);
  out += ",\"bridges\":" + std::to_string(summary.bridges);
  out += ",\"bridgesHealthy\":" + std::to_string(summary.bridges_healthy);
  out += ",\"genesisHealthy\":" + flag(summary.genesis_healthy);
  out += ",\"bootstrapHealthy\":" + flag(summary.bootstrap_healthy);
  out += ",\"down\":" + names(summary.down);
  out += ",\"isolated\":" + names(summary.isolated);
  out += ",\"degraded\":" + names(summary.degraded);
  out += ",\"allHealthy\":" + flag(summary.all_healthy);
  out += ",\"allJoined\":" + flag(summary.all_joined);
  out += ",\"nodesJoined\":" + std::to_string(summary.node_states.joined);
  out += ",\"bridgesJoined\":" + std::to_string(summary.bridge_states.joined);
  out += ",\"genesisState\":" + json::quote(summary.genesis_state);
  const auto counts = [](const StateCounts& c) {
    return "{\"joining\":" + std::to_string(c.joining) + ",\"joined\":" + std::to_string(c.joined) +
           ",\"isolated\":" + std::to_string(c.isolated) +
           ",\"degraded\":" + std::to_string(c.degraded) + ",\"down\":" + std::to_string(c.down) +
           ",\"unknown\":" + std::to_string(c.unknown) + "}";
  };
  out += ",\"nodeStates\":" + counts(summary.node_states);
  out += ",\"memberStates\":" + counts(summary.member_states);
  out += ",\"supervisorPid\":" + std::to_string(summary.supervisor_pid);
  out += ",\"line\":" + json::quote(summary.line);
  out += "}}\n";
  return out;
}

}  // namespace yz::cluster
