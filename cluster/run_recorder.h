#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"
#include "roles/json/json.h"
#include "sim/timeline.h"

namespace yz::cluster {

// What a record says about the run beside its samples.
struct RecordInfo {
  std::string scenario;  // the scenario's name, or "yzctl-cluster"
  std::uint64_t seed = 0;
  std::vector<std::string> faults;
  double time_scale = 1.0;
};

// Records a real cluster the way `yzsim run --record` records a simulated
// one (sim/timeline.h): each round reads every process's /status, keeps a
// health sample when what it shows changed (plus each process's first and
// last), and turns the `links` array into link events. Times are virtual:
// wall time since `origin` (the bootstrap's readiness) times the time scale,
// so a real record lines up with a simulated one. Frames are not observable
// from outside a process, so a real record has none; its result says
// "source":"real".
class RunRecorder {
 public:
  using Clock = std::chrono::steady_clock;
  RunRecorder(Clock::time_point origin, RecordInfo info);

  // One round over `cluster`'s processes (new names join the timeline).
  // `final` forces a sample of every process and keeps the last /status and
  // /health for the result.
  void sample(const ClusterRecord& cluster, bool final = false);
  std::uint64_t rounds() const { return rounds_; }

  // What up --scenario did and when: each start, crash and restart at its
  // planned virtual time and the virtual time it actually happened (the
  // gap is yzctl's lateness; a process then needs its own start-up time
  // before /status answers). Written into the result as "schedule".
  struct Action {
    std::string process;
    std::string action;  // "start", "crash", "restart"
    std::int64_t planned_t_ns = 0;
    std::int64_t t_ns = 0;
  };
  void set_schedule(std::vector<Action> actions) { schedule_ = std::move(actions); }

  // The record after the final round.
  sim::RunRecord finish() const;

  // The virtual time of wall time `at`.
  std::int64_t virtual_ns(Clock::time_point at) const;

 private:
  struct LinkEnd {
    core::LinkId id = 0;
    bool listener = false;
  };
  struct Watched {
    sim::Timeline::HealthSample last;
    bool sampled = false;
    std::uint64_t dropped_no_handler = 0;
    std::map<std::string, LinkEnd> links;  // by peer name
    core::LinkId next_link = 1;
    bool frame_lost_noted = false;
    bool missing_noted = false;
    // The last answers, for the final report.
    std::optional<json::Value> status;
    std::optional<json::Value> health;
    bool running = false;
  };
  int index_of(const ProcessRecord& record);
  void observe(int index, const ProcessRecord& record, std::int64_t t_ns, bool final);
  void note_violation(const char* invariant, int index, std::int64_t t_ns);

  Clock::time_point origin_;
  RecordInfo info_;
  std::uint64_t rounds_ = 0;
  std::int64_t last_t_ns_ = 0;
  sim::Timeline timeline_;
  std::vector<Watched> watched_;
  std::map<std::string, int> by_name_;
  std::vector<Action> schedule_;
};

// Writes `record` as RUN.json to `path` (atomically); "" or the error.
std::string write_run_record(const sim::RunRecord& record, const std::string& path);

// <cluster dir>/scenario.json: what `up --scenario` ran, and when its
// bootstrap was ready (system clock, ms since the epoch), so a later `yzctl
// record` puts its times on the same virtual clock.
struct ScenarioNote {
  RecordInfo info;
  std::int64_t origin_unix_ms = 0;
};
std::string scenario_note_path(const std::string& dir);
std::string write_scenario_note(const std::string& dir, const ScenarioNote& note);
std::optional<ScenarioNote> read_scenario_note(const std::string& dir);

}  // namespace yz::cluster
