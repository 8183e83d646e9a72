#include "roles/runtime/codec_fields.h"

#include <string>
#include <utility>
#include <vector>

namespace yz::runtime::codec {

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

void put_value(const core::SignedValue& in, v1::SignedValue* out) {
  out->set_key(in.key.to_hex());
  out->set_name(in.name);
  out->set_data(in.data);
  out->set_publisher(in.publisher.to_hex());
  out->set_publisher_public_key(in.publisher_public_key);
  out->set_seq(in.seq);
  out->set_expires_at_ms(in.expires_at_ms);
  out->set_signature(in.signature);
}

void check_value_name(const std::string& name, const char* field, std::string& error) {
  if (!error.empty()) return;
  if (name.empty()) {
    error = std::string(field) + " is empty";
  } else if (name.size() > core::kMaxValueNameBytes) {
    error = std::string(field) + " is " + std::to_string(name.size()) + " bytes, more than " +
            std::to_string(core::kMaxValueNameBytes);
  }
}

namespace {

void check_size(const std::string& bytes, std::size_t max, const char* field, std::string& error) {
  if (error.empty() && bytes.size() > max)
    error = std::string(field) + " is " + std::to_string(bytes.size()) + " bytes, more than " +
            std::to_string(max);
}

}  // namespace

void get_value(const v1::SignedValue& in, core::SignedValue& out, std::string& error) {
  out.key = id(in.key(), "value.key", error);
  out.publisher = id(in.publisher(), "value.publisher", error);
  check_value_name(in.name(), "value.name", error);
  check_size(in.data(), kMaxValueDataBytes, "value.data", error);
  check_size(in.publisher_public_key(), kMaxValueKeyMaterialBytes, "value.publisher_public_key",
             error);
  check_size(in.signature(), kMaxValueKeyMaterialBytes, "value.signature", error);
  if (!error.empty()) return;  // nothing copied from a frame that is refused anyway
  out.name = in.name();
  out.data = in.data();
  out.publisher_public_key = in.publisher_public_key();
  out.seq = in.seq();
  out.expires_at_ms = in.expires_at_ms();
  out.signature = in.signature();
}

void get_values(const google::protobuf::RepeatedPtrField<v1::SignedValue>& in,
                std::vector<core::SignedValue>& out, std::string& error) {
  if (in.size() > kMaxValuesPerFrame) {
    error = "frame lists " + std::to_string(in.size()) + " values, more than " +
            std::to_string(kMaxValuesPerFrame);
    return;
  }
  out.reserve(in.size());
  for (const auto& v : in) {
    core::SignedValue value;
    get_value(v, value, error);
    if (!error.empty()) return;
    out.push_back(std::move(value));
  }
}

}  // namespace yz::runtime::codec
