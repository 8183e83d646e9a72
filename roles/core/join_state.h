#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "roles/core/env.h"

namespace yz::core {

// Whether a process has joined the network, beyond the original "healthy"
// rule (which counts a young node with no peers, and ignores peers whose link
// has no DHT handler). Shown in /health as "state", exported as yz_state.
enum class JoinState : std::uint8_t { kJoining, kJoined, kIsolated, kDegraded };

// Indexed by JoinState; also the closed label list of yz_state{state}.
inline constexpr std::array<std::string_view, 4> kJoinStateNames = {"joining", "joined", "isolated",
                                                                    "degraded"};

inline std::string_view join_state_name(JoinState state) {
  return kJoinStateNames[static_cast<std::size_t>(state)];
}

struct JoinObservation {
  bool member = false;
  std::size_t connected_peers = 0;
  std::size_t routing_table_size = 0;
  std::size_t peers_missing_handler = 0;
  Duration uptime = 0;
  Duration startup_grace = 0;
};

// For a DHT member, in this order: degraded (a routing-table peer's link has
// no DHT handler), joined (member with a peer and a routing entry), joining
// (within the start-up grace), isolated (past it).
JoinState join_state(const JoinObservation& observed);

}  // namespace yz::core
