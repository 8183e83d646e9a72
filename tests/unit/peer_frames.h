// The peers and handshake frames the core's unit tests play the world with.
#pragma once

#include <string>
#include <utility>

#include "roles/core/message.h"
#include "roles/core/process.h"

namespace yz::core::testing {

// A peer at "<name>:7000" that speaks this build's protocol version and
// build id, so only what a test changes on purpose can be refused.
inline PeerInfo Peer(const NodeId& id, std::string name, Role role = Role::kNode) {
  PeerInfo p;
  p.node_id = id;
  p.metadata.role = role;
  p.metadata.address = name + ":7000";
  p.metadata.name = std::move(name);
  p.metadata.protocol_version = ProcessConfig{}.protocol_version;
  p.metadata.build_id = ProcessConfig{}.build_id;
  return p;
}

// The dialler's first message.
inline msg::DhtPeerHello Hello(const PeerInfo& from) {
  return msg::DhtPeerHello{from.node_id, from.metadata, {}, {}};
}

// The acceptor's answer to a hello.
inline msg::DhtPeerConnected Connected(const PeerInfo& from) {
  return msg::DhtPeerConnected{from.node_id, from.metadata, {}, {}, {}, {}};
}

}  // namespace yz::core::testing
