// The simulator's invariants come from state and counters, never from log
// text: with every log event of every process renamed, the same runs break
// the same invariants at the same steps, with the same trace hash.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "roles/make_process.h"
#include "sim/explore.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using testing::load_or_die;

// The driver's Env with every log event renamed: what a careless rename of
// "dropped_no_handler" or "link_dead" in roles/ would do, everywhere at once.
class RenamingEnv final : public core::Env {
 public:
  RenamingEnv(core::Env& inner, std::vector<std::string>& renamed)
      : inner_(inner), renamed_(renamed) {}
  core::TimePoint now() const override { return inner_.now(); }
  std::int64_t shared_clock_ms() const override { return inner_.shared_clock_ms(); }
  core::TimerId start_timer(core::Duration delay, std::function<void()> fn) override {
    return inner_.start_timer(delay, std::move(fn));
  }
  void cancel_timer(core::TimerId timer) override { inner_.cancel_timer(timer); }
  void send(core::LinkId link, core::Message&& frame) override {
    inner_.send(link, std::move(frame));
  }
  void send_handshake(core::LinkId link, core::Message&& frame) override {
    inner_.send_handshake(link, std::move(frame));
  }
  core::LinkId dial(const std::string& address) override { return inner_.dial(address); }
  void close(core::LinkId link) override { inner_.close(link); }
  void close(core::LinkId link, std::string_view reason) override { inner_.close(link, reason); }
  std::string remote_address(core::LinkId link) const override {
    return inner_.remote_address(link);
  }
  void link_authenticated(core::LinkId link) override { inner_.link_authenticated(link); }
  std::uint64_t random() override { return inner_.random(); }
  void log(core::LogLevel level, std::string_view event,
           std::initializer_list<core::LogField> fields) override {
    renamed_.emplace_back(event);
    inner_.log(level, "renamed_" + std::string(event), fields);
  }
  metrics::Registry& metrics() override { return inner_.metrics(); }

 private:
  core::Env& inner_;
  std::vector<std::string>& renamed_;
};

// The real role on a RenamingEnv, owning it.
class RenamingProcess final : public core::Process {
 public:
  RenamingProcess(core::Env& env, const core::ProcessConfig& config,
                  std::vector<std::string>& renamed)
      : env_(env, renamed), inner_(roles::make_process(env_, config)) {}
  void start() override { inner_->start(); }
  void stop() override { inner_->stop(); }
  void on_link_accepted(core::LinkId link) override { inner_->on_link_accepted(link); }
  void on_link_opened(core::LinkId link) override { inner_->on_link_opened(link); }
  void on_link_closed(core::LinkId link, std::string_view reason) override {
    inner_->on_link_closed(link, reason);
  }
  void on_frame(core::LinkId link, core::Message&& frame) override {
    inner_->on_frame(link, std::move(frame));
  }
  core::ProcessStatus status() override { return inner_->status(); }
  void set_faults(const core::FaultSet& faults) override { inner_->set_faults(faults); }
  std::size_t peers_missing_handler() override { return inner_->peers_missing_handler(); }
  core::InvariantCounters invariant_counters() override { return inner_->invariant_counters(); }
  core::Process& role() override { return inner_->role(); }

 private:
  RenamingEnv env_;
  std::unique_ptr<core::Process> inner_;
};

std::string violations_of(const RunResult& r) {
  std::string out;
  for (const auto& v : r.invariant_violations)
    out += v.invariant + "@" + v.node + ":" + std::to_string(v.step) + "/" +
           std::to_string(v.virtual_time_ns) + " ";
  return out;
}

bool has(const RunResult& r, const std::string& invariant) {
  for (const auto& v : r.invariant_violations)
    if (v.invariant == invariant) return true;
  return false;
}

struct Pair {
  RunResult plain;
  RunResult renamed;
  std::vector<std::string> renamed_events;
};

Pair run_both(const Scenario& scenario, const RunSpec& spec) {
  Pair p;
  p.plain = run_spec(scenario, spec);
  RunOptions options;
  options.make_process = [&p](core::Env& env, const core::ProcessConfig& config) {
    return std::make_unique<RenamingProcess>(env, config, p.renamed_events);
  };
  p.renamed = run_spec(scenario, spec, std::move(options));
  return p;
}

std::size_t count(const std::vector<std::string>& events, const std::string& name) {
  return static_cast<std::size_t>(std::count(events.begin(), events.end(), name));
}

TEST(InvariantsFromState, LostFramesAndMissingHandlersSurviveRenamedLogs) {
  const Scenario scenario = load_or_die("race-5.textproto");
  RunSpec spec;
  spec.seed = 1;
  spec.faults = testing::early_return_race();
  const Pair p = run_both(scenario, spec);
  ASSERT_TRUE(has(p.plain, "frame_lost_no_handler")) << violations_of(p.plain);
  ASSERT_TRUE(has(p.plain, "peers_missing_handler")) << violations_of(p.plain);
  // The log line was there, under another name: nothing matched it.
  EXPECT_GT(count(p.renamed_events, "dropped_no_handler"), 0u);
  EXPECT_EQ(violations_of(p.renamed), violations_of(p.plain));
  EXPECT_EQ(p.renamed.trace_hash, p.plain.trace_hash);
}

TEST(InvariantsFromState, LinksClosedAsDeadSurviveRenamedLogs) {
  // The swarm with every fault on closes live links as dead on some seeds
  // of race-5 (slow shapes with pong_wrong_manager): the first one found.
  const Scenario scenario = load_or_die("race-5.textproto");
  core::FaultSet all;
  for (const auto& info : core::all_faults()) all.enable(info.fault);
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    RunSpec spec;
    spec.strategy = Strategy::kSwarm;
    spec.seed = seed;
    spec.edits = swarm_edits(seed, all, scenario);
    spec.edits.sim_hash_signatures = true;
    if (!has(run_spec(scenario, spec), "live_link_closed_as_dead")) continue;
    const Pair p = run_both(scenario, spec);
    EXPECT_GT(count(p.renamed_events, "link_dead"), 0u);
    EXPECT_TRUE(has(p.renamed, "live_link_closed_as_dead")) << violations_of(p.renamed);
    EXPECT_EQ(violations_of(p.renamed), violations_of(p.plain)) << "seed " << seed;
    EXPECT_EQ(p.renamed.trace_hash, p.plain.trace_hash);
    return;
  }
  FAIL() << "no seed of 1..60 closed a live link as dead: pick another exploration";
}

}  // namespace
}  // namespace yz::sim
