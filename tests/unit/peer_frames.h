// The peers and handshake frames the core's unit tests play the world with.
#pragma once

#include <string>
#include <utility>

#include "roles/core/process.h"
#include "tests/unit/flat_frame.h"

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

// The dialler's first frame.
inline Frame Hello(const PeerInfo& from) {
  Frame f = Frame::Of(MessageType::kDhtPeerHello);
  f.node_id = from.node_id;
  f.metadata = from.metadata;
  return f;
}

// The acceptor's answer to a hello.
inline Frame Connected(const PeerInfo& from) {
  Frame f = Frame::Of(MessageType::kDhtPeerConnected);
  f.node_id = from.node_id;
  f.metadata = from.metadata;
  return f;
}

}  // namespace yz::core::testing
