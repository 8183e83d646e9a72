#include "roles/runtime/frame_codec.h"

namespace yz::runtime {
namespace {

using core::MessageType;

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

void put_peers(const std::vector<core::PeerInfo>& peers,
               google::protobuf::RepeatedPtrField<v1::PeerInfo>* out) {
  for (const auto& peer : peers) {
    auto* p = out->Add();
    p->set_node_id(peer.node_id.to_hex());
    put_metadata(peer.metadata, p->mutable_metadata());
  }
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
  for (const auto& p : in) {
    core::PeerInfo peer;
    peer.node_id = id(p.node_id(), "peer node_id", error);
    get_metadata(p.metadata(), peer.metadata);
    out.push_back(std::move(peer));
  }
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

std::string decode_body(const v1::Frame& in, core::Frame& f);

}  // namespace

void encode_frame(const core::Frame& f, v1::Frame& out) {
  out.Clear();
  out.set_request_id(f.request_id);
  switch (f.type) {
    case MessageType::kDhtPeerHello: {
      auto* m = out.mutable_dht_peer_hello();
      m->set_peer_id(f.node_id.to_hex());
      put_metadata(f.metadata, m->mutable_metadata());
      m->set_public_key(f.public_key);
      m->set_nonce(f.nonce);
      break;
    }
    case MessageType::kDhtPeerConnected: {
      auto* m = out.mutable_dht_peer_connected();
      m->set_node_id(f.node_id.to_hex());
      put_metadata(f.metadata, m->mutable_metadata());
      m->set_public_key(f.public_key);
      m->set_nonce(f.nonce);
      m->set_signature(f.signature);
      put_chain(f.chain, m->mutable_chain());
      break;
    }
    case MessageType::kDhtPeerProof:
      out.mutable_dht_peer_proof()->set_signature(f.signature);
      put_chain(f.chain, out.mutable_dht_peer_proof()->mutable_chain());
      break;
    case MessageType::kPing:
      out.mutable_ping();
      break;
    case MessageType::kPong:
      out.mutable_pong();
      break;
    case MessageType::kFindNode:
      out.mutable_find_node()->set_target(f.target.to_hex());
      break;
    case MessageType::kFindNodeResponse:
      put_peers(f.nodes, out.mutable_find_node_response()->mutable_nodes());
      break;
    case MessageType::kCreateInvitationForPeer: {
      auto* m = out.mutable_create_invitation_for_peer();
      m->set_target_node_id(f.target.to_hex());
      put_metadata(f.metadata, m->mutable_target_metadata());
      break;
    }
    case MessageType::kInvitationCreated: {
      auto* m = out.mutable_invitation_created();
      put_invitation(f.invitation, m->mutable_invitation());
      put_chain(f.chain, m->mutable_inviter_chain());
      break;
    }
    case MessageType::kRegister: {
      auto* m = out.mutable_register_();
      m->set_node_id(f.node_id.to_hex());
      put_metadata(f.metadata, m->mutable_metadata());
      m->set_bridge_auth(f.text);
      m->set_genesis_auth(f.genesis_auth);
      break;
    }
    case MessageType::kRegistered: {
      auto* m = out.mutable_registered();
      put_peers(f.nodes, m->mutable_members());
      if (!f.invitation.signature.empty())
        put_invitation(f.invitation, m->mutable_bridge_invitation());
      break;
    }
    case MessageType::kGetPeersOrGenesis:
      out.mutable_get_peers_or_genesis();
      break;
    case MessageType::kPeersOrGenesis: {
      auto* m = out.mutable_peers_or_genesis();
      m->set_is_genesis(f.flag);
      m->set_onboarding_started(f.onboarding_started);
      put_peers(f.nodes, m->mutable_peers());
      if (!f.invitation.signature.empty()) put_invitation(f.invitation, m->mutable_designation());
      put_chain(f.chain, m->mutable_chain());
      break;
    }
    case MessageType::kGetOnboardingPeer: {
      auto* m = out.mutable_get_onboarding_peer();
      m->set_new_node_id(f.target.to_hex());
      put_metadata(f.metadata, m->mutable_new_node_metadata());
      break;
    }
    case MessageType::kOnboardingPeerResponse: {
      auto* m = out.mutable_onboarding_peer_response();
      if (!f.nodes.empty()) {
        m->mutable_helper()->set_node_id(f.nodes.front().node_id.to_hex());
        put_metadata(f.nodes.front().metadata, m->mutable_helper()->mutable_metadata());
      }
      put_invitation(f.invitation, m->mutable_invitation());
      put_chain(f.chain, m->mutable_inviter_chain());
      m->set_unanswered_requests(f.count);
      break;
    }
    case MessageType::kSendInvitation: {
      auto* m = out.mutable_send_invitation();
      put_invitation(f.invitation, m->mutable_invitation());
      put_chain(f.chain, m->mutable_inviter_chain());
      if (!f.nodes.empty()) {
        m->mutable_inviter()->set_node_id(f.nodes.front().node_id.to_hex());
        put_metadata(f.nodes.front().metadata, m->mutable_inviter()->mutable_metadata());
      }
      break;
    }
    case MessageType::kInvitationAccepted: {
      auto* m = out.mutable_invitation_accepted();
      put_invitation(f.invitation, m->mutable_invitation());
      put_token(f.token, m->mutable_token());
      break;
    }
    case MessageType::kMembershipTokenGranted:
      put_token(f.token, out.mutable_membership_token_granted()->mutable_token());
      break;
    case MessageType::kPeerIntroduction:
      put_peers(f.nodes, out.mutable_peer_introduction()->mutable_peers());
      break;
    case MessageType::kMemberJoined: {
      auto* m = out.mutable_member_joined();
      if (!f.nodes.empty()) {
        m->mutable_member()->set_node_id(f.nodes.front().node_id.to_hex());
        put_metadata(f.nodes.front().metadata, m->mutable_member()->mutable_metadata());
      }
      break;
    }
    case MessageType::kBridgeHealthUpdate: {
      auto* m = out.mutable_bridge_health_update();
      m->set_connected_peers(f.count);
      m->set_healthy(f.flag);
      break;
    }
    case MessageType::kOnboardingFailed:
      out.mutable_onboarding_failed()->set_error(f.text);
      out.mutable_onboarding_failed()->set_code(f.code);
      break;
    case MessageType::kError: {
      auto* m = out.mutable_error();
      m->set_code(f.code);
      m->set_message(f.text);
      break;
    }
  }
}

std::string decode_frame(const v1::Frame& in, core::Frame& f, std::string_view* reason) {
  std::string error = decode_body(in, f);
  if (reason != nullptr && !error.empty())
    *reason = error.ends_with(kBadIdSuffix) ? "bad_peer_id" : "malformed";
  return error;
}

namespace {

std::string decode_body(const v1::Frame& in, core::Frame& f) {
  std::string error;
  f = core::Frame{};
  f.request_id = in.request_id();
  switch (in.body_case()) {
    case v1::Frame::kDhtPeerHello:
      f.type = MessageType::kDhtPeerHello;
      f.node_id = id(in.dht_peer_hello().peer_id(), "dht_peer_hello.peer_id", error);
      get_metadata(in.dht_peer_hello().metadata(), f.metadata);
      f.public_key = in.dht_peer_hello().public_key();
      f.nonce = in.dht_peer_hello().nonce();
      break;
    case v1::Frame::kDhtPeerConnected:
      f.type = MessageType::kDhtPeerConnected;
      f.node_id = id(in.dht_peer_connected().node_id(), "dht_peer_connected.node_id", error);
      get_metadata(in.dht_peer_connected().metadata(), f.metadata);
      f.public_key = in.dht_peer_connected().public_key();
      f.nonce = in.dht_peer_connected().nonce();
      f.signature = in.dht_peer_connected().signature();
      get_chain(in.dht_peer_connected().chain(), f.chain, error);
      break;
    case v1::Frame::kDhtPeerProof:
      f.type = MessageType::kDhtPeerProof;
      f.signature = in.dht_peer_proof().signature();
      get_chain(in.dht_peer_proof().chain(), f.chain, error);
      break;
    case v1::Frame::kPing:
      f.type = MessageType::kPing;
      break;
    case v1::Frame::kPong:
      f.type = MessageType::kPong;
      break;
    case v1::Frame::kFindNode:
      f.type = MessageType::kFindNode;
      f.target = id(in.find_node().target(), "find_node.target", error);
      break;
    case v1::Frame::kFindNodeResponse:
      f.type = MessageType::kFindNodeResponse;
      get_peers(in.find_node_response().nodes(), f.nodes, error);
      break;
    case v1::Frame::kCreateInvitationForPeer:
      f.type = MessageType::kCreateInvitationForPeer;
      f.target = id(in.create_invitation_for_peer().target_node_id(),
                    "create_invitation_for_peer.target_node_id", error);
      get_metadata(in.create_invitation_for_peer().target_metadata(), f.metadata);
      break;
    case v1::Frame::kInvitationCreated:
      f.type = MessageType::kInvitationCreated;
      get_invitation(in.invitation_created().invitation(), f.invitation, error);
      get_chain(in.invitation_created().inviter_chain(), f.chain, error);
      break;
    case v1::Frame::kRegister:
      f.type = MessageType::kRegister;
      f.node_id = id(in.register_().node_id(), "register.node_id", error);
      get_metadata(in.register_().metadata(), f.metadata);
      f.text = in.register_().bridge_auth();
      f.genesis_auth = in.register_().genesis_auth();
      break;
    case v1::Frame::kRegistered:
      f.type = MessageType::kRegistered;
      get_peers(in.registered().members(), f.nodes, error);
      if (in.registered().has_bridge_invitation())
        get_invitation(in.registered().bridge_invitation(), f.invitation, error);
      break;
    case v1::Frame::kGetPeersOrGenesis:
      f.type = MessageType::kGetPeersOrGenesis;
      break;
    case v1::Frame::kPeersOrGenesis:
      f.type = MessageType::kPeersOrGenesis;
      f.flag = in.peers_or_genesis().is_genesis();
      f.onboarding_started = in.peers_or_genesis().onboarding_started();
      get_peers(in.peers_or_genesis().peers(), f.nodes, error);
      if (in.peers_or_genesis().has_designation())
        get_invitation(in.peers_or_genesis().designation(), f.invitation, error);
      get_chain(in.peers_or_genesis().chain(), f.chain, error);
      break;
    case v1::Frame::kGetOnboardingPeer:
      f.type = MessageType::kGetOnboardingPeer;
      f.target =
          id(in.get_onboarding_peer().new_node_id(), "get_onboarding_peer.new_node_id", error);
      get_metadata(in.get_onboarding_peer().new_node_metadata(), f.metadata);
      break;
    case v1::Frame::kOnboardingPeerResponse: {
      f.type = MessageType::kOnboardingPeerResponse;
      const auto& m = in.onboarding_peer_response();
      if (m.has_helper()) {
        core::PeerInfo helper;
        helper.node_id = id(m.helper().node_id(), "onboarding_peer_response.helper", error);
        get_metadata(m.helper().metadata(), helper.metadata);
        f.nodes.push_back(std::move(helper));
      }
      get_invitation(m.invitation(), f.invitation, error);
      get_chain(m.inviter_chain(), f.chain, error);
      f.count = m.unanswered_requests();
      break;
    }
    case v1::Frame::kSendInvitation: {
      f.type = MessageType::kSendInvitation;
      const auto& m = in.send_invitation();
      get_invitation(m.invitation(), f.invitation, error);
      get_chain(m.inviter_chain(), f.chain, error);
      if (m.has_inviter()) {
        core::PeerInfo inviter;
        inviter.node_id = id(m.inviter().node_id(), "send_invitation.inviter", error);
        get_metadata(m.inviter().metadata(), inviter.metadata);
        f.nodes.push_back(std::move(inviter));
      }
      break;
    }
    case v1::Frame::kInvitationAccepted:
      f.type = MessageType::kInvitationAccepted;
      get_invitation(in.invitation_accepted().invitation(), f.invitation, error);
      get_token(in.invitation_accepted().token(), f.token, error);
      break;
    case v1::Frame::kMembershipTokenGranted:
      f.type = MessageType::kMembershipTokenGranted;
      get_token(in.membership_token_granted().token(), f.token, error);
      break;
    case v1::Frame::kPeerIntroduction:
      f.type = MessageType::kPeerIntroduction;
      get_peers(in.peer_introduction().peers(), f.nodes, error);
      break;
    case v1::Frame::kMemberJoined: {
      f.type = MessageType::kMemberJoined;
      core::PeerInfo member;
      member.node_id = id(in.member_joined().member().node_id(), "member_joined.member", error);
      get_metadata(in.member_joined().member().metadata(), member.metadata);
      f.nodes.push_back(std::move(member));
      break;
    }
    case v1::Frame::kBridgeHealthUpdate:
      f.type = MessageType::kBridgeHealthUpdate;
      f.count = in.bridge_health_update().connected_peers();
      f.flag = in.bridge_health_update().healthy();
      break;
    case v1::Frame::kOnboardingFailed:
      f.type = MessageType::kOnboardingFailed;
      f.text = in.onboarding_failed().error();
      f.code = in.onboarding_failed().code();
      break;
    case v1::Frame::kError:
      f.type = MessageType::kError;
      f.code = in.error().code();
      f.text = in.error().message();
      break;
    case v1::Frame::BODY_NOT_SET:
      return "frame has no message (unknown or missing message type)";
  }
  return error;
}

}  // namespace
}  // namespace yz::runtime
