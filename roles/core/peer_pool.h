#pragma once

#include <cstddef>
#include <memory>

#include "roles/core/frame.h"

namespace yz::core {

// Peer metadata held once, not once per link end: every link to a peer and
// every routing table entry for it share one immutable PeerInfo (in the
// simulator, across all simulated processes and explore's threads).
// At 100,000 simulated nodes, each with some 500 link ends, per-link copies
// of the id, role and three strings were most of the memory.
using SharedPeer = std::shared_ptr<const PeerInfo>;

// The one live PeerInfo equal to `peer` (same id and metadata), made if none
// is. Thread-safe; entries go when their last holder lets go. Never iterated,
// so the pool cannot leak an order into behaviour.
SharedPeer intern_peer(const PeerInfo& peer);

// Distinct PeerInfos alive now: a measure, for the scale benchmark.
std::size_t interned_peer_count();

}  // namespace yz::core
