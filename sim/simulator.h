#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "roles/core/env.h"
#include "roles/core/faults.h"
#include "roles/core/process.h"
#include "sim/choice.h"
#include "sim/prng.h"
#include "sim/run_result.h"
#include "sim/scenario.h"
#include "sim/strategies.h"

namespace yz::metrics {
class Registry;
}

namespace yz::sim {

class TimelineRecorder;
class ValueChecker;

struct RunOptions {
  std::uint64_t seed = 1;
  core::FaultSet faults;  // on top of the scenario's own
  // Used when no chooser is given: kFifo or kRandom, drawn from the seed.
  Strategy strategy = Strategy::kRandom;
  // Answers every choice point when set (not owned); see sim/strategies.h.
  Chooser* chooser = nullptr;
  bool record_choices = false;    // fills RunResult::choices, for a trace file
  std::ostream* trace = nullptr;  // one line per event when set
  // Collects the timeline for yzsim run --record (sim/timeline.h). Reads the
  // processes only: the run and its trace hash are the same with or without.
  TimelineRecorder* recorder = nullptr;
  // Exhaustive exploration's pruning: called before each latency choice with
  // its index and a fingerprint of the run's state there; true ends the run.
  std::function<bool(std::uint64_t index, std::uint64_t fingerprint)> at_latency_choice;
  // Called every `progress_steps` events with the virtual time, the time the
  // run ends at the latest (duration plus liveness bound) and the events so
  // far: yzsim run's progress lines. It only reads; the run is the same.
  std::function<void(core::TimePoint now, core::TimePoint end, std::uint64_t steps)> progress;
  std::uint64_t progress_steps = 1 << 14;
  // A livelock: this many events at one virtual instant end the run.
  std::uint64_t livelock_steps = 20000;
  // Makes each process; roles::make_process when empty. Tests use it to put
  // a hostile process into a scenario.
  std::function<std::unique_ptr<core::Process>(core::Env&, const core::ProcessConfig&)>
      make_process;
};

class SimEnv;

// The deterministic driver: one thread, a virtual clock, a virtual network
// and a seeded PRNG, running the same role code as the real processes.
// Every ordering decision (which ready event runs next, each frame's
// latency, each link set-up step, process start jitter) is drawn here, so a
// scenario and a seed fix the whole run, and its trace hash.
class Simulator {
 public:
  Simulator(const Scenario& scenario, RunOptions options);
  ~Simulator();

  RunResult run();

  // For tests: the process by name, while or after the simulator runs.
  core::Process* process(const std::string& name);

 private:
  friend class SimEnv;

  enum class EventKind : std::uint8_t {
    kStart,
    kTimer,
    kAccept,
    kOpen,
    kDialFailed,
    kFrame,
    kClosed,
    kLookupCheck,
    kLivenessCheck,
    kCrash,
    kRestart,
    kValueCheck,  // `timer` holds the check's index (ValueChecker::checks)
  };
  struct Event {
    EventKind kind;
    int process = -1;
    core::LinkId link = 0;
    core::TimerId timer = 0;
    // Set for kFrame only: empty, it costs no construction for the timers
    // and link events that are most of a run.
    std::optional<core::Message> message;
  };
  // What waits in the queue: an Event without its message, which waits
  // apart, moved in once and out once (a message is some 250 bytes; most
  // pending events are timers).
  static constexpr std::uint32_t kNoFrame = UINT32_MAX;
  struct Pending {
    EventKind kind;
    int process = -1;
    core::LinkId link = 0;
    core::TimerId timer = 0;
    std::uint32_t frame = kNoFrame;  // index in frames_
    // The step during which it was scheduled (0: before the run): the send
    // a delivery came from, the step that armed a timer, the dial an accept
    // answers. Written to the trace as cause=N, never hashed.
    std::uint64_t cause = 0;
  };
  struct Scheduled {
    core::TimePoint time;
    std::uint64_t key;
    std::uint64_t seq;
    std::uint32_t slot;
    bool operator>(const Scheduled& o) const {
      if (time != o.time) return time > o.time;
      if (key != o.key) return key > o.key;
      return seq > o.seq;
    }
  };
  struct Link {
    bool live = false;  // dialled and not yet forgotten
    int dialler = -1;
    int acceptor = -1;
    bool accepted = false;
    bool opened = false;
    bool closed[2] = {false, false};            // closed by dialler / by acceptor
    core::TimePoint last_delivery[2] = {0, 0};  // towards acceptor / towards dialler
  };
  struct Proc {
    ProcessSpec spec;
    core::ProcessConfig config;
    std::uint64_t env_seed = 0;
    std::uint32_t incarnation = 0;
    std::unique_ptr<SimEnv> env;
    std::unique_ptr<core::Process> process;
    bool running = false;
    bool crashed = false;  // stopped by a crash, waiting for its restart
    bool member_role = false;
    // Already noted (check_invariants): the counters never fall, so the
    // check after every later step need not look the violation up again.
    bool frame_lost_noted = false;
    bool dead_link_noted = false;
  };

  void schedule(core::TimePoint at, Event event);
  // The same without building an Event (zeroed, some 300 bytes): the hot
  // callers (timers, frames, link steps) pass its fields, and a frame's
  // message moves once, straight into its slot.
  void schedule(core::TimePoint at, EventKind kind, int process, core::LinkId link,
                core::TimerId timer, core::Message* message = nullptr);
  std::uint64_t choose(ChoiceKind kind, std::uint64_t limit, int target);
  core::Duration latency(int target);
  std::uint64_t fingerprint() const;
  void heal();
  void schedule_restarts();
  void crash(int process);
  void restart(int process);
  bool all_healthy();
  void note_violation(const std::string& invariant, int process, std::uint64_t step);
  void execute(Event& event);
  void record(const Event& event, std::uint64_t step, std::uint64_t cause);
  void check_invariants(int process, std::uint64_t step);
  void run_lookup_checks();
  void schedule_value_checks();
  int side_of(const Link& link, int process) const { return link.dialler == process ? 0 : 1; }

  // Env operations, on behalf of process `from`.
  core::LinkId dial(int from, const std::string& address);
  void send(int from, core::LinkId link, core::Message&& message);
  void close(int from, core::LinkId link);
  // The other end's process name: the simulated network's addresses.
  std::string remote_address(int from, core::LinkId link) const;

  const Scenario& scenario_;
  RunOptions options_;
  core::FaultSet faults_;
  // The faults the run started with: heal() clears faults_, and the result
  // must still say which faults the run was about.
  core::FaultSet run_faults_;
  Xoshiro256 rng_;
  core::TimePoint now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t steps_ = 0;
  // A 4-ary min-heap (half the depth of a binary one, and a node's children
  // share a cache line), kept as a vector so exhaustive pruning can
  // fingerprint what is pending. No two entries compare equal (seq), so the
  // order events leave it in is that of any priority queue.
  std::vector<Scheduled> queue_;
  void queue_push(const Scheduled& s);
  void queue_pop();
  std::vector<Pending> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<core::Message> frames_;
  std::vector<std::uint32_t> free_frames_;
  // Before procs_: destroyed after them, so a data plane that answers its
  // callers as it goes finds the checker still there.
  std::unique_ptr<ValueChecker> values_;
  std::vector<Proc> procs_;
  std::unordered_map<std::string, int> by_name_;  // looked up, never iterated
  // Indexed by link id (ids are handed out in order from 1); a forgotten
  // link stays as a dead entry. Looked up, never iterated.
  std::vector<Link> links_{1};
  Link* find_link(core::LinkId id) {
    return id < links_.size() && links_[id].live ? &links_[id] : nullptr;
  }
  core::LinkId next_link_ = 1;
  Fnv1a64 hash_;
  Fnv1a64 ordering_hash_;  // the same events without their times
  std::unique_ptr<Chooser> own_chooser_;
  Chooser* chooser_ = nullptr;
  ChoiceLog choices_;
  std::uint64_t latency_points_ = 0;
  bool stop_ = false;
  bool pruned_ = false;
  bool healed_ = false;
  std::optional<core::TimePoint> converged_at_;
  core::TimePoint instant_ = -1;
  std::uint64_t steps_at_instant_ = 0;
  std::map<std::pair<std::string, int>, InvariantViolation> violations_;
  LookupCheckResult lookup_checks_;
};

}  // namespace yz::sim
