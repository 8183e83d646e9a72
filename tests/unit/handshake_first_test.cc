// Nothing a role sends reaches a peer before that link's handshake has
// completed (issue 14, finding 1). A bridge used to send bridge_health_update
// on its bootstrap link while the handshake was still running; the bootstrap
// refused the link and closed it, and once a handshake outlasted the
// health-check interval the bridge was locked out for ever. The guard
// (roles/core/guard.h), which every role's Env goes through, now refuses any
// frame but the handshake's own on a link not yet authenticated, and counts
// it in yz_send_refused_total{reason="before_handshake"}; the bridge also
// reports its health only once its bootstrap link is ready.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "roles/core/guard.h"
#include "roles/make_process.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/peer_frames.h"
#include "tests/unit/test_ids.h"

namespace yz::core {
namespace {

using testing::Connected;
using testing::FakeEnv;
using testing::Hello;
using testing::kA;
using testing::kSelf;
using testing::Peer;
using testing::Sample;

// Message types by name, so a failure reads "bridge_health_update".
std::vector<std::string> Types(const std::vector<Message>& frames) {
  std::vector<std::string> out;
  out.reserve(frames.size());
  for (const Message& f : frames) out.emplace_back(message_type_name(f.type()));
  return out;
}
using Names = std::vector<std::string>;

// The regression itself, through the guard as every driver builds a role:
// a bridge whose bootstrap handshake outlasts several health checks sends
// nothing but its hello on that link, and its handshake then completes.
TEST(HandshakeFirstTest, BridgeSendsNothingToTheBootstrapBeforeItsHandshake) {
  FakeEnv env;
  ProcessConfig config;
  config.name = "bridge-node-1";
  config.role = Role::kBridge;
  config.node_id = kSelf;
  config.listen_address = "bridge-node-1:7000";
  config.bootstrap_address = "bootstrap:7000";
  config.bridge_auth = "secret";
  config.timing.health_check_interval = 1 * kSecond;
  auto bridge = roles::make_process(env, config);
  bridge->start();
  ASSERT_EQ(env.dials.size(), 1u);
  const LinkId link = env.dials[0].link;
  ASSERT_EQ(env.dials[0].address, "bootstrap:7000");

  // Health checks while the link is still opening, then while the hello is
  // on its way: 1.4 s one way, as over a slow WAN link.
  env.advance(1500 * kMillisecond);
  bridge->on_link_opened(link);
  env.advance(3 * kSecond);
  EXPECT_EQ(Types(env.sent_on(link)), Names{"dht_peer_hello"});
  EXPECT_FALSE(env.was_closed(link));

  // The bootstrap answers: the handshake completes and the bridge registers;
  // only then does its health go out.
  PeerInfo bootstrap = Peer(kA, "bootstrap", Role::kBootstrap);
  bridge->on_frame(link, Connected(bootstrap));
  EXPECT_EQ(Types(env.sent_on(link)), (Names{"dht_peer_hello", "register"}));
  env.advance(1 * kSecond);
  EXPECT_EQ(Types(env.sent_on(link)).back(), "bridge_health_update");
  // The bridge held back on its own; the guard refused nothing.
  EXPECT_EQ(Sample(env.metrics(), R"(yz_send_refused_total{reason="before_handshake"})"), 0);
}

// ---- the guard, for any role ------------------------------------------------------

// A role that sends whatever the test tells it to.
class Sender : public Process {
 public:
  explicit Sender(Env& env) : env_(env) {}
  void start() override {}
  void stop() override {}
  void on_link_accepted(LinkId) override {}
  void on_link_opened(LinkId) override {}
  void on_link_closed(LinkId, std::string_view) override {}
  void on_frame(LinkId, Message&&) override {}
  ProcessStatus status() override { return {}; }
  std::size_t peers_missing_handler() override { return 0; }
  Env& env_;
};

class GuardSendTest : public ::testing::Test {
 protected:
  GuardSendTest()
      : guard_(env_, Limits{}, 16, 10 * kSecond, [this](Env& env) {
          auto role = std::make_unique<Sender>(env);
          role_ = role.get();
          return role;
        }) {
    guard_.start();
  }
  double Refused() {
    return Sample(env_.metrics(), R"(yz_send_refused_total{reason="before_handshake"})")
        .value_or(-1);
  }
  Env& role_env() { return role_->env_; }

  FakeEnv env_;
  Sender* role_ = nullptr;
  GuardedProcess guard_;
};

TEST_F(GuardSendTest, TheSeriesExistsAtZero) { EXPECT_EQ(Refused(), 0); }

TEST_F(GuardSendTest, DialledLinkCarriesOnlyHandshakeFramesUntilAuthenticated) {
  const LinkId out = role_env().dial("peer:7000");
  // Before the link even opened, and after: a request is refused, counted
  // and logged with its type; the link stays (the role's frame was the
  // fault, not the peer's).
  role_env().send(out, msg::BridgeHealthUpdate{});
  guard_.on_link_opened(out);
  role_env().send_handshake(out, Hello(Peer(kSelf, "self")));
  role_env().send(out, Message(msg::FindNode{}, 7));
  EXPECT_EQ(Types(env_.sent_on(out)), Names{"dht_peer_hello"});
  EXPECT_EQ(Refused(), 2);
  EXPECT_FALSE(env_.was_closed(out));
  ASSERT_EQ(env_.log_count("send_refused"), 1u);  // one line per window (RefusalLog)
  for (const auto& entry : env_.logs)
    if (entry.event == "send_refused") {
      EXPECT_EQ(entry.fields.at("type"), "bridge_health_update");
      EXPECT_EQ(entry.fields.at("reason"), "before_handshake");
    }
  // Sending it the handshake's way does not smuggle it through.
  role_env().send_handshake(out, msg::Register{});
  EXPECT_EQ(Refused(), 3);
  // The proof is the handshake's own; once authenticated, anything goes.
  role_env().send_handshake(out, msg::DhtPeerProof{});
  role_env().link_authenticated(out);
  role_env().send(out, msg::Register{});
  EXPECT_EQ(Types(env_.sent_on(out)), (Names{"dht_peer_hello", "dht_peer_proof", "register"}));
  EXPECT_EQ(Refused(), 3);
}

TEST_F(GuardSendTest, AcceptedLinkMayBeAnsweredOrRefusedButNotTalkedTo) {
  const LinkId in = env_.new_link();
  guard_.on_link_accepted(in);
  guard_.on_frame(in, Hello(Peer(kA, "a")));
  role_env().send_handshake(in, Connected(Peer(kSelf, "self")));
  role_env().send(in, msg::MemberJoined{});
  role_env().send(in, Message(msg::Ping{}, 1));
  role_env().send_handshake(in, msg::Error{"missing_proof", ""});
  EXPECT_EQ(Types(env_.sent_on(in)), (Names{"dht_peer_connected", "error"}));
  EXPECT_EQ(Refused(), 2);
}

TEST_F(GuardSendTest, ALinkTheGuardDoesNotKnowIsLeftToTheDriver) {
  // Closed from this side (or never the role's): the driver discards what
  // is sent on it, so the guard neither refuses nor counts it.
  const LinkId out = role_env().dial("peer:7000");
  role_env().close(out);
  role_env().send(out, Message(msg::Ping{}, 1));
  EXPECT_EQ(env_.sent_on(out).size(), 1u);
  EXPECT_EQ(Refused(), 0);
}

// A member's own handshake frames still pass the guard, and what it says
// after them too: an accepted peer (no identities: established on its hello)
// is answered connected, then its find_node.
TEST(HandshakeFirstTest, AMemberAnswersAPeerOnceItsHandshakeIsDone) {
  FakeEnv env;
  ProcessConfig config;
  config.name = "node";
  config.role = Role::kNode;
  config.node_id = kSelf;
  config.listen_address = "node:7000";
  auto node = roles::make_process(env, config);
  node->start();
  const LinkId in = env.new_link();
  node->on_link_accepted(in);
  node->on_frame(in, Hello(Peer(kA, "a")));
  node->on_frame(in, Message(msg::FindNode{kA}, 3));
  EXPECT_EQ(Types(env.sent_on(in)), (Names{"dht_peer_connected", "find_node_response"}));
  EXPECT_EQ(Sample(env.metrics(), R"(yz_send_refused_total{reason="before_handshake"})"), 0);
}

}  // namespace
}  // namespace yz::core
