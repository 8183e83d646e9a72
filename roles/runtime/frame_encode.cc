#include <variant>

#include "roles/runtime/codec_fields.h"
#include "roles/runtime/frame_codec.h"

namespace yz::runtime {
namespace {

namespace msg = core::msg;
using namespace codec;  // NOLINT: the shared fields are this file's vocabulary

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

void put(const msg::StoreValue& m, v1::Frame& out) {
  put_value(m.value, out.mutable_store_value()->mutable_value());
}

void put(const msg::StoreValueResponse& m, v1::Frame& out) {
  auto* w = out.mutable_store_value_response();
  w->set_stored(m.stored);
  w->set_refusal(m.refusal);
}

void put(const msg::FindValue& m, v1::Frame& out) {
  out.mutable_find_value_request()->set_key(m.key);
}

void put(const msg::FindValueResponse& m, v1::Frame& out) {
  auto* w = out.mutable_find_value_reply();
  for (const auto& value : m.values) put_value(value, w->add_values());
  put_peers(m.nodes, w->mutable_nodes());
}

}  // namespace

void encode_frame(const core::Message& in, v1::Frame& out) {
  out.Clear();
  out.set_request_id(in.request_id);
  std::visit([&](const auto& m) { put(m, out); }, in.body);
}

}  // namespace yz::runtime
