#pragma once

#include <gtest/gtest.h>

#include <string>

#include "sim/scenario.h"
#include "sim/simulator.h"

namespace yz::sim::testing {

inline std::string scenario_path(const std::string& name) {
  return std::string(YZ_SOURCE_DIR) + "/sim/scenarios/" + name;
}

inline Scenario load_or_die(const std::string& name) {
  ScenarioLoad load = load_scenario_file(scenario_path(name));
  if (!load.scenario) ADD_FAILURE() << load.error;
  return load.scenario ? *load.scenario : Scenario{};
}

inline RunResult run_once(const Scenario& scenario, std::uint64_t seed, core::FaultSet faults = {},
                          std::ostream* trace = nullptr) {
  RunOptions options;
  options.seed = seed;
  options.faults = faults;
  options.trace = trace;
  Simulator simulator(scenario, options);
  return simulator.run();
}

inline core::FaultSet early_return_race() {
  core::FaultSet faults;
  faults.enable(core::Fault::kEarlyReturnRace);
  return faults;
}

}  // namespace yz::sim::testing
