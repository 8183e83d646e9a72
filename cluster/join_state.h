#pragma once

#include <optional>
#include <string>

#include "roles/json/json.h"

namespace yz::cluster {

// Where a process stands in joining the DHT (contract of issue 12):
//   degraded  a link to a routing-table peer has no DHT listener
//   joined    member, with connections and a non-empty routing table
//   joining   not joined, still inside its start-up grace
//   isolated  not joined, past its start-up grace
// The bootstrap is "joined" while it answers: it is the rendezvous, not a
// DHT member. yzctl adds "down" (not running) and "unknown" (running, but
// /health did not answer), which are not join states but fill the column.
enum class JoinState { kJoining, kJoined, kIsolated, kDegraded, kDown, kUnknown };

std::string join_state_name(JoinState state);
std::optional<JoinState> join_state_from_name(const std::string& name);

// The state of a process from its /health JSON: the "state" member when the
// process reports one (newer builds compute it in the core), else derived
// from connectedPeers, routingTableSize, peersMissingHandler and uptime the
// same way, with a missing uptime taken as past the grace (an older build
// that cannot say how young it is is not given the benefit of the doubt).
JoinState join_state_of(const std::string& role, const json::Value& health,
                        double startup_grace_seconds);

// The derivation itself, for processes that report no state.
JoinState derive_join_state(const std::string& role, long connected_peers, long routing_table_size,
                            long peers_missing_handler, std::optional<double> uptime_seconds,
                            double startup_grace_seconds);

// The roles' start-up grace (60 s) divided by the cluster's time scale, as
// yzctl passes it with --startup-grace.
double startup_grace_seconds(double time_scale);

}  // namespace yz::cluster
