#pragma once

// incident-15 with one more process, "intruder", made by the test: the
// shared set-up of the identity and admission tests, which each put a
// dishonest process among honest ones and then look at what the honest
// ones did.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "roles/core/dht_member.h"
#include "roles/make_process.h"
#include "roles/metrics/text_serializer.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim::testing {

struct IntruderRun {
  Scenario scenario;
  std::vector<std::string> members;  // every process but the bootstrap and the intruder
  std::map<std::string, core::Env*> envs;
  std::unique_ptr<Simulator> simulator;
  RunResult result;

  core::DhtMember& member(const std::string& name) const {
    return dynamic_cast<core::DhtMember&>(simulator->process(name)->role());
  }
  // The value of one metric series of `name`, 0 when absent.
  double sample(const std::string& name, const std::string& series) const {
    const std::string text = metrics::SerializeText(envs.at(name)->metrics());
    const auto at = text.find(series + " ");
    return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size() + 1));
  }
};

// Makes the intruder; `run` is complete but for the result, so the intruder
// may look at other processes while it runs.
using IntruderFactory = std::function<std::unique_ptr<core::Process>(
    core::Env&, const core::ProcessConfig&, const IntruderRun& run)>;

inline std::unique_ptr<IntruderRun> run_with_intruder(std::uint64_t seed, IntruderFactory make) {
  auto run = std::make_unique<IntruderRun>();
  run->scenario = load_or_die("incident-15.textproto");
  for (const auto& spec : run->scenario.processes)
    if (spec.role != core::Role::kBootstrap) run->members.push_back(spec.name);
  run->scenario.processes.push_back(ProcessSpec{"intruder", core::Role::kNode, 0, 0});
  RunOptions options;
  options.seed = seed;
  options.make_process = [&run = *run, make](core::Env& env, const core::ProcessConfig& config) {
    run.envs[config.name] = &env;
    return config.name == "intruder" ? make(env, config, run) : roles::make_process(env, config);
  };
  run->simulator = std::make_unique<Simulator>(run->scenario, options);
  run->result = run->simulator->run();
  return run;
}

}  // namespace yz::sim::testing
