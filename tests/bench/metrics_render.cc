// /metrics render time and size for a node after a full incident-15 run
// (fixed build, seed 1): the page a scrape of a joined DHT node gets. Plain
// timed loop, no Google Benchmark, so the same file also builds against an
// older tree for a before/after comparison in one run.
//
//   ninja -C build metrics_render && ./build/bin/metrics_render [iterations]
//
// Prints one JSON line: {"process":..., "bytes":..., "series":..., "us_per_render":...}.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "roles/make_process.h"
#include "roles/metrics/text_serializer.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
  const auto load =
      yz::sim::load_scenario_file(YZ_SOURCE_DIR "/sim/scenarios/incident-15.textproto");
  if (!load.scenario) {
    std::fprintf(stderr, "metrics_render: %s\n", load.error.c_str());
    return 1;
  }
  std::map<std::string, yz::core::Env*> envs;
  yz::sim::RunOptions options;
  options.seed = 1;
  options.make_process = [&](yz::core::Env& env, const yz::core::ProcessConfig& config) {
    envs[config.name] = &env;
    return yz::roles::make_process(env, config);
  };
  yz::sim::Simulator simulator(*load.scenario, options);
  simulator.run();
  // The last DHT node by name: an ordinary node, not genesis or a bridge.
  std::string name;
  for (const auto& [process, env] : envs)
    if (process.rfind("dht-node-", 0) == 0) name = process;
  if (name.empty()) return 1;
  yz::metrics::Registry& registry = envs.at(name)->metrics();

  std::size_t bytes = 0;
  std::size_t series = 0;
  for (const char c : yz::metrics::SerializeText(registry)) series += c == '\n' ? 1 : 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) bytes = yz::metrics::SerializeText(registry).size();
  const auto elapsed =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"process\":\"%s\",\"bytes\":%zu,\"lines\":%zu,\"us_per_render\":%.2f}\n",
              name.c_str(), bytes, series, elapsed / iterations);
  return 0;
}
