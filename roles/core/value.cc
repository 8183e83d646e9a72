#include "roles/core/value.h"

#include <cstring>
#include <utility>

#include "roles/core/identity.h"
#include "roles/core/signed_bytes.h"
#include "roles/json/json.h"

namespace yz::core {
namespace {

using signed_bytes::put_bytes;
using signed_bytes::put_id;
using signed_bytes::put_u64;

// Well-formed UTF-8 (json::utf8_sequence_length: Unicode's table of
// well-formed sequences). Protobuf refuses a string field that is not, so a
// key that is not could be put here and never be read back over the wire.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = json::utf8_sequence_length(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace

NodeId value_key_id(std::string_view name) {
  const auto digest = sha256(name);
  NodeId::Bytes bytes{};
  std::memcpy(bytes.data(), digest.data(), bytes.size());
  return NodeId(bytes);
}

std::string value_name_problem(std::string_view name) {
  if (name.empty()) return "key is empty";
  if (name.size() > kMaxValueNameBytes)
    return "key is " + std::to_string(name.size()) + " bytes, more than " +
           std::to_string(kMaxValueNameBytes);
  if (!valid_utf8(name)) return "key is not UTF-8";
  return {};
}

std::string value_message(const SignedValue& value) {
  std::string out = "yz-value-v1";
  out.push_back('\0');
  put_id(out, value.key);
  put_bytes(out, value.name);
  put_bytes(out, value.data);
  put_id(out, value.publisher);
  put_bytes(out, value.publisher_public_key);
  put_u64(out, value.seq);
  put_u64(out, static_cast<std::uint64_t>(value.expires_at_ms));
  return out;
}

SignedValue sign_value(const Identity& publisher, std::string name, std::string data,
                       std::uint64_t seq, std::int64_t expires_at_ms) {
  SignedValue value;
  value.key = value_key_id(name);
  value.name = std::move(name);
  value.data = std::move(data);
  value.publisher = publisher.node_id();
  value.publisher_public_key = publisher.public_key();
  value.seq = seq;
  value.expires_at_ms = expires_at_ms;
  value.signature = publisher.sign(value_message(value));
  return value;
}

std::string check_value(const SignedValue& value, std::int64_t now_ms, std::size_t max_value_bytes,
                        const SignatureCheck& verify) {
  if (value.data.size() > max_value_bytes) return "too_large";
  if (!value_name_problem(value.name).empty() || value.key != value_key_id(value.name) ||
      value.publisher != node_id_for_key(value.publisher_public_key))
    return "wrong_key";
  if (value.expires_at_ms <= now_ms) return "expired";
  if (!verify(value.publisher_public_key, value_message(value), value.signature))
    return "bad_signature";
  return {};
}

}  // namespace yz::core
