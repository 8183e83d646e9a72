#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "roles/core/env.h"
#include "sim/choice.h"

namespace yz::sim {

struct Scenario;

// When a scenario's processes start and which DHT nodes crash and restart,
// for one seed. The simulator draws its schedule here, and `yzctl up
// --scenario` reads the same schedule to start real processes, so a real run
// starts, crashes and restarts what `yzsim run --seed N` does, at the same
// virtual times.

// Draws each process's start time in declaration order: its start_at plus a
// jitter drawn by `choose` (ChoiceKind::kJitter, only when the process has a
// jitter window), then calls `start(process, at)` before the next draw. The
// simulator schedules the start in `start`, and scheduling draws an order
// key, so the draws interleave exactly as they did before this was shared.
using ChooseFn = std::function<std::uint64_t(ChoiceKind kind, std::uint64_t limit, int target)>;
void draw_starts(const Scenario& scenario, const ChooseFn& choose,
                 const std::function<void(int process, core::Duration at)>& start);

// The start time of every process (declaration order) in a run of `yzsim
// run --seed seed` with the default random strategy: the simulator's own
// chooser, seeded the same way, with the order key each start's scheduling
// draws consumed too, since jitter and order keys come from one stream.
std::vector<core::Duration> start_times(const Scenario& scenario, std::uint64_t seed);

// One DHT node crash, and its restart `down` later.
struct CrashRestart {
  int process = 0;  // declaration index
  core::Duration at = 0;
  core::Duration down = 0;
};
// The scenario's `restarts` crashes, drawn from the seed (not from the
// chooser, so a replay re-draws them): victims among the DHT nodes, crash
// times between 20 s after the first node's start_at and 30 s before the
// end of the fault phase, each down for 2-20 s. In draw order, which is the
// order the simulator schedules them in. Empty when the window is empty.
// Then the scenario's named crashes (proto Crash), in declaration order.
std::vector<CrashRestart> crash_restarts(const Scenario& scenario, std::uint64_t seed);

}  // namespace yz::sim
