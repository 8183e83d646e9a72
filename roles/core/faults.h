#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace yz::core {

// Named, off-by-default switches that put back a bug the original system
// shipped, so the simulator and a real cluster can reproduce it on demand.
// Each switch changes the one decision its bug made and nothing else.
enum class Fault : std::uint8_t {
  // Dht::handle_peer_connected returns early when the routing table already
  // holds the peer, so the link never gets its DHT listener (the incident).
  kEarlyReturnRace,
  // A full k-bucket sends the peer to the replacement cache without firing
  // on_node_added, so its link never gets a DHT listener either.
  kReplacementCacheNoCallback,
  // The DHT listener of an accepted link is attached a moment after the
  // handshake (the original awaited an asynchronous step first), so a frame
  // the dialler sent straight away is read with nobody listening and lost.
  kMessageBeforeAttach,
  // A pong is matched only against the connection manager it arrived on,
  // and the answering side sends it through its own client (outbound)
  // manager for the pinger: with two links between a pair (the original
  // kept a client and a server manager per peer, each pinging its own) the
  // pong lands where the ping is unknown, the ping counts as lost and,
  // after three, a live link is closed as dead.
  kPongWrongManager,
  // Dht::advance_lookup ends a lookup only through its active-query count;
  // a lookup that starts with no candidate never has a query to finish, so
  // it re-checks forever at the same instant (a livelock).
  kLookupNoTermination,
  // The bootstrap waits a fixed onboarding_bridge_timeout (10 s) for each
  // bridge, no longer than the bridge's own find_node timeout, and drops
  // any answer that comes after it: over links slow enough that a bridge's
  // lookup and invitation take longer, every onboarding fails (issue 14).
  // Part of the 2025-12-03 incident: with early_return_race, a bridge's
  // lookup waited on a peer that dropped its frame and answered just too
  // late, so newcomers stayed isolated instead of joining around it.
  kShortBridgeWait,
};

struct FaultInfo {
  Fault fault;
  std::string_view name;
  std::string_view summary;
};

std::span<const FaultInfo> all_faults();
std::optional<Fault> fault_from_name(std::string_view name);
std::string_view fault_name(Fault fault);

class FaultSet {
 public:
  void enable(Fault fault) { bits_ |= bit(fault); }
  bool has(Fault fault) const { return (bits_ & bit(fault)) != 0; }
  bool empty() const { return bits_ == 0; }
  // Enabled faults' names, in registry order.
  std::vector<std::string> names() const;

 private:
  static std::uint32_t bit(Fault fault) { return 1u << static_cast<unsigned>(fault); }
  std::uint32_t bits_ = 0;
};

}  // namespace yz::core
