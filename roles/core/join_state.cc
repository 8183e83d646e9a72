#include "roles/core/join_state.h"

namespace yz::core {

JoinState join_state(const JoinObservation& observed) {
  if (observed.peers_missing_handler > 0) return JoinState::kDegraded;
  if (observed.member && observed.connected_peers > 0 && observed.routing_table_size > 0)
    return JoinState::kJoined;
  return observed.uptime < observed.startup_grace ? JoinState::kJoining : JoinState::kIsolated;
}

}  // namespace yz::core
