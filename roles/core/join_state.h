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

// The code of onboarding_failed (the bootstrap's, roles/bootstrap): why the
// onboarding found no helper. find_node_timeout and no_helper are the
// bridge's own answers (its lookup heard from nobody; no helper made an
// invitation); bridge_timeout: no bridge answered within the bootstrap's
// wait and no answer has come late lately (frames lost on the way);
// bridge_late: the same, but bridges' answers have been arriving after the
// wait (the network is slower than the wait); bridge_disconnected: the
// bridge's link closed while it was asked; invalid_invitation; no_bridge.
inline constexpr std::array<std::string_view, 7> kOnboardingFailureCodes = {
    "find_node_timeout",   "no_helper",          "bridge_timeout", "bridge_late",
    "bridge_disconnected", "invalid_invitation", "no_bridge"};

// Why a process is not joined, as far as it can tell: /health "reason" and
// yz_health_reason{reason}. none: joined (or not a member role); joining:
// no evidence either way yet; missing_handler: degraded, a routing-table
// peer's link has no DHT handler, so this process drops that peer's frames
// (the 2025-12-03 bug, seen from the dropping side); no_bootstrap: no
// handshaken link to the bootstrap; network_slow: answers arrive, but after
// their timeout (its own requests answered late, or the bootstrap saw
// bridges answer late); peers_drop_frames: requests go unanswered and
// nothing comes late (its own find_node queries, or the bridge's lookup for
// it, timed out: the early-return bug, seen from the isolated side);
// onboarding_failed: onboarding failed for another reason (no helper, no
// bridge).
enum class HealthReason : std::uint8_t {
  kNone,
  kJoining,
  kMissingHandler,
  kNoBootstrap,
  kNetworkSlow,
  kPeersDropFrames,
  kOnboardingFailed
};

// Indexed by HealthReason; also the closed label list of yz_health_reason.
inline constexpr std::array<std::string_view, 7> kHealthReasonNames = {
    "none",         "joining",           "missing_handler",  "no_bootstrap",
    "network_slow", "peers_drop_frames", "onboarding_failed"};

inline std::string_view health_reason_name(HealthReason reason) {
  return kHealthReasonNames[static_cast<std::size_t>(reason)];
}

// What a member saw since it was last joined (or since it started).
struct ReasonObservation {
  JoinState state = JoinState::kJoining;
  bool bootstrap_ready = false;
  // Answers to its own requests that came after their timeout.
  std::uint64_t late_answers = 0;
  // Its own find_node queries that got no answer in time.
  std::uint64_t unanswered = 0;
  // The code of the last onboarding_failed, or empty.
  std::string_view onboarding_failure;
};

// In this order: none (joined), missing_handler (degraded), no_bootstrap,
// network_slow (late answers win over unanswered ones: in a slow network a
// request times out first and its answer comes after), peers_drop_frames,
// onboarding_failed, joining.
HealthReason health_reason(const ReasonObservation& observed);

}  // namespace yz::core
