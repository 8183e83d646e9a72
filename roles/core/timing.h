#pragma once

#include <cstddef>
#include <cstdint>

#include "roles/core/env.h"
#include "roles/core/rate_limit.h"

namespace yz::core {

// The original system's timing constants and sizes. Every one can be
// overridden (by a scenario in the simulator, by a flag in the runtime) so
// tests can shorten periods without touching code.
struct Timing {
  Duration health_check_interval = 30 * kSecond;
  std::uint32_t health_failure_limit = 10;
  // A node counts as healthy with no peers for this long after it starts.
  Duration startup_grace = 60 * kSecond;
  Duration find_node_timeout_connected = 10 * kSecond;
  // To a peer that has no link yet: covers the dial and the answer.
  Duration find_node_timeout = 3 * kSecond;
  // The bootstrap waits at least this long for each bridge's
  // get_onboarding_peer; in fact bridge_wait() below, which is never shorter
  // than the bridge's own budget for the request.
  Duration onboarding_bridge_timeout = 10 * kSecond;
  // A bridge waits this long for each helper's create_invitation_for_peer.
  Duration invitation_timeout = 10 * kSecond;
  Duration invitation_expiry = 30 * 60 * kSecond;
  // Emergency peer discovery runs at most this often with 0 connections,
  // and at most every emergency_throttle_connected otherwise.
  Duration emergency_throttle = 30 * kSecond;
  Duration emergency_throttle_connected = 120 * kSecond;
  std::uint32_t emergency_min_connections = 3;
  std::uint32_t emergency_min_routing_entries = 4;
  // A newcomer that heard nothing of its onboarding for this long asks again.
  Duration onboarding_give_up = 60 * kSecond;
  // An accepted link that has not finished its handshake by then is closed.
  Duration handshake_timeout = 10 * kSecond;
  std::size_t k = 20;
  std::size_t alpha = 3;
  // Helpers a bridge tries for one newcomer.
  std::size_t helper_candidates = 3;
  // A link we dialled is closed as dead after this many health-check pings
  // in a row went unanswered (90 s at the default interval). Nothing on a
  // live link is ever lost, so a correct run never closes one.
  std::uint32_t dead_link_pings = 3;
  // The data plane (issue 17), with Kademlia's constants where it has them.
  // A value lives value_ttl from its put (tExpire, 24 h); every holder
  // pushes what it holds to the k closest peers it knows every
  // republish_interval (tReplicate, 1 h), which is how a holder that lost
  // its values in a restart gets them back. A put is acknowledged once
  // put_write_quorum holders have stored it (all of them when fewer nodes
  // than that answered its lookup); put_timeout and get_timeout are the
  // budgets of a put or get whose caller gives none.
  Duration value_ttl = 24 * 3600 * kSecond;
  Duration republish_interval = 3600 * kSecond;
  std::size_t put_write_quorum = 3;
  Duration put_timeout = 10 * kSecond;
  Duration get_timeout = 10 * kSecond;
  // What this process accepts from others before it slows or drops them.
  Limits limits;

  // ---- budgets derived from the constants above, so they cannot disagree ----

  // How long a bridge's lookup of a newcomer may run: two rounds of find_node
  // at the connected timeout. Then it picks helpers from the peers that have
  // answered; one that heard from nobody answers find_node_timeout.
  Duration bridge_lookup_budget() const { return 2 * find_node_timeout_connected; }
  // The longest a bridge works on one newcomer before it answers the
  // bootstrap: its lookup, then each helper candidate's invitation in turn.
  Duration brokering_budget() const {
    return bridge_lookup_budget() + static_cast<Duration>(helper_candidates) * invitation_timeout;
  }
  // How long the bootstrap waits for one bridge whose link has a round trip
  // of `rtt` (measured at its handshake; 0 when unknown): the bridge's whole
  // budget, plus twice the round trip for the request's way there and the
  // answer's way back (twice, for links that are slower at times than at
  // the handshake), never less than onboarding_bridge_timeout. Equal to the
  // bridge's own lookup timeout, as it once was, every answer from a slow
  // network arrived after the bootstrap had given up (issue 14).
  Duration bridge_wait(Duration rtt) const {
    const Duration derived = brokering_budget() + 2 * (rtt > 0 ? rtt : 0);
    return derived > onboarding_bridge_timeout ? derived : onboarding_bridge_timeout;
  }
};

}  // namespace yz::core
