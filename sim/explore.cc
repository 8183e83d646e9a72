#include "sim/explore.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

namespace {

using core::kMillisecond;
using core::kSecond;

// A one-way latency shape: uniform in [min, max] plus, for `tail_per_mille`
// of the frames, uniform in [max, tail_max]. Each range is drawn from.
struct LatencyShape {
  const char* name;
  core::Duration min_lo, min_hi;        // min
  core::Duration spread_lo, spread_hi;  // max - min
  std::uint32_t tail_per_mille;         // 0: no tail
  core::Duration tail_lo, tail_hi;      // tail_max
};

// Up to WAN scale. The slowest one-way latency any shape draws is 2 s: the
// handshake deadline (Timing::handshake_timeout, 10 s, which the swarm does
// not draw) must cover the four legs from a dial to an established link
// (accept, open, hello, connected; the acceptor waits for open, hello,
// connected and proof) with room to spare, and 4 x 2.5 s would already be
// the whole deadline: past that, no link is ever established, by
// construction.
constexpr LatencyShape kShapes[] = {
    // Where the project's own scenarios live (500 us - 20 ms).
    {"lan", 50 * kMillisecond / 1000, 2 * kMillisecond, 100 * kMillisecond / 1000,
     20 * kMillisecond, 0, 0, 0},
    {"regional", 2 * kMillisecond, 20 * kMillisecond, 20 * kMillisecond, 100 * kMillisecond, 0, 0,
     0},
    {"continental", 20 * kMillisecond, 60 * kMillisecond, 40 * kMillisecond, 150 * kMillisecond, 10,
     300 * kMillisecond, 600 * kMillisecond},
    // Intercontinental links with a long tail: most frames 100-700 ms, 2%
    // up to 2 s (the "long latency tails").
    {"wan-tail", 80 * kMillisecond, 150 * kMillisecond, 200 * kMillisecond, 550 * kMillisecond, 20,
     1000 * kMillisecond, 2000 * kMillisecond},
    // Slow links (satellite, congested paths): 400-700 ms one-way and more,
    // the shape of the finding 1 with fast health checks.
    {"slow-wan", 300 * kMillisecond, 500 * kMillisecond, 200 * kMillisecond, 700 * kMillisecond, 20,
     1200 * kMillisecond, 2000 * kMillisecond},
    // Seconds one-way, every frame: the finding 2 (2 s and more).
    {"very-slow-wan", 1000 * kMillisecond, 1500 * kMillisecond, 300 * kMillisecond,
     500 * kMillisecond, 0, 0, 0},
};

// Uniform in [lo, hi], in whole milliseconds (microseconds below 1 ms).
core::Duration draw_between(Xoshiro256& rng, core::Duration lo, core::Duration hi) {
  const core::Duration unit = hi < 10 * kMillisecond ? kMillisecond / 1000 : kMillisecond;
  const auto steps = static_cast<std::uint64_t>((hi - lo) / unit);
  return lo + static_cast<core::Duration>(rng.uniform(0, steps)) * unit;
}

// One of `options`, or (index options.size()) the scenario's own value.
core::Duration draw_or_keep(Xoshiro256& rng, std::initializer_list<core::Duration> options,
                            core::Duration keep) {
  const std::uint64_t i = rng.uniform(0, options.size());
  return i < options.size() ? *(options.begin() + i) : keep;
}

std::string seconds_text(core::Duration d) {
  char text[32];
  if (d < kSecond)
    std::snprintf(text, sizeof text, "%g ms", static_cast<double>(d) / kMillisecond);
  else
    std::snprintf(text, sizeof text, "%g s", static_cast<double>(d) / kSecond);
  return text;
}

}  // namespace

ScenarioEdits swarm_edits(std::uint64_t seed, const core::FaultSet& faults,
                          const Scenario& scenario) {
  // Swarm testing (Groce et al., ISSTA 2012; TigerBeetle's VOPR): each run
  // draws its own configuration, so rare combinations get runs of their own.
  // The draws are in a fixed order from one stream of the seed: the same
  // seed, the same knobs, on any machine.
  Xoshiro256 rng(seed ^ 0x737761726dULL);
  static constexpr std::uint32_t kSpacing[] = {5, 25, 50, 100, 200};
  static constexpr std::uint32_t kRestarts[] = {0, 0, 1, 2, 4};
  ScenarioEdits edits;

  // The latency shape: one of kShapes, or (one run in seven) the
  // scenario's own, so a shape a scenario was written for (zero latency,
  // say) is explored too. About half the runs go to WAN scale.
  const std::uint64_t shape_index = rng.uniform(0, std::size(kShapes));
  if (shape_index < std::size(kShapes)) {
    const LatencyShape& shape = kShapes[shape_index];
    edits.latency_min = draw_between(rng, shape.min_lo, shape.min_hi);
    edits.latency_max = *edits.latency_min + draw_between(rng, shape.spread_lo, shape.spread_hi);
    edits.latency_tail_per_mille = shape.tail_per_mille;
    edits.latency_tail_max =
        shape.tail_per_mille > 0
            ? std::max(*edits.latency_max, draw_between(rng, shape.tail_lo, shape.tail_hi))
            : *edits.latency_max;
  } else {
    edits.latency_min = scenario.latency_min;
    edits.latency_max = scenario.latency_max;
    edits.latency_tail_per_mille = scenario.latency_tail_per_mille;
    edits.latency_tail_max = std::max(scenario.latency_tail_max, scenario.latency_max);
  }
  edits.start_spacing_percent = kSpacing[rng.uniform(0, 4)];
  edits.restarts = kRestarts[rng.uniform(0, 4)];

  // Timing constants, each one of a few values or the scenario's own. Three
  // are then raised to the least value at which the exchange they time can
  // finish on this shape at all; below it a correct system cannot join, by
  // construction. `slowest` is the slowest one-way latency drawn (a frame
  // never takes longer: links deliver in order, and a frame queued behind
  // another arrives no later than the other's latency after it was sent).
  // Measured on the code with issue 14's core fixes (seeds 1..1000): with
  // all three floors dropped, 140 runs of race-5 and 160 of incident-15
  // fail; with them, 0 of 6,200 runs over the seven shapes of
  // tests/sim/swarm_test.cc. Floors on the other timeouts were tried and
  // dropped: without them, 0 failures in 300 runs of each of two shapes.
  const core::Duration slowest = std::max(*edits.latency_max, *edits.latency_tail_max);
  const core::Timing& t = scenario.timing;
  auto at_least = [](core::Duration value, core::Duration floor) { return std::max(value, floor); };
  // Health checks faster than a handshake, or than a round trip, must work
  // (the finding 1: 1 s checks over 400-700 ms links). But a link we
  // dialled is closed as dead when dead_link_pings (3) pings in a row, one
  // per check, are unanswered at a check: a round trip longer than 3
  // intervals closes live links by that rule (without this floor,
  // live_link_closed_as_dead in 52 of 1000 runs of race-5, 91 of
  // incident-15). The floor keeps the round trip (2 x slowest) under 2.9
  // intervals.
  const core::Duration health = at_least(draw_or_keep(rng,
                                                      {500 * kMillisecond, 1 * kSecond, 2 * kSecond,
                                                       5 * kSecond, 10 * kSecond, 30 * kSecond},
                                                      t.health_check_interval),
                                         slowest * 7 / 10 + kMillisecond);
  // A request on an open link waits for a round trip: shorter, and no answer
  // ever arrives in time (no lookup completes, no helper is found: without
  // either floor, liveness fails in 50-65 of 1000 runs). 2.2 legs: a round
  // trip and a margin.
  const core::Duration connected = at_least(
      draw_or_keep(rng, {1 * kSecond, 2 * kSecond, 5 * kSecond, 10 * kSecond, 20 * kSecond},
                   t.find_node_timeout_connected),
      slowest * 22 / 10);
  const core::Duration invitation = at_least(
      draw_or_keep(rng, {1 * kSecond, 2 * kSecond, 5 * kSecond, 10 * kSecond, 20 * kSecond},
                   t.invitation_timeout),
      slowest * 22 / 10);
  // No floors below. To a peer with no link yet, the timeout also covers the
  // dial and the handshake (6 legs in all): shorter, such queries fail while
  // the link still comes up, and the lookup goes on without them.
  const core::Duration unconnected =
      draw_or_keep(rng, {500 * kMillisecond, 1 * kSecond, 3 * kSecond, 6 * kSecond, 12 * kSecond},
                   t.find_node_timeout);
  // The bootstrap's wait for one bridge: whether it covers the bridge's own
  // budget (its lookup and its invitations) is the system's business, not
  // the swarm's; that it did not is the finding 2.
  const core::Duration bridge_wait =
      draw_or_keep(rng, {2 * kSecond, 5 * kSecond, 10 * kSecond, 20 * kSecond, 30 * kSecond},
                   t.onboarding_bridge_timeout);
  // A newcomer that heard nothing for this long asks again (an onboarding
  // still open at the bootstrap answers "started" and goes on).
  const core::Duration give_up = draw_or_keep(
      rng, {10 * kSecond, 30 * kSecond, 60 * kSecond, 120 * kSecond}, t.onboarding_give_up);
  edits.timing = {
      {"health_check_interval", health},          {"find_node_timeout_connected", connected},
      {"find_node_timeout", unconnected},         {"invitation_timeout", invitation},
      {"onboarding_bridge_timeout", bridge_wait}, {"onboarding_give_up", give_up}};

  // Every run gets a liveness phase long enough for this shape: a node not
  // joined when the faults go off waits up to a health check and the
  // emergency throttle, then one onboarding, in which the bootstrap may wait
  // on every bridge in turn (as long as the bridge's whole budget, two
  // lookup rounds and an invitation per helper candidate, plus the way there
  // and back), and perhaps does all that twice. Without it, a slow join or a
  // crash and restart late in a scenario without a liveness phase would end
  // the run mid-join: unhealthy by construction. A run that converges stops
  // there, so the bound costs only failing runs their time.
  std::uint64_t bridges = 0;
  for (const auto& p : scenario.processes) bridges += p.role == core::Role::kBridge;
  const core::Duration per_bridge = std::max(
      bridge_wait,
      2 * connected + static_cast<core::Duration>(t.helper_candidates) * invitation + 4 * slowest);
  const core::Duration attempt =
      health + t.emergency_throttle +
      static_cast<core::Duration>(std::max<std::uint64_t>(bridges, 1)) * per_bridge + 30 * slowest;
  edits.liveness_bound = std::max(scenario.liveness_bound, 2 * attempt);

  // With value checks (issue 17), a get or put must be able to reach a
  // holder it has no link to yet: a query to an unlinked peer covers the
  // dial, the handshake and the request (8 legs), and a lookup a few such
  // rounds. Below that a get whose holders are all unlinked answers
  // not_found by construction (a find_node_timeout of 1 s on 400-700 ms
  // links: value_lost in 5 of 40 runs of values-15). Raised after every
  // draw, so scenarios without value checks draw exactly as before.
  if (scenario.has_value_checks()) {
    const core::Duration query = slowest * 8 + kSecond;
    const core::Duration unlinked = std::max(edits.timing["find_node_timeout"], query);
    edits.timing["find_node_timeout"] = unlinked;
    const core::Duration round = std::max(unlinked, connected);
    edits.timing["get_timeout"] = std::max(t.get_timeout, 4 * round);
    edits.timing["put_timeout"] = std::max(t.put_timeout, 4 * round);
  }

  core::FaultSet drawn;
  for (const auto& info : core::all_faults())
    if (faults.has(info.fault) && rng.uniform(0, 1) == 1) drawn.enable(info.fault);
  edits.faults = drawn;
  return edits;
}

std::string describe_swarm(const ScenarioEdits& e) {
  std::string out;
  if (e.latency_min && e.latency_max) {
    out += "latency " + seconds_text(*e.latency_min) + " - " + seconds_text(*e.latency_max);
    if (e.latency_tail_per_mille && *e.latency_tail_per_mille > 0 && e.latency_tail_max) {
      char tail[64];
      std::snprintf(tail, sizeof tail, ", %.1f%% up to ", *e.latency_tail_per_mille / 10.0);
      out += tail + seconds_text(*e.latency_tail_max);
    }
  }
  for (const auto& [name, value] : e.timing) out += "; " + name + " " + seconds_text(value);
  if (e.liveness_bound) out += "; liveness_bound " + seconds_text(*e.liveness_bound);
  if (e.start_spacing_percent)
    out += "; start spacing " + std::to_string(*e.start_spacing_percent) + "%";
  if (e.restarts) out += "; restarts " + std::to_string(*e.restarts);
  if (e.faults) {
    out += "; faults [";
    const auto names = e.faults->names();
    for (std::size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
    out += "]";
  }
  return out;
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
  // `index` is the run's index in the whole exploration, shard or not.
  void add(std::uint64_t index, const RunSpec& spec, const Outcome& outcome) {
    ExploreResult& r = report_.summary;
    ++r.runs;
    r.total_events += outcome.result.events;
    r.total_signatures += outcome.result.signatures;
    r.total_verifications += outcome.result.verifications;
    r.value_checks.add(outcome.result.value_checks);
    r.runs_with_failed_gets += outcome.result.value_checks.gets_failed > 0;
    report_.trace_hashes.insert(outcome.result.trace_hash);
    if (!outcome.result.pruned) report_.orderings.insert(outcome.result.ordering_hash);
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
    report_.summary.distinct_trace_hashes = report_.trace_hashes.size();
    report_.summary.distinct_orderings = report_.orderings.size();
  }

 private:
  ExploreReport& report_;
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
  // A shard makes the same specs for its slice as the whole exploration
  // makes for those indices: a run's spec depends on its index only.
  const RunSlice slice = shard_slice(options.runs, options.shard_index, options.shard_count);
  report.run_begin = slice.begin;
  report.run_end = slice.end;
  report.summary.first_seed = options.first_seed + slice.begin;
  std::vector<RunSpec> specs(slice.end - slice.begin);
  for (std::uint64_t i = 0; i < specs.size(); ++i) {
    RunSpec& spec = specs[i];
    spec.strategy = options.strategy;
    spec.seed = options.first_seed + slice.begin + i;
    spec.pct_depth = options.depth;
    spec.pct_points = pct_points;
    spec.faults = options.faults;
    spec.edits = options.edits;
    if (options.strategy == Strategy::kSwarm) {
      core::FaultSet all = scenario.faults;
      for (const auto& name : options.faults.names()) all.enable(*core::fault_from_name(name));
      spec.edits = swarm_edits(spec.seed, all, scenario);
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
  for (std::size_t i = 0; i < specs.size(); ++i)
    aggregate.add(slice.begin + i, specs[i], outcomes[i]);
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
  report.run_end = index;
  aggregate.finish();
}

}  // namespace

RunSlice shard_slice(std::uint64_t runs, std::uint64_t index, std::uint64_t count) {
  // Written so that index * runs cannot overflow.
  const std::uint64_t base = runs / count, extra = runs % count;
  const std::uint64_t begin = base * index + std::min(index, extra);
  return {begin, begin + base + (index < extra ? 1 : 0)};
}

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
    // Refused by yzsim (exit 2) before it gets here.
    if (options.shard_count != 1) std::abort();
    explore_exhaustive(scenario, options, report);
  } else {
    explore_seeds(scenario, options, report);
  }
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace yz::sim
