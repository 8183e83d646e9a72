#pragma once

#include <absl/container/flat_hash_map.h>

#include <functional>
#include <memory>
#include <string>

#include "roles/core/env.h"
#include "roles/metrics/registry.h"
#include "sim/prng.h"

namespace yz::sim {

class Simulator;

// One simulated process's view of the world: the simulator's virtual clock
// and network, its own PRNG stream and its own metrics registry.
class SimEnv : public core::Env {
 public:
  // Timer ids start at first_timer so that a restarted process's timers
  // never answer to its previous incarnation's pending timer events.
  SimEnv(Simulator& sim, int process, std::uint64_t seed, core::TimerId first_timer = 1);
  core::TimerId next_timer_id() const { return next_timer_; }

  core::TimePoint now() const override;
  core::TimerId start_timer(core::Duration delay, std::function<void()> fn) override;
  void cancel_timer(core::TimerId timer) override { timers_.erase(timer); }
  void send(core::LinkId link, core::Message&& message) override;
  core::LinkId dial(const std::string& address) override;
  void close(core::LinkId link) override;
  // The dialling process's name on an accepted link (the acceptor's on a
  // dialled one): one "address" per process, as one host per process.
  std::string remote_address(core::LinkId link) const override;
  std::uint64_t random() override { return rng_.next(); }
  void log(core::LogLevel level, std::string_view event,
           std::initializer_list<core::LogField> fields) override;
  metrics::Registry& metrics() override { return registry_; }

  bool has_timer(core::TimerId timer) const { return timers_.contains(timer); }
  // Runs and forgets the timer; false when it was cancelled.
  bool fire_timer(core::TimerId timer);

 private:
  Simulator& sim_;
  int process_;
  Xoshiro256 rng_;
  metrics::Registry registry_;
  core::TimerId next_timer_ = 1;
  // Looked up by id, never iterated: its order cannot leak into a run. A
  // flat map: every timer is one insert and one erase, with no node each.
  absl::flat_hash_map<core::TimerId, std::function<void()>> timers_;
};

}  // namespace yz::sim
