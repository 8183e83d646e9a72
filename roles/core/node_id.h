#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
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

  // Accepts exactly 40 lower-case hex digits (the canonical form to_hex
  // writes). Returns nullopt otherwise.
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
  // Compared as big-endian words: ids are map keys on every hot path, and
  // the defaulted comparison became a libc memcmp call per comparison.
  std::strong_ordering operator<=>(const NodeId& other) const {
    for (int offset : {0, 8}) {
      const std::uint64_t a = word(offset), b = other.word(offset);
      if (a != b) return a <=> b;
    }
    return tail() <=> other.tail();
  }
  bool operator==(const NodeId& other) const {
    return word(0) == other.word(0) && word(8) == other.word(8) && tail() == other.tail();
  }

  // An id whose distance from `self` has its highest set bit at `bucket`
  // (so it falls in that k-bucket of self's table); the lower bits come
  // from `a`, `b`, `c` as in from_words.
  static NodeId in_bucket(const NodeId& self, int bucket, std::uint64_t a, std::uint64_t b,
                          std::uint64_t c);

  // Index of the highest set bit (0..159), or -1 for the zero id. For a XOR
  // distance this is the k-bucket the peer belongs in.
  int highest_bit() const;

 private:
  std::uint64_t word(int offset) const {
    std::uint64_t v;
    std::memcpy(&v, bytes_.data() + offset, sizeof v);
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    return v;
  }
  std::uint32_t tail() const {
    std::uint32_t v;
    std::memcpy(&v, bytes_.data() + 16, sizeof v);
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
    return v;
  }

  Bytes bytes_{};
};

// For hashed containers of ids. Ids are uniformly random, so their first
// eight bytes are as good a hash as any.
struct NodeIdHash {
  std::size_t operator()(const NodeId& id) const noexcept {
    std::uint64_t v;
    std::memcpy(&v, id.bytes().data(), sizeof v);
    return static_cast<std::size_t>(v);
  }
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
