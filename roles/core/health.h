#pragma once

#include <cstddef>
#include <cstdint>

#include "roles/core/env.h"
#include "roles/core/timing.h"

namespace yz::core {

// The original system's health rules. A node is healthy while its DHT runs,
// it has a connected peer (or is still within its start-up grace), and fewer
// than `health_failure_limit` consecutive checks found it without peers.
class Health {
 public:
  struct Observation {
    std::size_t connected_peers = 0;
    std::size_t routing_entries = 0;
  };
  enum class Emergency : std::uint8_t { kNone, kZeroConnections, kFewConnections };

  explicit Health(const Timing& timing) : timing_(timing) {}

  void start(TimePoint now) {
    started_at_ = now;
    running_ = true;
  }
  void stop() { running_ = false; }

  // One periodic check. Returns whether emergency peer discovery should run
  // now: too few connections and routing entries, and not run too recently.
  Emergency check(TimePoint now, const Observation& observed);

  bool healthy(TimePoint now, std::size_t connected_peers) const;
  std::uint32_t consecutive_failures() const { return consecutive_failures_; }
  std::uint64_t total_failures() const { return total_failures_; }
  bool in_emergency() const { return in_emergency_; }
  TimePoint started_at() const { return started_at_; }

 private:
  const Timing& timing_;
  bool running_ = false;
  TimePoint started_at_ = 0;
  std::uint32_t consecutive_failures_ = 0;
  std::uint64_t total_failures_ = 0;
  bool in_emergency_ = false;
  TimePoint last_emergency_at_ = -1;
};

}  // namespace yz::core
