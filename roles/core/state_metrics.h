#pragma once

#include <array>

#include "roles/core/faults.h"
#include "roles/core/join_state.h"
#include "roles/metrics/registry.h"

namespace yz::core {

// The gauges every process exports whatever its role:
// yz_state{state} (1 for the current join state, 0 for the other three),
// yz_health_reason{reason} (1 for why it is not joined, "none" when it is;
// core/join_state.h) and yz_fault_enabled{fault} (one series per known
// fault, 0 or 1), so an alert can tell "isolated" from "not yet joined",
// "isolated because peers drop our frames" from "isolated because the
// network is slow", and a page shows a fault is on.
class StateMetrics {
 public:
  StateMetrics(metrics::Registry& registry, const FaultSet& faults);

  void set_state(JoinState state);
  void set_reason(HealthReason reason);
  void set_faults(const FaultSet& faults);

 private:
  std::array<metrics::Gauge*, kJoinStateNames.size()> state_{};
  std::array<metrics::Gauge*, kHealthReasonNames.size()> reason_{};
  std::vector<std::pair<Fault, metrics::Gauge*>> faults_;
};

}  // namespace yz::core
