#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "roles/core/faults.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/strategies.h"

namespace yz::sim {

struct CliOptions {
  std::string command;  // run | explore | merge | compare | replay | shrink | report | faults |
                        // help | version
  // or, for replay and shrink, the trace file; for report, the RUN.json
  std::string scenario_path;
  std::uint64_t seed = 1;
  std::uint64_t runs = 0;
  std::uint32_t depth = 3;  // pct
  std::uint32_t bound = 2;  // exhaustive
  unsigned jobs = 0;        // 0: every core
  std::string save_path;    // run: a trace file; explore: a directory
  std::string out_path;     // shrink: the minimal trace; explore: the shard file
  // explore --shard I/N: runs only slice I (from 0) of N of the runs.
  bool sharded = false;
  std::uint64_t shard_index = 0;
  std::uint64_t shard_count = 1;
  std::vector<std::string> shard_paths;  // merge: the shard files
  // compare: SIM.json and REAL.json, and the tolerances given (unset: the
  // defaults compare.cc explains).
  std::vector<std::string> compare_paths;
  std::optional<std::uint64_t> isolated_tolerance;
  std::optional<std::int64_t> join_time_tolerance_ns;
  std::string invariant;         // shrink: which failure to keep
  std::string delay_rules_path;  // run, explore: --delay-rules FILE
  std::uint64_t max_runs = 3000;
  core::FaultSet faults;
  bool no_scenario_faults = false;
  // run, explore: SIM_HASH signatures unless --ed25519. The default is the
  // fast stand-in: with Ed25519 signing and verifying each link's handshake
  // take about 80% of a run's CPU (incident-15: ~20 runs per CPU-second
  // against ~110), and no protocol decision depends on the scheme.
  bool fast_signatures = true;
  Strategy strategy = Strategy::kRandom;
  bool json = false;
  bool check = false;
  bool story = false;  // replay: tell the run's story too
  std::string trace_path;
  std::string record_path;    // run: RUN.json with the timeline
  std::string perfetto_path;  // run, report: Chrome trace-event JSON
  std::string html_path;      // report
  // run, explore, replay: scenarios with more processes are refused (exit 2).
  std::uint64_t max_processes = ScenarioLimits::kDefaultMaxProcesses;
  // run: progress lines on standard error. Auto: only once a run has taken
  // a few seconds of wall time (short runs stay quiet); on (--progress): a
  // line at each tenth of the virtual time, however fast; off (--no-progress).
  enum class Progress : std::uint8_t { kAuto, kOn, kOff };
  Progress progress = Progress::kAuto;
};

struct CliParse {
  std::optional<CliOptions> options;
  std::string error;  // names the offending flag or value
};

CliParse parse_cli(const std::vector<std::string>& args);
std::string usage();

}  // namespace yz::sim
