// A flat, test-only view of a core::Message: the record the core used before
// it had one type per message (issue 15). The unit tests still build and
// inspect messages through it, so their assertions read as they did; the
// core never sees it. Converting a test to the typed messages of
// roles/core/message.h and dropping this header is the way forward.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "roles/core/message.h"

namespace yz::core {

// Each type uses the fields its message has and leaves the others empty.
struct Frame {
  MessageType type = MessageType::kPing;
  std::uint64_t request_id = 0;
  // hello.peer_id, connected.node_id, register.node_id
  NodeId node_id;
  // find_node.target, get_onboarding_peer.new_node_id,
  // create_invitation_for_peer.target_node_id
  NodeId target;
  // hello/connected/register metadata, and the metadata of `target`
  PeerMetadata metadata;
  // find_node_response.nodes, registered.members, peers_or_genesis.peers,
  // peer_introduction.peers, member_joined.member,
  // onboarding_peer_response.helper, send_invitation.inviter
  std::vector<PeerInfo> nodes;
  // create/send_invitation, onboarding_peer_response, invitation_accepted;
  // registered.bridge_invitation, peers_or_genesis.designation
  Invitation invitation;
  MembershipToken token;
  CredentialChain chain;            // every message's chain or inviter_chain
  bool flag = false;                // peers_or_genesis.is_genesis, bridge_health_update.healthy
  bool onboarding_started = false;  // peers_or_genesis.onboarding_started
  std::string text;                 // error.message, onboarding_failed.error, register.bridge_auth
  std::string code;                 // error.code, onboarding_failed.code
  // bridge_health_update.connected_peers, onboarding_peer_response.unanswered_requests
  std::uint32_t count = 0;
  std::string public_key;
  std::string nonce;
  std::string signature;
  std::string genesis_auth;

  static Frame Of(MessageType type, std::uint64_t request_id = 0) {
    Frame f;
    f.type = type;
    f.request_id = request_id;
    return f;
  }

  Message to_message() const;
  // So a test hands a Frame wherever the core takes a Message.
  operator Message() const { return to_message(); }  // NOLINT: implicit on purpose
};

inline std::optional<PeerInfo> FirstPeer(const std::vector<PeerInfo>& nodes) {
  return nodes.empty() ? std::nullopt : std::optional<PeerInfo>(nodes.front());
}

inline Message Frame::to_message() const {
  namespace m = msg;
  const auto with = [this](auto body) { return Message(std::move(body), request_id); };
  switch (type) {
    case MessageType::kDhtPeerHello:
      return with(m::DhtPeerHello{node_id, metadata, public_key, nonce});
    case MessageType::kDhtPeerConnected:
      return with(m::DhtPeerConnected{node_id, metadata, public_key, nonce, signature, chain});
    case MessageType::kPing:
      return with(m::Ping{});
    case MessageType::kPong:
      return with(m::Pong{});
    case MessageType::kFindNode:
      return with(m::FindNode{target});
    case MessageType::kFindNodeResponse:
      return with(m::FindNodeResponse{nodes});
    case MessageType::kCreateInvitationForPeer:
      return with(m::CreateInvitationForPeer{target, metadata});
    case MessageType::kInvitationCreated:
      return with(m::InvitationCreated{invitation, chain});
    case MessageType::kRegister:
      return with(m::Register{node_id, metadata, text, genesis_auth});
    case MessageType::kRegistered:
      return with(m::Registered{nodes, invitation});
    case MessageType::kGetPeersOrGenesis:
      return with(m::GetPeersOrGenesis{});
    case MessageType::kPeersOrGenesis:
      return with(m::PeersOrGenesis{flag, onboarding_started, nodes, invitation, chain});
    case MessageType::kGetOnboardingPeer:
      return with(m::GetOnboardingPeer{target, metadata});
    case MessageType::kOnboardingPeerResponse:
      return with(m::OnboardingPeerResponse{FirstPeer(nodes), invitation, chain, count});
    case MessageType::kSendInvitation:
      return with(m::SendInvitation{invitation, FirstPeer(nodes), chain});
    case MessageType::kInvitationAccepted:
      return with(m::InvitationAccepted{invitation, token});
    case MessageType::kMembershipTokenGranted:
      return with(m::MembershipTokenGranted{token});
    case MessageType::kPeerIntroduction:
      return with(m::PeerIntroduction{nodes});
    case MessageType::kMemberJoined:
      return with(m::MemberJoined{nodes.empty() ? PeerInfo{} : nodes.front()});
    case MessageType::kBridgeHealthUpdate:
      return with(m::BridgeHealthUpdate{count, flag});
    case MessageType::kOnboardingFailed:
      return with(m::OnboardingFailed{text, code});
    case MessageType::kDhtPeerProof:
      return with(m::DhtPeerProof{signature, chain});
    case MessageType::kError:
      return with(m::Error{code, text});
  }
  return with(m::Error{code, text});
}

// The typed message a flat frame stands for; throws when it is another type.
template <MessageKind T>
T As(const Frame& frame) {
  return std::get<T>(frame.to_message().body);
}

// The flat view of `message`.
inline Frame ToFrame(const Message& message) {
  Frame f = Frame::Of(message.type(), message.request_id);
  auto put_peer = [&f](const std::optional<PeerInfo>& peer) {
    if (peer) f.nodes.push_back(*peer);
  };
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, msg::DhtPeerHello>) {
          f.node_id = b.peer_id;
          f.metadata = b.metadata;
          f.public_key = b.public_key;
          f.nonce = b.nonce;
        } else if constexpr (std::is_same_v<T, msg::DhtPeerConnected>) {
          f.node_id = b.node_id;
          f.metadata = b.metadata;
          f.public_key = b.public_key;
          f.nonce = b.nonce;
          f.signature = b.signature;
          f.chain = b.chain;
        } else if constexpr (std::is_same_v<T, msg::FindNode>) {
          f.target = b.target;
        } else if constexpr (std::is_same_v<T, msg::FindNodeResponse>) {
          f.nodes = b.nodes;
        } else if constexpr (std::is_same_v<T, msg::CreateInvitationForPeer>) {
          f.target = b.target_node_id;
          f.metadata = b.target_metadata;
        } else if constexpr (std::is_same_v<T, msg::InvitationCreated>) {
          f.invitation = b.invitation;
          f.chain = b.inviter_chain;
        } else if constexpr (std::is_same_v<T, msg::Register>) {
          f.node_id = b.node_id;
          f.metadata = b.metadata;
          f.text = b.bridge_auth;
          f.genesis_auth = b.genesis_auth;
        } else if constexpr (std::is_same_v<T, msg::Registered>) {
          f.nodes = b.members;
          f.invitation = b.bridge_invitation;
        } else if constexpr (std::is_same_v<T, msg::PeersOrGenesis>) {
          f.flag = b.is_genesis;
          f.onboarding_started = b.onboarding_started;
          f.nodes = b.peers;
          f.invitation = b.designation;
          f.chain = b.chain;
        } else if constexpr (std::is_same_v<T, msg::GetOnboardingPeer>) {
          f.target = b.new_node_id;
          f.metadata = b.new_node_metadata;
        } else if constexpr (std::is_same_v<T, msg::OnboardingPeerResponse>) {
          put_peer(b.helper);
          f.invitation = b.invitation;
          f.chain = b.inviter_chain;
          f.count = b.unanswered_requests;
        } else if constexpr (std::is_same_v<T, msg::SendInvitation>) {
          f.invitation = b.invitation;
          put_peer(b.inviter);
          f.chain = b.inviter_chain;
        } else if constexpr (std::is_same_v<T, msg::InvitationAccepted>) {
          f.invitation = b.invitation;
          f.token = b.token;
        } else if constexpr (std::is_same_v<T, msg::MembershipTokenGranted>) {
          f.token = b.token;
        } else if constexpr (std::is_same_v<T, msg::PeerIntroduction>) {
          f.nodes = b.peers;
        } else if constexpr (std::is_same_v<T, msg::MemberJoined>) {
          f.nodes.push_back(b.member);
        } else if constexpr (std::is_same_v<T, msg::BridgeHealthUpdate>) {
          f.count = b.connected_peers;
          f.flag = b.healthy;
        } else if constexpr (std::is_same_v<T, msg::OnboardingFailed>) {
          f.text = b.error;
          f.code = b.code;
        } else if constexpr (std::is_same_v<T, msg::DhtPeerProof>) {
          f.signature = b.signature;
          f.chain = b.chain;
        } else if constexpr (std::is_same_v<T, msg::Error>) {
          f.code = b.code;
          f.text = b.message;
        }
      },
      message.body);
  return f;
}

}  // namespace yz::core
