#include "roles/core/health.h"

namespace yz::core {

Health::Emergency Health::check(TimePoint now, const Observation& observed) {
  if (observed.connected_peers == 0) {
    ++consecutive_failures_;
    ++total_failures_;
  } else {
    consecutive_failures_ = 0;
  }
  in_emergency_ = observed.connected_peers < timing_.emergency_min_connections &&
                  observed.routing_entries < timing_.emergency_min_routing_entries;
  if (!in_emergency_) return Emergency::kNone;
  const bool zero = observed.connected_peers == 0;
  const Duration throttle =
      zero ? timing_.emergency_throttle : timing_.emergency_throttle_connected;
  if (last_emergency_at_ >= 0 && now - last_emergency_at_ < throttle) return Emergency::kNone;
  last_emergency_at_ = now;
  return zero ? Emergency::kZeroConnections : Emergency::kFewConnections;
}

bool Health::healthy(TimePoint now, std::size_t connected_peers) const {
  if (!running_) return false;
  const bool connected_or_young = connected_peers > 0 || now - started_at_ < timing_.startup_grace;
  return connected_or_young && consecutive_failures_ < timing_.health_failure_limit;
}

}  // namespace yz::core
