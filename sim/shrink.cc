#include "sim/shrink.h"

#include <algorithm>
#include <map>

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

// What the minimal run must still show besides the failure itself: the
// consequences that make it the same story (frames lost for want of a
// handler, an onboarding that failed), when the original showed them.
struct Consequences {
  bool dropped = false;
  bool onboarding_failed = false;
  bool hold_in(const RunResult& r) const {
    return (!dropped || r.summary.dropped_no_handler > 0) &&
           (!onboarding_failed || r.summary.onboarding_failures > 0);
  }
};

class Shrinker {
 public:
  Shrinker(const TraceFile& trace, const Scenario& base, std::string kind, std::uint64_t budget,
           Consequences keep)
      : trace_(trace), base_(base), kind_(std::move(kind)), budget_(budget), keep_(keep) {
    spec_.seed = trace.seed;
    spec_.faults = trace.faults;
    spec_.edits = trace.edits;
    choices_ = trace.choices;
  }

  // Does the failure survive these edits and choices? Choices are replayed
  // leniently: once the run departs from the log, the rest default.
  bool fails(const ScenarioEdits& edits, const ChoiceLog& choices) {
    if (runs_ >= budget_) return false;
    ++runs_;
    RunSpec spec = spec_;
    spec.edits = edits;
    ReplayChooser chooser(choices);
    RunOptions options;
    options.chooser = &chooser;
    const RunResult result = run_spec(base_, spec, options);
    return has_kind(result, kind_) && keep_.hold_in(result);
  }

  void drop_processes() {
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
      // With the recorded choices first; if dropping the process shifted
      // them out of step, the all-default ordering may still fail.
      if (fails(edits, choices_)) {
        spec_.edits = edits;
      } else if (fails(edits, {})) {
        spec_.edits = edits;
        choices_.clear();
      }
    }
  }

  // ddmin over the positions of non-default choices: try resetting chunks
  // to the default, keep every reset after which the failure stays.
  void minimise_choices() {
    std::vector<std::size_t> live;
    for (std::size_t i = 0; i < choices_.size(); ++i)
      if (choices_[i].value != 0) live.push_back(i);
    if (live.empty()) return;
    if (fails(spec_.edits, {})) {  // the default ordering fails already
      choices_.clear();
      return;
    }
    std::size_t chunks = 2;
    while (!live.empty() && runs_ < budget_) {
      const std::size_t size = (live.size() + chunks - 1) / chunks;
      bool reduced = false;
      for (std::size_t start = 0; start < live.size(); start += size) {
        ChoiceLog attempt = choices_;
        const std::size_t stop = std::min(live.size(), start + size);
        for (std::size_t i = start; i < stop; ++i) attempt[live[i]].value = 0;
        if (fails(spec_.edits, attempt)) {
          choices_ = std::move(attempt);
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

  // Ends the run just after the story's last event, when the failure allows.
  void cut_duration(const RecordedRun& recorded) {
    if (is_liveness_failure(kind_)) return;
    const auto story_end = story_end_time(recorded);
    if (!story_end) return;
    ScenarioEdits edits = spec_.edits;
    edits.duration = *story_end + core::kMillisecond;
    if (edits.duration < (spec_.edits.duration ? *spec_.edits.duration : base_.duration) &&
        fails(edits, choices_))
      spec_.edits = edits;
  }

  const RunSpec& spec() const { return spec_; }
  const ChoiceLog& choices() const { return choices_; }
  std::uint64_t runs() const { return runs_; }

 private:
  // The time of the step whose log line closes the story: the last failure
  // of onboarding told, or the violation itself.
  std::optional<core::Duration> story_end_time(const RecordedRun& recorded) const {
    std::optional<core::Duration> violation;
    for (const auto& v : recorded.result.invariant_violations)
      if (v.invariant == kind_) violation = v.virtual_time_ns;
    if (!violation) return std::nullopt;
    core::Duration end = *violation;
    core::Duration step_time = 0;
    bool dropped = false;
    for (const auto& line : recorded.trace.steps) {
      if (!line.starts_with(" ")) {
        const auto t = line.find(" t=");
        if (t != std::string::npos)
          step_time = static_cast<core::Duration>(std::strtod(line.c_str() + t + 3, nullptr) * 1e9);
        continue;
      }
      if (!dropped && line.find(" dropped_no_handler ") != std::string::npos) {
        dropped = true;
        if (keep_.dropped) end = std::max(end, step_time);
        if (!keep_.onboarding_failed) break;
      }
      if (dropped && keep_.onboarding_failed &&
          line.find(" onboarding_failed ") != std::string::npos &&
          line.find("newcomer=") != std::string::npos)
        return std::max(end, step_time);
    }
    return end;
  }

  const TraceFile& trace_;
  const Scenario& base_;
  std::string kind_;
  std::uint64_t budget_;
  Consequences keep_;
  std::uint64_t runs_ = 0;
  RunSpec spec_;
  ChoiceLog choices_;
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
  out.kind = options.kind.empty() ? kinds.front() : options.kind;
  if (std::find(kinds.begin(), kinds.end(), out.kind) == kinds.end()) {
    out.error = "the trace's run does not fail with '" + out.kind + "'";
    return out;
  }
  out.events_before = original.result.events;
  out.processes_before = apply_edits(base, trace.edits).processes.size();
  out.non_default_choices_before = non_default(trace.choices);

  Consequences keep;
  keep.dropped = original.result.summary.dropped_no_handler > 0;
  keep.onboarding_failed = keep.dropped && original.result.summary.onboarding_failures > 0;
  Shrinker shrinker(trace, base, out.kind, options.max_runs, keep);
  shrinker.drop_processes();
  shrinker.minimise_choices();
  shrinker.cut_duration(shrinker.record());
  RecordedRun minimal = shrinker.record();
  if (!has_kind(minimal.result, out.kind)) {
    out.error = "internal: the minimal run no longer fails with '" + out.kind + "'";
    return out;
  }
  out.runs = shrinker.runs() + 2;
  out.minimal = std::move(minimal.trace);
  out.result = std::move(minimal.result);
  out.events_after = out.result.events;
  out.processes_after = apply_edits(base, shrinker.spec().edits).processes.size();
  out.non_default_choices_after = non_default(out.minimal.choices);
  out.story = failure_story(out.minimal, out.result);
  out.ok = true;
  return out;
}

}  // namespace yz::sim
