#include "roles/core/faults.h"

#include <array>

namespace yz::core {
namespace {

constexpr std::array<FaultInfo, 6> kFaults = {{
    {Fault::kEarlyReturnRace, "early_return_race",
     "Dht::handle_peer_connected returns early when the routing table already holds the peer; "
     "the link gets no DHT listener (incident 2025-12-03)"},
    {Fault::kReplacementCacheNoCallback, "replacement_cache_no_callback",
     "a full k-bucket sends the peer to the replacement cache without firing on_node_added"},
    {Fault::kMessageBeforeAttach, "message_before_attach",
     "an accepted link's DHT listener is attached a moment late; a frame read before it is lost"},
    {Fault::kPongWrongManager, "pong_wrong_manager",
     "a pong comes back on another connection manager than its ping left from, so live links "
     "are closed as dead"},
    {Fault::kLookupNoTermination, "lookup_no_termination",
     "a lookup ends only through its active-query count and spins when it has no candidate"},
    {Fault::kShortBridgeWait, "short_bridge_wait",
     "the bootstrap waits a fixed 10 s per bridge, no longer than the bridge's own lookup, and "
     "drops later answers: over slow links every onboarding fails"},
}};

}  // namespace

std::span<const FaultInfo> all_faults() { return kFaults; }

std::optional<Fault> fault_from_name(std::string_view name) {
  for (const auto& info : kFaults)
    if (info.name == name) return info.fault;
  return std::nullopt;
}

std::string_view fault_name(Fault fault) {
  for (const auto& info : kFaults)
    if (info.fault == fault) return info.name;
  return "unknown";
}

std::vector<std::string> FaultSet::names() const {
  std::vector<std::string> out;
  for (const auto& info : kFaults)
    if (has(info.fault)) out.emplace_back(info.name);
  return out;
}

}  // namespace yz::core
