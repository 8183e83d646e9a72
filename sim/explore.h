#pragma once

#include <cstdint>
#include <functional>

#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace yz::sim {

// A run fails when any process ends unhealthy or any invariant broke.
bool run_failed(const RunResult& result);

// Runs seeds first_seed .. first_seed + runs - 1, one after another, each
// run deterministic on its own. `progress` is called after every run.
ExploreResult explore(
    const Scenario& scenario, std::uint64_t first_seed, std::uint64_t runs,
    const core::FaultSet& faults, Strategy strategy,
    const std::function<void(std::uint64_t done, std::uint64_t failing)>& progress = {});

}  // namespace yz::sim
