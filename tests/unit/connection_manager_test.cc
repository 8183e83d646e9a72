#include "roles/core/connection_manager.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "roles/core/core_metrics.h"
#include "tests/unit/fake_env.h"

namespace yz::core {
namespace {

using testing::FakeEnv;
using testing::Sample;

constexpr LinkId kLink = 7;
constexpr char kNoHandler[] = R"(yz_dht_messages_dropped_total{reason="no_handler"})";

// The fake's clock underpins every timeout test in this directory, so its
// ordering promise is checked once here.
TEST(FakeEnvTest, FiresTimersInTimeThenCreationOrder) {
  FakeEnv env;
  std::vector<std::string> fired;
  env.start_timer(2 * kSecond, [&] { fired.push_back("b@2"); });
  env.start_timer(1 * kSecond, [&] { fired.push_back("a@1"); });
  env.start_timer(2 * kSecond, [&] { fired.push_back("c@2"); });
  const TimerId cancelled = env.start_timer(kSecond, [&] { fired.push_back("cancelled"); });
  env.start_timer(kSecond, [&] {
    // Started while firing, due inside the same advance.
    env.start_timer(kSecond / 2, [&] { fired.push_back("nested@1.5"); });
  });
  env.start_timer(3 * kSecond, [&] { fired.push_back("late@3"); });
  env.cancel_timer(cancelled);

  env.advance(2 * kSecond);
  EXPECT_EQ(fired, (std::vector<std::string>{"a@1", "nested@1.5", "b@2", "c@2"}));
  EXPECT_EQ(env.now(), 2 * kSecond);
  EXPECT_EQ(env.pending_timers(), 1u);
  env.advance(kSecond);
  EXPECT_EQ(fired.back(), "late@3");
}

class ConnectionManagerTest : public ::testing::Test {
 protected:
  ConnectionManager& Established() {
    manager_.set_state(ConnectionManager::State::kEstablished);
    return manager_;
  }

  FakeEnv env_;
  CoreMetrics metrics_{env_.metrics()};
  ConnectionManager manager_{env_, metrics_, kLink, Direction::kInbound};
};

TEST_F(ConnectionManagerTest, InitialStateFollowsDirection) {
  ConnectionManager outbound(env_, metrics_, 8, Direction::kOutbound);
  EXPECT_EQ(outbound.state(), ConnectionManager::State::kDialling);
  EXPECT_EQ(manager_.state(), ConnectionManager::State::kAwaitingHello);
  EXPECT_FALSE(manager_.established());
  EXPECT_FALSE(manager_.dht_listener_attached());
  EXPECT_EQ(manager_.last_rtt(), -1);
}

// The incident looked healthy from outside because liveness does not depend
// on a DHT listener: the manager answers ping itself.
TEST_F(ConnectionManagerTest, AnswersPingWithPongWithoutListener) {
  auto& manager = Established();
  ASSERT_FALSE(manager.dht_listener_attached());

  EXPECT_EQ(manager.handle_frame(Message(msg::Ping{}, 42)),
            ConnectionManager::Delivery::kAnsweredPing);

  ASSERT_EQ(env_.sent.size(), 1u);
  EXPECT_EQ(env_.sent[0].link, kLink);
  EXPECT_EQ(env_.sent[0].message.type(), MessageType::kPong);
  EXPECT_EQ(env_.sent[0].message.request_id, 42u);
  EXPECT_EQ(manager.dropped_no_handler(), 0u);
  EXPECT_EQ(Sample(env_.metrics(), R"(yz_dht_messages_received_total{type="ping"})"), 1.0);
}

TEST_F(ConnectionManagerTest, PongRecordsRoundTrip) {
  auto& manager = Established();
  env_.advance(3 * kSecond);
  manager.send_ping();
  ASSERT_EQ(env_.sent.size(), 1u);
  const Message ping = env_.sent[0].message;
  EXPECT_TRUE(ping.is<msg::Ping>());

  env_.advance(5 * kMillisecond);
  EXPECT_EQ(manager.handle_frame(Message(msg::Pong{}, ping.request_id)),
            ConnectionManager::Delivery::kPong);
  EXPECT_EQ(manager.last_rtt(), 5 * kMillisecond);
  EXPECT_EQ(manager.last_pong_at(), 3 * kSecond + 5 * kMillisecond);

  // The same pong again matches nothing in flight and changes nothing.
  env_.advance(kSecond);
  manager.handle_frame(Message(msg::Pong{}, ping.request_id));
  EXPECT_EQ(manager.last_rtt(), 5 * kMillisecond);
}

TEST_F(ConnectionManagerTest, UnknownPongIsIgnoredAndNeverDelivered) {
  auto& manager = Established();
  int delivered = 0;
  manager.attach_dht_listener([&](ConnectionManager&, Message&&) { ++delivered; });
  EXPECT_EQ(manager.handle_frame(Message(msg::Pong{}, 999)), ConnectionManager::Delivery::kPong);
  EXPECT_EQ(manager.last_rtt(), -1);
  EXPECT_EQ(delivered, 0);
}

TEST_F(ConnectionManagerTest, NoPingBeforeEstablished) {
  manager_.send_ping();
  EXPECT_TRUE(env_.sent.empty());
}

// Pings to a peer that never answers are bounded: the oldest is forgotten.
TEST_F(ConnectionManagerTest, ForgetsOldestPingBeyondEight) {
  auto& manager = Established();
  for (int i = 0; i < 9; ++i) manager.send_ping();
  ASSERT_EQ(env_.sent.size(), 9u);
  env_.advance(kMillisecond);
  manager.handle_frame(Message(msg::Pong{}, env_.sent[0].message.request_id));
  EXPECT_EQ(manager.last_rtt(), -1);
  manager.handle_frame(Message(msg::Pong{}, env_.sent[1].message.request_id));
  EXPECT_EQ(manager.last_rtt(), kMillisecond);
}

TEST_F(ConnectionManagerTest, DropsAndCountsFrameWithoutListener) {
  auto& manager = Established();
  EXPECT_EQ(Sample(env_.metrics(), kNoHandler), 0.0);  // at 0 from the start

  Message find(msg::FindNode{}, 5);
  EXPECT_EQ(manager.handle_frame(std::move(find)), ConnectionManager::Delivery::kDroppedNoHandler);
  EXPECT_EQ(manager.handle_frame(Message(msg::CreateInvitationForPeer{}, 6)),
            ConnectionManager::Delivery::kDroppedNoHandler);

  EXPECT_EQ(manager.dropped_no_handler(), 2u);
  EXPECT_EQ(Sample(env_.metrics(), kNoHandler), 2.0);
  EXPECT_EQ(Sample(env_.metrics(), R"(yz_dht_messages_received_total{type="find_node"})"), 1.0);
  EXPECT_TRUE(env_.sent.empty());  // dropped silently: no error goes back
}

TEST_F(ConnectionManagerTest, DeliversToListener) {
  auto& manager = Established();
  std::vector<Message> got;
  ConnectionManager* from = nullptr;
  ASSERT_TRUE(manager.attach_dht_listener([&](ConnectionManager& m, Message&& f) {
    from = &m;
    got.push_back(std::move(f));
  }));
  EXPECT_EQ(manager.handle_frame(Message(msg::FindNode{NodeId::from_words(1, 2, 3)}, 11)),
            ConnectionManager::Delivery::kDelivered);

  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(from, &manager);
  ASSERT_TRUE(got[0].is<msg::FindNode>());
  EXPECT_EQ(got[0].request_id, 11u);
  EXPECT_EQ(got[0].get<msg::FindNode>()->target, NodeId::from_words(1, 2, 3));
  EXPECT_EQ(manager.dropped_no_handler(), 0u);
  EXPECT_EQ(Sample(env_.metrics(), kNoHandler), 0.0);  // at 0 from the start
}

// The guard behind get_or_create_peer_node's idempotence.
TEST_F(ConnectionManagerTest, AttachIsIdempotent) {
  auto& manager = Established();
  int first = 0;
  int second = 0;
  EXPECT_TRUE(manager.attach_dht_listener([&](ConnectionManager&, Message&&) { ++first; }));
  EXPECT_FALSE(manager.attach_dht_listener([&](ConnectionManager&, Message&&) { ++second; }));
  EXPECT_TRUE(manager.dht_listener_attached());

  manager.handle_frame(Message(msg::FindNode{}, 1));
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 0);
}

TEST_F(ConnectionManagerTest, QueuesUntilEstablishedThenFlushesInOrder) {
  for (std::uint64_t id = 1; id <= 3; ++id) manager_.send(Message(msg::FindNode{}, id));
  EXPECT_TRUE(env_.sent.empty());
  EXPECT_EQ(manager_.pending_frames(), 3u);

  // Handshake frames bypass the queue: they are what establishes the link.
  manager_.send_handshake(msg::DhtPeerConnected{});
  ASSERT_EQ(env_.sent.size(), 1u);
  EXPECT_EQ(env_.sent[0].message.type(), MessageType::kDhtPeerConnected);

  manager_.set_state(ConnectionManager::State::kEstablished);
  manager_.flush_pending();
  EXPECT_EQ(manager_.pending_frames(), 0u);
  ASSERT_EQ(env_.sent.size(), 4u);
  for (std::uint64_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(env_.sent[i].link, kLink);
    EXPECT_EQ(env_.sent[i].message.request_id, i);
  }

  manager_.send(Message(msg::FindNodeResponse{}, 4));
  ASSERT_EQ(env_.sent.size(), 5u);
  EXPECT_EQ(env_.sent[4].message.request_id, 4u);
  EXPECT_EQ(manager_.pending_frames(), 0u);
}

TEST_F(ConnectionManagerTest, TakePendingHandsOverAndEmpties) {
  manager_.send(Message(msg::FindNode{}, 1));
  manager_.send(Message(msg::FindNodeResponse{}, 2));
  std::vector<Message> taken = manager_.take_pending();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].request_id, 1u);
  EXPECT_EQ(taken[1].request_id, 2u);
  EXPECT_EQ(manager_.pending_frames(), 0u);

  manager_.set_state(ConnectionManager::State::kEstablished);
  manager_.flush_pending();
  EXPECT_TRUE(env_.sent.empty());
}

}  // namespace
}  // namespace yz::core
