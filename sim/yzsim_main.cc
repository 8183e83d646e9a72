// yzsim: the simulator's command line. See sim/cli.cc for the usage text.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "roles/delay/delay_rules_file.h"
#include "roles/json/json.h"
#include "sim/cli.h"
#include "sim/compare.h"
#include "sim/explore.h"
#include "sim/force_rules.h"
#include "sim/perfetto.h"
#include "sim/report.h"
#include "sim/report_html.h"
#include "sim/scenario.h"
#include "sim/shard.h"
#include "sim/shrink.h"
#include "sim/simulator.h"
#include "sim/story.h"
#include "sim/timeline.h"
#include "sim/trace_file.h"

namespace {

using namespace yz::sim;

int fail_usage(const std::string& message) {
  std::cerr << "yzsim: " << message << "\n";
  return 2;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

RunSpec spec_for_run(const Scenario& scenario, const CliOptions& o) {
  RunSpec spec;
  spec.strategy = o.strategy;
  spec.seed = o.seed;
  spec.faults = o.faults;
  spec.pct_depth = o.depth;
  // A trace re-reads the scenario's text, so dropping its faults is an edit.
  if (o.no_scenario_faults) spec.edits.faults = yz::core::FaultSet{};
  if (o.strategy == Strategy::kPct) {
    RunSpec probe;
    probe.strategy = Strategy::kExhaustive;
    probe.faults = o.faults;
    spec.pct_points = run_spec(scenario, probe).latency_choices;
  }
  if (o.strategy == Strategy::kSwarm) {
    yz::core::FaultSet all = scenario.faults;
    for (const auto& name : o.faults.names()) all.enable(*yz::core::fault_from_name(name));
    spec.edits = swarm_edits(spec.seed, all, scenario);
    spec.faults = {};
  }
  // Recorded as an edit too, so a saved trace replays with the same keys.
  spec.edits.sim_hash_signatures = o.fast_signatures;
  return spec;
}

// One line that rewrites itself on a terminal; a plain line every few
// seconds otherwise, so CI logs stay readable.
class Progress {
 public:
  explicit Progress(bool tty) : tty_(tty), started_(Clock::now()), last_(started_) {}
  void update(std::uint64_t done, std::uint64_t failing, std::uint64_t planned) {
    const auto now = Clock::now();
    const bool finished = planned != 0 && done == planned;
    if (tty_) {
      if (!finished && now - last_ < std::chrono::milliseconds(200)) return;
    } else {
      // A plain line at each tenth of the planned runs (each 1,000 runs when
      // the total is not known), so a log gets a fixed number of lines.
      const std::uint64_t mark = planned != 0 ? done * 10 / planned : done / 1000;
      if (mark == last_mark_) return;
      last_mark_ = mark;
    }
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - started_).count();
    const double rate = elapsed > 0 ? done / elapsed : 0;
    char line[160];
    if (planned != 0) {
      const double eta = rate > 0 ? (planned - done) / rate : 0;
      std::snprintf(line, sizeof line, "%llu/%llu runs, %llu failing, %.0f runs/s, ETA %.0f s",
                    static_cast<unsigned long long>(done), static_cast<unsigned long long>(planned),
                    static_cast<unsigned long long>(failing), rate, eta);
    } else {
      std::snprintf(line, sizeof line, "%llu runs, %llu failing, %.0f runs/s",
                    static_cast<unsigned long long>(done), static_cast<unsigned long long>(failing),
                    rate);
    }
    if (tty_) {
      std::fprintf(stderr, "\r%-78s", line);
    } else {
      std::fprintf(stderr, "%s\n", line);
    }
    shown_ = true;
  }
  void end() {
    if (tty_ && shown_) std::fprintf(stderr, "\n");
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool tty_;
  bool shown_ = false;
  std::uint64_t last_mark_ = 0;
  Clock::time_point started_, last_;
};

// yzsim run's progress, on standard error. Reads the wall clock, never
// decides anything in the run: stdout and the trace hash are the same with
// it, without it and with --no-progress.
class RunProgress {
 public:
  RunProgress(CliOptions::Progress mode, bool tty)
      : mode_(mode), tty_(tty), started_(Clock::now()), last_(started_) {}
  // How often the simulator calls back, in events: often when every tenth
  // of the run must show, rarely when only the wall clock decides.
  std::uint64_t every_steps() const { return mode_ == CliOptions::Progress::kOn ? 256 : 1 << 14; }
  void update(yz::core::TimePoint now, yz::core::TimePoint end, std::uint64_t steps) {
    const auto wall = Clock::now();
    switch (mode_) {
      case CliOptions::Progress::kOff:
        return;
      case CliOptions::Progress::kOn: {
        const std::int64_t tenth = end > 0 ? now * 10 / end : 0;
        if (tenth <= last_tenth_) return;
        last_tenth_ = tenth;
        break;
      }
      case CliOptions::Progress::kAuto:
        // Quiet for short runs; then a line every few seconds.
        if (wall - started_ < kQuiet || (shown_ && wall - last_ < kEvery)) return;
        break;
    }
    last_ = wall;
    print(now, end, steps, wall);
  }
  void end(yz::core::TimePoint now, yz::core::TimePoint end, std::uint64_t steps) {
    if (!shown_) return;
    print(now, end, steps, Clock::now());
    if (tty_) std::fprintf(stderr, "\n");
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kQuiet = std::chrono::seconds(5);
  static constexpr auto kEvery = std::chrono::seconds(5);
  void print(yz::core::TimePoint now, yz::core::TimePoint end, std::uint64_t steps,
             Clock::time_point wall) {
    const double elapsed = std::chrono::duration<double>(wall - started_).count();
    const double percent = end > 0 ? 100.0 * static_cast<double>(now) / end : 100.0;
    char line[200];
    std::snprintf(line, sizeof line,
                  "run: %3.0f%% of virtual time (%.1f of %.1f s), %llu events, %.1f s wall, "
                  "%.0f events/s",
                  percent, static_cast<double>(now) / yz::core::kSecond,
                  static_cast<double>(end) / yz::core::kSecond,
                  static_cast<unsigned long long>(steps), elapsed,
                  elapsed > 0 ? static_cast<double>(steps) / elapsed : 0.0);
    if (tty_) {
      std::fprintf(stderr, "\r%-100s", line);
    } else {
      std::fprintf(stderr, "%s\n", line);
    }
    shown_ = true;
  }
  CliOptions::Progress mode_;
  bool tty_;
  bool shown_ = false;
  std::int64_t last_tenth_ = 0;
  Clock::time_point started_, last_;
};

RunOptions with_progress(RunOptions options, RunProgress& progress) {
  options.progress_steps = progress.every_steps();
  options.progress = [&progress](yz::core::TimePoint now, yz::core::TimePoint end,
                                 std::uint64_t steps) { progress.update(now, end, steps); };
  return options;
}

// A word for /bin/sh: as it is when that is safe, else in single quotes.
std::string shell_word(const std::string& word) {
  const bool safe = !word.empty() && word.find_first_not_of(
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789_./:@%+,=-") == std::string::npos;
  if (safe) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The yzsim run command (without --seed) that replays one of explore's
// seeds: the same binary and scenario path as invoked, the strategy and
// every flag that changes a run, and --check so that it exits 1 when the
// failure reproduces.
std::string replay_command(const CliOptions& o, const std::string& argv0) {
  std::string out = shell_word(argv0) + " run " + shell_word(o.scenario_path) + " --strategy " +
                    std::string(strategy_name(o.strategy));
  if (o.strategy == Strategy::kPct) out += " --depth " + std::to_string(o.depth);
  for (const auto& name : o.faults.names()) out += " --fault " + name;
  if (o.no_scenario_faults) out += " --no-scenario-faults";
  if (!o.delay_rules_path.empty()) out += " --delay-rules " + shell_word(o.delay_rules_path);
  out += o.fast_signatures ? " --fast-signatures" : " --ed25519";
  if (o.max_processes != ScenarioLimits::kDefaultMaxProcesses)
    out += " --max-processes " + std::to_string(o.max_processes);
  return out + " --check";
}

// yzsim report RUN.json: draws a recorded run without running it again.
int report_command(const CliOptions& o) {
  std::string text;
  if (!read_file(o.scenario_path, text)) return fail_usage("cannot read " + o.scenario_path);
  std::string error;
  const std::optional<RunRecord> record = run_record_from_json(text, error);
  if (!record) return fail_usage(o.scenario_path + ": " + error);
  if (!o.html_path.empty() && !write_file(o.html_path, report_html(*record)))
    return fail_usage("cannot write " + o.html_path);
  if (!o.perfetto_path.empty() && !write_file(o.perfetto_path, perfetto_json(*record)))
    return fail_usage("cannot write " + o.perfetto_path);
  return 0;
}

// yzsim compare SIM.json REAL.json: exit 0 agree, 1 differ, 2 bad input.
int compare_command(const CliOptions& o) {
  std::vector<RunRecord> records;
  for (const std::string& path : o.compare_paths) {
    std::string text, error;
    if (!read_file(path, text)) return fail_usage(path + ": cannot read the file");
    std::optional<RunRecord> record = run_record_from_json(text, error);
    if (!record) return fail_usage(path + ": " + error);
    records.push_back(std::move(*record));
  }
  if (const auto why = incomparable(records[0], records[1]))
    return fail_usage("cannot compare " + o.compare_paths[0] + " with " + o.compare_paths[1] +
                      ": " + *why);
  CompareTolerances tolerances;
  tolerances.isolated = o.isolated_tolerance;
  tolerances.join_time_ns = o.join_time_tolerance_ns;
  const Comparison comparison = compare_runs(records[0], records[1], tolerances);
  std::cout << (o.json ? to_json(comparison)
                       : compare_table(comparison, o.compare_paths[0], o.compare_paths[1]));
  return comparison.agree ? 0 : 1;
}

// run --record / --perfetto: the files for a run with its timeline.
bool write_recording(const CliOptions& o, const RunRecord& record) {
  if (!o.record_path.empty() && !write_file(o.record_path, to_json(record))) {
    fail_usage("cannot write " + o.record_path);
    return false;
  }
  if (!o.perfetto_path.empty() && !write_file(o.perfetto_path, perfetto_json(record))) {
    fail_usage("cannot write " + o.perfetto_path);
    return false;
  }
  return true;
}

int run_command(const CliOptions& o, const Scenario& scenario, const std::string& text) {
  const RunSpec spec = spec_for_run(scenario, o);
  const bool recording = !o.record_path.empty() || !o.perfetto_path.empty();
  RunProgress progress(o.progress, isatty(STDERR_FILENO) != 0);
  if (!o.save_path.empty()) {
    RecordedRun recorded =
        record_run(text, o.scenario_path, scenario, spec, nullptr, with_progress({}, progress));
    progress.end(
        static_cast<yz::core::TimePoint>(recorded.result.virtual_seconds * yz::core::kSecond),
        scenario.duration + scenario.liveness_bound, recorded.result.events);
    if (!write_file(o.save_path, format_trace(recorded.trace)))
      return fail_usage("cannot write trace file " + o.save_path);
    if (!o.trace_path.empty()) {
      std::string lines;
      for (const auto& line : recorded.trace.steps) lines += line + "\n";
      if (!write_file(o.trace_path, lines))
        return fail_usage("cannot write trace file " + o.trace_path);
    }
    if (recording) {
      // The same spec runs the same way: once more, with the recorder.
      TimelineRecorder recorder;
      RunOptions options;
      options.recorder = &recorder;
      const RunResult again = run_spec(scenario, spec, options);
      if (!write_recording(o, RunRecord{again, recorder.take(), {}})) return 2;
    }
    std::cout << (o.json ? to_json(recorded.result) : health_table(recorded.result));
    if (!o.json && o.strategy == Strategy::kSwarm)
      std::cout << "swarm drew: " << describe_swarm(spec.edits) << "\n";
    return o.check && run_failed(recorded.result) ? 1 : 0;
  }
  std::ofstream trace_file;
  RunOptions options;
  if (!o.trace_path.empty()) {
    trace_file.open(o.trace_path);
    if (!trace_file) return fail_usage("cannot write trace file " + o.trace_path);
    options.trace = &trace_file;
  }
  TimelineRecorder recorder;
  if (recording) options.recorder = &recorder;
  const RunResult result = run_spec(scenario, spec, with_progress(std::move(options), progress));
  progress.end(static_cast<yz::core::TimePoint>(result.virtual_seconds * yz::core::kSecond),
               scenario.duration + scenario.liveness_bound, result.events);
  if (recording && !write_recording(o, RunRecord{result, recorder.take(), {}})) return 2;
  std::cout << (o.json ? to_json(result) : health_table(result));
  if (!o.json && o.strategy == Strategy::kSwarm)
    std::cout << "swarm drew: " << describe_swarm(spec.edits) << "\n";
  return o.check && run_failed(result) ? 1 : 0;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Written beside and renamed into place, so a reader (merge, or a shard's
// retry) never sees half a file.
bool write_file_atomically(const std::string& path, const std::string& text) {
  const std::string partial = path + ".partial";
  if (!write_file(partial, text)) return false;
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  return !ec;
}

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

ShardResult shard_result(const CliOptions& o, const std::string& text, ExploreReport& report,
                         double started, double finished) {
  ShardResult s;
  Exploration& e = s.exploration;
  e.scenario = report.summary.scenario;
  e.scenario_hash = content_hash(text);
  e.strategy = report.summary.strategy;
  e.first_seed = o.seed;
  e.runs = o.runs;
  e.depth = o.depth;
  e.faults = o.faults.names();
  e.no_scenario_faults = o.no_scenario_faults;
  e.fast_signatures = o.fast_signatures;
  s.index = o.shard_index;
  s.count = o.shard_count;
  s.run_begin = report.run_begin;
  s.run_end = report.run_end;
  s.started_unix = started;
  s.finished_unix = finished;
  s.summary = report.summary;
  for (const auto& [kind, f] : report.first_failure)
    s.first_failure[kind] = ShardFailure{f.run_index, f.spec.seed, f.step, {}, 0};
  s.trace_hashes.assign(report.trace_hashes.begin(), report.trace_hashes.end());
  s.orderings.assign(report.orderings.begin(), report.orderings.end());
  return s;
}

int explore_command(const CliOptions& o, const Scenario& scenario, const std::string& text,
                    const std::string& argv0) {
  if (!o.save_path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.save_path, ec);
    if (ec) return fail_usage("cannot create directory " + o.save_path + ": " + ec.message());
  }
  ExploreOptions options;
  options.strategy = o.strategy;
  options.first_seed = o.seed;
  options.runs = o.runs;
  options.faults = o.faults;
  options.depth = o.depth;
  options.bound = o.bound;
  if (o.no_scenario_faults) options.edits.faults = yz::core::FaultSet{};
  options.edits.sim_hash_signatures = o.fast_signatures;
  options.jobs = o.jobs != 0 ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  options.shard_index = o.shard_index;
  options.shard_count = o.shard_count;
  Progress progress(isatty(STDERR_FILENO) != 0);
  options.progress = [&](std::uint64_t done, std::uint64_t failing, std::uint64_t planned) {
    progress.update(done, failing, planned);
  };
  const double started = unix_now();
  ExploreReport report = explore(scenario, options);
  const double finished = unix_now();
  report.summary.replay_command = replay_command(o, argv0);
  progress.end();
  std::cout << (o.json ? to_json(report.summary) : explore_table(report.summary));
  ShardResult shard;
  if (!o.out_path.empty()) shard = shard_result(o, text, report, started, finished);
  for (const auto& [kind, failure] : report.first_failure) {
    if (o.save_path.empty()) break;
    const std::string path = o.save_path + "/" + kind + ".trace";
    RecordedRun recorded = record_run(text, o.scenario_path, scenario, failure.spec);
    recorded.trace.saved_for = kind;  // shrink keeps this kind, not the first listed
    const std::string trace_text = format_trace(recorded.trace);
    if (!write_file(path, trace_text)) return fail_usage("cannot write trace file " + path);
    if (!o.json) std::cout << "saved " << path << "\n";
    if (!o.out_path.empty()) {
      ShardFailure& f = shard.first_failure[kind];
      f.trace = std::filesystem::proximate(path, directory_of(o.out_path)).string();
      f.trace_hash = content_hash(trace_text);
    }
  }
  if (!o.out_path.empty() && !write_file_atomically(o.out_path, to_json(shard)))
    return fail_usage("cannot write shard file " + o.out_path);
  return 0;
}

// yzsim merge: the shards' results as the whole exploration prints them.
int merge_command(const CliOptions& o) {
  std::vector<ShardInput> inputs;
  for (const auto& path : o.shard_paths) {
    std::string text, error;
    if (!read_file(path, text)) return fail_usage("merge: cannot read " + path);
    std::optional<ShardResult> shard = shard_from_json(text, error);
    if (!shard) return fail_usage("merge: " + path + ": " + error);
    inputs.push_back({path, std::move(*shard)});
  }
  const MergeOutcome outcome = merge_shards(inputs);
  if (!outcome.merged) return fail_usage("merge: " + outcome.error);
  const Merged& merged = *outcome.merged;
  // Every trace is checked before anything is written or printed.
  std::map<std::string, std::string> traces;
  for (const auto& [kind, failure] : merged.first_failure) {
    if (o.save_path.empty()) break;
    const std::string& shard_path = inputs[merged.from_input.at(kind)].path;
    if (failure.trace.empty())
      return fail_usage("merge: " + shard_path + " saved no traces (run its explore with --save)");
    const std::string path =
        (std::filesystem::path(directory_of(shard_path)) / failure.trace).string();
    std::string text;
    if (!read_file(path, text))
      return fail_usage("merge: cannot read " + path + ", the " + kind + " trace of " + shard_path);
    if (content_hash(text) != failure.trace_hash)
      return fail_usage("merge: " + path + " is not the trace " + shard_path +
                        " saved (another shard's --save DIR?)");
    traces[kind] = std::move(text);
  }
  if (!o.save_path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.save_path, ec);
    if (ec) return fail_usage("cannot create directory " + o.save_path + ": " + ec.message());
  }
  std::cout << (o.json ? to_json(merged.summary) : explore_table(merged.summary));
  for (const auto& [kind, text] : traces) {
    const std::string path = o.save_path + "/" + kind + ".trace";
    if (!write_file(path, text)) return fail_usage("cannot write trace file " + path);
    if (!o.json) std::cout << "saved " << path << "\n";
  }
  return 0;
}

int replay_command(const CliOptions& o) {
  const TraceLoad load = load_trace_file(o.scenario_path);
  if (!load.trace) return fail_usage(load.error);
  const ReplayOutcome outcome = replay(*load.trace, ScenarioLimits{o.max_processes});
  std::vector<std::string> story;
  if (o.story) story = tell_story(*load.trace, outcome.result, load.trace->saved_for).links;
  if (o.json) {
    std::cout << "{\"matches\":" << (outcome.matches ? "true" : "false")
              << ",\"steps_compared\":" << outcome.steps_compared
              << ",\"events\":" << outcome.result.events;
    if (o.story) {
      std::cout << ",\"story\":[";
      for (std::size_t i = 0; i < story.size(); ++i)
        std::cout << (i ? "," : "") << yz::json::quote(story[i]);
      std::cout << "]";
    }
    std::cout << "}\n";
  } else if (outcome.matches) {
    std::cout << "replay matches: " << outcome.steps_compared << " steps and the final trace hash "
              << std::hex << outcome.result.trace_hash << std::dec << "\n";
  } else {
    std::cout << "replay DIFFERS after " << outcome.steps_compared
              << " matching steps: " << outcome.difference << "\n";
  }
  if (o.story && !o.json) {
    std::string line;
    for (const auto& part : story) line += (line.empty() ? "" : " -> ") + part;
    std::cout << "story: " << line << "\n";
  }
  return outcome.matches ? 0 : 1;
}

int shrink_command(const CliOptions& o) {
  const TraceLoad load = load_trace_file(o.scenario_path);
  if (!load.trace) return fail_usage(load.error);
  ShrinkOptions options;
  options.kind = o.invariant;
  options.max_runs = o.max_runs;
  const ShrinkResult result = shrink(*load.trace, options);
  if (!result.ok) {
    std::cerr << "yzsim: shrink: " << result.error << "\n";
    return 1;
  }
  if (!write_file(o.out_path, format_trace(result.minimal)))
    return fail_usage("cannot write trace file " + o.out_path);
  std::string story;
  for (const auto& part : result.story) story += (story.empty() ? "" : " -> ") + part;
  // The rules that force this story on real processes, beside the trace.
  const ForceRules force = derive_force_rules(result.minimal, result.story);
  const std::string rules_path = o.out_path + ".delay-rules.textproto";
  const std::string rules_text = force.rules ? yz::roles::format_delay_rules(*force.rules) : "";
  if (force.rules && !write_file(rules_path, rules_text))
    return fail_usage("cannot write " + rules_path);
  const double ratio = result.events_after > 0
                           ? static_cast<double>(result.events_before) / result.events_after
                           : 0.0;
  if (o.json) {
    std::cout << "{\"failure\":" << yz::json::quote(result.kind)
              << ",\"events_before\":" << result.events_before
              << ",\"events_after\":" << result.events_after
              << ",\"processes_before\":" << result.processes_before
              << ",\"processes_after\":" << result.processes_after
              << ",\"non_default_choices_before\":" << result.non_default_choices_before
              << ",\"non_default_choices_after\":" << result.non_default_choices_after
              << ",\"runs\":" << result.runs << ",\"out\":" << yz::json::quote(o.out_path)
              << ",\"story\":[";
    for (std::size_t i = 0; i < result.story.size(); ++i)
      std::cout << (i ? "," : "") << yz::json::quote(result.story[i]);
    std::cout << "],\"delay_rules\":" << (force.rules ? yz::json::quote(rules_text) : "null")
              << ",\"delay_rules_file\":" << (force.rules ? yz::json::quote(rules_path) : "null")
              << ",\"delay_rules_problem\":" << yz::json::quote(force.why_not) << "}\n";
    return 0;
  }
  char line[256];
  std::snprintf(line, sizeof line,
                "shrunk %s: %llu -> %llu events (%.1fx), %zu -> %zu processes, %zu -> %zu "
                "non-default choices, in %llu runs\n",
                result.kind.c_str(), static_cast<unsigned long long>(result.events_before),
                static_cast<unsigned long long>(result.events_after), ratio,
                result.processes_before, result.processes_after, result.non_default_choices_before,
                result.non_default_choices_after, static_cast<unsigned long long>(result.runs));
  std::cout << line << "minimal trace: " << o.out_path << "\n"
            << "story: " << story << "\n";
  if (!force.rules) {
    std::cout << "delay rules: " << force.why_not << "\n";
    return 0;
  }
  std::cout << "delay rules that force this story on real processes (" << force.explanation
            << "), written to " << rules_path
            << " (yz-<role> --delay-rules FILE, yzsim run --delay-rules FILE):\n"
            << rules_text;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const CliParse parsed = parse_cli(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.options) return fail_usage(parsed.error);
  const CliOptions& o = *parsed.options;

  if (o.command == "help") {
    std::cout << usage();
    return 0;
  }
  if (o.command == "version") {
    std::cout << "yzsim " << YZ_VERSION << "\n";
    return 0;
  }
  if (o.command == "faults") {
    for (const auto& info : yz::core::all_faults())
      std::cout << info.name << "\t" << info.summary << "\n";
    return 0;
  }
  if (o.command == "merge") return merge_command(o);
  if (o.command == "replay") return replay_command(o);
  if (o.command == "shrink") return shrink_command(o);
  if (o.command == "report") return report_command(o);
  if (o.command == "compare") return compare_command(o);

  std::string text;
  if (!read_file(o.scenario_path, text))
    return fail_usage(o.scenario_path + ": cannot open scenario file");
  ScenarioLoad load = parse_scenario(text, o.scenario_path, ScenarioLimits{o.max_processes});
  if (!load.scenario) return fail_usage(load.error);
  Scenario scenario = std::move(*load.scenario);
  if (o.no_scenario_faults) scenario.faults = {};
  if (o.fast_signatures) scenario.sim_hash_signatures = true;
  if (scenario.name.empty()) scenario.name = o.scenario_path;
  if (!o.delay_rules_path.empty()) {
    yz::roles::DelayRulesLoad rules = yz::roles::load_delay_rules_file(o.delay_rules_path);
    if (!rules.rules) return fail_usage(rules.error);
    scenario.delay_rules = std::make_shared<const yz::core::DelayRules>(std::move(*rules.rules));
  }
  return o.command == "run" ? run_command(o, scenario, text)
                            : explore_command(o, scenario, text, argv[0]);
}
