#include "roles/core/node_id.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace yz::core {
namespace {

constexpr char kHex[] = "0123456789abcdef0123456789abcdef01234567";

// An id whose only set bit is `bit` (0 = least significant).
NodeId OnlyBit(int bit) {
  NodeId::Bytes bytes{};
  bytes[NodeId::kBytes - 1 - bit / 8] = static_cast<std::uint8_t>(1u << (bit % 8));
  return NodeId(bytes);
}

TEST(NodeIdTest, HexRoundTrip) {
  const auto id = NodeId::from_hex(kHex);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->to_hex(), kHex);
  EXPECT_EQ(id->bytes()[0], 0x01);
  EXPECT_EQ(id->bytes()[1], 0x23);
  EXPECT_EQ(id->bytes()[19], 0x67);
}

TEST(NodeIdTest, HexRoundTripRandom) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100; ++i) {
    const NodeId id = NodeId::from_words(rng(), rng(), rng());
    const auto parsed = NodeId::from_hex(id.to_hex());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, id);
  }
}

TEST(NodeIdTest, OnlyLowerCaseIsAccepted) {
  // The contract's canonical form: an id in any other case is another
  // spelling of the same id, refused so that each id has exactly one.
  const auto lower = NodeId::from_hex("abcdefabcdefabcdefabcdefabcdefabcdefabcd");
  ASSERT_TRUE(lower.has_value());
  EXPECT_EQ(lower->to_hex(), "abcdefabcdefabcdefabcdefabcdefabcdefabcd");
  EXPECT_FALSE(NodeId::from_hex("ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD").has_value());
  EXPECT_FALSE(NodeId::from_hex("AbCdEfabcdefABCDEFabcdefabcdefabcdefabcd").has_value());
  EXPECT_FALSE(NodeId::from_hex("abcdefabcdefabcdefabcdefabcdefabcdefabcD").has_value());
}

TEST(NodeIdTest, RejectsWrongLength) {
  const std::string hex = kHex;
  EXPECT_FALSE(NodeId::from_hex("").has_value());
  EXPECT_FALSE(NodeId::from_hex(hex.substr(0, 39)).has_value());
  EXPECT_FALSE(NodeId::from_hex(hex + "0").has_value());
  EXPECT_FALSE(NodeId::from_hex(hex + "00").has_value());
  EXPECT_FALSE(NodeId::from_hex(hex.substr(0, 20)).has_value());
}

TEST(NodeIdTest, RejectsNonHexCharacters) {
  const std::string good = kHex;
  for (const char bad : {'g', 'G', 'z', 'A', 'F', ' ', 'x', '-', ':', '\0', '/', '@', '`'}) {
    for (const std::size_t pos :
         {std::size_t{0}, std::size_t{1}, std::size_t{20}, good.size() - 1}) {
      std::string hex = good;
      hex[pos] = bad;
      EXPECT_FALSE(NodeId::from_hex(hex).has_value()) << "char " << int{bad} << " at " << pos;
    }
  }
}

TEST(NodeIdTest, ShortHexIsFirstEightDigits) {
  EXPECT_EQ(NodeId::from_hex(kHex)->short_hex(), "01234567");
}

TEST(NodeIdTest, DefaultIsZero) {
  EXPECT_TRUE(NodeId().is_zero());
  EXPECT_EQ(NodeId().to_hex(), std::string(40, '0'));
  EXPECT_FALSE(OnlyBit(0).is_zero());
  EXPECT_FALSE(OnlyBit(159).is_zero());
}

TEST(NodeIdTest, XorProperties) {
  std::mt19937_64 rng(11);
  const NodeId zero;
  for (int i = 0; i < 100; ++i) {
    const NodeId a = NodeId::from_words(rng(), rng(), rng());
    const NodeId b = NodeId::from_words(rng(), rng(), rng());
    const NodeId c = NodeId::from_words(rng(), rng(), rng());
    EXPECT_TRUE((a ^ a).is_zero());
    EXPECT_EQ(a ^ b, b ^ a);
    EXPECT_EQ(a ^ zero, a);
    EXPECT_EQ((a ^ b) ^ c, a ^ (b ^ c));
    EXPECT_EQ((a ^ b) ^ b, a);
  }
}

TEST(NodeIdTest, XorKnownValue) {
  const auto a = NodeId::from_hex("ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00");
  const auto b = NodeId::from_hex("0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f");
  EXPECT_EQ((*a ^ *b).to_hex(), "f00ff00ff00ff00ff00ff00ff00ff00ff00ff00f");
}

TEST(NodeIdTest, HighestBitKnownValues) {
  EXPECT_EQ(NodeId().highest_bit(), -1);
  EXPECT_EQ(OnlyBit(0).highest_bit(), 0);
  EXPECT_EQ(OnlyBit(159).highest_bit(), 159);
  EXPECT_EQ(NodeId::from_hex("0000000000000000000000000000000000000001")->highest_bit(), 0);
  EXPECT_EQ(NodeId::from_hex("8000000000000000000000000000000000000000")->highest_bit(), 159);
  EXPECT_EQ(NodeId::from_hex("ffffffffffffffffffffffffffffffffffffffff")->highest_bit(), 159);
  EXPECT_EQ(NodeId::from_hex("0000000000000000000000000000000000000100")->highest_bit(), 8);
  EXPECT_EQ(NodeId::from_hex("00000000000000000000000000000000000000ff")->highest_bit(), 7);
  EXPECT_EQ(NodeId::from_hex("0100000000000000000000000000000000000000")->highest_bit(), 152);
}

TEST(NodeIdTest, HighestBitEveryPosition) {
  NodeId all_below;  // every bit under `bit` set
  for (int bit = 0; bit < NodeId::kBits; ++bit) {
    EXPECT_EQ(OnlyBit(bit).highest_bit(), bit);
    // Lower bits must not change the answer.
    EXPECT_EQ((OnlyBit(bit) ^ all_below).highest_bit(), bit);
    all_below = all_below ^ OnlyBit(bit);
  }
  EXPECT_EQ(all_below, *NodeId::from_hex(std::string(40, 'f')));
}

TEST(NodeIdTest, BucketIndex) {
  const NodeId self = *NodeId::from_hex(kHex);
  EXPECT_EQ(bucket_index(self, self), -1);
  for (int bit = 0; bit < NodeId::kBits; ++bit) {
    EXPECT_EQ(bucket_index(self, self ^ OnlyBit(bit)), bit);
    EXPECT_EQ(bucket_index(self ^ OnlyBit(bit), self), bit);
  }
  // Differing in bits 5 and 100: the higher one decides.
  EXPECT_EQ(bucket_index(self, self ^ OnlyBit(5) ^ OnlyBit(100)), 100);
}

TEST(NodeIdTest, CloserTo) {
  const NodeId target = *NodeId::from_hex(kHex);
  const NodeId near = target ^ OnlyBit(3);
  const NodeId far = target ^ OnlyBit(4);
  EXPECT_TRUE(closer_to(target, near, far));
  EXPECT_FALSE(closer_to(target, far, near));
  EXPECT_FALSE(closer_to(target, near, near));  // strict
  EXPECT_TRUE(closer_to(target, target, near));
  // XOR, not numeric, distance: 0x8...0 ^ target differs in the top bit and
  // is farther than anything that only differs in lower bits.
  const NodeId top = target ^ OnlyBit(159);
  const NodeId many_low = target ^ OnlyBit(158) ^ OnlyBit(100) ^ OnlyBit(0);
  EXPECT_TRUE(closer_to(target, many_low, top));
}

TEST(NodeIdTest, OrderingIsNumeric) {
  EXPECT_LT(NodeId(), OnlyBit(0));
  EXPECT_LT(OnlyBit(0), OnlyBit(1));
  EXPECT_LT(OnlyBit(7), OnlyBit(8));  // crosses a byte boundary
  EXPECT_LT(OnlyBit(158), OnlyBit(159));
  EXPECT_LT(OnlyBit(158) ^ OnlyBit(157) ^ OnlyBit(0), OnlyBit(159));
  EXPECT_GT(OnlyBit(159), OnlyBit(0));
  EXPECT_EQ(OnlyBit(42) <=> OnlyBit(42), std::strong_ordering::equal);
  EXPECT_EQ(OnlyBit(41) <=> OnlyBit(42), std::strong_ordering::less);
  EXPECT_NE(OnlyBit(41), OnlyBit(42));
}

TEST(NodeIdTest, OrderingMatchesHexOrder) {
  // Lower-case hex of equal length sorts like the numbers it encodes.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    const NodeId a = NodeId::from_words(rng(), rng(), rng());
    const NodeId b = NodeId::from_words(rng(), rng(), rng());
    EXPECT_EQ(a < b, a.to_hex() < b.to_hex());
  }
}

TEST(NodeIdTest, FromWordsLayout) {
  const NodeId id =
      NodeId::from_words(0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0xdeadbeefcafef00dULL);
  // All of a, all of b, then only the top 32 bits of c.
  EXPECT_EQ(id.to_hex(), "0123456789abcdeffedcba9876543210deadbeef");
}

TEST(NodeIdTest, FromWordsIgnoresLowBitsOfC) {
  EXPECT_EQ(NodeId::from_words(1, 2, 0x00000001ffffffffULL),
            NodeId::from_words(1, 2, 0x0000000100000000ULL));
  EXPECT_NE(NodeId::from_words(1, 2, 0x0000000100000000ULL), NodeId::from_words(1, 2, 0));
  EXPECT_EQ(NodeId::from_words(0, 0, 0x0000000100000000ULL), OnlyBit(0));
  EXPECT_EQ(NodeId::from_words(0x8000000000000000ULL, 0, 0), OnlyBit(159));
}

}  // namespace
}  // namespace yz::core
