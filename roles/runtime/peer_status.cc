#include "roles/runtime/peer_status.h"

#include <sstream>

#include "roles/core/dht_member.h"
#include "roles/json/json.h"
#include "roles/runtime/endpoints.h"

namespace yz::runtime {

std::string peer_status_json(core::Process& process) {
  auto* member = dynamic_cast<core::DhtMember*>(&process.role());
  if (member == nullptr) return {};
  std::ostringstream out;
  out << "\"links\":[";
  bool first = true;
  for (core::ConnectionManager* link : member->links().established()) {
    const core::PeerInfo& peer = link->peer();
    out << (first ? "" : ",") << "{\"nodeId\":" << json::quote(peer.node_id.to_hex())
        << ",\"name\":" << json::quote(peer.metadata.name)
        << ",\"role\":" << json::quote(core::role_name(peer.metadata.role))
        << ",\"address\":" << json::quote(peer.metadata.address) << ",\"direction\":\""
        << (link->direction() == core::Direction::kInbound ? "inbound" : "outbound")
        << "\",\"dhtListener\":" << (link->dht_listener_attached() ? "true" : "false")
        << ",\"inRoutingTable\":"
        << (member->routing_table().contains(peer.node_id) ? "true" : "false") << ",\"lastRttMs\":";
    if (link->last_rtt() >= 0) {
      out << static_cast<double>(link->last_rtt()) / core::kMillisecond;
    } else {
      out << "null";
    }
    out << "}";
    first = false;
  }
  out << "]";
  return out.str();
}

}  // namespace yz::runtime
