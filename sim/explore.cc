#include "sim/explore.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

namespace yz::sim {

bool is_liveness_failure(const std::string& kind) {
  return kind == "livelock" || kind == "liveness" || kind == "unhealthy_at_end";
}

std::vector<std::string> failure_kinds(const RunResult& result) {
  std::vector<std::string> kinds;
  for (const auto& v : result.invariant_violations)
    if (std::find(kinds.begin(), kinds.end(), v.invariant) == kinds.end())
      kinds.push_back(v.invariant);
  if (result.pruned) return kinds;  // it ended early on purpose
  const bool livelocked = std::find(kinds.begin(), kinds.end(), "livelock") != kinds.end();
  if (result.liveness.checked) {
    if (!result.liveness.converged && !livelocked) kinds.emplace_back("liveness");
  } else if (result.summary.unhealthy > 0 && !livelocked) {
    kinds.emplace_back("unhealthy_at_end");
  }
  return kinds;
}

bool run_failed(const RunResult& result) { return !failure_kinds(result).empty(); }

RunResult run_spec(const Scenario& base_scenario, const RunSpec& spec, RunOptions options) {
  const Scenario scenario =
      spec.edits.empty() ? base_scenario : apply_edits(base_scenario, spec.edits);
  options.seed = spec.seed;
  options.faults = spec.faults;
  options.strategy = spec.strategy;
  std::unique_ptr<Chooser> chooser;
  if (options.chooser == nullptr) {
    switch (spec.strategy) {
      case Strategy::kPct:
        chooser = std::make_unique<PctChooser>(spec.seed, scenario.processes.size(), spec.pct_depth,
                                               spec.pct_points);
        break;
      case Strategy::kExhaustive:
        chooser = std::make_unique<ExhaustiveChooser>(spec.delayed);
        break;
      case Strategy::kFifo:
      case Strategy::kRandom:
      case Strategy::kSwarm:
        chooser = std::make_unique<RandomChooser>(spec.seed, spec.strategy == Strategy::kFifo);
        break;
    }
    options.chooser = chooser.get();
  }
  Simulator simulator(scenario, std::move(options));
  return simulator.run();
}

ScenarioEdits swarm_edits(std::uint64_t seed, const core::FaultSet& faults) {
  // Swarm testing (Groce et al., ISSTA 2012; TigerBeetle's VOPR): each run
  // draws its own configuration, so rare combinations get runs of their own.
  Xoshiro256 rng(seed ^ 0x737761726dULL);
  static constexpr core::Duration kMinLatencyUs[] = {50, 500, 2000, 10000};
  static constexpr core::Duration kSpreadUs[] = {100, 5000, 20000, 100000};
  static constexpr std::uint32_t kSpacing[] = {5, 25, 50, 100, 200};
  static constexpr std::uint32_t kRestarts[] = {0, 0, 1, 2, 4};
  ScenarioEdits edits;
  edits.latency_min = kMinLatencyUs[rng.uniform(0, 3)] * 1000;
  edits.latency_max = *edits.latency_min + kSpreadUs[rng.uniform(0, 3)] * 1000;
  edits.start_spacing_percent = kSpacing[rng.uniform(0, 4)];
  edits.restarts = kRestarts[rng.uniform(0, 4)];
  core::FaultSet drawn;
  for (const auto& info : core::all_faults())
    if (faults.has(info.fault) && rng.uniform(0, 1) == 1) drawn.enable(info.fault);
  edits.faults = drawn;
  return edits;
}

namespace {

struct Outcome {
  RunResult result;  // choices and nodes dropped to save memory
  std::vector<std::string> kinds;
  std::uint64_t stop_index = 0;                 // exhaustive: latency choices reached
  std::vector<std::uint64_t> new_fingerprints;  // exhaustive: states seen after the last delay
};

// Runs specs[i] for every i on `jobs` threads; results land at their index.
template <typename RunOne>
void run_all(std::size_t count, unsigned jobs, RunOne run_one) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) run_one(i);
  };
  const unsigned threads = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(count)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();
}

class Aggregate {
 public:
  explicit Aggregate(ExploreReport& report) : report_(report) {}
  void add(std::uint64_t index, const RunSpec& spec, const Outcome& outcome) {
    ExploreResult& r = report_.summary;
    ++r.runs;
    r.total_events += outcome.result.events;
    hashes_.insert(outcome.result.trace_hash);
    if (!outcome.result.pruned) orderings_.insert(outcome.result.ordering_hash);
    if (outcome.result.pruned) ++r.pruned;
    // A pruned run stopped part-way: its end state says nothing.
    if (!outcome.result.pruned) r.unhealthy_histogram[outcome.result.summary.unhealthy]++;
    if (outcome.kinds.empty()) return;
    ++r.failing_runs;
    r.failing_seeds.push_back(spec.strategy == Strategy::kExhaustive ? index : spec.seed);
    bool safety = false, liveness = false;
    for (const auto& kind : outcome.kinds) {
      (is_liveness_failure(kind) ? liveness : safety) = true;
      if (report_.first_failure.contains(kind)) continue;
      std::uint64_t step = 0;
      for (const auto& v : outcome.result.invariant_violations)
        if (v.invariant == kind) {
          step = v.step;
          break;
        }
      report_.first_failure[kind] = FirstFailure{index, spec, step};
      r.first_failing_seed[kind] = spec.strategy == Strategy::kExhaustive ? index : spec.seed;
    }
    r.safety_failures += safety;
    r.liveness_failures += liveness;
  }
  void finish() {
    report_.summary.distinct_trace_hashes = hashes_.size();
    report_.summary.distinct_orderings = orderings_.size();
  }

 private:
  ExploreReport& report_;
  std::set<std::uint64_t> hashes_;
  std::set<std::uint64_t> orderings_;
};

Outcome strip(RunResult result) {
  Outcome o;
  o.kinds = failure_kinds(result);
  result.choices.clear();
  result.choices.shrink_to_fit();
  o.result = std::move(result);
  return o;
}

void explore_seeds(const Scenario& scenario, const ExploreOptions& options, ExploreReport& report) {
  std::uint64_t pct_points = 0;
  if (options.strategy == Strategy::kPct) {
    // PCT spreads its change points over the run's choice points; one
    // default run tells how many there are.
    RunSpec probe;
    probe.strategy = Strategy::kExhaustive;
    probe.faults = options.faults;
    probe.edits = options.edits;
    pct_points = run_spec(scenario, probe).latency_choices;
  }
  std::vector<RunSpec> specs(options.runs);
  for (std::uint64_t i = 0; i < options.runs; ++i) {
    RunSpec& spec = specs[i];
    spec.strategy = options.strategy;
    spec.seed = options.first_seed + i;
    spec.pct_depth = options.depth;
    spec.pct_points = pct_points;
    spec.faults = options.faults;
    spec.edits = options.edits;
    if (options.strategy == Strategy::kSwarm) {
      core::FaultSet all = scenario.faults;
      for (const auto& name : options.faults.names()) all.enable(*core::fault_from_name(name));
      spec.edits = swarm_edits(spec.seed, all);
      spec.edits.sim_hash_signatures = options.edits.sim_hash_signatures;
      spec.faults = {};
    }
  }
  std::vector<Outcome> outcomes(specs.size());
  std::mutex mutex;
  std::uint64_t done = 0, failing = 0;
  run_all(specs.size(), options.jobs, [&](std::size_t i) {
    outcomes[i] = strip(run_spec(scenario, specs[i]));
    std::lock_guard lock(mutex);
    ++done;
    failing += !outcomes[i].kinds.empty();
    if (options.progress) options.progress(done, failing, specs.size());
  });
  Aggregate aggregate(report);
  for (std::size_t i = 0; i < specs.size(); ++i) aggregate.add(i, specs[i], outcomes[i]);
  aggregate.finish();
}

std::uint64_t prune_key(std::uint64_t index, std::uint64_t fingerprint) {
  Fnv1a64 h;
  h.add_u64(index);
  h.add_u64(fingerprint);
  return h.value();
}

// Delay-bounded enumeration, level by level: level L holds the runs with L
// delayed latency choices. A run's children delay one more choice after its
// last delayed one, so every set of at most `bound` delays is run once. A
// run that reaches a state an earlier level already reached (same event
// order so far, same pending events) stops there: the earlier run's subtree
// covers what would follow. Only earlier levels' states are used, so the
// pruning, like the rest, does not depend on thread timing.
void explore_exhaustive(const Scenario& scenario, const ExploreOptions& options,
                        ExploreReport& report) {
  ExploreResult& r = report.summary;
  r.bound = options.bound;
  std::unordered_set<std::uint64_t> seen;  // membership only, never iterated
  constexpr std::size_t kSeenCap = 8'000'000;
  std::vector<RunSpec> level(1);
  level[0].strategy = Strategy::kExhaustive;
  level[0].faults = options.faults;
  level[0].edits = options.edits;
  std::uint64_t index = 0;
  std::uint64_t done = 0, failing = 0;
  std::mutex mutex;
  Aggregate aggregate(report);
  bool capped = false;
  for (std::uint32_t depth = 0; !level.empty(); ++depth) {
    if (options.runs != 0 && index + level.size() > options.runs) {
      level.resize(options.runs - index);
      capped = true;
    }
    const bool last_level = depth == options.bound;
    std::vector<Outcome> outcomes(level.size());
    run_all(level.size(), options.jobs, [&](std::size_t i) {
      const RunSpec& spec = level[i];
      const std::uint64_t after = spec.delayed.empty() ? 0 : spec.delayed.back() + 1;
      Outcome& outcome = outcomes[i];
      RunOptions base;
      base.at_latency_choice = [&](std::uint64_t at, std::uint64_t fingerprint) {
        if (at < after || depth == 0) return false;
        const std::uint64_t key = prune_key(at, fingerprint);
        if (seen.contains(key)) {
          outcome.stop_index = at;
          return true;
        }
        if (!last_level) outcome.new_fingerprints.push_back(key);
        return false;
      };
      if (depth == 0)
        base.at_latency_choice = [&](std::uint64_t at, std::uint64_t fingerprint) {
          outcome.new_fingerprints.push_back(prune_key(at, fingerprint));
          return false;
        };
      RunResult result = run_spec(scenario, spec, base);
      const std::uint64_t stop = result.pruned ? outcome.stop_index : result.latency_choices;
      auto fingerprints = std::move(outcome.new_fingerprints);
      outcome = strip(std::move(result));
      outcome.stop_index = stop;
      outcome.new_fingerprints = std::move(fingerprints);
      std::lock_guard lock(mutex);
      ++done;
      failing += !outcome.kinds.empty();
      if (options.progress) options.progress(done, failing, 0);
    });
    if (depth == 0) r.default_latency_choices = outcomes[0].result.latency_choices;
    std::vector<RunSpec> next;
    for (std::size_t i = 0; i < level.size(); ++i) {
      aggregate.add(index++, level[i], outcomes[i]);
      for (std::uint64_t key : outcomes[i].new_fingerprints)
        if (seen.size() < kSeenCap) seen.insert(key);
      if (last_level) continue;
      const std::uint64_t after = level[i].delayed.empty() ? 0 : level[i].delayed.back() + 1;
      for (std::uint64_t q = after; q < outcomes[i].stop_index; ++q) {
        RunSpec child = level[i];
        child.delayed.push_back(q);
        next.push_back(std::move(child));
      }
    }
    if (capped) break;
    level = std::move(next);
  }
  r.complete = !capped;
  aggregate.finish();
}

}  // namespace

ExploreReport explore(const Scenario& scenario, const ExploreOptions& options) {
  ExploreReport report;
  ExploreResult& r = report.summary;
  r.scenario = scenario.name;
  r.first_seed = options.first_seed;
  r.strategy = std::string(strategy_name(options.strategy));
  r.jobs = std::max(1u, options.jobs);
  core::FaultSet all = scenario.faults;
  for (const auto& name : options.faults.names()) all.enable(*core::fault_from_name(name));
  r.faults = all.names();
  // Wall time is reported, never used to decide anything in a run.
  const auto started = std::chrono::steady_clock::now();
  if (options.strategy == Strategy::kExhaustive) {
    explore_exhaustive(scenario, options, report);
  } else {
    explore_seeds(scenario, options, report);
  }
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace yz::sim
