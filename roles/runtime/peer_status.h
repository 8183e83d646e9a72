#pragma once

#include <string>

#include "roles/core/process.h"

namespace yz::runtime {

// The "links" member of /status for a DHT member: every established link
// with its peer, direction, whether the DHT listens on it (false is the
// incident's signature), whether the peer is in the routing table, and the
// last ping round trip. Empty for the bootstrap.
std::string peer_status_json(core::Process& process);

}  // namespace yz::runtime
