#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>
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

struct CommandOutcome {
  int exit_code;  // -1 when the command did not exit normally
  std::string output;
};

// Runs `command` through the shell and collects its standard output.
inline CommandOutcome run_command(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buffer;
  while (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) out += buffer.data();
  const int status = pclose(pipe.release());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The yzsim binary with `args`, standard error folded into the output.
inline CommandOutcome yzsim(const std::string& args) {
  return run_command(std::string(YZSIM_PATH) + " " + args + " 2>&1");
}

}  // namespace yz::sim::testing
