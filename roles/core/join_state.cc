#include "roles/core/join_state.h"

namespace yz::core {

JoinState join_state(const JoinObservation& observed) {
  if (observed.peers_missing_handler > 0) return JoinState::kDegraded;
  if (observed.member && observed.connected_peers > 0 && observed.routing_table_size > 0)
    return JoinState::kJoined;
  return observed.uptime < observed.startup_grace ? JoinState::kJoining : JoinState::kIsolated;
}

HealthReason health_reason(const ReasonObservation& observed) {
  if (observed.state == JoinState::kJoined) return HealthReason::kNone;
  if (observed.state == JoinState::kDegraded) return HealthReason::kMissingHandler;
  if (!observed.bootstrap_ready) return HealthReason::kNoBootstrap;
  const std::string_view code = observed.onboarding_failure;
  if (observed.late_answers > 0 || code == "bridge_late") return HealthReason::kNetworkSlow;
  if (observed.unanswered > 0 || code == "find_node_timeout" || code == "bridge_timeout")
    return HealthReason::kPeersDropFrames;
  if (!code.empty()) return HealthReason::kOnboardingFailed;
  return HealthReason::kJoining;
}

}  // namespace yz::core
