#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "roles/core/delay_rules.h"
#include "roles/core/faults.h"
#include "roles/core/frame.h"
#include "roles/core/timing.h"

namespace yz::sim {

struct ProcessSpec {
  std::string name;
  core::Role role = core::Role::kNode;
  core::Duration start_at = 0;
  core::Duration start_jitter = 0;  // drawn per run from the seed
};

// One put or get of a scenario (proto ValueCheck, whose comment gives the
// rules the simulator checks it by).
struct ValueCheckSpec {
  enum class Op : std::uint8_t { kPut, kGet };
  core::Duration at = 0;
  std::string from;  // process name
  Op op = Op::kPut;
  std::string key;
  std::string value;  // put: the data
  std::optional<std::string> expect_value;
  std::optional<bool> expect_found;
};

// The ValueChecks generator, expanded per run from the seed
// (sim/value_checks.h).
struct ValueCheckGenerator {
  std::uint32_t puts = 0;
  std::uint32_t gets_per_put = 0;
  core::Duration from = 0;
  core::Duration spacing = 0;
  core::Duration get_after = 0;
  core::Duration get_spacing = 0;
};

// A named crash (proto Crash).
struct CrashSpec {
  std::string process;
  core::Duration at = 0;
  core::Duration down = 0;
};

// A validated scenario, in the form the simulator runs.
struct Scenario {
  std::string name;
  std::string description;
  core::Duration duration = 0;
  core::Duration latency_min = 0;
  core::Duration latency_max = 0;
  // The long tail: latency_tail_per_mille of the draws land in
  // [latency_max, latency_tail_max] instead (0: none).
  core::Duration latency_tail_max = 0;
  std::uint32_t latency_tail_per_mille = 0;
  core::Timing timing;
  std::vector<ProcessSpec> processes;  // declaration order
  core::FaultSet faults;
  std::string bridge_auth;
  std::string genesis_auth;
  std::uint32_t lookup_checks = 0;
  core::Duration lookup_check_at = 0;
  core::Duration liveness_bound = 0;          // 0: no liveness phase
  std::uint32_t restarts = 0;                 // DHT node crashes, each restarted later
  bool sim_hash_signatures = false;           // the stand-in for Ed25519 (sim/sim_signatures.h)
  std::vector<ValueCheckSpec> value_checks;   // declaration order
  ValueCheckGenerator value_check_generator;  // puts == 0: none
  std::vector<CrashSpec> crashes;
  bool has_value_checks() const { return !value_checks.empty() || value_check_generator.puts > 0; }
  // yzsim --delay-rules: frames held as on real processes started with the
  // same file (roles/core/delaying_process.h). Not part of the scenario's
  // text, so a trace cannot carry them: yzsim refuses --save with them.
  std::shared_ptr<const core::DelayRules> delay_rules;
};

// Changes made to a scenario after it was read: the knobs swarm testing
// draws for a run, and the processes shrinking removed. A trace file records
// them beside the scenario text, so a replay rebuilds the same scenario.
struct ScenarioEdits {
  std::vector<std::string> dropped;  // process names
  std::optional<core::Duration> latency_min;
  std::optional<core::Duration> latency_max;
  std::optional<std::uint32_t> start_spacing_percent;  // DHT node start times, scaled
  std::optional<core::FaultSet> faults;                // replaces the scenario's
  std::optional<core::Duration> duration;
  std::optional<std::uint32_t> restarts;
  bool sim_hash_signatures = false;  // --fast-signatures
  std::optional<core::Duration> latency_tail_max;
  std::optional<std::uint32_t> latency_tail_per_mille;
  std::optional<core::Duration> liveness_bound;
  // Timing durations by name (timing_durations() lists them), replacing
  // the scenario's.
  std::map<std::string, core::Duration> timing;
  bool empty() const {
    return dropped.empty() && !latency_min && !latency_max && !start_spacing_percent && !faults &&
           !duration && !restarts && !sim_hash_signatures && !latency_tail_max &&
           !latency_tail_per_mille && !liveness_bound && timing.empty();
  }
};

// The Timing durations a ScenarioEdits may set, by the name the scenario
// proto's Timing message gives them (without _ms).
struct TimingDuration {
  std::string_view name;
  core::Duration core::Timing::*field;
};
const std::vector<TimingDuration>& timing_durations();

// Applies the edits; a dropped name that is not in the scenario is ignored.
Scenario apply_edits(const Scenario& scenario, const ScenarioEdits& edits);

struct ScenarioLoad {
  std::optional<Scenario> scenario;
  // "FILE:LINE:COLUMN: problem" when the scenario was refused.
  std::string error;
};

// What a scenario may ask for, checked before anything is built.
struct ScenarioLimits {
  // Every process is built up front, at some 40 KB each before it runs
  // (measured: 10,000 processes 0.4 GB, 40,000 1.6 GB peak RSS), and a run
  // holds several times that once links and routing tables fill. 100,000
  // (4 GB to build) is ten times the largest shipped scenario (scale-10000)
  // and what a developer machine can still hold; yzsim --max-processes
  // raises it. A typo (count: 4294967295) is refused in microseconds instead
  // of dying of std::bad_alloc after eating the machine's memory.
  static constexpr std::uint64_t kDefaultMaxProcesses = 100'000;
  std::uint64_t max_processes = kDefaultMaxProcesses;
};

// Parses and validates a yz.sim.v1.Scenario text proto. Every refusal names
// the problem and, where there is one, its line.
ScenarioLoad parse_scenario(const std::string& text, const std::string& origin,
                            const ScenarioLimits& limits = {});
ScenarioLoad load_scenario_file(const std::string& path, const ScenarioLimits& limits = {});

// "" when `text` can be a text proto; otherwise why not, naming `origin`,
// the offset, line and column of the first byte that is not text (a control
// character or a byte that is not UTF-8) and its value in hex, never the raw
// byte itself.
std::string not_text_problem(const std::string& text, const std::string& origin);

// `text` with every byte outside printable ASCII written as \xNN, for
// quoting names from a file in a message.
std::string printable(const std::string& text);

}  // namespace yz::sim
