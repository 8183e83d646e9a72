#include "roles/core/frame.h"

#include <array>

namespace yz::core {

std::string_view message_type_name(MessageType type) {
  static constexpr std::array<std::string_view, kMessageTypeCount> kNames = {
      "dht_peer_hello",
      "dht_peer_connected",
      "ping",
      "pong",
      "find_node",
      "find_node_response",
      "create_invitation_for_peer",
      "invitation_created",
      "register",
      "registered",
      "get_peers_or_genesis",
      "peers_or_genesis",
      "get_onboarding_peer",
      "onboarding_peer_response",
      "send_invitation",
      "invitation_accepted",
      "membership_token_granted",
      "peer_introduction",
      "member_joined",
      "bridge_health_update",
      "onboarding_failed",
      "dht_peer_proof",
      "error",
      // The wire's field names. Not store / find_value / find_value_response:
      // those names are reserved in peer.proto for the frames of an older
      // contract, which are refused as unknown.
      "store_value",
      "store_value_response",
      "find_value_request",
      "find_value_reply",
  };
  const auto index = static_cast<std::size_t>(type);
  return index < kNames.size() ? kNames[index] : "unknown";
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kBootstrap:
      return "bootstrap";
    case Role::kGenesis:
      return "genesis";
    case Role::kBridge:
      return "bridge";
    case Role::kNode:
      return "node";
    case Role::kUnspecified:
      break;
  }
  return "unspecified";
}

}  // namespace yz::core
