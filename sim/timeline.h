#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "roles/core/env.h"
#include "roles/core/message.h"
#include "roles/core/node_id.h"
#include "sim/run_result.h"

namespace yz::core {
class Process;
class DhtMember;
}  // namespace yz::core

namespace yz::sim {

struct Scenario;

// What `yzsim run --record` captures beside the RunResult: enough to draw a
// run (report_html.h) or replay it in Perfetto (perfetto.h) without running
// it again. Everything is keyed by the simulator step and the virtual time,
// so the same scenario and seed give the same timeline, byte for byte.
struct Timeline {
  struct Process {
    std::string name;
    std::string role;
    std::string node_id;
  };
  // A process's observable state, sampled after every step in which it
  // changed (state changes only in the process's own steps: the core is
  // sans-IO), plus one sample per process at the start and at the end.
  struct HealthSample {
    std::uint64_t step = 0;
    std::int64_t t_ns = 0;
    int process = 0;
    bool running = false;
    bool healthy = false;
    std::uint64_t connected_peers = 0;
    std::uint64_t routing_table_size = 0;
    std::uint64_t peers_missing_handler = 0;
    bool bootstrap_connected = false;
    bool member = false;
  };
  // One end of a peer link, as its owner sees it: the link became the
  // owner's established link to `peer` (with or without a DHT listener),
  // got its listener later, or stopped being its link to `peer`.
  enum class LinkChange : std::uint8_t { kUp, kListener, kDown };
  struct LinkEvent {
    std::uint64_t step = 0;
    std::int64_t t_ns = 0;
    int process = 0;
    int peer = -1;
    core::LinkId link = 0;
    LinkChange change = LinkChange::kUp;
    bool listener = false;
  };
  // What became of a frame the simulator delivered.
  enum class Fate : std::uint8_t {
    kHandled,           // the receiver took it (handshake, ping, its DHT listener, ...)
    kDroppedNoHandler,  // an established peer link without a DHT listener: the incident
    kDiscarded,         // the receiver's end was closed, or the process not running
  };
  struct FrameRecord {
    std::uint64_t step = 0;  // the delivery step
    std::int64_t t_ns = 0;
    std::uint64_t sent_step = 0;  // 0 when not known
    std::int64_t sent_t_ns = -1;  // -1 when not known
    int from = -1;
    int to = -1;
    core::LinkId link = 0;
    std::string type;
    std::uint64_t request_id = 0;
    Fate fate = Fate::kHandled;
  };
  struct Violation {
    std::string invariant;
    int process = -1;
    std::uint64_t step = 0;
    std::int64_t t_ns = 0;
  };

  std::int64_t duration_ns = 0;
  std::vector<Process> processes;
  std::vector<HealthSample> health;
  std::vector<LinkEvent> links;
  std::vector<FrameRecord> frames;
  std::vector<Violation> violations;  // the first step of each, in step order
};

const char* link_change_name(Timeline::LinkChange change);
const char* fate_name(Timeline::Fate fate);

// A recorded run: RUN.json.
struct RunRecord {
  RunResult result;
  Timeline timeline;
  // The "result" object as read from a RUN.json, kept byte for byte so that
  // fields this reader does not know survive a round trip. Empty for a
  // record made by a run: to_json then writes to_json(result).
  std::string result_json;
};

// RUN.json: {"format":"yzsim-run/1","result":<yzsim run --json>,"timeline":{...}}.
// The timeline's long lists are arrays of rows under a "*_fields" header, to
// keep a ten-minute run of nineteen processes a few megabytes.
std::string to_json(const RunRecord& record);
// Reads what to_json wrote. On failure, the error names what is wrong.
std::optional<RunRecord> run_record_from_json(const std::string& text, std::string& error);

// Collects a Timeline while a Simulator runs (RunOptions::recorder). The
// simulator calls it only when one is set, so a run without --record pays a
// null pointer check per step. It only reads the processes (status(), the
// links of a DhtMember): recording never changes a run or its trace hash.
class TimelineRecorder {
 public:
  // Before the first step. `processes` stay valid for the whole run.
  void begin(const Scenario& scenario, const std::vector<core::Process*>& processes);
  // A frame the simulator queued on a link at `step` (its delivery comes later).
  void frame_sent(std::uint64_t step, core::TimePoint now, int from, int to, core::LinkId link,
                  const core::Message& message);
  // A frame about to be delivered at `step`; `handed` is false when the
  // simulator will discard it (closed end, process not running).
  void frame_delivering(std::uint64_t step, core::TimePoint now, int from, int to,
                        core::LinkId link, const core::Message& message, bool handed);
  // After the step ran on `process` (-1: the simulator's own event, which
  // may touch any process). `running` is that process's state.
  void after_step(std::uint64_t step, core::TimePoint now, int process, bool running);
  // A crashed process came back as a new instance (same identity).
  void process_replaced(int process, core::Process* fresh);
  // After the last step: a final sample of every process, the violations.
  void end(const RunResult& result, core::TimePoint end_time);

  const Timeline& timeline() const { return timeline_; }
  Timeline take() { return std::move(timeline_); }

 private:
  struct LinkState {
    core::NodeId peer_id;
    int peer = -1;
    core::LinkId link = 0;
    bool listener = false;
  };
  struct Watched {
    core::Process* process = nullptr;
    core::DhtMember* member = nullptr;  // null for the bootstrap
    bool running = false;
    bool sampled = false;
    Timeline::HealthSample last;
    std::uint64_t dropped_no_handler = 0;
    std::vector<LinkState> links;  // by peer id, as PeerLinks::established() lists them
  };
  void observe(int process, std::uint64_t step, core::TimePoint now, bool force);
  int process_of(const core::NodeId& node_id) const;

  Timeline timeline_;
  std::vector<Watched> watched_;
  std::map<core::NodeId, int> by_node_id_;
  // Frames in flight per (link, receiver), in send order: one stream per
  // direction, so deliveries come in the same order.
  struct InFlight {
    std::uint64_t step;
    core::TimePoint t;
  };
  std::map<std::pair<core::LinkId, int>, std::deque<InFlight>> in_flight_;
  std::optional<std::size_t> delivering_;  // index into timeline_.frames
};

}  // namespace yz::sim
