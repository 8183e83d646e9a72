#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "roles/core/env.h"
#include "roles/core/faults.h"
#include "roles/core/process.h"
#include "sim/prng.h"
#include "sim/run_result.h"
#include "sim/scenario.h"

namespace yz::metrics {
class Registry;
}

namespace yz::sim {

// How the scheduler orders events that are ready at the same virtual time.
enum class Strategy : std::uint8_t {
  kFifo,    // in the order they were scheduled
  kRandom,  // seeded random order
};

struct RunOptions {
  std::uint64_t seed = 1;
  core::FaultSet faults;  // on top of the scenario's own
  Strategy strategy = Strategy::kRandom;
  std::ostream* trace = nullptr;  // one line per event when set
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
  };
  struct Event {
    EventKind kind;
    int process = -1;
    core::LinkId link = 0;
    core::TimerId timer = 0;
    core::Frame frame;
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
    int dialler = -1;
    int acceptor = -1;
    bool accepted = false;
    bool opened = false;
    bool closed[2] = {false, false};            // closed by dialler / by acceptor
    core::TimePoint last_delivery[2] = {0, 0};  // towards acceptor / towards dialler
  };
  struct Proc {
    ProcessSpec spec;
    std::unique_ptr<SimEnv> env;
    std::unique_ptr<core::Process> process;
    bool running = false;
    bool member_role = false;
  };

  void schedule(core::TimePoint at, Event event);
  core::Duration latency();
  void execute(Event& event);
  void record(const Event& event, std::uint64_t step);
  void check_invariants(int process, std::uint64_t step);
  void run_lookup_checks();
  int side_of(const Link& link, int process) const { return link.dialler == process ? 0 : 1; }

  // Env operations, on behalf of process `from`.
  core::LinkId dial(int from, const std::string& address);
  void send(int from, core::LinkId link, core::Frame frame);
  void close(int from, core::LinkId link);

  const Scenario& scenario_;
  RunOptions options_;
  core::FaultSet faults_;
  Xoshiro256 rng_;
  core::TimePoint now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t steps_ = 0;
  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>> queue_;
  std::vector<Event> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<Proc> procs_;
  std::map<std::string, int> by_name_;
  std::unordered_map<core::LinkId, Link> links_;  // looked up, never iterated
  core::LinkId next_link_ = 1;
  Fnv1a64 hash_;
  std::map<std::pair<std::string, int>, InvariantViolation> violations_;
  LookupCheckResult lookup_checks_;
};

}  // namespace yz::sim
