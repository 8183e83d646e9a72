#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace yz::core {

// A 160-bit Kademlia identifier, stored big-endian so that byte-wise
// comparison is numeric comparison and XOR distances order correctly.
class NodeId {
 public:
  static constexpr int kBits = 160;
  static constexpr int kBytes = kBits / 8;
  using Bytes = std::array<std::uint8_t, kBytes>;

  constexpr NodeId() = default;
  explicit constexpr NodeId(const Bytes& bytes) : bytes_(bytes) {}

  // Accepts exactly 40 hex digits, either case. Returns nullopt otherwise.
  static std::optional<NodeId> from_hex(std::string_view hex);
  // Builds an id from 160 bits: all of `a`, all of `b`, then the top 32 bits
  // of `c`, most significant first (for ids drawn from a seeded PRNG).
  static NodeId from_words(std::uint64_t a, std::uint64_t b, std::uint64_t c);

  std::string to_hex() const;
  // First 8 hex digits: the form the original system's logs use.
  std::string short_hex() const;

  const Bytes& bytes() const { return bytes_; }
  bool is_zero() const;

  NodeId operator^(const NodeId& other) const;
  auto operator<=>(const NodeId&) const = default;
  bool operator==(const NodeId&) const = default;

  // An id whose distance from `self` has its highest set bit at `bucket`
  // (so it falls in that k-bucket of self's table); the lower bits come
  // from `a`, `b`, `c` as in from_words.
  static NodeId in_bucket(const NodeId& self, int bucket, std::uint64_t a, std::uint64_t b,
                          std::uint64_t c);

  // Index of the highest set bit (0..159), or -1 for the zero id. For a XOR
  // distance this is the k-bucket the peer belongs in.
  int highest_bit() const;

 private:
  Bytes bytes_{};
};

// Bucket index of `peer` in the routing table of `self`: the position of the
// highest bit in which the two differ, or -1 when they are equal.
inline int bucket_index(const NodeId& self, const NodeId& peer) {
  return (self ^ peer).highest_bit();
}

// True when `a` is strictly closer to `target` than `b` in the XOR metric.
inline bool closer_to(const NodeId& target, const NodeId& a, const NodeId& b) {
  return (a ^ target) < (b ^ target);
}

}  // namespace yz::core
