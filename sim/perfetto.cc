#include "sim/perfetto.h"

#include <algorithm>
#include <cstdio>

#include "roles/json/json.h"

namespace yz::sim {
namespace {

constexpr int kMessages = 1;
constexpr int kHealth = 2;
constexpr int kLinks = 3;

// Microseconds with three decimals, from integer nanoseconds.
std::string micros(std::int64_t ns) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%lld.%03lld", static_cast<long long>(ns / 1000),
                static_cast<long long>(ns % 1000));
  return buffer;
}

struct Event {
  std::int64_t ts;
  std::string json;
};

std::string head(const char* ph, int pid, int tid, std::int64_t ts, const std::string& name,
                 const char* cat) {
  return std::string("{\"ph\":\"") + ph + "\",\"pid\":" + std::to_string(pid) +
         ",\"tid\":" + std::to_string(tid) + ",\"ts\":" + micros(ts) +
         ",\"name\":" + json::quote(name) + ",\"cat\":\"" + cat + "\"";
}

std::string metadata(const char* what, int pid, int tid, const std::string& name) {
  return std::string("{\"ph\":\"M\",\"pid\":") + std::to_string(pid) +
         ",\"tid\":" + std::to_string(tid) + ",\"name\":\"" + what +
         "\",\"args\":{\"name\":" + json::quote(name) + "}}";
}

const char* state_name(bool running, bool healthy) {
  return !running ? "not started" : healthy ? "healthy" : "unhealthy";
}

}  // namespace

std::string perfetto_json(const RunRecord& record) {
  const Timeline& t = record.timeline;
  const auto name_of = [&](int i) {
    return i >= 0 && static_cast<std::size_t>(i) < t.processes.size() ? t.processes[i].name
                                                                      : std::string("?");
  };
  std::string out = "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"scenario\":" +
                    json::quote(record.result.scenario) +
                    ",\"seed\":" + std::to_string(record.result.seed) + "},\"traceEvents\":[\n";
  bool first = true;
  const auto put = [&](const std::string& line) {
    out += first ? "" : ",\n";
    out += line;
    first = false;
  };
  for (std::size_t i = 0; i < t.processes.size(); ++i) {
    const int pid = static_cast<int>(i) + 1;
    put(metadata("process_name", pid, 0, t.processes[i].name + " (" + t.processes[i].role + ")"));
    put("{\"ph\":\"M\",\"pid\":" + std::to_string(pid) +
        ",\"tid\":0,\"name\":\"process_sort_index\",\"args\":{\"sort_index\":" + std::to_string(i) +
        "}}");
    put(metadata("thread_name", pid, kMessages, "messages"));
    put(metadata("thread_name", pid, kHealth, "health"));
    put(metadata("thread_name", pid, kLinks, "links"));
  }

  std::vector<Event> events;
  // Health: a slice per stretch of one state, and the counters.
  std::vector<const Timeline::HealthSample*> open(t.processes.size(), nullptr);
  const auto close_stretch = [&](const Timeline::HealthSample& from, std::int64_t until) {
    if (until <= from.t_ns) return;  // started at once: no "not started" stretch
    events.push_back({from.t_ns, head("X", from.process + 1, kHealth, from.t_ns,
                                      state_name(from.running, from.healthy), "health") +
                                     ",\"dur\":" + micros(until - from.t_ns) + "}"});
  };
  for (const auto& h : t.health) {
    const auto*& o = open[h.process];
    if (o != nullptr && (o->running != h.running || o->healthy != h.healthy)) {
      close_stretch(*o, h.t_ns);
      o = nullptr;
    }
    if (o == nullptr) o = &h;
    events.push_back(
        {h.t_ns, head("C", h.process + 1, 0, h.t_ns, "peers", "health") +
                     ",\"args\":{\"connected\":" + std::to_string(h.connected_peers) +
                     ",\"routing_table\":" + std::to_string(h.routing_table_size) +
                     ",\"missing_handler\":" + std::to_string(h.peers_missing_handler) + "}}"});
  }
  for (const auto* o : open)
    if (o != nullptr) close_stretch(*o, std::max(t.duration_ns, o->t_ns));

  for (const auto& v : t.violations) {
    if (v.process < 0) continue;
    events.push_back(
        {v.t_ns,
         head("i", v.process + 1, kHealth, v.t_ns, "violation: " + v.invariant, "violation") +
             ",\"s\":\"p\",\"args\":{\"step\":" + std::to_string(v.step) + "}}"});
  }

  for (const auto& l : t.links) {
    std::string name = std::string("link ") + link_change_name(l.change) + " " + name_of(l.peer);
    if (l.change != Timeline::LinkChange::kDown)
      name += l.listener ? " (listener)" : " (NO LISTENER)";
    events.push_back({l.t_ns, head("i", l.process + 1, kLinks, l.t_ns, name, "link") +
                                  ",\"s\":\"t\",\"args\":{\"link\":" + std::to_string(l.link) +
                                  ",\"step\":" + std::to_string(l.step) + "}}"});
  }

  // Frames: a 1 ns slice at each end, bound by a flow (v1: "s" and "f" with
  // the enclosing-slice binding point). Timestamps are whole nanoseconds, so
  // two 1 ns slices on a thread either coincide (and nest) or do not overlap.
  std::uint64_t flow = 0;
  for (const auto& f : t.frames) {
    const bool dropped = f.fate == Timeline::Fate::kDroppedNoHandler;
    // The receiving slice carries the details, the sending one its peer: a
    // run of a thousand processes makes millions of these.
    const std::string request = ",\"request_id\":" + std::to_string(f.request_id);
    const std::string send_args = ",\"args\":{\"to\":" + json::quote(name_of(f.to)) + request + "}";
    const std::string args = ",\"args\":{\"from\":" + json::quote(name_of(f.from)) + request +
                             ",\"link\":" + std::to_string(f.link) +
                             ",\"step\":" + std::to_string(f.step) + ",\"fate\":\"" +
                             fate_name(f.fate) + "\"}";
    const bool flows = f.from >= 0 && f.sent_t_ns >= 0;
    const std::string id = std::to_string(++flow);
    if (flows) {
      events.push_back(
          {f.sent_t_ns, head("X", f.from + 1, kMessages, f.sent_t_ns, "send " + f.type, "send") +
                            ",\"dur\":0.001" + send_args + "}"});
      events.push_back({f.sent_t_ns, head("s", f.from + 1, kMessages, f.sent_t_ns, f.type, "flow") +
                                         ",\"id\":" + id + "}"});
    }
    events.push_back({f.t_ns, head("X", f.to + 1, kMessages, f.t_ns,
                                   (dropped ? "DROPPED " : "") + f.type, "frame") +
                                  ",\"dur\":0.001" + args + "}"});
    if (flows)
      events.push_back({f.t_ns, head("f", f.to + 1, kMessages, f.t_ns, f.type, "flow") +
                                    ",\"bp\":\"e\",\"id\":" + id + "}"});
  }

  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.ts < b.ts; });
  for (const auto& e : events) put(e.json);
  out += "\n]}\n";
  return out;
}

}  // namespace yz::sim
