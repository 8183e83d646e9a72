#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "roles/core/faults.h"
#include "sim/simulator.h"

namespace yz::sim {

struct CliOptions {
  std::string command;        // run | explore | report | faults | help | version
  std::string scenario_path;  // for report: the RUN.json
  std::uint64_t seed = 1;
  std::uint64_t runs = 0;
  core::FaultSet faults;
  bool no_scenario_faults = false;
  Strategy strategy = Strategy::kRandom;
  bool json = false;
  bool check = false;
  std::string trace_path;
  std::string record_path;    // run: RUN.json with the timeline
  std::string perfetto_path;  // run, report: Chrome trace-event JSON
  std::string html_path;      // report
};

struct CliParse {
  std::optional<CliOptions> options;
  std::string error;  // names the offending flag or value
};

CliParse parse_cli(const std::vector<std::string>& args);
std::string usage();

}  // namespace yz::sim
