#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "roles/core/node_id.h"

namespace yz::core {

// The payloads the core's messages carry (roles/core/message.h), in the
// core's in-memory form of proto/yz/v1/peer.proto, and the message types'
// names.
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
  // The data plane (issue 17). After kError, so that every older type keeps
  // its number: the simulator's trace hash folds the numbers in.
  kStoreValue,
  kStoreValueResponse,
  kFindValue,
  kFindValueResponse,
};
inline constexpr int kMessageTypeCount = static_cast<int>(MessageType::kFindValueResponse) + 1;

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

}  // namespace yz::core
