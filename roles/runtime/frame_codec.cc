#include "roles/runtime/frame_codec.h"

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace yz::runtime {
namespace {

namespace msg = core::msg;

v1::Role role_to_wire(core::Role role) {
  switch (role) {
    case core::Role::kBootstrap:
      return v1::ROLE_BOOTSTRAP;
    case core::Role::kGenesis:
      return v1::ROLE_GENESIS;
    case core::Role::kBridge:
      return v1::ROLE_BRIDGE;
    case core::Role::kNode:
      return v1::ROLE_NODE;
    case core::Role::kUnspecified:
      break;
  }
  return v1::ROLE_UNSPECIFIED;
}

core::Role role_from_wire(v1::Role role) {
  switch (role) {
    case v1::ROLE_BOOTSTRAP:
      return core::Role::kBootstrap;
    case v1::ROLE_GENESIS:
      return core::Role::kGenesis;
    case v1::ROLE_BRIDGE:
      return core::Role::kBridge;
    case v1::ROLE_NODE:
      return core::Role::kNode;
    default:
      return core::Role::kUnspecified;
  }
}

void put_metadata(const core::PeerMetadata& in, v1::PeerMetadata* out) {
  out->set_role(role_to_wire(in.role));
  out->set_address(in.address);
  out->set_protocol_version(in.protocol_version);
  out->set_build_id(in.build_id);
  out->set_name(in.name);
}

void get_metadata(const v1::PeerMetadata& in, core::PeerMetadata& out) {
  out.role = role_from_wire(in.role());
  out.address = in.address();
  out.protocol_version = in.protocol_version();
  out.build_id = in.build_id();
  out.name = in.name();
}

void put_peer(const core::PeerInfo& peer, v1::PeerInfo* out) {
  out->set_node_id(peer.node_id.to_hex());
  put_metadata(peer.metadata, out->mutable_metadata());
}

void put_peers(const std::vector<core::PeerInfo>& peers,
               google::protobuf::RepeatedPtrField<v1::PeerInfo>* out) {
  for (const auto& peer : peers) put_peer(peer, out->Add());
}

void put_invitation(const core::Invitation& in, v1::Invitation* out) {
  out->set_inviter(in.inviter.to_hex());
  out->set_invitee(in.invitee.to_hex());
  out->set_expires_at_ms(in.expires_at_ms);
  out->set_nonce(in.nonce);
  out->set_signature(in.signature);
  out->set_inviter_public_key(in.inviter_public_key);
}

void put_token(const core::MembershipToken& in, v1::MembershipToken* out) {
  out->set_node_id(in.node_id.to_hex());
  out->set_issuer(in.issuer.to_hex());
  out->set_invitation_nonce(in.invitation_nonce);
  out->set_signature(in.signature);
  out->set_public_key(in.public_key);
}

void put_chain(const core::CredentialChain& in,
               google::protobuf::RepeatedPtrField<v1::ChainLink>* out) {
  for (const auto& link : in) {
    auto* l = out->Add();
    put_token(link.token, l->mutable_token());
    put_invitation(link.invitation, l->mutable_invitation());
  }
}

// What marks a problem as a bad id rather than any other malformation: the
// contract counts the two apart (bad_peer_id, malformed).
constexpr std::string_view kBadIdSuffix = " is not a node id (40 lower-case hex digits)";

// Parses an id field; records the first problem in `error`.
core::NodeId id(const std::string& hex, const char* field, std::string& error) {
  if (auto parsed = core::NodeId::from_hex(hex)) return *parsed;
  if (error.empty()) error = std::string(field) + std::string(kBadIdSuffix);
  return {};
}

core::PeerInfo get_peer(const v1::PeerInfo& in, const char* field, std::string& error) {
  core::PeerInfo peer;
  peer.node_id = id(in.node_id(), field, error);
  get_metadata(in.metadata(), peer.metadata);
  return peer;
}

// Limits a hostile peer list: no honest answer carries more than this.
constexpr int kMaxPeersPerFrame = 256;

void get_peers(const google::protobuf::RepeatedPtrField<v1::PeerInfo>& in,
               std::vector<core::PeerInfo>& out, std::string& error) {
  if (in.size() > kMaxPeersPerFrame) {
    error = "frame lists " + std::to_string(in.size()) + " peers, more than " +
            std::to_string(kMaxPeersPerFrame);
    return;
  }
  out.reserve(in.size());
  for (const auto& p : in) out.push_back(get_peer(p, "peer node_id", error));
}

void get_invitation(const v1::Invitation& in, core::Invitation& out, std::string& error) {
  out.inviter = id(in.inviter(), "invitation.inviter", error);
  out.invitee = id(in.invitee(), "invitation.invitee", error);
  out.expires_at_ms = in.expires_at_ms();
  out.nonce = in.nonce();
  out.signature = in.signature();
  out.inviter_public_key = in.inviter_public_key();
}

void get_token(const v1::MembershipToken& in, core::MembershipToken& out, std::string& error) {
  out.node_id = id(in.node_id(), "token.node_id", error);
  out.issuer = id(in.issuer(), "token.issuer", error);
  out.invitation_nonce = in.invitation_nonce();
  out.signature = in.signature();
  out.public_key = in.public_key();
}

void get_chain(const google::protobuf::RepeatedPtrField<v1::ChainLink>& in,
               core::CredentialChain& out, std::string& error) {
  if (in.size() > static_cast<int>(core::kMaxChainLength)) {
    error = "credential chain of " + std::to_string(in.size()) + " links, more than " +
            std::to_string(core::kMaxChainLength);
    return;
  }
  out.reserve(in.size());
  for (const auto& l : in) {
    core::ChainLink link;
    get_token(l.token(), link.token, error);
    get_invitation(l.invitation(), link.invitation, error);
    out.push_back(std::move(link));
  }
}

// One encoder per message: the core's type into its wire message.
void put(const msg::DhtPeerHello& m, v1::Frame& out) {
  auto* w = out.mutable_dht_peer_hello();
  w->set_peer_id(m.peer_id.to_hex());
  put_metadata(m.metadata, w->mutable_metadata());
  w->set_public_key(m.public_key);
  w->set_nonce(m.nonce);
}

void put(const msg::DhtPeerConnected& m, v1::Frame& out) {
  auto* w = out.mutable_dht_peer_connected();
  w->set_node_id(m.node_id.to_hex());
  put_metadata(m.metadata, w->mutable_metadata());
  w->set_public_key(m.public_key);
  w->set_nonce(m.nonce);
  w->set_signature(m.signature);
  put_chain(m.chain, w->mutable_chain());
}

void put(const msg::DhtPeerProof& m, v1::Frame& out) {
  auto* w = out.mutable_dht_peer_proof();
  w->set_signature(m.signature);
  put_chain(m.chain, w->mutable_chain());
}

void put(const msg::Ping&, v1::Frame& out) { out.mutable_ping(); }
void put(const msg::Pong&, v1::Frame& out) { out.mutable_pong(); }

void put(const msg::FindNode& m, v1::Frame& out) {
  out.mutable_find_node()->set_target(m.target.to_hex());
}

void put(const msg::FindNodeResponse& m, v1::Frame& out) {
  put_peers(m.nodes, out.mutable_find_node_response()->mutable_nodes());
}

void put(const msg::CreateInvitationForPeer& m, v1::Frame& out) {
  auto* w = out.mutable_create_invitation_for_peer();
  w->set_target_node_id(m.target_node_id.to_hex());
  put_metadata(m.target_metadata, w->mutable_target_metadata());
}

void put(const msg::InvitationCreated& m, v1::Frame& out) {
  auto* w = out.mutable_invitation_created();
  put_invitation(m.invitation, w->mutable_invitation());
  put_chain(m.inviter_chain, w->mutable_inviter_chain());
}

void put(const msg::Register& m, v1::Frame& out) {
  auto* w = out.mutable_register_();
  w->set_node_id(m.node_id.to_hex());
  put_metadata(m.metadata, w->mutable_metadata());
  w->set_bridge_auth(m.bridge_auth);
  w->set_genesis_auth(m.genesis_auth);
}

void put(const msg::Registered& m, v1::Frame& out) {
  auto* w = out.mutable_registered();
  put_peers(m.members, w->mutable_members());
  if (!m.bridge_invitation.signature.empty())
    put_invitation(m.bridge_invitation, w->mutable_bridge_invitation());
}

void put(const msg::GetPeersOrGenesis&, v1::Frame& out) { out.mutable_get_peers_or_genesis(); }

void put(const msg::PeersOrGenesis& m, v1::Frame& out) {
  auto* w = out.mutable_peers_or_genesis();
  w->set_is_genesis(m.is_genesis);
  w->set_onboarding_started(m.onboarding_started);
  put_peers(m.peers, w->mutable_peers());
  if (!m.designation.signature.empty()) put_invitation(m.designation, w->mutable_designation());
  put_chain(m.chain, w->mutable_chain());
}

void put(const msg::GetOnboardingPeer& m, v1::Frame& out) {
  auto* w = out.mutable_get_onboarding_peer();
  w->set_new_node_id(m.new_node_id.to_hex());
  put_metadata(m.new_node_metadata, w->mutable_new_node_metadata());
}

void put(const msg::OnboardingPeerResponse& m, v1::Frame& out) {
  auto* w = out.mutable_onboarding_peer_response();
  if (m.helper) put_peer(*m.helper, w->mutable_helper());
  put_invitation(m.invitation, w->mutable_invitation());
  put_chain(m.inviter_chain, w->mutable_inviter_chain());
  w->set_unanswered_requests(m.unanswered_requests);
}

void put(const msg::SendInvitation& m, v1::Frame& out) {
  auto* w = out.mutable_send_invitation();
  put_invitation(m.invitation, w->mutable_invitation());
  put_chain(m.inviter_chain, w->mutable_inviter_chain());
  if (m.inviter) put_peer(*m.inviter, w->mutable_inviter());
}

void put(const msg::InvitationAccepted& m, v1::Frame& out) {
  auto* w = out.mutable_invitation_accepted();
  put_invitation(m.invitation, w->mutable_invitation());
  put_token(m.token, w->mutable_token());
}

void put(const msg::MembershipTokenGranted& m, v1::Frame& out) {
  put_token(m.token, out.mutable_membership_token_granted()->mutable_token());
}

void put(const msg::PeerIntroduction& m, v1::Frame& out) {
  put_peers(m.peers, out.mutable_peer_introduction()->mutable_peers());
}

void put(const msg::MemberJoined& m, v1::Frame& out) {
  put_peer(m.member, out.mutable_member_joined()->mutable_member());
}

void put(const msg::BridgeHealthUpdate& m, v1::Frame& out) {
  auto* w = out.mutable_bridge_health_update();
  w->set_connected_peers(m.connected_peers);
  w->set_healthy(m.healthy);
}

void put(const msg::OnboardingFailed& m, v1::Frame& out) {
  auto* w = out.mutable_onboarding_failed();
  w->set_error(m.error);
  w->set_code(m.code);
}

void put(const msg::Error& m, v1::Frame& out) {
  auto* w = out.mutable_error();
  w->set_code(m.code);
  w->set_message(m.message);
}

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
    case v1::Frame::BODY_NOT_SET:
      return "frame has no message (unknown or missing message type)";
  }
  return error;
}

}  // namespace

void encode_frame(const core::Message& in, v1::Frame& out) {
  out.Clear();
  out.set_request_id(in.request_id);
  std::visit([&](const auto& m) { put(m, out); }, in.body);
}

std::string decode_frame(const v1::Frame& in, core::Message& out, std::string_view* reason) {
  std::string error = decode_body(in, out);
  if (reason != nullptr && !error.empty())
    *reason = error.ends_with(kBadIdSuffix) ? "bad_peer_id" : "malformed";
  return error;
}

}  // namespace yz::runtime
