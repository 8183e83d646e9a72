// The limits (roles/core/rate_limit.h): the token bucket on the core's
// clock, and each limit where it is enforced -- frames per link and inbound
// links in GuardedProcess, find_node per peer in the Dht, registrations at
// the bootstrap. Over a limit the peer is slowed or dropped, the process
// counts it in yz_limited_total{limit} and carries on.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "roles/core/dht_member.h"
#include "roles/core/guard.h"
#include "roles/core/rate_limit.h"
#include "roles/make_process.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/peer_frames.h"
#include "tests/unit/test_ids.h"

namespace yz::core {
namespace {

using testing::FakeEnv;
using testing::Hello;
using testing::kA;
using testing::kB;
using testing::kSelf;
using testing::Peer;
using testing::Sample;

double Limited(FakeEnv& env, const std::string& limit) {
  return Sample(env.metrics(), "yz_limited_total{limit=\"" + limit + "\"}").value_or(-1);
}

double HandshakeTimeouts(FakeEnv& env) {
  return Sample(env.metrics(), R"(yz_handshake_rejected_total{reason="handshake_timeout"})")
      .value_or(-1);
}

Message FindNode(std::uint64_t request_id) { return Message(msg::FindNode{kB}, request_id); }

// ---- TokenBucket --------------------------------------------------------------

TEST(TokenBucketTest, AllowsABurstThenTheRate) {
  FakeEnv env;
  TokenBucket bucket(10, 5, env.now());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.allow(env.now())) << i;
  EXPECT_FALSE(bucket.allow(env.now()));
  env.advance(100 * kMillisecond);  // 10/s: one token per 100 ms
  EXPECT_TRUE(bucket.allow(env.now()));
  EXPECT_FALSE(bucket.allow(env.now()));
  env.advance(99 * kMillisecond);
  EXPECT_FALSE(bucket.allow(env.now()));
  env.advance(1 * kMillisecond);
  EXPECT_TRUE(bucket.allow(env.now()));
}

TEST(TokenBucketTest, RefillsToTheBurstAndNoFurther) {
  TokenBucket bucket(1000, 3, 0);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.allow(0));
  EXPECT_FALSE(bucket.full(0));
  const TimePoint later = 3600 * kSecond;
  EXPECT_TRUE(bucket.full(later));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.allow(later));
  EXPECT_FALSE(bucket.allow(later));
}

TEST(TokenBucketTest, HugeRatesAndTimesDoNotOverflow) {
  TokenBucket bucket(UINT32_MAX, UINT32_MAX, 0);
  EXPECT_TRUE(bucket.allow(INT64_MAX));
  TokenBucket slow(1, 1, 0);
  EXPECT_TRUE(slow.allow(0));
  EXPECT_FALSE(slow.allow(-5));  // a clock stepping back adds nothing
  EXPECT_TRUE(slow.allow(INT64_MAX));
}

TEST(TokenBucketTest, RateZeroIsUnlimited) {
  TokenBucket bucket(0, 0, 0);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(bucket.allow(0));
}

TEST(KeyedLimiterTest, OneBucketPerKeyAndIdleKeysAreForgotten) {
  KeyedLimiter<int> limiter(1, 2, /*max_keys=*/2);
  EXPECT_TRUE(limiter.allow(1, 0));
  EXPECT_TRUE(limiter.allow(1, 0));
  EXPECT_FALSE(limiter.allow(1, 0));
  EXPECT_TRUE(limiter.allow(2, 0));  // another key has its own bucket
  EXPECT_EQ(limiter.size(), 2u);
  // Ten seconds on, both buckets are full again and make room for a third.
  EXPECT_TRUE(limiter.allow(3, 10 * kSecond));
  EXPECT_EQ(limiter.size(), 1u);
}

// ---- GuardedProcess -------------------------------------------------------------

// Records what reaches the role behind the guard.
class Recorder : public Process {
 public:
  explicit Recorder(Env& env) : env_(env) {}
  void start() override {}
  void stop() override {}
  void on_link_accepted(LinkId link) override { accepted.push_back(link); }
  void on_link_opened(LinkId link) override { opened.push_back(link); }
  void on_link_closed(LinkId link, std::string_view reason) override {
    closed.emplace_back(link, std::string(reason));
  }
  void on_frame(LinkId link, Message&&) override { frames.push_back(link); }
  ProcessStatus status() override { return {}; }
  std::size_t peers_missing_handler() override { return 0; }

  Env& env_;
  std::vector<LinkId> accepted;
  std::vector<LinkId> opened;
  std::vector<std::pair<LinkId, std::string>> closed;
  std::vector<LinkId> frames;
};

class GuardTest : public ::testing::Test {
 protected:
  void Start(Limits limits, std::uint32_t max_links, Duration handshake_timeout = kHandshake) {
    guard_ = std::make_unique<GuardedProcess>(env_, limits, max_links, handshake_timeout,
                                              [this](Env& env) {
                                                auto role = std::make_unique<Recorder>(env);
                                                role_ = role.get();
                                                return role;
                                              });
    guard_->start();
  }
  static constexpr Duration kHandshake = 10 * kSecond;
  FakeEnv env_;
  std::unique_ptr<GuardedProcess> guard_;
  Recorder* role_ = nullptr;
};

TEST_F(GuardTest, EverySeriesExistsAtZero) {
  Start(Limits{}, 4);
  for (const char* limit : {"frames", "lookups", "registrations", "links", "unauthenticated"})
    EXPECT_EQ(Limited(env_, limit), 0) << limit;
  EXPECT_EQ(HandshakeTimeouts(env_), 0);
}

TEST_F(GuardTest, DropsFramesOverTheRateAndKeepsTheLink) {
  Limits limits;
  limits.frames_per_second = 10;
  limits.frames_burst = 5;
  Start(limits, 4);
  const LinkId link = env_.new_link();
  guard_->on_link_accepted(link);
  for (int i = 0; i < 8; ++i) guard_->on_frame(link, msg::Ping{});
  EXPECT_EQ(role_->frames.size(), 5u);
  EXPECT_EQ(Limited(env_, "frames"), 3);
  EXPECT_FALSE(env_.was_closed(link));
  // A pause refills the bucket: the peer was slowed, not cut off.
  env_.advance(1 * kSecond);
  for (int i = 0; i < 5; ++i) guard_->on_frame(link, msg::Ping{});
  EXPECT_EQ(role_->frames.size(), 10u);
  EXPECT_EQ(env_.log_count("limited"), 1u);  // one line per 10 s window, and the rest counted
}

TEST_F(GuardTest, ClosesALinkThatFloods) {
  Limits limits;
  limits.frames_per_second = 10;
  limits.frames_burst = 5;
  Start(limits, 4);
  const LinkId link = env_.new_link();
  guard_->on_link_accepted(link);
  for (int i = 0; i < 100; ++i) guard_->on_frame(link, msg::FindNode{});
  EXPECT_EQ(role_->frames.size(), 5u);
  EXPECT_EQ(Limited(env_, "frames"), 6);  // a burst's worth dropped, and closed at the next
  EXPECT_TRUE(env_.was_closed(link));
  EXPECT_EQ(env_.close_reasons[link], "rate_limited");
  ASSERT_EQ(role_->closed.size(), 1u);
  EXPECT_EQ(role_->closed[0], std::make_pair(link, std::string("rate_limited")));
  EXPECT_EQ(guard_->inbound_links(), 0u);
}

TEST_F(GuardTest, ASenderJustOverTheLimitIsSlowedNotClosed) {
  Limits limits;
  limits.frames_per_second = 10;
  limits.frames_burst = 5;
  Start(limits, 4);
  const LinkId link = env_.new_link();
  guard_->on_link_accepted(link);
  role_->env_.link_authenticated(link);  // else its handshake deadline ends it
  // 15 frames a second for a minute: a third dropped, the link kept.
  for (int i = 0; i < 15 * 60; ++i) {
    guard_->on_frame(link, msg::Ping{});
    env_.advance(kSecond / 15);
  }
  EXPECT_FALSE(env_.was_closed(link));
  EXPECT_NEAR(static_cast<double>(role_->frames.size()), 10 * 60 + 5, 2);
}

TEST_F(GuardTest, RefusesLinksOverTheLimitUntilOneCloses) {
  Start(Limits{}, 2);
  const LinkId a = env_.new_link(), b = env_.new_link(), c = env_.new_link();
  guard_->on_link_accepted(a);
  guard_->on_link_accepted(b);
  guard_->on_link_accepted(c);
  EXPECT_EQ(role_->accepted, (std::vector<LinkId>{a, b}));
  EXPECT_TRUE(env_.was_closed(c));
  EXPECT_EQ(env_.close_reasons[c], "too_many_links");
  EXPECT_EQ(Limited(env_, "links"), 1);
  guard_->on_frame(c, msg::Ping{});  // never reaches the role
  EXPECT_TRUE(role_->frames.empty());

  // The remote side closes one; a role's own close counts as well.
  guard_->on_link_closed(a, "closed by peer");
  const LinkId d = env_.new_link();
  guard_->on_link_accepted(d);
  EXPECT_FALSE(env_.was_closed(d));
  static_cast<Env&>(role_->env_).close(b, "bye");
  const LinkId e = env_.new_link();
  guard_->on_link_accepted(e);
  EXPECT_FALSE(env_.was_closed(e));
  EXPECT_EQ(guard_->inbound_links(), 2u);
  EXPECT_EQ(Limited(env_, "links"), 1);
}

TEST_F(GuardTest, DialledLinksAreLimitedButNotCounted) {
  Limits limits;
  limits.frames_per_second = 1;
  limits.frames_burst = 1;
  Start(limits, 1);
  const LinkId out = role_->env_.dial("peer:7000");
  guard_->on_link_opened(out);
  guard_->on_frame(out, msg::Ping{});
  guard_->on_frame(out, msg::Ping{});
  EXPECT_EQ(role_->frames.size(), 1u);
  EXPECT_EQ(guard_->inbound_links(), 0u);
  const LinkId in = env_.new_link();
  guard_->on_link_accepted(in);
  EXPECT_FALSE(env_.was_closed(in));
}

// ---- the handshake deadline and the unauthenticated caps (GuardedProcess) -----------

TEST_F(GuardTest, SilentInboundLinkIsClosedAtTheDeadline) {
  Start(Limits{}, 4);
  const LinkId silent = env_.new_link();
  guard_->on_link_accepted(silent);
  EXPECT_EQ(guard_->unauthenticated_links(), 1u);
  env_.advance(kHandshake - 1);
  EXPECT_FALSE(env_.was_closed(silent));
  env_.advance(1);
  EXPECT_TRUE(env_.was_closed(silent));
  EXPECT_EQ(env_.close_reasons[silent], "handshake_timeout");
  // The role hears of it, as of any link that closes under it.
  ASSERT_EQ(role_->closed.size(), 1u);
  EXPECT_EQ(role_->closed[0], std::make_pair(silent, std::string("handshake_timeout")));
  EXPECT_EQ(HandshakeTimeouts(env_), 1);
  EXPECT_EQ(env_.log_count("handshake_timeout"), 1u);
  EXPECT_EQ(guard_->inbound_links(), 0u);
  EXPECT_EQ(guard_->unauthenticated_links(), 0u);
  // The driver's late news of it reaches no one.
  guard_->on_frame(silent, msg::Ping{});
  guard_->on_link_closed(silent, "closed by peer");
  EXPECT_TRUE(role_->frames.empty());
  EXPECT_EQ(role_->closed.size(), 1u);
}

TEST_F(GuardTest, DialledLinkThatNeverOpensIsClosedAndTheRoleHears) {
  Start(Limits{}, 4);
  const LinkId out = role_->env_.dial("acceptor-that-never-answers:7000");
  env_.advance(kHandshake);
  EXPECT_TRUE(env_.was_closed(out));
  EXPECT_EQ(env_.close_reasons[out], "handshake_timeout");
  ASSERT_EQ(role_->closed.size(), 1u);
  EXPECT_EQ(role_->closed[0], std::make_pair(out, std::string("handshake_timeout")));
  EXPECT_EQ(HandshakeTimeouts(env_), 1);
  // An open that comes after the role gave up is not reported.
  guard_->on_link_opened(out);
  EXPECT_TRUE(role_->opened.empty());
}

TEST_F(GuardTest, DialledLinkThatOpensButNeverAuthenticatesIsClosed) {
  Start(Limits{}, 4);
  const LinkId out = role_->env_.dial("peer:7000");
  env_.advance(kHandshake / 2);
  guard_->on_link_opened(out);  // the deadline runs from the dial, not the open
  env_.advance(kHandshake / 2);
  EXPECT_EQ(env_.close_reasons[out], "handshake_timeout");
  EXPECT_EQ(role_->closed.size(), 1u);
}

TEST_F(GuardTest, AuthenticatedLinksAreNeverTimedOut) {
  Start(Limits{}, 4);
  const LinkId in = env_.new_link();
  guard_->on_link_accepted(in);
  const LinkId out = role_->env_.dial("peer:7000");
  guard_->on_link_opened(out);
  env_.advance(kHandshake - 1);
  role_->env_.link_authenticated(in);
  role_->env_.link_authenticated(out);
  EXPECT_EQ(env_.authenticated, (std::vector<LinkId>{in, out}));  // the driver hears it too
  EXPECT_EQ(guard_->unauthenticated_links(), 0u);
  env_.advance(3600 * kSecond);
  EXPECT_TRUE(env_.closed.empty());
  EXPECT_TRUE(role_->closed.empty());
  EXPECT_EQ(HandshakeTimeouts(env_), 0);
  EXPECT_EQ(env_.pending_timers(), 0u);
}

TEST_F(GuardTest, UnauthenticatedLinksOverTheGlobalCapAreRefused) {
  Limits limits;
  limits.max_unauthenticated_links = 2;
  Start(limits, 100);
  const LinkId a = env_.new_link(), b = env_.new_link(), c = env_.new_link();
  guard_->on_link_accepted(a);
  guard_->on_link_accepted(b);
  guard_->on_link_accepted(c);
  EXPECT_EQ(role_->accepted, (std::vector<LinkId>{a, b}));
  EXPECT_TRUE(env_.was_closed(c));
  EXPECT_EQ(env_.close_reasons[c], "too_many_unauthenticated");
  EXPECT_EQ(Limited(env_, "unauthenticated"), 1);
  EXPECT_EQ(Limited(env_, "links"), 0);
  // A handshake done frees a place; authenticated links do not count.
  role_->env_.link_authenticated(a);
  const LinkId d = env_.new_link();
  guard_->on_link_accepted(d);
  EXPECT_FALSE(env_.was_closed(d));
  const LinkId e = env_.new_link();
  guard_->on_link_accepted(e);
  EXPECT_EQ(env_.close_reasons[e], "too_many_unauthenticated");
  // So does a link that closes, or one whose deadline passed.
  guard_->on_link_closed(b, "closed by peer");
  const LinkId f = env_.new_link();
  guard_->on_link_accepted(f);
  EXPECT_FALSE(env_.was_closed(f));
  EXPECT_EQ(Limited(env_, "unauthenticated"), 2);
  env_.advance(kHandshake);
  EXPECT_EQ(guard_->unauthenticated_links(), 0u);
  EXPECT_EQ(guard_->inbound_links(), 1u);  // a, authenticated
}

TEST_F(GuardTest, UnauthenticatedLinksOverThePerAddressCapAreRefused) {
  Limits limits;
  limits.max_unauthenticated_per_address = 2;
  Start(limits, 100);
  auto accept_from = [&](const std::string& address) {
    const LinkId link = env_.new_link();
    if (!address.empty()) env_.remote_addresses[link] = address;
    guard_->on_link_accepted(link);
    return link;
  };
  const LinkId a1 = accept_from("10.0.0.1"), a2 = accept_from("10.0.0.1");
  const LinkId a3 = accept_from("10.0.0.1");
  const LinkId b1 = accept_from("10.0.0.2");
  // An address the driver cannot tell is only under the global cap.
  const LinkId u1 = accept_from(""), u2 = accept_from(""), u3 = accept_from("");
  EXPECT_EQ(role_->accepted, (std::vector<LinkId>{a1, a2, b1, u1, u2, u3}));
  EXPECT_EQ(env_.close_reasons[a3], "too_many_unauthenticated");
  EXPECT_EQ(Limited(env_, "unauthenticated"), 1);
  // One of that address's handshakes finishes: it may open another.
  role_->env_.link_authenticated(a1);
  const LinkId a4 = accept_from("10.0.0.1");
  EXPECT_FALSE(env_.was_closed(a4));
  EXPECT_EQ(env_.close_reasons[accept_from("10.0.0.1")], "too_many_unauthenticated");
  EXPECT_EQ(Limited(env_, "unauthenticated"), 2);
}

// A DHT member behind the guard (as every driver builds it): a peer that
// opens a link and never says hello loses it at the deadline, and the member
// forgets it, counting it on both families.
TEST(HandshakeDeadlineTest, MemberForgetsASilentLinkAtTheDeadline) {
  FakeEnv env;
  ProcessConfig config;
  config.name = "node";
  config.role = Role::kNode;
  config.node_id = kSelf;
  config.listen_address = "node:7000";
  auto node = roles::make_process(env, config);
  node->start();
  const LinkId silent = env.new_link();
  node->on_link_accepted(silent);
  const LinkId polite = env.new_link();
  node->on_link_accepted(polite);
  node->on_frame(polite, Hello(Peer(kA, "a")));
  env.advance(config.timing.handshake_timeout);
  EXPECT_EQ(env.close_reasons[silent], "handshake_timeout");
  EXPECT_FALSE(env.was_closed(polite));
  EXPECT_EQ(HandshakeTimeouts(env), 1);
  EXPECT_EQ(Sample(env.metrics(), R"(yz_links_closed_total{reason="handshake_timeout"})"), 1);
  EXPECT_EQ(node->status().connected_peers, 1u);
}

// ---- find_node per peer (Dht) -------------------------------------------------------

TEST(LookupLimitTest, FindNodeOverTheLimitIsDroppedPerPeer) {
  FakeEnv env;
  ProcessConfig config;
  config.name = "self";
  config.role = Role::kNode;
  config.node_id = kSelf;
  config.listen_address = "self:7000";
  config.bootstrap_address = "bootstrap:7000";
  config.timing.limits.lookups_per_second = 2;
  config.timing.limits.lookups_burst = 3;
  DhtMember member(env, config);
  member.start();
  const LinkId a = env.new_link(), b = env.new_link();
  member.on_link_accepted(a);
  member.on_frame(a, Hello(Peer(kA, "a")));
  member.on_link_accepted(b);
  member.on_frame(b, Hello(Peer(kB, "b")));
  auto answers = [&](LinkId link) { return env.sent_of<msg::FindNodeResponse>(link).size(); };
  for (std::uint64_t i = 1; i <= 10; ++i) member.on_frame(a, FindNode(i));
  EXPECT_EQ(answers(a), 3u);
  EXPECT_EQ(Limited(env, "lookups"), 7);
  // Another peer is not punished for the first one's flood.
  member.on_frame(b, FindNode(100));
  EXPECT_EQ(answers(b), 1u);
  env.advance(500 * kMillisecond);  // 2/s: one more
  for (std::uint64_t i = 11; i <= 12; ++i) member.on_frame(a, FindNode(i));
  EXPECT_EQ(answers(a), 4u);
  EXPECT_EQ(Limited(env, "lookups"), 8);
}

// ---- registrations (Bootstrap) ---------------------------------------------------------

TEST(RegistrationLimitTest, RegistrationsOverTheRateAreRefusedAndClosed) {
  FakeEnv env;
  ProcessConfig config;
  config.name = "bootstrap";
  config.role = Role::kBootstrap;
  config.node_id = kSelf;
  config.listen_address = "bootstrap:7000";
  config.timing.limits.registrations_per_second = 1;
  config.timing.limits.registrations_burst = 2;
  auto bootstrap = roles::make_process(env, config);
  bootstrap->start();
  auto register_from = [&](int i) {
    const NodeId id = NodeId::from_words(static_cast<std::uint64_t>(i + 1) << 56, 0, 0);
    const PeerInfo peer = Peer(id, "n" + std::to_string(i));
    const LinkId link = env.new_link();
    bootstrap->on_link_accepted(link);
    bootstrap->on_frame(link, Hello(peer));
    bootstrap->on_frame(link, msg::Register{id, peer.metadata, {}, {}});
    return link;
  };
  auto registered = [&](LinkId link) { return !env.sent_of<msg::Registered>(link).empty(); };
  const LinkId first = register_from(0), second = register_from(1), third = register_from(2);
  EXPECT_TRUE(registered(first));
  EXPECT_TRUE(registered(second));
  EXPECT_FALSE(registered(third));
  EXPECT_TRUE(env.was_closed(third));
  ASSERT_FALSE(env.sent_on(third).empty());
  EXPECT_EQ(testing::BodyOf<msg::Error>(env.sent_on(third).back()).code, "rate_limited");
  EXPECT_EQ(Limited(env, "registrations"), 1);
  env.advance(1 * kSecond);  // slowed, not barred: a second later it may register
  EXPECT_TRUE(registered(register_from(3)));
  EXPECT_EQ(bootstrap->status().healthy, true);
}

}  // namespace
}  // namespace yz::core
