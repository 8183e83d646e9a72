#include "roles/core/node_id.h"

#include <bit>

namespace yz::core {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  // Lower case only: one id has one spelling on the wire, so a peer cannot
  // pass as new (or dodge a per-id limit) by changing the case of its id.
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

std::optional<NodeId> NodeId::from_hex(std::string_view hex) {
  if (hex.size() != kBytes * 2) return std::nullopt;
  Bytes bytes{};
  for (int i = 0; i < kBytes; ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return NodeId(bytes);
}

NodeId NodeId::from_words(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  Bytes bytes{};
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(a >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<std::uint8_t>(b >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) bytes[16 + i] = static_cast<std::uint8_t>(c >> (56 - 8 * i));
  return NodeId(bytes);
}

NodeId NodeId::in_bucket(const NodeId& self, int bucket, std::uint64_t a, std::uint64_t b,
                         std::uint64_t c) {
  Bytes distance = from_words(a, b, c).bytes_;
  for (int bit = kBits - 1; bit > bucket; --bit) {
    const int byte = kBytes - 1 - bit / 8;
    distance[byte] &= static_cast<std::uint8_t>(~(1u << (bit % 8)));
  }
  if (bucket >= 0)
    distance[kBytes - 1 - bucket / 8] |= static_cast<std::uint8_t>(1u << (bucket % 8));
  return self ^ NodeId(distance);
}

std::string NodeId::to_hex() const {
  std::string out(kBytes * 2, '0');
  for (int i = 0; i < kBytes; ++i) {
    out[2 * i] = kHexDigits[bytes_[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes_[i] & 0xf];
  }
  return out;
}

std::string NodeId::short_hex() const { return to_hex().substr(0, 8); }

bool NodeId::is_zero() const {
  for (auto b : bytes_)
    if (b != 0) return false;
  return true;
}

NodeId NodeId::operator^(const NodeId& other) const {
  Bytes out{};
  for (int i = 0; i < kBytes; ++i) out[i] = bytes_[i] ^ other.bytes_[i];
  return NodeId(out);
}

int NodeId::highest_bit() const {
  for (int i = 0; i < kBytes; ++i) {
    if (bytes_[i] != 0) {
      const int top = 7 - std::countl_zero(bytes_[i]);
      return (kBytes - 1 - i) * 8 + top;
    }
  }
  return -1;
}

}  // namespace yz::core
