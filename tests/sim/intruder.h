#pragma once

// incident-15 with one more process, "intruder", made by the test: the
// shared set-up of the identity and admission tests, which each put a
// dishonest process among honest ones and then look at what the honest
// ones did.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
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

// A dishonest process for run_with_intruder. From t=60 s until
// `stop_dialling_at` it dials every target twice a minute; what it says on
// each link is its subclass's. It accepts no links, keeps the error codes
// it is sent, and reports a bare status.
class Intruder : public core::Process {
 public:
  Intruder(core::Env& env, core::ProcessConfig config, std::vector<std::string> targets,
           core::TimePoint stop_dialling_at)
      : env_(env),
        config_(std::move(config)),
        targets_(std::move(targets)),
        stop_dialling_at_(stop_dialling_at) {}

  void start() override { schedule(60 * core::kSecond); }
  void stop() override { running_ = false; }
  void on_link_accepted(core::LinkId link) override { env_.close(link); }
  void on_frame(core::LinkId link, core::Message&& message) override {
    if (const auto* error = message.get<core::msg::Error>()) errors_.insert(error->code);
    if (const auto* connected = message.get<core::msg::DhtPeerConnected>())
      on_connected(link, *connected);
  }
  core::ProcessStatus status() override {
    core::ProcessStatus s;
    s.name = config_.name;
    s.role = config_.role;
    s.node_id = config_.node_id;
    return s;
  }
  std::size_t peers_missing_handler() override { return 0; }

  std::set<std::string> errors_;

 protected:
  // The acceptor's answer to the intruder's hello.
  virtual void on_connected(core::LinkId link, const core::msg::DhtPeerConnected& connected) = 0;

  // A hello claiming `id`, otherwise as an honest node's.
  core::msg::DhtPeerHello hello_as(const core::NodeId& id) const {
    core::msg::DhtPeerHello hello;
    hello.peer_id = id;
    hello.metadata.role = core::Role::kNode;
    hello.metadata.address = config_.name;
    hello.metadata.protocol_version = config_.protocol_version;
    return hello;
  }
  // DHT traffic, as if the intruder had been let in.
  void send_find_node(core::LinkId link, const core::NodeId& target) {
    env_.send(link, core::Message(core::msg::FindNode{target}, 1));
  }

  core::Env& env_;
  const core::ProcessConfig config_;

 private:
  void schedule(core::Duration delay) {
    env_.start_timer(delay, [this] {
      if (!running_ || env_.now() > stop_dialling_at_) return;
      for (const auto& target : targets_) env_.dial(target);
      schedule(30 * core::kSecond);
    });
  }

  std::vector<std::string> targets_;
  core::TimePoint stop_dialling_at_;
  bool running_ = true;
};

}  // namespace yz::sim::testing
