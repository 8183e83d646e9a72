#include "sim/start_schedule.h"

#include <cstdint>

#include "sim/prng.h"
#include "sim/scenario.h"
#include "sim/strategies.h"

namespace yz::sim {

void draw_starts(const Scenario& scenario, const ChooseFn& choose,
                 const std::function<void(int process, core::Duration at)>& start) {
  for (std::size_t i = 0; i < scenario.processes.size(); ++i) {
    const ProcessSpec& spec = scenario.processes[i];
    const core::Duration jitter =
        spec.start_jitter > 0
            ? static_cast<core::Duration>(choose(ChoiceKind::kJitter,
                                                 static_cast<std::uint64_t>(spec.start_jitter),
                                                 static_cast<int>(i)))
            : 0;
    start(static_cast<int>(i), spec.start_at + jitter);
  }
}

std::vector<core::Duration> start_times(const Scenario& scenario, std::uint64_t seed) {
  // Simulator's own default: RandomChooser(seed, fifo_order = false).
  RandomChooser chooser(seed, /*fifo_order=*/false);
  std::vector<core::Duration> out(scenario.processes.size(), 0);
  draw_starts(
      scenario,
      [&chooser](ChoiceKind kind, std::uint64_t limit, int target) {
        const std::uint64_t value = chooser.choose(kind, limit, target);
        return value > limit ? limit : value;
      },
      [&](int process, core::Duration at) {
        out[static_cast<std::size_t>(process)] = at;
        // Simulator::schedule draws the start event's order key here.
        chooser.choose(ChoiceKind::kOrder, UINT64_MAX, process);
      });
  return out;
}

namespace {

// The scenario's named crashes (proto Crash), after the drawn ones.
void add_named_crashes(const Scenario& scenario, std::vector<CrashRestart>& out) {
  for (const CrashSpec& c : scenario.crashes)
    for (std::size_t i = 0; i < scenario.processes.size(); ++i)
      if (scenario.processes[i].name == c.process) {
        out.push_back(CrashRestart{static_cast<int>(i), c.at, c.down});
        break;
      }
}

std::vector<CrashRestart> drawn_crash_restarts(const Scenario& scenario, std::uint64_t seed) {
  std::vector<CrashRestart> out;
  if (scenario.restarts == 0) return out;
  std::vector<int> nodes;
  core::Duration first_start = -1;
  for (std::size_t i = 0; i < scenario.processes.size(); ++i) {
    const ProcessSpec& spec = scenario.processes[i];
    if (spec.role != core::Role::kNode) continue;
    nodes.push_back(static_cast<int>(i));
    if (first_start < 0 || spec.start_at < first_start) first_start = spec.start_at;
  }
  const core::Duration from = first_start + 20 * core::kSecond;
  const core::Duration to = scenario.duration - 30 * core::kSecond;
  if (nodes.empty() || to <= from) return out;
  Xoshiro256 rng(seed ^ 0x7265737461727473ULL);
  for (std::uint32_t i = 0; i < scenario.restarts; ++i) {
    CrashRestart c;
    c.process = nodes[rng.uniform(0, nodes.size() - 1)];
    c.at = static_cast<core::Duration>(
        rng.uniform(static_cast<std::uint64_t>(from), static_cast<std::uint64_t>(to)));
    c.down = static_cast<core::Duration>(rng.uniform(2 * core::kSecond, 20 * core::kSecond));
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::vector<CrashRestart> crash_restarts(const Scenario& scenario, std::uint64_t seed) {
  std::vector<CrashRestart> out = drawn_crash_restarts(scenario, seed);
  add_named_crashes(scenario, out);
  return out;
}

}  // namespace yz::sim
