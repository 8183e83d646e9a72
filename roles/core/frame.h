#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "roles/core/node_id.h"

namespace yz::core {

// The core's in-memory form of a yz.v1.Frame (proto/yz/v1/peer.proto). The
// core stays free of protobuf so the simulator can move frames between nodes
// without serialising them; the runtime converts at the socket.
enum class MessageType : std::uint8_t {
  kDhtPeerHello,
  kDhtPeerConnected,
  kPing,
  kPong,
  kFindNode,
  kFindNodeResponse,
  kCreateInvitationForPeer,
  kInvitationCreated,
  kRegister,
  kRegistered,
  kGetPeersOrGenesis,
  kPeersOrGenesis,
  kGetOnboardingPeer,
  kOnboardingPeerResponse,
  kSendInvitation,
  kInvitationAccepted,
  kMembershipTokenGranted,
  kPeerIntroduction,
  kMemberJoined,
  kBridgeHealthUpdate,
  kOnboardingFailed,
  kDhtPeerProof,
  kError,
};
inline constexpr int kMessageTypeCount = static_cast<int>(MessageType::kError) + 1;

// The original system's name for each message type ("find_node", ...).
std::string_view message_type_name(MessageType type);

enum class Role : std::uint8_t { kUnspecified, kBootstrap, kGenesis, kBridge, kNode };
std::string_view role_name(Role role);

struct PeerMetadata {
  Role role = Role::kUnspecified;
  std::string address;
  std::uint32_t protocol_version = 0;
  std::string build_id;
  std::string name;
};

struct PeerInfo {
  NodeId node_id;
  PeerMetadata metadata;
};

struct Invitation {
  NodeId inviter;
  NodeId invitee;
  std::int64_t expires_at_ms = 0;
  std::uint64_t nonce = 0;
  std::string inviter_public_key;  // raw Ed25519; its SHA-256 prefix is `inviter`
  std::string signature;           // the inviter's Ed25519 signature
};

struct MembershipToken {
  NodeId node_id;
  NodeId issuer;
  std::uint64_t invitation_nonce = 0;
  std::string public_key;  // the member's raw Ed25519 key
  std::string signature;   // the member's Ed25519 signature
};

// A member's credential chain, holder first: each link's token cites its
// invitation, whose inviter is the next link's holder, and the last
// invitation is signed by the bootstrap (roles/core/credentials.h).
struct ChainLink {
  MembershipToken token;
  Invitation invitation;
};
using CredentialChain = std::vector<ChainLink>;
// Longer chains are refused (broken_chain) and not even decoded: an honest
// invitation tree of 100,000 members is a few dozen deep.
inline constexpr std::size_t kMaxChainLength = 128;

// One flat record for every message type; each type uses the fields its
// proto message has (see the comments) and leaves the others empty.
struct Frame {
  MessageType type = MessageType::kPing;
  std::uint64_t request_id = 0;  // a response carries its request's id
  // hello.peer_id, connected.node_id, register.node_id
  NodeId node_id;
  // find_node.target, get_onboarding_peer.new_node_id,
  // create_invitation_for_peer.target_node_id
  NodeId target;
  // hello/connected/register metadata, and the metadata of `target`
  PeerMetadata metadata;
  // find_node_response.nodes, registered.members, peers_or_genesis.peers,
  // peer_introduction.peers, member_joined.member, onboarding_peer_response.helper,
  // send_invitation.inviter
  std::vector<PeerInfo> nodes;
  // create/send_invitation, onboarding_peer_response, invitation_accepted;
  // registered.bridge_invitation, peers_or_genesis.designation
  Invitation invitation;
  MembershipToken token;
  // connected/dht_peer_proof: the sender's own; invitation_created,
  // onboarding_peer_response, send_invitation: the inviter's;
  // peers_or_genesis: the rejoining member's own
  CredentialChain chain;
  bool flag = false;                // peers_or_genesis.is_genesis, bridge_health_update.healthy
  bool onboarding_started = false;  // peers_or_genesis.onboarding_started
  std::string text;                 // error.message, onboarding_failed.error, register.bridge_auth
  std::string code;                 // error.code, onboarding_failed.code
  // bridge_health_update.connected_peers, onboarding_peer_response.unanswered_requests
  std::uint32_t count = 0;
  std::string public_key;    // hello/connected: the sender's raw Ed25519 key
  std::string nonce;         // hello/connected: fresh bytes for the other side to sign
  std::string signature;     // connected/dht_peer_proof: the other side's nonce, signed
  std::string genesis_auth;  // register.genesis_auth

  static Frame Of(MessageType type, std::uint64_t request_id = 0) {
    Frame f;
    f.type = type;
    f.request_id = request_id;
    return f;
  }
};

}  // namespace yz::core
