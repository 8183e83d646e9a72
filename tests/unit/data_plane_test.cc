// The holder's side of the data plane (issue 17), driven by hand through a
// FakeEnv: store_value and find_value answered, refusals counted by
// reason, republishing armed only once something is held, and puts and
// gets refused at once when they cannot be made.
#include "roles/core/data_plane.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "roles/core/dht_member.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/peer_frames.h"
#include "tests/unit/test_ids.h"

namespace yz::core {
namespace {

using testing::BodyOf;
using testing::FakeEnv;
using testing::Hello;
using testing::kA;
using testing::kB;
using testing::kSelf;
using testing::Peer;
using testing::Sample;

std::shared_ptr<const Identity> Key(std::uint64_t n) { return Identity::from_words(n, 5, 5, 5); }

class DataPlaneTest : public ::testing::Test {
 protected:
  void Start(Role role = Role::kNode) {
    ProcessConfig config;
    config.name = "self";
    config.role = role;
    config.node_id = kSelf;
    config.listen_address = "self:7000";
    config.bootstrap_address = "bootstrap:7000";
    config.timing.republish_interval = 60 * kSecond;
    member_ = std::make_unique<DhtMember>(env_, config);
    member_->start();
    a_link_ = Inbound(Peer(kA, "a"));
    b_link_ = Inbound(Peer(kB, "b"));
  }

  LinkId Inbound(const PeerInfo& peer) {
    const LinkId link = env_.new_link();
    member_->on_link_accepted(link);
    member_->on_frame(link, Hello(peer));
    return link;
  }

  // Sends a store_value from peer a; returns the answer.
  msg::StoreValueResponse Store(const SignedValue& value, std::uint64_t id = 7) {
    member_->on_frame(a_link_, Message(msg::StoreValue{value}, id));
    const auto answers = env_.messages_of<msg::StoreValueResponse>(a_link_);
    EXPECT_FALSE(answers.empty());
    if (answers.empty()) return {};
    EXPECT_EQ(answers.back().request_id, id);
    return BodyOf<msg::StoreValueResponse>(answers.back());
  }

  std::optional<double> Refused(const std::string& reason) {
    return Sample(env_.metrics(), "yz_values_refused_total{reason=\"" + reason + "\"}");
  }

  SignedValue Signed(const std::string& name, std::uint64_t seq, std::string data = "v") {
    return sign_value(*publisher_, name, std::move(data), seq, env_.shared_clock_ms() + 3'600'000);
  }

  FakeEnv env_;
  std::unique_ptr<DhtMember> member_;
  std::shared_ptr<const Identity> publisher_ = Key(1);
  LinkId a_link_ = 0;
  LinkId b_link_ = 0;
};

TEST_F(DataPlaneTest, AHolderStoresASoundValueAndAnswersFindValueWithIt) {
  Start();
  const msg::StoreValueResponse stored = Store(Signed("colour", 1, "blue"));
  EXPECT_TRUE(stored.stored);
  EXPECT_EQ(stored.refusal, "");
  EXPECT_EQ(member_->data().values_held(), 1u);
  EXPECT_EQ(member_->data().bytes_held(), 10u);  // "colour" + "blue"

  member_->on_frame(b_link_, Message(msg::FindValue{"colour"}, 9));
  const auto answers = env_.messages_of<msg::FindValueResponse>(b_link_);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].request_id, 9u);
  const auto& reply = BodyOf<msg::FindValueResponse>(answers[0]);
  ASSERT_EQ(reply.values.size(), 1u);
  EXPECT_EQ(reply.values[0].data, "blue");
  // Its k closest, never the asker.
  ASSERT_EQ(reply.nodes.size(), 1u);
  EXPECT_EQ(reply.nodes[0].node_id, kA);

  member_->on_frame(b_link_, Message(msg::FindValue{"nothing here"}, 10));
  const auto none = env_.messages_of<msg::FindValueResponse>(b_link_);
  ASSERT_EQ(none.size(), 2u);
  EXPECT_TRUE(BodyOf<msg::FindValueResponse>(none[1]).values.empty());
  EXPECT_EQ(Sample(env_.metrics(), "yz_values_held"), 1.0);
  EXPECT_EQ(Sample(env_.metrics(), "yz_value_bytes_held"), 10.0);
}

TEST_F(DataPlaneTest, RefusalsAreAnsweredAndCountedByReason) {
  Start();
  SignedValue tampered = Signed("k", 5);
  tampered.data = "changed";
  EXPECT_EQ(Store(tampered).refusal, "bad_signature");
  EXPECT_EQ(Refused("bad_signature"), 1.0);

  SignedValue moved = Signed("k", 5);
  moved.key = value_key_id("other");
  EXPECT_EQ(Store(moved).refusal, "wrong_key");

  SignedValue expired = sign_value(*publisher_, "k", "v", 5, env_.shared_clock_ms());
  EXPECT_EQ(Store(expired).refusal, "expired");

  EXPECT_TRUE(Store(Signed("k", 5)).stored);
  EXPECT_TRUE(Store(Signed("k", 5)).stored);  // the same again: held, not refused
  EXPECT_EQ(Store(Signed("k", 4)).refusal, "stale");
  EXPECT_EQ(Store(Signed("k", 5, "other data")).refusal, "stale");
  EXPECT_EQ(Refused("stale"), 2.0);
  EXPECT_TRUE(Store(Signed("k", 6)).stored);

  const msg::StoreValueResponse big = Store(Signed("k", 7, std::string(64 * 1024 + 1, 'x')));
  EXPECT_FALSE(big.stored);
  EXPECT_EQ(big.refusal, "too_large");
  for (const char* reason : {"wrong_key", "expired", "too_large"})
    EXPECT_EQ(Refused(reason), 1.0) << reason;
  EXPECT_EQ(Refused("node_full"), 0.0);
  EXPECT_EQ(member_->data().values_held(), 1u);
}

TEST_F(DataPlaneTest, ABridgeHoldsNothing) {
  Start(Role::kBridge);
  const msg::StoreValueResponse answer = Store(Signed("k", 1));
  EXPECT_FALSE(answer.stored);
  EXPECT_EQ(answer.refusal, "not_a_holder");
  EXPECT_EQ(Refused("not_a_holder"), 1.0);
  EXPECT_EQ(member_->data().values_held(), 0u);
  EXPECT_FALSE(member_->data().holds_values());
}

TEST_F(DataPlaneTest, RepublishIsArmedOnlyOnceAValueIsHeldAndPushesToTheKnownPeers) {
  Start();
  const std::size_t timers = env_.pending_timers();
  member_->on_frame(b_link_, Message(msg::FindValue{"k"}, 3));  // a get passing by
  EXPECT_EQ(env_.pending_timers(), timers);

  ASSERT_TRUE(Store(Signed("k", 1)).stored);
  EXPECT_EQ(env_.pending_timers(), timers + 1);  // the one republish timer
  ASSERT_TRUE(Store(Signed("j", 1)).stored);
  EXPECT_EQ(env_.pending_timers(), timers + 1);

  env_.sent.clear();
  env_.advance(60 * kSecond);
  // Both values to both peers it knows (a sent them, and still takes them).
  EXPECT_EQ(env_.messages_of<msg::StoreValue>(a_link_).size(), 2u);
  EXPECT_EQ(env_.messages_of<msg::StoreValue>(b_link_).size(), 2u);
  EXPECT_EQ(Sample(env_.metrics(), "yz_values_republished_total"), 2.0);
}

TEST_F(DataPlaneTest, ExpiredValuesGoAndTheRepublishTimerWithThem) {
  Start();
  const std::size_t timers = env_.pending_timers();
  ASSERT_TRUE(Store(sign_value(*publisher_, "k", "v", 1, env_.shared_clock_ms() + 30'000)).stored);
  EXPECT_EQ(env_.pending_timers(), timers + 1);
  env_.sent.clear();
  env_.advance(60 * kSecond);
  EXPECT_EQ(member_->data().values_held(), 0u);
  EXPECT_TRUE(env_.messages_of<msg::StoreValue>(a_link_).empty());
  EXPECT_EQ(env_.pending_timers(), timers);  // nothing held: nothing armed
}

TEST_F(DataPlaneTest, PutsAndGetsThatCannotBeMadeAreRefusedAtOnce) {
  Start();
  std::vector<PutOutcome> puts;
  const auto put = [&](std::string name, std::string data) {
    member_->data().put(std::move(name), std::move(data), 0,
                        [&](PutOutcome outcome) { puts.push_back(std::move(outcome)); });
  };
  put("", "v");
  put(std::string(257, 'k'), "v");
  put("\xff", "v");
  put("k", std::string(64 * 1024 + 1, 'x'));
  put("k", "v");  // no identity to sign with, and not a member
  ASSERT_EQ(puts.size(), 5u);
  for (int i : {0, 1, 2}) EXPECT_EQ(puts[i].error, "bad_key") << i;
  EXPECT_EQ(puts[3].error, "too_large");
  EXPECT_EQ(puts[4].error, "not_member");
  for (const PutOutcome& p : puts) EXPECT_FALSE(p.ok);
  EXPECT_EQ(Sample(env_.metrics(), R"(yz_puts_total{result="error"})"), 5.0);

  std::vector<GetOutcome> gets;
  member_->data().get("", 0, [&](GetOutcome outcome) { gets.push_back(std::move(outcome)); });
  member_->data().get("k", 0, [&](GetOutcome outcome) { gets.push_back(std::move(outcome)); });
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].error, "bad_key");
  EXPECT_EQ(gets[1].error, "not_member");

  member_->stop();
  member_->data().get("k", 0, [&](GetOutcome outcome) { gets.push_back(std::move(outcome)); });
  ASSERT_EQ(gets.size(), 3u);
  EXPECT_EQ(gets[2].error, "stopped");
}

}  // namespace
}  // namespace yz::core
