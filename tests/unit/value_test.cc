// Values (issue 17): the signed record, its checks, and the holder's store
// with its caps, freshness and expiry.
#include "roles/core/value.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "roles/core/identity.h"
#include "roles/core/rate_limit.h"
#include "roles/core/value_store.h"

namespace yz::core {
namespace {

std::shared_ptr<const Identity> Key(std::uint64_t n) { return Identity::from_words(n, 7, 7, 7); }

constexpr std::int64_t kNow = 5'000'000;
constexpr std::int64_t kLater = kNow + 60'000;
constexpr std::size_t kMaxBytes = 64 * 1024;

// Ed25519, as a real process verifies.
std::string Check(const SignedValue& value, std::int64_t now_ms = kNow,
                  std::size_t max_bytes = kMaxBytes) {
  return check_value(value, now_ms, max_bytes, [](auto key, auto message, auto signature) {
    return verify_signature(key, message, signature);
  });
}

class ValueTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Identity> alice_ = Key(1), bob_ = Key(2);
  SignedValue value_ = sign_value(*alice_, "colour", "blue", 42, kLater);
};

TEST_F(ValueTest, KeyIdIsTheSha256PrefixOfTheUserKey) {
  // SHA-256("hello") = 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c 1fa7425e...
  EXPECT_EQ(value_key_id("hello").to_hex(), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c");
  EXPECT_EQ(value_.key, value_key_id("colour"));
  EXPECT_EQ(value_.publisher, alice_->node_id());
  EXPECT_EQ(value_.publisher_public_key, alice_->public_key());
}

TEST_F(ValueTest, AnHonestValuePasses) {
  EXPECT_EQ(Check(value_), "");
  EXPECT_EQ(value_.signature.size(), kSignatureBytes);
}

TEST_F(ValueTest, TamperedFieldsBreakTheSignature) {
  auto tampered = [&](auto change) {
    SignedValue copy = value_;
    change(copy);
    return Check(copy);
  };
  EXPECT_EQ(tampered([](SignedValue& v) { v.data = "red"; }), "bad_signature");
  EXPECT_EQ(tampered([](SignedValue& v) { v.seq = 43; }), "bad_signature");
  EXPECT_EQ(tampered([](SignedValue& v) { v.expires_at_ms += 1; }), "bad_signature");
  EXPECT_EQ(tampered([](SignedValue& v) { v.signature[0] ^= 1; }), "bad_signature");
  EXPECT_EQ(tampered([](SignedValue& v) { v.signature.clear(); }), "bad_signature");
  // Another user key with its own, matching, DHT key: still not what was signed.
  EXPECT_EQ(tampered([](SignedValue& v) {
              v.name = "color";
              v.key = value_key_id(v.name);
            }),
            "bad_signature");
}

TEST_F(ValueTest, KeysThatDoNotMatchAreWrongKey) {
  SignedValue moved = value_;
  moved.key = value_key_id("elsewhere");  // filed under another key
  EXPECT_EQ(Check(moved), "wrong_key");
  SignedValue claimed = value_;
  claimed.publisher = bob_->node_id();  // claims another publisher
  EXPECT_EQ(Check(claimed), "wrong_key");
  SignedValue swapped = value_;
  swapped.publisher_public_key = bob_->public_key();  // a key that is not the publisher's
  EXPECT_EQ(Check(swapped), "wrong_key");
}

TEST_F(ValueTest, SignedByTheWrongKeyIsABadSignature) {
  // Bob's key and id throughout, but Alice's signature.
  SignedValue forged = sign_value(*bob_, "colour", "blue", 42, kLater);
  forged.signature = value_.signature;
  EXPECT_EQ(Check(forged), "bad_signature");
}

TEST_F(ValueTest, ExpiredAtItsExpiry) {
  EXPECT_EQ(Check(value_, kLater - 1), "");
  EXPECT_EQ(Check(value_, kLater), "expired");
}

TEST_F(ValueTest, TooLargeBeforeAnythingElse) {
  const SignedValue big = sign_value(*alice_, "k", std::string(100, 'x'), 1, kLater);
  EXPECT_EQ(Check(big, kNow, 100), "");
  EXPECT_EQ(Check(big, kNow, 99), "too_large");
  SignedValue big_and_forged = big;
  big_and_forged.signature.clear();
  EXPECT_EQ(Check(big_and_forged, kNow, 99), "too_large");
}

TEST_F(ValueTest, MessageFieldsCannotShiftIntoEachOther) {
  SignedValue a = value_, b = value_;
  a.name = "ab", a.data = "c";
  b.name = "a", b.data = "bc";
  EXPECT_NE(value_message(a), value_message(b));
}

TEST(ValueNameTest, UserKeysAreOneTo256BytesOfUtf8) {
  EXPECT_EQ(value_name_problem("k"), "");
  EXPECT_EQ(value_name_problem(std::string(256, 'k')), "");
  EXPECT_EQ(value_name_problem("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"), "");  // é € 😀
  EXPECT_EQ(value_name_problem(""), "key is empty");
  EXPECT_EQ(value_name_problem(std::string(257, 'k')), "key is 257 bytes, more than 256");
  for (const char* bad : {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xe2\x82", "a\x80",
                          "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80"})
    EXPECT_EQ(value_name_problem(bad), "key is not UTF-8") << bad;
}

// ---- the store ----

SignedValue Made(const std::string& name, std::uint64_t publisher, std::uint64_t seq,
                 std::string data = "d") {
  SignedValue value;
  value.name = name;
  value.key = value_key_id(name);
  value.publisher = NodeId::from_words(publisher, 0, 0);
  value.data = std::move(data);
  value.seq = seq;
  value.expires_at_ms = kLater;
  value.signature = "sig" + std::to_string(seq);
  return value;
}

class ValueStoreTest : public ::testing::Test {
 protected:
  Limits limits_;
  ValueStore store_{limits_};
};

TEST_F(ValueStoreTest, KeepsOnePerKeyAndPublisher) {
  EXPECT_EQ(store_.put(Made("a", 1, 1), kLater), "");
  EXPECT_EQ(store_.put(Made("a", 2, 1), kLater), "");
  EXPECT_EQ(store_.put(Made("b", 1, 1), kLater), "");
  EXPECT_EQ(store_.size(), 3u);
  EXPECT_EQ(store_.bytes(), 6u);  // "a"+"d", twice, and "b"+"d"
  const auto under_a = store_.get(value_key_id("a"), kNow);
  ASSERT_EQ(under_a.size(), 2u);
  EXPECT_EQ(under_a[0].publisher, NodeId::from_words(1, 0, 0));  // by publisher id
  EXPECT_EQ(under_a[1].publisher, NodeId::from_words(2, 0, 0));
  EXPECT_TRUE(store_.get(value_key_id("c"), kNow).empty());
}

TEST_F(ValueStoreTest, LaterSeqReplacesEqualOrEarlierIsStale) {
  ASSERT_EQ(store_.put(Made("a", 1, 5, "five"), kLater), "");
  // The very same value again (another holder's republish): no refusal.
  EXPECT_EQ(store_.put(Made("a", 1, 5, "five"), kLater), "");
  SignedValue same_seq = Made("a", 1, 5, "other");
  same_seq.signature = "another signature";
  EXPECT_EQ(store_.put(same_seq, kLater), "stale");
  EXPECT_EQ(store_.put(Made("a", 1, 4, "four"), kLater), "stale");
  EXPECT_EQ(store_.put(Made("a", 1, 6, "six!"), kLater), "");
  const auto held = store_.get(value_key_id("a"), kNow);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].data, "six!");
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(store_.bytes(), 5u);
}

TEST_F(ValueStoreTest, NodeCapsInEntriesAndBytes) {
  limits_.max_values_per_node = 2;
  ASSERT_EQ(store_.put(Made("a", 1, 1), kLater), "");
  ASSERT_EQ(store_.put(Made("b", 2, 1), kLater), "");
  EXPECT_EQ(store_.put(Made("c", 3, 1), kLater), "node_full");
  // Replacing a held value needs no new room.
  EXPECT_EQ(store_.put(Made("b", 2, 2), kLater), "");
  EXPECT_EQ(store_.size(), 2u);

  ValueStore bytes{limits_};
  limits_.max_values_per_node = 100;
  limits_.max_value_bytes_per_node = 10;
  ASSERT_EQ(bytes.put(Made("a", 1, 1, "1234"), kLater), "");       // 5 bytes
  ASSERT_EQ(bytes.put(Made("b", 2, 1, "1234"), kLater), "");       // 10
  EXPECT_EQ(bytes.put(Made("c", 3, 1, ""), kLater), "node_full");  // 11
  EXPECT_EQ(bytes.put(Made("a", 1, 2, "12345"), kLater), "node_full");
  EXPECT_EQ(bytes.put(Made("a", 1, 2, "123"), kLater), "");  // smaller: fits
  EXPECT_EQ(bytes.bytes(), 9u);
}

TEST_F(ValueStoreTest, PublisherCapsInEntriesAndBytes) {
  limits_.max_values_per_publisher = 2;
  limits_.max_value_bytes_per_publisher = 12;
  ASSERT_EQ(store_.put(Made("a", 1, 1, "12345"), kLater), "");  // 6 bytes
  ASSERT_EQ(store_.put(Made("b", 1, 1), kLater), "");           // 8
  EXPECT_EQ(store_.put(Made("c", 1, 1), kLater), "publisher_full");
  EXPECT_EQ(store_.put(Made("c", 2, 1), kLater), "");  // another publisher has room
  EXPECT_EQ(store_.put(Made("b", 1, 2, "123456"), kLater), "publisher_full");  // 13
  EXPECT_EQ(store_.put(Made("b", 1, 2, "12345"), kLater), "");                 // 12
  EXPECT_EQ(store_.size(), 3u);
}

TEST_F(ValueStoreTest, TooLargeData) {
  limits_.max_value_bytes = 3;
  EXPECT_EQ(store_.put(Made("a", 1, 1, "123"), kLater), "");
  EXPECT_EQ(store_.put(Made("b", 1, 1, "1234"), kLater), "too_large");
}

TEST_F(ValueStoreTest, DropsValuesAtTheirDropTime) {
  ASSERT_EQ(store_.put(Made("a", 1, 1), kNow + 10), "");
  ASSERT_EQ(store_.put(Made("a", 2, 1), kNow + 20), "");
  ASSERT_EQ(store_.put(Made("b", 1, 1), kNow + 30), "");
  EXPECT_EQ(store_.get(value_key_id("a"), kNow + 9).size(), 2u);
  EXPECT_EQ(store_.get(value_key_id("a"), kNow + 10).size(), 1u);  // dropped on read
  EXPECT_EQ(store_.size(), 2u);
  EXPECT_EQ(store_.expire(kNow + 29), 1u);
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(store_.expire(kNow + 30), 1u);
  EXPECT_TRUE(store_.empty());
  EXPECT_EQ(store_.bytes(), 0u);
  // A publisher's room comes back with its values.
  limits_.max_values_per_publisher = 1;
  EXPECT_EQ(store_.put(Made("c", 1, 1), kLater), "");
}

TEST_F(ValueStoreTest, SlicesWalkEveryValueOnceInOrder) {
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(store_.put(Made("k" + std::to_string(i), 1, 1), kLater), "");
  std::vector<ValueStore::Slot> seen;
  std::optional<ValueStore::Slot> after;
  for (;;) {
    const auto slice = store_.values_after(after, 2);
    if (slice.empty()) break;
    EXPECT_LE(slice.size(), 2u);
    for (const auto& value : slice) seen.push_back(ValueStore::slot_of(value));
    after = seen.back();
  }
  ASSERT_EQ(seen.size(), 5u);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1], seen[i]);
}

}  // namespace
}  // namespace yz::core
