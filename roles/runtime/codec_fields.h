#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <string>
#include <string_view>
#include <vector>

#include "roles/core/frame.h"
#include "roles/core/value.h"
#include "yz/v1/peer.pb.h"

// The fields several messages share (roles, metadata, peers, invitations,
// tokens, chains), each way, for frame_encode.cc and frame_decode.cc.
// Decoders record the first problem in `error` and go on.
namespace yz::runtime::codec {

// What marks a problem as a bad id rather than any other malformation: the
// contract counts the two apart (bad_peer_id, malformed).
inline constexpr std::string_view kBadIdSuffix = " is not a node id (40 lower-case hex digits)";

// Limits a hostile peer list: no honest answer carries more than this.
inline constexpr int kMaxPeersPerFrame = 256;
// Limits on values (issue 17) that hold whatever a process's own caps are:
// a frame is at most 1 MiB, a key 256 bytes, a key or signature of any
// scheme yz uses at most 64 bytes. Longer is malformed, not merely refused.
inline constexpr int kMaxValuesPerFrame = 256;
inline constexpr std::size_t kMaxValueDataBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxValueKeyMaterialBytes = 64;

v1::Role role_to_wire(core::Role role);
core::Role role_from_wire(v1::Role role);

void put_metadata(const core::PeerMetadata& in, v1::PeerMetadata* out);
void put_peer(const core::PeerInfo& peer, v1::PeerInfo* out);
void put_peers(const std::vector<core::PeerInfo>& peers,
               google::protobuf::RepeatedPtrField<v1::PeerInfo>* out);
void put_invitation(const core::Invitation& in, v1::Invitation* out);
void put_token(const core::MembershipToken& in, v1::MembershipToken* out);
void put_chain(const core::CredentialChain& in,
               google::protobuf::RepeatedPtrField<v1::ChainLink>* out);
void put_value(const core::SignedValue& in, v1::SignedValue* out);

void get_metadata(const v1::PeerMetadata& in, core::PeerMetadata& out);
// Parses an id field.
core::NodeId id(const std::string& hex, const char* field, std::string& error);
core::PeerInfo get_peer(const v1::PeerInfo& in, const char* field, std::string& error);
void get_peers(const google::protobuf::RepeatedPtrField<v1::PeerInfo>& in,
               std::vector<core::PeerInfo>& out, std::string& error);
void get_invitation(const v1::Invitation& in, core::Invitation& out, std::string& error);
void get_token(const v1::MembershipToken& in, core::MembershipToken& out, std::string& error);
void get_chain(const google::protobuf::RepeatedPtrField<v1::ChainLink>& in,
               core::CredentialChain& out, std::string& error);
// A user key (find_value_request.key, SignedValue.name): 1-256 bytes.
void check_value_name(const std::string& name, const char* field, std::string& error);
void get_value(const v1::SignedValue& in, core::SignedValue& out, std::string& error);
void get_values(const google::protobuf::RepeatedPtrField<v1::SignedValue>& in,
                std::vector<core::SignedValue>& out, std::string& error);

}  // namespace yz::runtime::codec
