#include "sim/shrink.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "sim/story.h"

namespace yz::sim {
namespace {

std::size_t non_default(const ChoiceLog& log) {
  return static_cast<std::size_t>(
      std::count_if(log.begin(), log.end(), [](const Choice& c) { return c.value != 0; }));
}

bool has_kind(const RunResult& result, const std::string& kind) {
  const auto kinds = failure_kinds(result);
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

// A run's choices keyed by what they were for (their kind and the name of
// the process they concern), each key's values in the order drawn. Dropping
// a process removes its keys and leaves every other process's draws where
// they were; a flat log would shift by one at the dropped process's first
// draw (its start jitter, at time zero), and every later choice with it.
using KeyedLog = std::map<std::pair<ChoiceKind, std::string>, std::vector<std::uint64_t>>;

// Answers from a keyed log for the processes of one (edited) scenario,
// noting what it answered, keyed again, for the next attempt. A key drawn
// more often than recorded answers from a PRNG seeded by the trace: the
// run keeps the latency spread of the original where the flat replay's
// default (0: every frame at the minimum latency) would turn a slow network
// fast, and a liveness failure that needs it would vanish.
class KeyedChooser : public Chooser {
 public:
  KeyedChooser(const KeyedLog* log, const Scenario& scenario, std::uint64_t seed)
      : log_(log), rng_(seed ^ 0x6b65796564ULL) {
    for (const auto& p : scenario.processes) names_.push_back(p.name);
  }
  std::uint64_t choose(ChoiceKind kind, std::uint64_t limit, int target) override {
    const std::string& name =
        target >= 0 && static_cast<std::size_t>(target) < names_.size() ? names_[target] : kNone;
    const auto key = std::make_pair(kind, name);
    std::uint64_t value = 0;
    std::size_t& next = next_[key];
    const std::vector<std::uint64_t>* recorded = nullptr;
    if (log_ != nullptr)
      if (auto it = log_->find(key); it != log_->end()) recorded = &it->second;
    if (recorded != nullptr && next < recorded->size() && (*recorded)[next] <= limit) {
      value = (*recorded)[next];
    } else {
      value = kind == ChoiceKind::kOrder ? rng_.next() : rng_.uniform(0, limit);
    }
    ++next;
    drawn_[key].push_back(value);
    return value;
  }
  KeyedLog take() { return std::move(drawn_); }

 private:
  static inline const std::string kNone;
  const KeyedLog* log_;
  Xoshiro256 rng_;
  std::vector<std::string> names_;
  std::map<std::pair<ChoiceKind, std::string>, std::size_t> next_;
  KeyedLog drawn_;
};

// Passes another chooser's answers through, keying them as they go.
class KeyingChooser : public Chooser {
 public:
  KeyingChooser(Chooser& inner, const Scenario& scenario) : inner_(inner) {
    for (const auto& p : scenario.processes) names_.push_back(p.name);
  }
  std::uint64_t choose(ChoiceKind kind, std::uint64_t limit, int target) override {
    const std::uint64_t value = inner_.choose(kind, limit, target);
    const std::string name =
        target >= 0 && static_cast<std::size_t>(target) < names_.size() ? names_[target] : "";
    drawn_[{kind, name}].push_back(std::min(value, limit));
    return value;
  }
  KeyedLog take() { return std::move(drawn_); }

 private:
  Chooser& inner_;
  std::vector<std::string> names_;
  KeyedLog drawn_;
};

// What the minimal run must still show besides the failure kind itself, so
// that it is the same failure with the same story.
struct Keep {
  bool dropped = false;            // frames lost for want of a handler
  bool onboarding_failed = false;  // a failed onboarding
  // The story tied a lost frame to a failed onboarding by cause links:
  // the minimal run must tie them too (checked on its trace).
  bool causal = false;
  // A liveness failure: the role and join state of each process that was
  // unhealthy at the end (a DHT node left "isolated", say); some process
  // of one of those roles must still end unhealthy in that state. Not by
  // name: which of several like nodes stays behind is the ordering's choice.
  std::set<std::pair<std::string, std::string>> unhealthy;

  bool hold_in(const RunResult& r) const {
    if (dropped && r.summary.dropped_no_handler == 0) return false;
    if (onboarding_failed && r.summary.onboarding_failures == 0) return false;
    if (unhealthy.empty()) return true;
    for (const auto& node : r.nodes)
      if (!node.healthy && unhealthy.contains({node.role, node.state})) return true;
    return false;
  }
};

class Shrinker {
 public:
  Shrinker(const TraceFile& trace, const Scenario& base, std::string kind, std::uint64_t budget,
           Keep keep)
      : trace_(trace),
        base_(base),
        kind_(std::move(kind)),
        budget_(budget),
        keep_(std::move(keep)) {
    spec_.seed = trace.seed;
    spec_.faults = trace.faults;
    spec_.edits = trace.edits;
    choices_ = trace.choices;
    // The original's choices, keyed: replayed exactly, with their targets.
    ReplayChooser replay(choices_);
    const Scenario scenario = apply_edits(base_, spec_.edits);
    KeyingChooser keying(replay, scenario);
    RunOptions options;
    options.chooser = &keying;
    run_spec(base_, spec_, options);
    keyed_ = keying.take();
  }

  // Does the failure survive these edits, with choices from the keyed log
  // (or, without one, with the flat log replayed leniently: once the run
  // departs from it, the rest default)? On success, the run becomes the
  // current one: its edits, and its choices flat and keyed.
  bool try_keyed(const ScenarioEdits& edits, const KeyedLog* keyed) {
    KeyedChooser chooser(keyed, apply_edits(base_, edits), trace_.seed);
    Attempt a = attempt(edits, chooser);
    if (!a.failed) return false;
    adopt(edits, std::move(a.flat), chooser.take());
    return true;
  }
  bool try_flat(const ScenarioEdits& edits, const ChoiceLog& choices) {
    ReplayChooser replay(choices);
    KeyingChooser chooser(replay, apply_edits(base_, edits));
    Attempt a = attempt(edits, chooser);
    if (!a.failed) return false;
    // Lenient replay of `choices` reproduces this run; ddmin counts on it.
    adopt(edits, choices, chooser.take());
    return true;
  }

  // True when it dropped any.
  bool drop_processes() {
    const std::size_t before = spec_.edits.dropped.size();
    // Newest DHT nodes first: later joiners depend on earlier ones, rarely
    // the other way round. Then bridges beyond the first.
    std::vector<std::string> candidates;
    for (auto it = base_.processes.rbegin(); it != base_.processes.rend(); ++it)
      if (it->role == core::Role::kNode) candidates.push_back(it->name);
    bool first_bridge = true;
    for (const auto& p : base_.processes)
      if (p.role == core::Role::kBridge) {
        if (!first_bridge) candidates.push_back(p.name);
        first_bridge = false;
      }
    for (const auto& name : candidates) {
      if (std::find(spec_.edits.dropped.begin(), spec_.edits.dropped.end(), name) !=
          spec_.edits.dropped.end())
        continue;
      ScenarioEdits edits = spec_.edits;
      edits.dropped.push_back(name);
      // Every other process's draws as they were; failing that, the
      // all-default ordering (fastest latencies, FIFO ties), which often
      // still fails and shrinks the choices at once.
      if (!try_keyed(edits, &keyed_)) try_flat(edits, {});
    }
    return spec_.edits.dropped.size() > before;
  }

  // A liveness failure cannot be cut after its story (the liveness phase
  // comes after the run): fewer crashes, and healing earlier, instead.
  void shorten_liveness() {
    const Scenario current = apply_edits(base_, spec_.edits);
    for (std::uint32_t restarts : {0u, current.restarts / 2}) {
      if (restarts >= current.restarts) continue;
      ScenarioEdits edits = spec_.edits;
      edits.restarts = restarts;
      if (try_keyed(edits, &keyed_)) break;
    }
    // Heal at half the time, again and again, while it still fails; then
    // one step back up by a quarter. With the choices keyed, the run up to
    // the new heal time is the one before.
    core::Duration duration = apply_edits(base_, spec_.edits).duration;
    core::Duration last_start = 0;
    for (const auto& p : apply_edits(base_, spec_.edits).processes)
      last_start = std::max(last_start, p.start_at + p.start_jitter);
    while (duration / 2 > last_start && runs_ < budget_) {
      ScenarioEdits edits = spec_.edits;
      edits.duration = duration / 2;
      if (!try_keyed(edits, &keyed_)) break;
      duration /= 2;
    }
  }

  // ddmin over the positions of non-default choices: try resetting chunks
  // to the default, keep every reset after which the failure stays.
  void minimise_choices() {
    std::vector<std::size_t> live;
    for (std::size_t i = 0; i < choices_.size(); ++i)
      if (choices_[i].value != 0) live.push_back(i);
    if (live.empty()) return;
    if (try_flat(spec_.edits, {})) return;  // the default ordering fails already
    std::size_t chunks = 2;
    while (!live.empty() && runs_ < budget_) {
      const std::size_t size = (live.size() + chunks - 1) / chunks;
      bool reduced = false;
      for (std::size_t start = 0; start < live.size(); start += size) {
        ChoiceLog attempt = choices_;
        const std::size_t stop = std::min(live.size(), start + size);
        for (std::size_t i = start; i < stop; ++i) attempt[live[i]].value = 0;
        if (try_flat(spec_.edits, attempt)) {
          live.erase(live.begin() + static_cast<std::ptrdiff_t>(start),
                     live.begin() + static_cast<std::ptrdiff_t>(stop));
          chunks = std::max<std::size_t>(chunks - 1, 2);
          reduced = true;
          break;
        }
      }
      if (!reduced) {
        if (size == 1) break;
        chunks = std::min(live.size(), chunks * 2);
      }
    }
  }

  RecordedRun record() {
    ReplayChooser chooser(choices_);
    return record_run(trace_.scenario_text, trace_.scenario_origin, base_, spec_, &chooser);
  }

  // Ends the run just after the story's last event (or the violation,
  // whichever is later), when the failure allows.
  void cut_duration(const RecordedRun& recorded) {
    if (is_liveness_failure(kind_)) return;
    std::optional<core::Duration> violation;
    for (const auto& v : recorded.result.invariant_violations)
      if (v.invariant == kind_) violation = v.virtual_time_ns;
    if (!violation) return;
    core::Duration end = *violation;
    const Story story = tell_story(recorded.trace, recorded.result, kind_);
    if (keep_.dropped || keep_.onboarding_failed)
      end = std::max(end, static_cast<core::Duration>(story.last_time * 1e9));
    ScenarioEdits edits = spec_.edits;
    edits.duration = end + core::kMillisecond;
    if (edits.duration < apply_edits(base_, spec_.edits).duration) try_flat(edits, choices_);
  }

  const RunSpec& spec() const { return spec_; }
  std::uint64_t runs() const { return runs_; }

 private:
  struct Attempt {
    bool failed = false;
    ChoiceLog flat;
  };

  Attempt attempt(const ScenarioEdits& edits, Chooser& chooser) {
    Attempt a;
    if (runs_ >= budget_) return a;
    ++runs_;
    RunSpec spec = spec_;
    spec.edits = edits;
    RunOptions options;
    options.chooser = &chooser;
    options.record_choices = true;
    std::ostringstream lines;
    if (keep_.causal) options.trace = &lines;
    RunResult result = run_spec(base_, spec, options);
    a.failed = has_kind(result, kind_) && keep_.hold_in(result);
    if (a.failed && keep_.causal) {
      TraceFile t;
      std::istringstream in(lines.str());
      for (std::string line; std::getline(in, line);) t.steps.push_back(std::move(line));
      a.failed = tell_story(t, result, kind_).lost_frame_caused_failure;
    }
    a.flat = std::move(result.choices);
    return a;
  }

  void adopt(const ScenarioEdits& edits, ChoiceLog flat, KeyedLog keyed) {
    spec_.edits = edits;
    choices_ = std::move(flat);
    keyed_ = std::move(keyed);
  }

  const TraceFile& trace_;
  const Scenario& base_;
  std::string kind_;
  std::uint64_t budget_;
  Keep keep_;
  std::uint64_t runs_ = 0;
  RunSpec spec_;
  ChoiceLog choices_;  // replayed leniently, they make the current run
  KeyedLog keyed_;     // the current run's choices, keyed
};

}  // namespace

ShrinkResult shrink(const TraceFile& trace, const ShrinkOptions& options) {
  ShrinkResult out;
  ScenarioLoad load = parse_scenario(trace.scenario_text, trace.scenario_origin + " (in trace)");
  if (!load.scenario) {
    out.error = load.error;
    return out;
  }
  const Scenario& base = *load.scenario;
  const ReplayOutcome original = replay(trace);
  const auto kinds = failure_kinds(original.result);
  if (kinds.empty()) {
    out.error = "the trace's run does not fail, so there is nothing to shrink";
    return out;
  }
  // The kind asked for; else the one the trace was saved for; else the first.
  out.kind = !options.kind.empty()      ? options.kind
             : !trace.saved_for.empty() ? trace.saved_for
                                        : kinds.front();
  if (std::find(kinds.begin(), kinds.end(), out.kind) == kinds.end()) {
    out.error = "the trace's run does not fail with '" + out.kind + "'";
    return out;
  }
  out.events_before = original.result.events;
  out.processes_before = apply_edits(base, trace.edits).processes.size();
  out.non_default_choices_before = non_default(trace.choices);

  Keep keep;
  keep.dropped = original.result.summary.dropped_no_handler > 0;
  keep.onboarding_failed = keep.dropped && original.result.summary.onboarding_failures > 0;
  keep.causal = tell_story(trace, original.result, out.kind).lost_frame_caused_failure;
  if (out.kind == "liveness" || out.kind == "unhealthy_at_end")
    for (const auto& node : original.result.nodes)
      if (!node.healthy) keep.unhealthy.insert({node.role, node.state});
  Shrinker shrinker(trace, base, out.kind, options.max_runs, keep);
  shrinker.drop_processes();
  if (is_liveness_failure(out.kind)) {
    // Healed earlier, with fewer crashes, more processes may go.
    shrinker.shorten_liveness();
    for (int pass = 0; pass < 3 && shrinker.drop_processes(); ++pass) {
    }
  }
  shrinker.minimise_choices();
  shrinker.cut_duration(shrinker.record());
  RecordedRun minimal = shrinker.record();
  if (!has_kind(minimal.result, out.kind)) {
    out.error = "internal: the minimal run no longer fails with '" + out.kind + "'";
    return out;
  }
  out.runs = shrinker.runs() + 4;  // the replay, its keying, two records
  minimal.trace.saved_for = out.kind;
  out.minimal = std::move(minimal.trace);
  out.result = std::move(minimal.result);
  out.events_after = out.result.events;
  out.processes_after = apply_edits(base, shrinker.spec().edits).processes.size();
  out.non_default_choices_after = non_default(out.minimal.choices);
  out.story = tell_story(out.minimal, out.result, out.kind).links;
  out.ok = true;
  return out;
}

}  // namespace yz::sim
