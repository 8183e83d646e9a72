#include <string>
#include <utility>
#include <vector>

#include "roles/runtime/codec_fields.h"
#include "roles/runtime/frame_codec.h"

namespace yz::runtime {
namespace {

namespace msg = core::msg;
using namespace codec;  // NOLINT: the shared fields are this file's vocabulary

// One decoder per message: the wire message into the core's type, the
// first problem into `error`.
void get(const v1::DhtPeerHello& w, msg::DhtPeerHello& m, std::string& error) {
  m.peer_id = id(w.peer_id(), "dht_peer_hello.peer_id", error);
  get_metadata(w.metadata(), m.metadata);
  m.public_key = w.public_key();
  m.nonce = w.nonce();
}

void get(const v1::DhtPeerConnected& w, msg::DhtPeerConnected& m, std::string& error) {
  m.node_id = id(w.node_id(), "dht_peer_connected.node_id", error);
  get_metadata(w.metadata(), m.metadata);
  m.public_key = w.public_key();
  m.nonce = w.nonce();
  m.signature = w.signature();
  get_chain(w.chain(), m.chain, error);
}

void get(const v1::DhtPeerProof& w, msg::DhtPeerProof& m, std::string& error) {
  m.signature = w.signature();
  get_chain(w.chain(), m.chain, error);
}

void get(const v1::Ping&, msg::Ping&, std::string&) {}
void get(const v1::Pong&, msg::Pong&, std::string&) {}
void get(const v1::GetPeersOrGenesis&, msg::GetPeersOrGenesis&, std::string&) {}

void get(const v1::FindNode& w, msg::FindNode& m, std::string& error) {
  m.target = id(w.target(), "find_node.target", error);
}

void get(const v1::FindNodeResponse& w, msg::FindNodeResponse& m, std::string& error) {
  get_peers(w.nodes(), m.nodes, error);
}

void get(const v1::CreateInvitationForPeer& w, msg::CreateInvitationForPeer& m,
         std::string& error) {
  m.target_node_id = id(w.target_node_id(), "create_invitation_for_peer.target_node_id", error);
  get_metadata(w.target_metadata(), m.target_metadata);
}

void get(const v1::InvitationCreated& w, msg::InvitationCreated& m, std::string& error) {
  get_invitation(w.invitation(), m.invitation, error);
  get_chain(w.inviter_chain(), m.inviter_chain, error);
}

void get(const v1::Register& w, msg::Register& m, std::string& error) {
  m.node_id = id(w.node_id(), "register.node_id", error);
  get_metadata(w.metadata(), m.metadata);
  m.bridge_auth = w.bridge_auth();
  m.genesis_auth = w.genesis_auth();
}

void get(const v1::Registered& w, msg::Registered& m, std::string& error) {
  get_peers(w.members(), m.members, error);
  if (w.has_bridge_invitation()) get_invitation(w.bridge_invitation(), m.bridge_invitation, error);
}

void get(const v1::PeersOrGenesis& w, msg::PeersOrGenesis& m, std::string& error) {
  m.is_genesis = w.is_genesis();
  m.onboarding_started = w.onboarding_started();
  get_peers(w.peers(), m.peers, error);
  if (w.has_designation()) get_invitation(w.designation(), m.designation, error);
  get_chain(w.chain(), m.chain, error);
}

void get(const v1::GetOnboardingPeer& w, msg::GetOnboardingPeer& m, std::string& error) {
  m.new_node_id = id(w.new_node_id(), "get_onboarding_peer.new_node_id", error);
  get_metadata(w.new_node_metadata(), m.new_node_metadata);
}

void get(const v1::OnboardingPeerResponse& w, msg::OnboardingPeerResponse& m, std::string& error) {
  if (w.has_helper()) m.helper = get_peer(w.helper(), "onboarding_peer_response.helper", error);
  get_invitation(w.invitation(), m.invitation, error);
  get_chain(w.inviter_chain(), m.inviter_chain, error);
  m.unanswered_requests = w.unanswered_requests();
}

void get(const v1::SendInvitation& w, msg::SendInvitation& m, std::string& error) {
  get_invitation(w.invitation(), m.invitation, error);
  get_chain(w.inviter_chain(), m.inviter_chain, error);
  if (w.has_inviter()) m.inviter = get_peer(w.inviter(), "send_invitation.inviter", error);
}

void get(const v1::InvitationAccepted& w, msg::InvitationAccepted& m, std::string& error) {
  get_invitation(w.invitation(), m.invitation, error);
  get_token(w.token(), m.token, error);
}

void get(const v1::MembershipTokenGranted& w, msg::MembershipTokenGranted& m, std::string& error) {
  get_token(w.token(), m.token, error);
}

void get(const v1::PeerIntroduction& w, msg::PeerIntroduction& m, std::string& error) {
  get_peers(w.peers(), m.peers, error);
}

void get(const v1::MemberJoined& w, msg::MemberJoined& m, std::string& error) {
  m.member = get_peer(w.member(), "member_joined.member", error);
}

void get(const v1::BridgeHealthUpdate& w, msg::BridgeHealthUpdate& m, std::string&) {
  m.connected_peers = w.connected_peers();
  m.healthy = w.healthy();
}

void get(const v1::OnboardingFailed& w, msg::OnboardingFailed& m, std::string&) {
  m.error = w.error();
  m.code = w.code();
}

void get(const v1::Error& w, msg::Error& m, std::string&) {
  m.code = w.code();
  m.message = w.message();
}

void get(const v1::StoreValue& w, msg::StoreValue& m, std::string& error) {
  if (!w.has_value()) {
    error = "store_value has no value";
    return;
  }
  get_value(w.value(), m.value, error);
}

void get(const v1::StoreValueResponse& w, msg::StoreValueResponse& m, std::string& error) {
  m.stored = w.stored();
  // A reason is one short word; a longer one is no honest holder's.
  if (w.refusal().size() > 64) {
    error = "store_value_response.refusal is " + std::to_string(w.refusal().size()) +
            " bytes, more than 64";
    return;
  }
  m.refusal = w.refusal();
}

void get(const v1::FindValue& w, msg::FindValue& m, std::string& error) {
  check_value_name(w.key(), "find_value_request.key", error);
  if (error.empty()) m.key = w.key();
}

void get(const v1::FindValueResponse& w, msg::FindValueResponse& m, std::string& error) {
  get_values(w.values(), m.values, error);
  get_peers(w.nodes(), m.nodes, error);
}

// Decodes `wire` as a T into `out`'s body.
template <class T, class Wire>
void decode_as(const Wire& wire, core::Message& out, std::string& error) {
  T m;
  get(wire, m, error);
  out.body = std::move(m);
}

std::string decode_body(const v1::Frame& in, core::Message& out) {
  std::string error;
  out.request_id = in.request_id();
  switch (in.body_case()) {
    case v1::Frame::kDhtPeerHello:
      decode_as<msg::DhtPeerHello>(in.dht_peer_hello(), out, error);
      break;
    case v1::Frame::kDhtPeerConnected:
      decode_as<msg::DhtPeerConnected>(in.dht_peer_connected(), out, error);
      break;
    case v1::Frame::kDhtPeerProof:
      decode_as<msg::DhtPeerProof>(in.dht_peer_proof(), out, error);
      break;
    case v1::Frame::kPing:
      decode_as<msg::Ping>(in.ping(), out, error);
      break;
    case v1::Frame::kPong:
      decode_as<msg::Pong>(in.pong(), out, error);
      break;
    case v1::Frame::kFindNode:
      decode_as<msg::FindNode>(in.find_node(), out, error);
      break;
    case v1::Frame::kFindNodeResponse:
      decode_as<msg::FindNodeResponse>(in.find_node_response(), out, error);
      break;
    case v1::Frame::kCreateInvitationForPeer:
      decode_as<msg::CreateInvitationForPeer>(in.create_invitation_for_peer(), out, error);
      break;
    case v1::Frame::kInvitationCreated:
      decode_as<msg::InvitationCreated>(in.invitation_created(), out, error);
      break;
    case v1::Frame::kRegister:
      decode_as<msg::Register>(in.register_(), out, error);
      break;
    case v1::Frame::kRegistered:
      decode_as<msg::Registered>(in.registered(), out, error);
      break;
    case v1::Frame::kGetPeersOrGenesis:
      decode_as<msg::GetPeersOrGenesis>(in.get_peers_or_genesis(), out, error);
      break;
    case v1::Frame::kPeersOrGenesis:
      decode_as<msg::PeersOrGenesis>(in.peers_or_genesis(), out, error);
      break;
    case v1::Frame::kGetOnboardingPeer:
      decode_as<msg::GetOnboardingPeer>(in.get_onboarding_peer(), out, error);
      break;
    case v1::Frame::kOnboardingPeerResponse:
      decode_as<msg::OnboardingPeerResponse>(in.onboarding_peer_response(), out, error);
      break;
    case v1::Frame::kSendInvitation:
      decode_as<msg::SendInvitation>(in.send_invitation(), out, error);
      break;
    case v1::Frame::kInvitationAccepted:
      decode_as<msg::InvitationAccepted>(in.invitation_accepted(), out, error);
      break;
    case v1::Frame::kMembershipTokenGranted:
      decode_as<msg::MembershipTokenGranted>(in.membership_token_granted(), out, error);
      break;
    case v1::Frame::kPeerIntroduction:
      decode_as<msg::PeerIntroduction>(in.peer_introduction(), out, error);
      break;
    case v1::Frame::kMemberJoined:
      decode_as<msg::MemberJoined>(in.member_joined(), out, error);
      break;
    case v1::Frame::kBridgeHealthUpdate:
      decode_as<msg::BridgeHealthUpdate>(in.bridge_health_update(), out, error);
      break;
    case v1::Frame::kOnboardingFailed:
      decode_as<msg::OnboardingFailed>(in.onboarding_failed(), out, error);
      break;
    case v1::Frame::kError:
      decode_as<msg::Error>(in.error(), out, error);
      break;
    case v1::Frame::kStoreValue:
      decode_as<msg::StoreValue>(in.store_value(), out, error);
      break;
    case v1::Frame::kStoreValueResponse:
      decode_as<msg::StoreValueResponse>(in.store_value_response(), out, error);
      break;
    case v1::Frame::kFindValueRequest:
      decode_as<msg::FindValue>(in.find_value_request(), out, error);
      break;
    case v1::Frame::kFindValueReply:
      decode_as<msg::FindValueResponse>(in.find_value_reply(), out, error);
      break;
    case v1::Frame::BODY_NOT_SET:
      return "frame has no message (unknown or missing message type)";
  }
  return error;
}

}  // namespace

std::string decode_frame(const v1::Frame& in, core::Message& out, std::string_view* reason) {
  std::string error = decode_body(in, out);
  if (reason != nullptr && !error.empty())
    *reason = error.ends_with(kBadIdSuffix) ? "bad_peer_id" : "malformed";
  return error;
}

}  // namespace yz::runtime
