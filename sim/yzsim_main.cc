// yzsim: the simulator's command line. See sim/cli.cc for the usage text.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "sim/cli.h"
#include "sim/explore.h"
#include "sim/perfetto.h"
#include "sim/report.h"
#include "sim/report_html.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/timeline.h"

namespace {

int fail_usage(const std::string& message) {
  std::cerr << "yzsim: " << message << "\n";
  return 2;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) std::cerr << "yzsim: cannot write " << path << "\n";
  return static_cast<bool>(out);
}

// yzsim report RUN.json: draws a recorded run without running it again.
int report(const yz::sim::CliOptions& o) {
  using namespace yz::sim;
  std::ifstream in(o.scenario_path, std::ios::binary);
  if (!in) return fail_usage("cannot read " + o.scenario_path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string error;
  const std::optional<RunRecord> record = run_record_from_json(text, error);
  if (!record) return fail_usage(o.scenario_path + ": " + error);
  if (!o.html_path.empty() && !write_file(o.html_path, report_html(*record))) return 2;
  if (!o.perfetto_path.empty() && !write_file(o.perfetto_path, perfetto_json(*record))) return 2;
  return 0;
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
  if (o.command == "report") return report(o);

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
    TimelineRecorder recorder;
    const bool recording = !o.record_path.empty() || !o.perfetto_path.empty();
    if (recording) options.recorder = &recorder;
    Simulator simulator(scenario, options);
    const RunResult result = simulator.run();
    if (recording) {
      const RunRecord record{result, recorder.take()};
      if (!o.record_path.empty() && !write_file(o.record_path, to_json(record))) return 2;
      if (!o.perfetto_path.empty() && !write_file(o.perfetto_path, perfetto_json(record))) return 2;
    }
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
