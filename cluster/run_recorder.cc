#include "cluster/run_recorder.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cluster/process_control.h"
#include "cluster/readiness.h"
#include "roles/runtime/data_dir.h"
#include "sim/report.h"

namespace yz::cluster {
namespace {

// Short: a stopped (SIGSTOP) process must not stall a round for long.
constexpr auto kProbeTimeout = std::chrono::milliseconds(500);

bool same_state(const sim::Timeline::HealthSample& a, const sim::Timeline::HealthSample& b) {
  return a.running == b.running && a.healthy == b.healthy &&
         a.connected_peers == b.connected_peers && a.routing_table_size == b.routing_table_size &&
         a.peers_missing_handler == b.peers_missing_handler &&
         a.bootstrap_connected == b.bootstrap_connected && a.member == b.member;
}

}  // namespace

RunRecorder::RunRecorder(Clock::time_point origin, RecordInfo info)
    : origin_(origin), info_(std::move(info)) {}

std::int64_t RunRecorder::virtual_ns(Clock::time_point at) const {
  const auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(at - origin_).count();
  return static_cast<std::int64_t>(static_cast<double>(wall) * info_.time_scale);
}

int RunRecorder::index_of(const ProcessRecord& record) {
  if (const auto it = by_name_.find(record.name); it != by_name_.end()) return it->second;
  const int index = static_cast<int>(timeline_.processes.size());
  timeline_.processes.push_back({record.name, record.role, std::string()});
  watched_.emplace_back();
  by_name_[record.name] = index;
  return index;
}

void RunRecorder::note_violation(const char* invariant, int index, std::int64_t t_ns) {
  // Noted at the round that first saw it, as the simulator notes the step.
  timeline_.violations.push_back({invariant, index, rounds_, t_ns});
}

void RunRecorder::observe(int index, const ProcessRecord& record, std::int64_t t_ns, bool final) {
  Watched& w = watched_[static_cast<std::size_t>(index)];
  sim::Timeline::HealthSample s;
  s.step = rounds_;
  s.t_ns = t_ns;
  s.process = index;
  s.running = record.pid > 0 && is_alive(record);
  std::optional<json::Value> status;
  if (s.running) status = get_json(record.http, "/status", kProbeTimeout);
  if (status) {
    s.healthy = status->bool_at("healthy");
    s.connected_peers = status->uint_at("connectedPeers");
    s.routing_table_size = status->uint_at("routingTableSize");
    s.peers_missing_handler = status->uint_at("peersMissingHandler");
    s.bootstrap_connected = status->bool_at("bootstrapConnected");
    s.member = status->bool_at("member");
    w.dropped_no_handler = status->uint_at("droppedNoHandler");
    if (const std::string id = status->string_at("nodeId"); !id.empty())
      timeline_.processes[static_cast<std::size_t>(index)].node_id = id;
    w.status = status;
    if (final) w.health = get_json(record.http, "/health", kProbeTimeout);
  } else if (s.running && w.sampled && w.last.running) {
    // Running but silent this round (too busy, stopped): its last answer
    // still stands, as a process's state between its own steps.
    s = w.last;
    s.step = rounds_;
    s.t_ns = t_ns;
  } else if (s.running) {
    // Alive but not yet answering since its (re)start: not started yet as
    // far as anyone can tell, as the simulator's process before its start
    // event (drawn grey, not as unhealthy).
    s.running = false;
  }
  w.running = s.running;
  if (!w.sampled || final || !same_state(w.last, s)) {
    timeline_.health.push_back(s);
    w.last = s;
    w.sampled = true;
  }

  // Link ends: a peer link as this process lists it in /status.
  std::map<std::string, LinkEnd> now;
  if (status) {
    if (const json::Value* links = status->find("links"); links != nullptr && links->is_array()) {
      for (const json::Value& link : links->items()) {
        const std::string peer = link.string_at("name");
        if (peer.empty()) continue;
        now[peer] = LinkEnd{0, link.bool_at("dhtListener")};
      }
    }
  } else if (s.running) {
    now = w.links;  // silent: unchanged
  }
  auto peer_index = [this](const std::string& name) {
    const auto it = by_name_.find(name);
    return it == by_name_.end() ? -1 : it->second;
  };
  auto event = [&](const std::string& peer, core::LinkId id, sim::Timeline::LinkChange change,
                   bool listener) {
    timeline_.links.push_back({rounds_, t_ns, index, peer_index(peer), id, change, listener});
  };
  for (auto it = w.links.begin(); it != w.links.end();) {
    const auto found = now.find(it->first);
    if (found == now.end() || (it->second.listener && !found->second.listener)) {
      // Gone, or lost its listener: the sim knows no such change, so the
      // link ends here and a listener-less one begins below.
      event(it->first, it->second.id, sim::Timeline::LinkChange::kDown, false);
      it = w.links.erase(it);
      continue;
    }
    if (!it->second.listener && found->second.listener) {
      it->second.listener = true;
      event(it->first, it->second.id, sim::Timeline::LinkChange::kListener, true);
    }
    ++it;
  }
  for (const auto& [peer, end] : now) {
    if (w.links.contains(peer)) continue;
    const LinkEnd fresh{w.next_link++, end.listener};
    w.links[peer] = fresh;
    event(peer, fresh.id, sim::Timeline::LinkChange::kUp, fresh.listener);
  }

  // The simulator's invariants that /status shows, at the round that
  // first saw them.
  if (w.dropped_no_handler > 0 && !w.frame_lost_noted) {
    note_violation("frame_lost_no_handler", index, t_ns);
    w.frame_lost_noted = true;
  }
  if (s.running && record.role != "bootstrap" && s.peers_missing_handler > 0 && !w.missing_noted) {
    note_violation("peers_missing_handler", index, t_ns);
    w.missing_noted = true;
  }
}

void RunRecorder::sample(const ClusterRecord& cluster, bool final) {
  ++rounds_;
  const std::int64_t t_ns = std::max(virtual_ns(Clock::now()), last_t_ns_);
  last_t_ns_ = t_ns;
  // Names first, so a link to a process listed later still finds its index.
  std::vector<int> indices;
  for (const ProcessRecord& record : cluster.processes) indices.push_back(index_of(record));
  for (std::size_t i = 0; i < cluster.processes.size(); ++i)
    observe(indices[i], cluster.processes[i], t_ns, final);
}

sim::RunRecord RunRecorder::finish() const {
  sim::RunRecord record;
  record.timeline = timeline_;
  record.timeline.duration_ns = last_t_ns_;
  sim::RunResult& r = record.result;
  r.scenario = info_.scenario;
  r.seed = info_.seed;
  r.faults = info_.faults;
  r.virtual_seconds = static_cast<double>(last_t_ns_) / 1e9;
  for (std::size_t i = 0; i < watched_.size(); ++i) {
    const Watched& w = watched_[i];
    const sim::Timeline::Process& p = timeline_.processes[i];
    sim::NodeReport node;
    node.name = p.name;
    node.role = p.role;
    node.node_id = p.node_id;
    if (w.status) {
      const json::Value& s = *w.status;
      const json::Value& h = w.health ? *w.health : s;
      node.healthy = w.running && h.bool_at("healthy");
      node.connected_peers = s.uint_at("connectedPeers");
      node.routing_table_size = s.uint_at("routingTableSize");
      node.health_failures = s.uint_at("healthFailures");
      node.peers_missing_handler = s.uint_at("peersMissingHandler");
      node.dropped_no_handler = s.uint_at("droppedNoHandler");
      node.find_node_timeouts = s.uint_at("findNodeTimeouts");
      node.onboarding_failures = s.uint_at("onboardingFailures");
      node.state = h.string_at("state");
      node.reason = h.string_at("reason");
    }
    if (!w.running) {
      node.healthy = false;
      node.state = "down";
      node.reason = "not_running";
    }
    (node.healthy ? r.summary.healthy : r.summary.unhealthy)++;
    r.summary.find_node_timeouts += node.find_node_timeouts;
    r.summary.onboarding_failures += node.onboarding_failures;
    r.summary.dropped_no_handler += node.dropped_no_handler;
    r.nodes.push_back(std::move(node));
  }
  std::vector<sim::Timeline::Violation> violations = timeline_.violations;
  std::stable_sort(violations.begin(), violations.end(),
                   [](const auto& a, const auto& b) { return a.step < b.step; });
  record.timeline.violations = violations;
  for (const auto& v : violations)
    r.invariant_violations.push_back({v.invariant,
                                      timeline_.processes[static_cast<std::size_t>(v.process)].name,
                                      v.step, v.t_ns});
  // The simulator's result, plus what only a real run has: its source, the
  // time scale and how many rounds of /status it read. Readers of RUN.json
  // keep fields they do not know (run_record_from_json).
  std::string json = sim::to_json(r);
  while (!json.empty() && (json.back() == '\n' || json.back() == '}')) {
    const bool brace = json.back() == '}';
    json.pop_back();
    if (brace) break;
  }
  json += ",\"source\":\"real\",\"time_scale\":" + json::number(info_.time_scale) +
          ",\"sample_rounds\":" + std::to_string(rounds_) + ",\"frames\":\"not observed\"";
  if (!schedule_.empty()) {
    json += ",\"schedule\":[";
    for (std::size_t i = 0; i < schedule_.size(); ++i) {
      const Action& a = schedule_[i];
      json += std::string(i ? "," : "") + "{\"process\":" + json::quote(a.process) +
              ",\"action\":" + json::quote(a.action) +
              ",\"planned_t_ns\":" + std::to_string(a.planned_t_ns) +
              ",\"t_ns\":" + std::to_string(a.t_ns) + "}";
    }
    json += "]";
  }
  json += "}";
  record.result_json = json;
  return record;
}

std::string write_run_record(const sim::RunRecord& record, const std::string& path) {
  if (std::string why = runtime::write_file_atomically(path, sim::to_json(record), 0644);
      !why.empty())
    return "cannot write " + path + ": " + why;
  return {};
}

std::string scenario_note_path(const std::string& dir) { return dir + "/scenario.json"; }

std::string write_scenario_note(const std::string& dir, const ScenarioNote& note) {
  std::string faults;
  for (const std::string& f : note.info.faults)
    faults += (faults.empty() ? "" : ",") + json::quote(f);
  const std::string text = "{\"scenario\":" + json::quote(note.info.scenario) +
                           ",\"seed\":" + std::to_string(note.info.seed) +
                           ",\"time_scale\":" + json::number(note.info.time_scale) +
                           ",\"faults\":[" + faults +
                           "],\"origin_unix_ms\":" + std::to_string(note.origin_unix_ms) + "}\n";
  if (std::string why = runtime::write_file_atomically(scenario_note_path(dir), text, 0644);
      !why.empty())
    return "cannot write " + scenario_note_path(dir) + ": " + why;
  return {};
}

std::optional<ScenarioNote> read_scenario_note(const std::string& dir) {
  std::ifstream in(scenario_note_path(dir));
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const auto doc = json::parse(buffer.str());
  if (!doc || !doc->is_object()) return std::nullopt;
  ScenarioNote note;
  note.info.scenario = doc->string_at("scenario");
  note.info.seed = doc->uint_at("seed");
  note.info.time_scale = doc->double_at("time_scale", 1.0);
  note.info.faults = doc->strings_at("faults");
  note.origin_unix_ms = doc->int_at("origin_unix_ms");
  if (note.info.time_scale <= 0) return std::nullopt;
  return note;
}

}  // namespace yz::cluster
