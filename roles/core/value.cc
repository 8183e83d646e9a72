#include "roles/core/value.h"

#include <cstring>
#include <utility>

#include "roles/core/identity.h"
#include "roles/core/signed_bytes.h"

namespace yz::core {
namespace {

using signed_bytes::put_bytes;
using signed_bytes::put_id;
using signed_bytes::put_u64;

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
// above U+10FFFF. Protobuf refuses a string field that is not, so a key
// that is not could be put here and never be read back over the wire.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t min = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1, min = 0x80, code = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, min = 0x800, code = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated
    for (std::size_t j = 1; j <= extra; ++j) {
      const auto next = static_cast<unsigned char>(s[i + j]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += extra + 1;
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
