#pragma once

#include <array>

#include "roles/core/faults.h"
#include "roles/core/join_state.h"
#include "roles/metrics/registry.h"

namespace yz::core {

// The two gauges every process exports whatever its role:
// yz_state{state} (1 for the current join state, 0 for the other three) and
// yz_fault_enabled{fault} (one series per known fault, 0 or 1), so an alert
// can tell "isolated" from "not yet joined" and a page shows a fault is on.
class StateMetrics {
 public:
  StateMetrics(metrics::Registry& registry, const FaultSet& faults);

  void set_state(JoinState state);
  void set_faults(const FaultSet& faults);

 private:
  std::array<metrics::Gauge*, kJoinStateNames.size()> state_{};
  std::vector<std::pair<Fault, metrics::Gauge*>> faults_;
};

}  // namespace yz::core
