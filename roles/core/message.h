#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "roles/core/frame.h"
#include "roles/core/node_id.h"
#include "roles/core/value.h"

namespace yz::core {

// One type per message of yz.v1.Frame's body (proto/yz/v1/peer.proto), with
// the proto's field names. The core stays free of protobuf so the simulator
// moves messages between processes without serialising them; the runtime
// converts at the socket (roles/runtime/frame_codec.h).
namespace msg {

struct DhtPeerHello {
  NodeId peer_id;
  PeerMetadata metadata;
  std::string public_key;  // the sender's raw Ed25519 key
  std::string nonce;       // fresh bytes for the acceptor to sign
};

struct DhtPeerConnected {
  NodeId node_id;
  PeerMetadata metadata;
  std::string public_key;
  std::string nonce;      // fresh bytes for the dialler to sign
  std::string signature;  // the dialler's nonce, signed
  CredentialChain chain;  // the acceptor's own
};

struct Ping {};
struct Pong {};

struct FindNode {
  NodeId target;
};

struct FindNodeResponse {
  std::vector<PeerInfo> nodes;
};

struct CreateInvitationForPeer {
  NodeId target_node_id;
  PeerMetadata target_metadata;
};

struct InvitationCreated {
  Invitation invitation;
  CredentialChain inviter_chain;
};

struct Register {
  NodeId node_id;
  PeerMetadata metadata;
  std::string bridge_auth;
  std::string genesis_auth;
};

struct Registered {
  std::vector<PeerInfo> members;
  // A bridge's, signed by the bootstrap; on the wire only when signed.
  Invitation bridge_invitation;
};

struct GetPeersOrGenesis {};

struct PeersOrGenesis {
  bool is_genesis = false;
  bool onboarding_started = false;
  std::vector<PeerInfo> peers;
  Invitation designation;  // on the wire only when signed
  CredentialChain chain;   // a rejoining member's own
};

struct GetOnboardingPeer {
  NodeId new_node_id;
  PeerMetadata new_node_metadata;
};

struct OnboardingPeerResponse {
  std::optional<PeerInfo> helper;
  Invitation invitation;
  CredentialChain inviter_chain;
  std::uint32_t unanswered_requests = 0;
};

struct SendInvitation {
  Invitation invitation;
  std::optional<PeerInfo> inviter;
  CredentialChain inviter_chain;
};

struct InvitationAccepted {
  Invitation invitation;
  MembershipToken token;
};

struct MembershipTokenGranted {
  MembershipToken token;
};

struct PeerIntroduction {
  std::vector<PeerInfo> peers;
};

struct MemberJoined {
  PeerInfo member;
};

struct BridgeHealthUpdate {
  std::uint32_t connected_peers = 0;
  bool healthy = false;
};

struct OnboardingFailed {
  std::string error;
  std::string code;
};

struct DhtPeerProof {
  std::string signature;  // the acceptor's nonce, signed
  CredentialChain chain;  // the dialler's own
};

struct Error {
  std::string code;
  std::string message;
};

// The data plane (issue 17; roles/core/data_plane.h).
struct StoreValue {
  SignedValue value;
};

struct StoreValueResponse {
  bool stored = false;
  std::string refusal;  // why not stored: a yz_values_refused_total reason
};

struct FindValue {
  std::string key;  // the user key; its DHT key is value_key_id(key)
};

struct FindValueResponse {
  std::vector<SignedValue> values;  // every publisher's the holder has
  std::vector<PeerInfo> nodes;      // as find_node's answer
};

}  // namespace msg

// The alternatives in MessageType's order, so a body's index is its type.
using MessageBody =
    std::variant<msg::DhtPeerHello, msg::DhtPeerConnected, msg::Ping, msg::Pong, msg::FindNode,
                 msg::FindNodeResponse, msg::CreateInvitationForPeer, msg::InvitationCreated,
                 msg::Register, msg::Registered, msg::GetPeersOrGenesis, msg::PeersOrGenesis,
                 msg::GetOnboardingPeer, msg::OnboardingPeerResponse, msg::SendInvitation,
                 msg::InvitationAccepted, msg::MembershipTokenGranted, msg::PeerIntroduction,
                 msg::MemberJoined, msg::BridgeHealthUpdate, msg::OnboardingFailed,
                 msg::DhtPeerProof, msg::Error, msg::StoreValue, msg::StoreValueResponse,
                 msg::FindValue, msg::FindValueResponse>;
static_assert(std::variant_size_v<MessageBody> == kMessageTypeCount);
static_assert(
    std::is_same_v<
        std::variant_alternative_t<static_cast<std::size_t>(MessageType::kError), MessageBody>,
        msg::Error>);
static_assert(std::is_same_v<std::variant_alternative_t<
                                 static_cast<std::size_t>(MessageType::kDhtPeerProof), MessageBody>,
                             msg::DhtPeerProof>);
static_assert(
    std::is_same_v<std::variant_alternative_t<
                       static_cast<std::size_t>(MessageType::kFindValueResponse), MessageBody>,
                   msg::FindValueResponse>);

template <class T, class Variant>
struct IsAlternative;
template <class T, class... Ts>
struct IsAlternative<T, std::variant<Ts...>> : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {
};
// One of the message types above (any reference or const to one).
template <class T>
concept MessageKind = IsAlternative<std::remove_cvref_t<T>, MessageBody>::value;

// What travels on a link: yz.v1.Frame's request_id and its body. Moved, not
// copied, from the sending role through the driver to the receiving role.
struct Message {
  std::uint64_t request_id = 0;  // a response carries its request's id
  MessageBody body;

  Message() = default;
  template <MessageKind T>
  Message(T&& message, std::uint64_t id = 0)  // NOLINT: implicit, to send a body as is
      : request_id(id), body(std::forward<T>(message)) {}

  MessageType type() const { return static_cast<MessageType>(body.index()); }

  template <MessageKind T>
  bool is() const {
    return std::holds_alternative<T>(body);
  }
  template <MessageKind T>
  T* get() {
    return std::get_if<T>(&body);
  }
  template <MessageKind T>
  const T* get() const {
    return std::get_if<T>(&body);
  }
};

// An error answering request `request_id` (0: none).
inline Message ErrorMessage(std::string code, std::string text, std::uint64_t request_id = 0) {
  return Message(msg::Error{std::move(code), std::move(text)}, request_id);
}

}  // namespace yz::core
