#include "sim/cli.h"

#include <charconv>
#include <cstdlib>

namespace yz::sim {
namespace {

bool parse_u64(const std::string& text, std::uint64_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

// "I/N" with I < N: shard I (from 0, as Kubernetes' JOB_COMPLETION_INDEX
// counts) of N.
bool parse_shard(const std::string& text, std::uint64_t& index, std::uint64_t& count) {
  const auto slash = text.find('/');
  return slash != std::string::npos && parse_u64(text.substr(0, slash), index) &&
         parse_u64(text.substr(slash + 1), count) && count > 0 && index < count;
}

// yzsim merge SHARD... [--json] [--save DIR]
CliParse parse_merge(const std::vector<std::string>& args, CliOptions o) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--json") {
      o.json = true;
    } else if (arg == "--save") {
      if (i + 1 >= args.size() || args[i + 1].empty())
        return {std::nullopt, "--save needs a directory"};
      o.save_path = args[++i];
    } else if (arg.starts_with("--")) {
      return {std::nullopt, "unknown flag '" + arg + "' for merge"};
    } else {
      o.shard_paths.push_back(arg);
    }
  }
  if (o.shard_paths.empty())
    return {std::nullopt, "merge needs SHARD files (from explore --shard I/N --out FILE)"};
  return {o, {}};
}

// "5", "2.5s" or "500ms": a non-negative duration, seconds by default.
bool parse_duration(const std::string& text, std::int64_t& ns) {
  std::string digits = text;
  double scale = 1e9;
  if (digits.ends_with("ms")) {
    digits.resize(digits.size() - 2);
    scale = 1e6;
  } else if (digits.ends_with("s")) {
    digits.pop_back();
  }
  if (digits.empty() || digits.find_first_not_of("0123456789.") != std::string::npos) return false;
  char* end = nullptr;
  const double value = std::strtod(digits.c_str(), &end);
  if (end != digits.c_str() + digits.size() || value * scale > 1e18) return false;
  ns = static_cast<std::int64_t>(value * scale + 0.5);
  return true;
}

// yzsim compare SIM.json REAL.json [--json] [--isolated-tolerance N]
//                                  [--join-time-tolerance D]
CliParse parse_compare(const std::vector<std::string>& args, CliOptions o) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const std::string v = i + 1 < args.size() ? args[i + 1] : std::string();
    if (arg == "--json") {
      o.json = true;
    } else if (arg == "--isolated-tolerance") {
      std::uint64_t n = 0;
      if (!parse_u64(v, n))
        return {std::nullopt, "--isolated-tolerance needs a non-negative integer, got '" + v + "'"};
      o.isolated_tolerance = n;
      ++i;
    } else if (arg == "--join-time-tolerance") {
      std::int64_t ns = 0;
      if (!parse_duration(v, ns))
        return {std::nullopt,
                "--join-time-tolerance needs a duration (5, 2.5s, 500ms), got '" + v + "'"};
      o.join_time_tolerance_ns = ns;
      ++i;
    } else if (arg.starts_with("--")) {
      return {std::nullopt, "unknown flag '" + arg + "' for compare"};
    } else {
      o.compare_paths.push_back(arg);
    }
  }
  if (o.compare_paths.size() != 2)
    return {std::nullopt, "compare needs two RUN.json files, SIM.json and REAL.json (got " +
                              std::to_string(o.compare_paths.size()) + ")"};
  return {o, {}};
}

}  // namespace

std::string usage() {
  return R"(yzsim: deterministic simulation of a yz network, running the real role code.

usage:
  yzsim run SCENARIO [--seed N] [--fault NAME]... [--strategy fifo|random|pct|swarm]
                     [--depth D] [--json] [--trace FILE] [--save TRACE] [--check]
                     [--record RUN.json] [--perfetto FILE] [--ed25519]
                     [--max-processes N] [--progress | --no-progress]
  yzsim explore SCENARIO [--strategy random|pct|exhaustive|swarm|fifo] [--runs N]
                     [--seed FIRST] [--depth D] [--bound B] [--jobs J] [--fault NAME]...
                     [--save DIR] [--json] [--ed25519] [--max-processes N]
                     [--shard I/N] [--out SHARD.json]
  yzsim merge SHARD.json... [--save DIR] [--json]
  yzsim compare SIM.json REAL.json [--json] [--isolated-tolerance N]
                     [--join-time-tolerance D]
  yzsim replay TRACE [--json] [--story] [--max-processes N]
  yzsim shrink TRACE [--out FILE] [--invariant KIND] [--max-runs N] [--json]
  yzsim report RUN.json [--html FILE] [--perfetto FILE]
  yzsim faults
  yzsim --help | --version

  run       one run; prints the health table (or, with --json, one JSON object).
            --check exits 1 when the run fails (an invariant broke, the network
            did not converge after healing, or, without a liveness phase, a
            process ended unhealthy).
  explore   many runs; prints runs, distinct orderings, runs per second, failing
            runs (safety and liveness apart) and the first failing seed per
            failure kind. Strategies:
              random      seeds FIRST..FIRST+N-1, every choice drawn from the seed
              pct         probabilistic concurrency testing, depth --depth (3)
              exhaustive  every ordering with at most --bound (2) latency choices
                          delayed; identical states pruned; --runs caps it
              swarm       random, plus each run draws its own latency shape (LAN to
                          WAN, some with a long tail up to 2 s one-way), timing
                          constants (health-check interval, find_node, invitation
                          and onboarding timeouts) valid for that shape, join
                          spacing, node crashes and restarts, and which of the
                          faults are on; yzsim run --strategy swarm prints them
            --jobs J spreads runs over J threads (default: every core); the
            result is the same for any J. --save DIR writes DIR/KIND.trace for
            the first failing run of each kind. With failures, it prints the
            yzsim run command that replays the first (and exits 1 with --check).
            --shard I/N runs only slice I (0 <= I < N) of the runs: seeds are cut
            into N contiguous slices, the same runs with the same seeds as the
            whole exploration (not exhaustive). --out FILE writes the result
            for merge (with or without --shard); give each shard its own
            --save DIR: it saves the first failing run of each kind in its slice.
  merge     combines the --out files of all N shards into the whole exploration's
            result, printed as explore prints it: the same counts, the same
            first failing seed of each kind (first in run order); --save DIR
            copies each kind's trace from the shard that ran it (the files the
            single run saves). Refuses (exit 2) a missing shard, overlapping
            shards, and shards of different explorations (scenario, strategy,
            seeds, runs, faults or flags).
  compare   holds two recorded runs of one scenario side by side (run --record,
            or yzctl's record of real processes): per process the final health
            and join state, connections, routing entries, peers missing a
            handler, frames dropped for want of one, join time; the link ends
            without a DHT listener at the end and the kind of node owning them;
            and a verdict. Exact: the same processes, the same anchors
            (bootstrap, genesis, bridges) healthy, every DHT node joined when
            the first record's all joined, listener-less links on the same
            kinds of node. Within a tolerance: DHT nodes not joined
            (--isolated-tolerance N, default max(2, 20% of the DHT nodes,
            rounded up)), join times of processes joined at the end in both,
            once the median of real minus sim (start-up and sampling) is
            taken off (--join-time-tolerance D, default 5s of scenario time).
            Counts are shown, not judged. The output writes out each
            tolerance and why.
            Exit 0 when they agree, 1 naming each failed check, 2 when a file is
            missing or not a run record, or the scenarios differ.
  replay    re-executes a trace from its recorded choices and checks every step
            and the final hash; exit 1 names the first step that differs.
            --story also tells the failure's story, walked back along the
            trace's cause links (the story shrink prints, without shrinking).
  shrink    minimises a failing trace (fewer processes, fewer non-default
            choices, fewer events) while the same failure still happens, writes
            the minimal trace (--out, default TRACE.min) and tells its story:
            the chain of causes walked back from the failure (which lost frame
            made which lookup wait, which made which onboarding fail). It keeps
            --invariant KIND, else the kind the trace was saved for (explore
            --save's KIND.trace), else the trace's first failure.
  report    draws a run recorded with run --record: --html writes one
            self-contained page (health swimlanes, the link graph at any
            moment, the messages around the first violation); --perfetto the
            trace for ui.perfetto.dev.
  faults    lists the fault switches.

  --fault NAME     turns a fault on (repeatable); the scenario's own faults stay on
  --ed25519        signs with Ed25519, as the real processes do (unless the scenario
                   says signatures: SIM_HASH); several times slower. Without it, run
                   and explore use the keyed-hash stand-in (sim/sim_signatures.h):
                   the same role code; trace hashes differ from Ed25519 runs, and
                   trace files record which was used
  --fast-signatures  the stand-in, the default (accepted for older commands)
  --no-scenario-faults  ignores the faults the scenario file turns on
  --trace FILE     writes every event, one per line (same seed, same file)
  --save TRACE     writes a replayable trace of the run
  --delay-rules FILE  run, explore: holds received frames as real processes started
                   with --delay-rules FILE do (proto/yz/v1/delay_rules.proto); not
                   with --save (a trace does not carry the rules)
  --record FILE    writes RUN.json: the --json result plus the timeline (health,
                   links, every frame delivered); the trace hash does not change
  --perfetto FILE  writes Chrome trace-event JSON, one track per process
  --max-processes N  refuses (exit 2, before building anything) a scenario of
                   more than N processes; default 100000, about 4 GB to build
  --progress       run: a line on standard error at each tenth of the virtual
                   time; without it, a long run (over 5 s of wall time) reports
                   every 5 s and a short one says nothing; --no-progress: never
exit status: 0 ok, 1 --check, replay or shrink found a failure or mismatch, or
             compare found the runs disagree,
             2 bad usage, bad scenario, bad trace or shards that do not merge
)";
}

CliParse parse_cli(const std::vector<std::string>& args) {
  CliOptions o;
  if (args.empty()) return {std::nullopt, "no command given (try yzsim --help)"};
  std::size_t i = 0;
  const std::string& first = args[0];
  if (first == "--help" || first == "-h" || first == "help") {
    o.command = "help";
    return {o, {}};
  }
  if (first == "--version") {
    o.command = "version";
    return {o, {}};
  }
  if (first != "run" && first != "explore" && first != "merge" && first != "faults" &&
      first != "replay" && first != "shrink" && first != "report" && first != "compare")
    return {std::nullopt,
            "unknown command '" + first +
                "' (expected run, explore, merge, compare, replay, shrink, report or faults)"};
  o.command = first;
  ++i;
  if (o.command == "merge") return parse_merge(args, std::move(o));
  if (o.command == "compare") return parse_compare(args, std::move(o));
  const bool on_trace = o.command == "replay" || o.command == "shrink";
  if (o.command != "faults") {
    if (i >= args.size() || args[i].starts_with("--"))
      return {std::nullopt,
              o.command + (on_trace                ? " needs a TRACE file"
                           : o.command == "report" ? " needs a RUN.json file (from run --record)"
                                                   : " needs a SCENARIO file")};
    o.scenario_path = args[i++];
  }
  bool runs_given = false;
  bool strategy_given = false;
  for (; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    if (o.command == "report") {
      if (flag == "--html" && value(v) && !v.empty()) {
        o.html_path = v;
      } else if (flag == "--perfetto" && value(v) && !v.empty()) {
        o.perfetto_path = v;
      } else {
        return {std::nullopt, flag == "--html" || flag == "--perfetto"
                                  ? flag + " needs a file name"
                                  : "unknown flag '" + flag + "' for report"};
      }
      continue;
    }
    std::uint64_t n = 0;
    const bool sim_flags = o.command == "run" || o.command == "explore";
    if (flag == "--seed" && sim_flags) {
      if (!value(v) || !parse_u64(v, o.seed))
        return {std::nullopt, "--seed needs a non-negative integer, got '" + v + "'"};
    } else if (flag == "--runs" && o.command == "explore") {
      if (!value(v) || !parse_u64(v, o.runs) || o.runs == 0)
        return {std::nullopt, "--runs needs a positive integer, got '" + v + "'"};
      runs_given = true;
    } else if (flag == "--depth" && sim_flags) {
      if (!value(v) || !parse_u64(v, n) || n == 0 || n > 64)
        return {std::nullopt, "--depth needs an integer from 1 to 64, got '" + v + "'"};
      o.depth = static_cast<std::uint32_t>(n);
    } else if (flag == "--bound" && o.command == "explore") {
      if (!value(v) || !parse_u64(v, n) || n > 8)
        return {std::nullopt, "--bound needs an integer from 0 to 8, got '" + v + "'"};
      o.bound = static_cast<std::uint32_t>(n);
    } else if (flag == "--jobs" && o.command == "explore") {
      if (!value(v) || !parse_u64(v, n) || n == 0 || n > 1024)
        return {std::nullopt, "--jobs needs an integer from 1 to 1024, got '" + v + "'"};
      o.jobs = static_cast<unsigned>(n);
    } else if (flag == "--fault" && sim_flags) {
      if (!value(v)) return {std::nullopt, "--fault needs a fault name (yzsim faults lists them)"};
      const auto fault = core::fault_from_name(v);
      if (!fault) return {std::nullopt, "unknown fault '" + v + "' (yzsim faults lists them)"};
      o.faults.enable(*fault);
    } else if (flag == "--no-scenario-faults" && sim_flags) {
      o.no_scenario_faults = true;
    } else if (flag == "--fast-signatures" && sim_flags) {
      o.fast_signatures = true;
    } else if (flag == "--ed25519" && sim_flags) {
      o.fast_signatures = false;
    } else if (flag == "--strategy" && sim_flags) {
      if (!value(v)) return {std::nullopt, "--strategy needs a strategy name"};
      const auto strategy = strategy_from_name(v);
      if (!strategy)
        return {std::nullopt,
                "unknown strategy '" + v + "' (expected random, pct, exhaustive, swarm or fifo)"};
      if (o.command == "run" && *strategy == Strategy::kExhaustive)
        return {std::nullopt, "run does not take --strategy exhaustive (use explore)"};
      o.strategy = *strategy;
      strategy_given = true;
    } else if (flag == "--max-processes" && (sim_flags || o.command == "replay")) {
      if (!value(v) || !parse_u64(v, o.max_processes) || o.max_processes == 0)
        return {std::nullopt, "--max-processes needs a positive integer, got '" + v + "'"};
    } else if (flag == "--progress" && o.command == "run") {
      o.progress = CliOptions::Progress::kOn;
    } else if (flag == "--no-progress" && o.command == "run") {
      o.progress = CliOptions::Progress::kOff;
    } else if (flag == "--json") {
      o.json = true;
    } else if (flag == "--story" && o.command == "replay") {
      o.story = true;
    } else if (flag == "--check" && o.command == "run") {
      o.check = true;
    } else if (flag == "--trace" && o.command == "run") {
      if (!value(v) || v.empty()) return {std::nullopt, "--trace needs a file name"};
      o.trace_path = v;
    } else if (flag == "--record" && o.command == "run") {
      if (!value(v) || v.empty()) return {std::nullopt, "--record needs a file name"};
      o.record_path = v;
    } else if (flag == "--perfetto" && o.command == "run") {
      if (!value(v) || v.empty()) return {std::nullopt, "--perfetto needs a file name"};
      o.perfetto_path = v;
    } else if (flag == "--delay-rules" && sim_flags) {
      if (!value(v) || v.empty()) return {std::nullopt, "--delay-rules needs a file name"};
      o.delay_rules_path = v;
    } else if (flag == "--save" && sim_flags) {
      if (!value(v) || v.empty())
        return {std::nullopt,
                o.command == "run" ? "--save needs a trace file name" : "--save needs a directory"};
      o.save_path = v;
    } else if (flag == "--shard" && o.command == "explore") {
      if (!value(v) || !parse_shard(v, o.shard_index, o.shard_count))
        return {std::nullopt, "--shard needs I/N with 0 <= I < N, got '" + v + "'"};
      o.sharded = true;
    } else if (flag == "--out" && o.command == "explore") {
      if (!value(v) || v.empty()) return {std::nullopt, "--out needs a file name"};
      o.out_path = v;
    } else if (flag == "--out" && o.command == "shrink") {
      if (!value(v) || v.empty()) return {std::nullopt, "--out needs a file name"};
      o.out_path = v;
    } else if (flag == "--invariant" && o.command == "shrink") {
      if (!value(v) || v.empty()) return {std::nullopt, "--invariant needs a failure kind"};
      o.invariant = v;
    } else if (flag == "--max-runs" && o.command == "shrink") {
      if (!value(v) || !parse_u64(v, o.max_runs) || o.max_runs == 0)
        return {std::nullopt, "--max-runs needs a positive integer, got '" + v + "'"};
    } else {
      return {std::nullopt, "unknown flag '" + flag + "' for " + o.command};
    }
  }
  if (o.command == "explore" && !runs_given && o.strategy != Strategy::kExhaustive)
    return {std::nullopt, "explore needs --runs N (except with --strategy exhaustive)"};
  (void)strategy_given;
  if (o.command == "explore" && o.strategy == Strategy::kExhaustive &&
      (o.sharded || !o.out_path.empty()))
    return {std::nullopt,
            "explore --strategy exhaustive takes no --shard or --out: each level's pruning needs "
            "every earlier level's states, so its runs cannot be split"};
  if (!o.delay_rules_path.empty() && (!o.save_path.empty() || !o.out_path.empty()))
    return {std::nullopt,
            std::string(o.save_path.empty() ? "--out" : "--save") +
                " cannot be combined with --delay-rules: a trace or shard file does not carry "
                "the rules, so what it replays or merges would run without them"};
  if (o.command == "shrink" && o.out_path.empty()) o.out_path = o.scenario_path + ".min";
  if (o.command == "report" && o.html_path.empty() && o.perfetto_path.empty())
    return {std::nullopt, "report needs --html FILE or --perfetto FILE"};
  return {o, {}};
}

}  // namespace yz::sim
