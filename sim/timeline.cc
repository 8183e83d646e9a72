#include "sim/timeline.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "roles/core/dht_member.h"
#include "roles/core/process.h"
#include "roles/json/json.h"
#include "sim/report.h"
#include "sim/scenario.h"

namespace yz::sim {

const char* link_change_name(Timeline::LinkChange change) {
  switch (change) {
    case Timeline::LinkChange::kUp:
      return "up";
    case Timeline::LinkChange::kListener:
      return "listener";
    case Timeline::LinkChange::kDown:
      return "down";
  }
  return "?";
}

const char* fate_name(Timeline::Fate fate) {
  switch (fate) {
    case Timeline::Fate::kHandled:
      return "handled";
    case Timeline::Fate::kDroppedNoHandler:
      return "dropped_no_handler";
    case Timeline::Fate::kDiscarded:
      return "discarded";
  }
  return "?";
}

// ---- TimelineRecorder -----------------------------------------------------------

void TimelineRecorder::begin(const Scenario& scenario,
                             const std::vector<core::Process*>& processes) {
  timeline_ = {};
  timeline_.duration_ns = scenario.duration;
  watched_.assign(processes.size(), {});
  for (std::size_t i = 0; i < processes.size(); ++i) {
    const core::ProcessStatus s = processes[i]->status();
    Timeline::Process p;
    p.name = s.name;
    p.role = std::string(core::role_name(s.role));
    p.node_id = s.node_id.to_hex();
    by_node_id_[s.node_id] = static_cast<int>(i);
    timeline_.processes.push_back(std::move(p));
    watched_[i].process = processes[i];
    watched_[i].member = dynamic_cast<core::DhtMember*>(&processes[i]->role());
  }
  for (std::size_t i = 0; i < processes.size(); ++i) observe(static_cast<int>(i), 0, 0, true);
}

void TimelineRecorder::process_replaced(int process, core::Process* fresh) {
  Watched& w = watched_[static_cast<std::size_t>(process)];
  w.process = fresh;
  w.member = dynamic_cast<core::DhtMember*>(&fresh->role());
  w.dropped_no_handler = 0;  // the new instance counts from zero
}

int TimelineRecorder::process_of(const core::NodeId& node_id) const {
  auto it = by_node_id_.find(node_id);
  return it == by_node_id_.end() ? -1 : it->second;
}

void TimelineRecorder::frame_sent(std::uint64_t step, core::TimePoint now, int from, int to,
                                  core::LinkId link, const core::Message& message) {
  (void)from;
  (void)message;
  in_flight_[{link, to}].push_back(InFlight{step, now});
}

void TimelineRecorder::frame_delivering(std::uint64_t step, core::TimePoint now, int from, int to,
                                        core::LinkId link, const core::Message& message,
                                        bool handed) {
  Timeline::FrameRecord record;
  record.step = step;
  record.t_ns = now;
  record.from = from;
  record.to = to;
  record.link = link;
  record.type = std::string(core::message_type_name(message.type()));
  record.request_id = message.request_id;
  record.fate = handed ? Timeline::Fate::kHandled : Timeline::Fate::kDiscarded;
  if (auto it = in_flight_.find({link, to}); it != in_flight_.end() && !it->second.empty()) {
    record.sent_step = it->second.front().step;
    record.sent_t_ns = it->second.front().t;
    it->second.pop_front();
    if (it->second.empty()) in_flight_.erase(it);
  }
  delivering_ = timeline_.frames.size();
  timeline_.frames.push_back(std::move(record));
}

void TimelineRecorder::after_step(std::uint64_t step, core::TimePoint now, int process,
                                  bool running) {
  if (process >= 0) {
    watched_[process].running = running;
    observe(process, step, now, false);
  } else {
    for (std::size_t i = 0; i < watched_.size(); ++i)
      if (watched_[i].running) observe(static_cast<int>(i), step, now, false);
  }
  delivering_.reset();
}

void TimelineRecorder::observe(int index, std::uint64_t step, core::TimePoint now, bool force) {
  Watched& w = watched_[index];
  const core::ProcessStatus s = w.process->status();

  // A frame this step delivered to this process, dropped for want of a
  // listener: the receiver's counter moved.
  if (delivering_ && timeline_.frames[*delivering_].to == index &&
      s.dropped_no_handler > w.dropped_no_handler)
    timeline_.frames[*delivering_].fate = Timeline::Fate::kDroppedNoHandler;
  w.dropped_no_handler = s.dropped_no_handler;

  Timeline::HealthSample sample;
  sample.step = step;
  sample.t_ns = now;
  sample.process = index;
  sample.running = w.running;
  sample.healthy = w.running && s.healthy;
  sample.connected_peers = s.connected_peers;
  sample.routing_table_size = s.routing_table_size;
  sample.peers_missing_handler = s.peers_missing_handler;
  sample.bootstrap_connected = s.bootstrap_connected;
  sample.member = s.member;
  const auto& l = w.last;
  const bool changed = !w.sampled || l.running != sample.running || l.healthy != sample.healthy ||
                       l.connected_peers != sample.connected_peers ||
                       l.routing_table_size != sample.routing_table_size ||
                       l.peers_missing_handler != sample.peers_missing_handler ||
                       l.bootstrap_connected != sample.bootstrap_connected ||
                       l.member != sample.member;
  if (changed || force) {
    timeline_.health.push_back(sample);
    w.last = sample;
    w.sampled = true;
  }

  if (w.member == nullptr) return;
  // The established links as the process sees them now, in peer id order,
  // merged with the last snapshot. The peer's index is looked up only for a
  // link not seen before: this runs after every step of a recorded run.
  std::vector<LinkState> now_links;
  const std::vector<core::ConnectionManager*> established = w.member->links().established();
  now_links.reserve(established.size());
  auto emit = [&](const LinkState& state, Timeline::LinkChange change) {
    timeline_.links.push_back(
        Timeline::LinkEvent{step, now, index, state.peer, state.link, change, state.listener});
  };
  std::size_t a = 0;
  for (core::ConnectionManager* manager : established) {
    const core::NodeId& peer_id = manager->peer().node_id;
    while (a < w.links.size() && w.links[a].peer_id < peer_id)
      emit(w.links[a++], Timeline::LinkChange::kDown);
    LinkState state{peer_id, -1, manager->link(), manager->dht_listener_attached()};
    if (a < w.links.size() && w.links[a].peer_id == peer_id) {
      const LinkState& before = w.links[a++];
      state.peer = before.peer;
      if (before.link != state.link) {
        emit(before, Timeline::LinkChange::kDown);
        emit(state, Timeline::LinkChange::kUp);
      } else if (before.listener != state.listener) {
        emit(state, Timeline::LinkChange::kListener);
      }
    } else {
      state.peer = process_of(peer_id);
      emit(state, Timeline::LinkChange::kUp);
    }
    now_links.push_back(state);
  }
  while (a < w.links.size()) emit(w.links[a++], Timeline::LinkChange::kDown);
  w.links = std::move(now_links);
}

void TimelineRecorder::end(const RunResult& result, core::TimePoint end_time) {
  // A liveness phase runs past the scenario's duration.
  timeline_.duration_ns = std::max<std::int64_t>(timeline_.duration_ns, end_time);
  for (std::size_t i = 0; i < watched_.size(); ++i) {
    // The end sample uses the step count so it sorts after every real step.
    observe(static_cast<int>(i), result.events, end_time, true);
  }
  for (const auto& v : result.invariant_violations) {
    Timeline::Violation violation;
    violation.invariant = v.invariant;
    for (std::size_t i = 0; i < timeline_.processes.size(); ++i)
      if (timeline_.processes[i].name == v.node) violation.process = static_cast<int>(i);
    violation.step = v.step;
    violation.t_ns = v.virtual_time_ns;
    timeline_.violations.push_back(std::move(violation));
  }
}

// ---- RUN.json -------------------------------------------------------------------

std::string to_json(const RunRecord& record) {
  const Timeline& t = record.timeline;
  std::string result = record.result_json.empty() ? to_json(record.result) : record.result_json;
  while (!result.empty() && result.back() == '\n') result.pop_back();
  std::ostringstream out;
  out << "{\"format\":\"yzsim-run/1\",\n\"result\":" << result << ",\n\"timeline\":{";
  out << "\"duration_ns\":" << t.duration_ns << ",\n\"processes\":[";
  for (std::size_t i = 0; i < t.processes.size(); ++i)
    out << (i ? ",\n" : "\n") << "{\"name\":" << json::quote(t.processes[i].name)
        << ",\"role\":" << json::quote(t.processes[i].role)
        << ",\"node_id\":" << json::quote(t.processes[i].node_id) << "}";
  out << "],\n\"violations\":[";
  for (std::size_t i = 0; i < t.violations.size(); ++i) {
    const auto& v = t.violations[i];
    out << (i ? "," : "") << "{\"invariant\":" << json::quote(v.invariant)
        << ",\"process\":" << v.process << ",\"step\":" << v.step << ",\"t_ns\":" << v.t_ns << "}";
  }
  out << "],\n\"health_fields\":[\"step\",\"t_ns\",\"process\",\"running\",\"healthy\","
         "\"connected_peers\",\"routing_table_size\",\"peers_missing_handler\","
         "\"bootstrap_connected\",\"member\"],\n\"health\":[";
  for (std::size_t i = 0; i < t.health.size(); ++i) {
    const auto& h = t.health[i];
    out << (i ? ",\n" : "\n") << "[" << h.step << "," << h.t_ns << "," << h.process << ","
        << int{h.running} << "," << int{h.healthy} << "," << h.connected_peers << ","
        << h.routing_table_size << "," << h.peers_missing_handler << ","
        << int{h.bootstrap_connected} << "," << int{h.member} << "]";
  }
  out << "],\n\"link_fields\":[\"step\",\"t_ns\",\"process\",\"peer\",\"link\",\"change\","
         "\"listener\"],\n\"links\":[";
  for (std::size_t i = 0; i < t.links.size(); ++i) {
    const auto& l = t.links[i];
    out << (i ? ",\n" : "\n") << "[" << l.step << "," << l.t_ns << "," << l.process << "," << l.peer
        << "," << l.link << ",\"" << link_change_name(l.change) << "\"," << int{l.listener} << "]";
  }
  out << "],\n\"frame_fields\":[\"step\",\"t_ns\",\"sent_step\",\"sent_t_ns\",\"from\",\"to\","
         "\"link\",\"type\",\"request_id\",\"fate\"],\n\"frames\":[";
  for (std::size_t i = 0; i < t.frames.size(); ++i) {
    const auto& f = t.frames[i];
    out << (i ? ",\n" : "\n") << "[" << f.step << "," << f.t_ns << "," << f.sent_step << ","
        << f.sent_t_ns << "," << f.from << "," << f.to << "," << f.link << ","
        << json::quote(f.type) << "," << f.request_id << ",\"" << fate_name(f.fate) << "\"]";
  }
  out << "]}}\n";
  return out.str();
}

namespace {

using json::Value;

struct Reader {
  std::string& error;
  bool ok = true;

  const Value* need(const Value& object, const std::string& key, Value::Type type) {
    const Value* v = object.find(key);
    if (v == nullptr || v->type() != type) {
      if (ok) error = "missing or mistyped \"" + key + "\"";
      ok = false;
      return nullptr;
    }
    return v;
  }
  std::uint64_t u64(const Value& object, const std::string& key) {
    const Value* v = need(object, key, Value::Type::kNumber);
    return v ? v->as_uint() : 0;
  }
  std::string str(const Value& object, const std::string& key) {
    const Value* v = need(object, key, Value::Type::kString);
    return v ? v->text() : std::string();
  }
  bool boolean(const Value& object, const std::string& key) {
    const Value* v = need(object, key, Value::Type::kBool);
    return v ? v->as_bool() : false;
  }
  // A row of a "*_fields" table, checked for its width.
  const std::vector<Value>* row(const Value& v, std::size_t width, const char* table) {
    if (!v.is_array() || v.items().size() != width) {
      if (ok) error = std::string("a row of \"") + table + "\" has the wrong shape";
      ok = false;
      return nullptr;
    }
    return &v.items();
  }
};

bool index_ok(std::int64_t i, std::size_t n, bool allow_none) {
  return (allow_none && i == -1) || (i >= 0 && static_cast<std::size_t>(i) < n);
}

}  // namespace

std::optional<RunRecord> run_record_from_json(const std::string& text, std::string& error) {
  error.clear();
  std::string parse_error;
  const std::optional<Value> doc = json::parse(text, &parse_error);
  if (!doc) {
    error = "not JSON: " + parse_error;
    return std::nullopt;
  }
  Reader r{error};
  if (!doc->is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  const Value* format = doc->find("format");
  if (format == nullptr || format->text() != "yzsim-run/1") {
    error = "not a RUN.json (no \"format\":\"yzsim-run/1\"; write one with yzsim run --record)";
    return std::nullopt;
  }
  RunRecord record;
  const Value* res = r.need(*doc, "result", Value::Type::kObject);
  const Value* tl = r.need(*doc, "timeline", Value::Type::kObject);
  if (!r.ok) return std::nullopt;

  record.result_json = res->compact();
  RunResult& result = record.result;
  result.scenario = r.str(*res, "scenario");
  result.seed = r.u64(*res, "seed");
  if (const Value* faults = r.need(*res, "faults", Value::Type::kArray))
    for (const auto& f : faults->items()) result.faults.push_back(f.text());
  result.trace_hash = std::strtoull(r.str(*res, "trace_hash").c_str(), nullptr, 16);
  result.events = r.u64(*res, "events");
  if (const Value* v = r.need(*res, "virtual_seconds", Value::Type::kNumber))
    result.virtual_seconds = v->as_double();
  if (const Value* nodes = r.need(*res, "nodes", Value::Type::kArray)) {
    for (const auto& n : nodes->items()) {
      NodeReport node;
      node.name = r.str(n, "name");
      node.role = r.str(n, "role");
      node.node_id = r.str(n, "node_id");
      node.healthy = r.boolean(n, "healthy");
      node.connected_peers = r.u64(n, "connected_peers");
      node.routing_table_size = r.u64(n, "routing_table_size");
      node.health_failures = r.u64(n, "health_failures");
      node.peers_missing_handler = r.u64(n, "peers_missing_handler");
      node.dropped_no_handler = r.u64(n, "dropped_no_handler");
      node.find_node_timeouts = r.u64(n, "find_node_timeouts");
      node.onboarding_failures = r.u64(n, "onboarding_failures");
      // Optional: records written before the join state existed lack it.
      if (const Value* state = n.find("state"); state != nullptr && state->is_string())
        node.state = state->text();
      result.nodes.push_back(std::move(node));
    }
  }
  if (const Value* s = r.need(*res, "summary", Value::Type::kObject)) {
    result.summary.healthy = r.u64(*s, "healthy");
    result.summary.unhealthy = r.u64(*s, "unhealthy");
    result.summary.find_node_timeouts = r.u64(*s, "find_node_timeouts");
    result.summary.onboarding_failures = r.u64(*s, "onboarding_failures");
    result.summary.dropped_no_handler = r.u64(*s, "dropped_no_handler");
  }
  if (const Value* lc = res->find("lookup_checks"); lc != nullptr && lc->is_object()) {
    result.lookup_checks.issued = r.u64(*lc, "issued");
    result.lookup_checks.completed = r.u64(*lc, "completed");
    result.lookup_checks.exact = r.u64(*lc, "exact");
  }
  if (const Value* vc = res->find("value_checks"); vc != nullptr && vc->is_object()) {
    ValueCheckResult& v = result.value_checks;
    v.puts = r.u64(*vc, "puts");
    v.puts_acked = r.u64(*vc, "puts_acked");
    v.puts_failed = r.u64(*vc, "puts_failed");
    v.gets = r.u64(*vc, "gets");
    v.gets_found = r.u64(*vc, "gets_found");
    v.gets_failed = r.u64(*vc, "gets_failed");
    v.gets_timed_out = r.u64(*vc, "gets_timed_out");
    v.gets_held = r.u64(*vc, "gets_held");
    v.lost_gets = r.u64(*vc, "lost_gets");
    v.values_lost = r.u64(*vc, "values_lost");
    v.mismatches = r.u64(*vc, "mismatches");
    v.unfinished = r.u64(*vc, "unfinished");
    v.skipped = r.u64(*vc, "skipped");
  }

  Timeline& t = record.timeline;
  t.duration_ns = static_cast<std::int64_t>(r.u64(*tl, "duration_ns"));
  if (const Value* ps = r.need(*tl, "processes", Value::Type::kArray))
    for (const auto& p : ps->items())
      t.processes.push_back({r.str(p, "name"), r.str(p, "role"), r.str(p, "node_id")});
  const std::size_t n = t.processes.size();
  if (const Value* vs = r.need(*tl, "violations", Value::Type::kArray)) {
    for (const auto& v : vs->items()) {
      Timeline::Violation violation;
      violation.invariant = r.str(v, "invariant");
      const Value* p = r.need(v, "process", Value::Type::kNumber);
      violation.process = p ? static_cast<int>(p->as_int()) : -1;
      violation.step = r.u64(v, "step");
      violation.t_ns = static_cast<std::int64_t>(r.u64(v, "t_ns"));
      if (!index_ok(violation.process, n, true)) r.ok = false;
      t.violations.push_back(std::move(violation));
    }
    // The RunResult's violation times have millisecond precision; the
    // timeline's are exact.
    result.invariant_violations.clear();
    for (const auto& v : t.violations)
      result.invariant_violations.push_back(
          {v.invariant, v.process >= 0 ? t.processes[v.process].name : "", v.step, v.t_ns});
  }
  if (const Value* hs = r.need(*tl, "health", Value::Type::kArray)) {
    for (const auto& h : hs->items()) {
      const auto* row = r.row(h, 10, "health");
      if (row == nullptr) break;
      const auto& c = *row;
      Timeline::HealthSample s;
      s.step = c[0].as_uint();
      s.t_ns = c[1].as_int();
      s.process = static_cast<int>(c[2].as_int());
      s.running = c[3].as_uint() != 0;
      s.healthy = c[4].as_uint() != 0;
      s.connected_peers = c[5].as_uint();
      s.routing_table_size = c[6].as_uint();
      s.peers_missing_handler = c[7].as_uint();
      s.bootstrap_connected = c[8].as_uint() != 0;
      s.member = c[9].as_uint() != 0;
      if (!index_ok(s.process, n, false)) r.ok = false;
      t.health.push_back(s);
    }
  }
  if (const Value* ls = r.need(*tl, "links", Value::Type::kArray)) {
    for (const auto& l : ls->items()) {
      const auto* row = r.row(l, 7, "links");
      if (row == nullptr) break;
      const auto& c = *row;
      Timeline::LinkEvent e;
      e.step = c[0].as_uint();
      e.t_ns = c[1].as_int();
      e.process = static_cast<int>(c[2].as_int());
      e.peer = static_cast<int>(c[3].as_int());
      e.link = c[4].as_uint();
      e.change = c[5].text() == "up"         ? Timeline::LinkChange::kUp
                 : c[5].text() == "listener" ? Timeline::LinkChange::kListener
                                             : Timeline::LinkChange::kDown;
      e.listener = c[6].as_uint() != 0;
      if (!index_ok(e.process, n, false) || !index_ok(e.peer, n, true)) r.ok = false;
      t.links.push_back(e);
    }
  }
  if (const Value* fs = r.need(*tl, "frames", Value::Type::kArray)) {
    for (const auto& f : fs->items()) {
      const auto* row = r.row(f, 10, "frames");
      if (row == nullptr) break;
      const auto& c = *row;
      Timeline::FrameRecord fr;
      fr.step = c[0].as_uint();
      fr.t_ns = c[1].as_int();
      fr.sent_step = c[2].as_uint();
      fr.sent_t_ns = c[3].as_int();
      fr.from = static_cast<int>(c[4].as_int());
      fr.to = static_cast<int>(c[5].as_int());
      fr.link = c[6].as_uint();
      fr.type = c[7].text();
      fr.request_id = c[8].as_uint();
      fr.fate = c[9].text() == "dropped_no_handler" ? Timeline::Fate::kDroppedNoHandler
                : c[9].text() == "discarded"        ? Timeline::Fate::kDiscarded
                                                    : Timeline::Fate::kHandled;
      if (!index_ok(fr.from, n, true) || !index_ok(fr.to, n, false)) r.ok = false;
      t.frames.push_back(std::move(fr));
    }
  }
  if (!r.ok) {
    if (error.empty()) error = "a process index is out of range";
    return std::nullopt;
  }
  return record;
}

}  // namespace yz::sim
