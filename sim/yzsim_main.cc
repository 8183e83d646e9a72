// yzsim: the simulator's command line. See sim/cli.cc for the usage text.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "sim/cli.h"
#include "sim/explore.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace {

int fail_usage(const std::string& message) {
  std::cerr << "yzsim: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace yz::sim;
  const CliParse parsed = parse_cli(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.options) return fail_usage(parsed.error);
  const CliOptions& o = *parsed.options;

  if (o.command == "help") {
    std::cout << usage();
    return 0;
  }
  if (o.command == "version") {
    std::cout << "yzsim " << YZ_VERSION << "\n";
    return 0;
  }
  if (o.command == "faults") {
    for (const auto& info : yz::core::all_faults())
      std::cout << info.name << "\t" << info.summary << "\n";
    return 0;
  }

  ScenarioLoad load = load_scenario_file(o.scenario_path);
  if (!load.scenario) return fail_usage(load.error);
  Scenario scenario = std::move(*load.scenario);
  if (o.no_scenario_faults) scenario.faults = {};
  if (scenario.name.empty()) scenario.name = o.scenario_path;

  if (o.command == "run") {
    std::ofstream trace_file;
    RunOptions options;
    options.seed = o.seed;
    options.faults = o.faults;
    options.strategy = o.strategy;
    if (!o.trace_path.empty()) {
      trace_file.open(o.trace_path);
      if (!trace_file) return fail_usage("cannot write trace file " + o.trace_path);
      options.trace = &trace_file;
    }
    Simulator simulator(scenario, options);
    const RunResult result = simulator.run();
    std::cout << (o.json ? to_json(result) : health_table(result));
    return o.check && run_failed(result) ? 1 : 0;
  }

  // explore
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto progress = [&](std::uint64_t done, std::uint64_t failing) {
    if (tty && (done % 10 == 0 || done == o.runs))
      std::fprintf(stderr, "\r%llu/%llu runs, %llu failing", static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(o.runs),
                   static_cast<unsigned long long>(failing));
  };
  const ExploreResult result = explore(scenario, o.seed, o.runs, o.faults, o.strategy, progress);
  if (tty) std::fprintf(stderr, "\n");
  std::cout << (o.json ? to_json(result) : explore_table(result));
  return 0;
}
