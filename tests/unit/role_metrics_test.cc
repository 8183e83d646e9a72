// The metrics of issue 12, read through the /metrics page a scrape would see:
// every known labelled series at 0 on a fresh process of each role (so
// rate() and the dashboards read 0, not "no data", and the alert rules have
// a series to evaluate from the first scrape), each new metric moving when
// its event happens, and the join state rule behind /health's "state" and
// yz_state.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "roles/bootstrap/bootstrap.h"
#include "roles/core/core_metrics.h"
#include "roles/core/credentials.h"
#include "roles/core/dht_member.h"
#include "roles/core/faults.h"
#include "roles/core/handshake_auth.h"
#include "roles/core/join_state.h"
#include "roles/make_process.h"
#include "roles/metrics/text_serializer.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/peer_frames.h"
#include "tests/unit/promtool_check.h"
#include "tests/unit/test_ids.h"

namespace yz::core {
namespace {

using testing::BodyOf;
using testing::Connected;
using testing::FakeEnv;
using testing::Hello;
using testing::kA;
using testing::kB;
using testing::kBoot;
using testing::kBridge;
using testing::kGenesis;
using testing::kNewcomer;
using testing::kSelf;
using testing::Peer;
using testing::Sample;

std::string Series(std::string_view name, std::string_view label, std::string_view value) {
  return std::string(name) + "{" + std::string(label) + "=\"" + std::string(value) + "\"}";
}

// The value of `series` on `page`, or NaN when it is not there (a separate
// parse of one page, so a test can check many series of the same scrape).
double On(const std::string& page, const std::string& series) {
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line))
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  return std::nan("");
}

// Every value of a closed list is on the page at exactly 0.
template <typename List>
void ExpectAllZero(const std::string& page, std::string_view name, std::string_view label,
                   const List& values) {
  for (std::string_view value : values) {
    const std::string series = Series(name, label, value);
    EXPECT_EQ(On(page, series), 0) << series << " missing or not 0";
  }
}

ProcessConfig Config(Role role, std::string name, const NodeId& id) {
  ProcessConfig config;
  config.name = std::move(name);
  config.role = role;
  config.node_id = id;
  config.listen_address = config.name + ":7000";
  if (role != Role::kBootstrap) config.bootstrap_address = "bootstrap:7000";
  return config;
}

// ---- every known series at 0 on a fresh process ------------------------------

// What every role exports, whatever it is.
void ExpectCommonSeries(const std::string& page) {
  std::vector<std::string_view> faults;
  for (const FaultInfo& info : all_faults()) faults.push_back(info.name);
  ExpectAllZero(page, "yz_fault_enabled", "fault", faults);
  // The contract's five faults by name, not only whatever all_faults() says.
  for (const char* fault : {"early_return_race", "replacement_cache_no_callback",
                            "message_before_attach", "pong_wrong_manager", "lookup_no_termination"})
    EXPECT_EQ(On(page, Series("yz_fault_enabled", "fault", fault)), 0) << fault;
  for (const char* limit : {"frames", "lookups", "registrations", "links", "unauthenticated"})
    EXPECT_EQ(On(page, Series("yz_limited_total", "limit", limit)), 0) << limit;
  // The guard's handshake deadline, at every role (the bootstrap included).
  EXPECT_EQ(On(page, Series("yz_handshake_rejected_total", "reason", "handshake_timeout")), 0);
  ExpectAllZero(page, "yz_credential_rejected_total", "reason", kCredentialRejections);
  ExpectAllZero(page, "yz_chain_verifications_total", "result", kChainVerificationResults);
  // All four yz_state series exist; exactly one of them is 1.
  double states = 0;
  for (std::string_view state : kJoinStateNames) {
    const double v = On(page, Series("yz_state", "state", state));
    EXPECT_TRUE(v == 0 || v == 1) << state << " = " << v;
    states += v;
  }
  EXPECT_EQ(states, 1);
  // yz_health_reason likewise: every reason's series, one of them 1 (a
  // fresh process has no reason yet to name: "none" or "joining").
  double reasons = 0;
  for (std::string_view reason : kHealthReasonNames) {
    const double v = On(page, Series("yz_health_reason", "reason", reason));
    EXPECT_TRUE(v == 0 || v == 1) << reason << " = " << v;
    reasons += v;
  }
  EXPECT_EQ(reasons, 1);
  EXPECT_EQ(On(page, R"(yz_health_reason{reason="peers_drop_frames"})"), 0);
  EXPECT_EQ(On(page, R"(yz_health_reason{reason="network_slow"})"), 0);
  // The guard's refusals of frames sent before a link's handshake.
  EXPECT_EQ(On(page, R"(yz_send_refused_total{reason="before_handshake"})"), 0);
  for (const char* result : {"success", "failure"})
    EXPECT_EQ(On(page, Series("yz_onboarding_duration_seconds_count", "result", result)), 0)
        << result;
  std::string output;
  EXPECT_EQ(test_support::promtool_check(page, output), 0) << output << "\n--- page ---\n" << page;
}

void ExpectMemberSeries(const std::string& page) {
  ExpectCommonSeries(page);
  for (int type = 0; type < kMessageTypeCount; ++type) {
    const std::string series = Series("yz_dht_messages_received_total", "type",
                                      message_type_name(static_cast<MessageType>(type)));
    EXPECT_EQ(On(page, series), 0) << series;
  }
  ExpectAllZero(page, "yz_dht_messages_dropped_total", "reason", kDropReasons);
  ExpectAllZero(page, "yz_handshake_rejected_total", "reason", kPeerLinkRefusals);
  ExpectAllZero(page, "yz_handshake_rejected_total", "reason", kHandshakeAuthReasons);
  ExpectAllZero(page, "yz_links_closed_total", "reason", kLinkCloseReasons);
  ExpectAllZero(page, "yz_invitations_total", "result", kInvitationResults);
  ExpectAllZero(page, "yz_emergency_discovery_total", "trigger", kEmergencyTriggers);
  // The ones the alert rules read, spelled out.
  EXPECT_EQ(On(page, R"(yz_dht_messages_dropped_total{reason="no_handler"})"), 0);
  EXPECT_EQ(On(page, R"(yz_links_closed_total{reason="dead_link"})"), 0);
  EXPECT_EQ(On(page, R"(yz_emergency_discovery_total{trigger="zero_connections"})"), 0);
  for (const char* name :
       {"yz_find_node_queries_total", "yz_find_node_timeouts_total", "yz_bootstrap_connected",
        "yz_health_consecutive_failures", "yz_peers_missing_handler", "yz_ping_rtt_seconds_count",
        "yz_onboarding_failures_total", "yz_health_check_failures_total", "yz_late_answers_total"})
    EXPECT_EQ(On(page, name), 0) << name;
  // A member fresh out of start() is joining (no peer yet, inside its grace).
  EXPECT_EQ(On(page, R"(yz_state{state="joining"})"), 1);
}

class FreshRegistryTest : public ::testing::TestWithParam<Role> {};

TEST_P(FreshRegistryTest, EveryKnownSeriesIsOnThePageAtZeroBeforeAnyEvent) {
  FakeEnv env;
  const Role role = GetParam();
  auto process = roles::make_process(env, Config(role, std::string(role_name(role)), kSelf));
  process->start();
  const std::string page = metrics::SerializeText(env.metrics());
  if (role == Role::kBootstrap) {
    ExpectCommonSeries(page);
    ExpectAllZero(page, "yz_bootstrap_refused_total", "reason", roles::kBootstrapRefusals);
    ExpectAllZero(page, "yz_onboarding_total", "result", roles::kOnboardingOutcomes);
    EXPECT_EQ(On(page, R"(yz_onboarding_total{result="failure"})"), 0);
    ExpectAllZero(page, "yz_bootstrap_late_bridge_answers_total", "result",
                  roles::kLateAnswerResults);
    EXPECT_EQ(On(page, R"(yz_health_reason{reason="none"})"), 1);
    ExpectAllZero(page, "yz_handshake_rejected_total", "reason", kHandshakeAuthReasons);
    EXPECT_EQ(On(page, "yz_bootstrap_members"), 0);
    EXPECT_EQ(On(page, "yz_bootstrap_bridges"), 0);
    // The rendezvous has no DHT to join.
    EXPECT_EQ(On(page, R"(yz_state{state="joined"})"), 1);
  } else {
    ExpectMemberSeries(page);
  }
}

INSTANTIATE_TEST_SUITE_P(Roles, FreshRegistryTest,
                         ::testing::Values(Role::kBootstrap, Role::kGenesis, Role::kBridge,
                                           Role::kNode),
                         [](const auto& param_info) {
                           return std::string(role_name(param_info.param));
                         });

TEST(FreshRegistryTest, FaultEnabledIsOneForTheFaultsSwitchedOn) {
  FakeEnv env;
  ProcessConfig config = Config(Role::kNode, "node", kSelf);
  config.faults.enable(Fault::kEarlyReturnRace);
  DhtMember member(env, config);
  EXPECT_EQ(Sample(env.metrics(), R"(yz_fault_enabled{fault="early_return_race"})"), 1);
  EXPECT_EQ(Sample(env.metrics(), R"(yz_fault_enabled{fault="pong_wrong_manager"})"), 0);
  // The simulator's heal step turns faults off while running.
  member.set_faults(FaultSet{});
  EXPECT_EQ(Sample(env.metrics(), R"(yz_fault_enabled{fault="early_return_race"})"), 0);
}

// ---- each new metric moves on its event (a DHT member) ------------------------

class MemberMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    member_ = std::make_unique<DhtMember>(env_, Config(Role::kNode, "self", kSelf));
    member_->start();
    ASSERT_EQ(env_.dials.size(), 1u);  // the bootstrap
    bootstrap_ = env_.dials.front().link;
  }

  double Metric(std::string_view series) {
    return Sample(env_.metrics(), series).value_or(std::nan(""));
  }

  // The bootstrap answers the handshake (no proof: these ids are hand-picked).
  void BootstrapHandshake() {
    member_->on_link_opened(bootstrap_);
    member_->on_frame(bootstrap_, Connected(Peer(kBoot, "bootstrap", Role::kBootstrap)));
  }

  // ... and the registration, after which a newcomer asks to join.
  void Registered() {
    BootstrapHandshake();
    member_->on_frame(bootstrap_, msg::Registered{});
    ASSERT_EQ(env_.sent_of<msg::GetPeersOrGenesis>().size(), 1u);
  }

  LinkId Inbound(const PeerInfo& peer) {
    const LinkId link = env_.new_link();
    member_->on_link_accepted(link);
    member_->on_frame(link, Hello(peer));
    return link;
  }

  LinkId Outbound(const PeerInfo& peer) {
    const LinkId link = member_->dht().connect(peer).link();
    member_->on_link_opened(link);
    member_->on_frame(link, Connected(peer));
    return link;
  }

  FakeEnv env_;
  std::unique_ptr<DhtMember> member_;
  LinkId bootstrap_ = 0;
  const Timing timing_{};
};

TEST_F(MemberMetricsTest, FindNodeQueriesCountEachQuerySent) {
  Inbound(Peer(kA, "a"));
  Inbound(Peer(kB, "b"));
  const double before = Metric("yz_find_node_queries_total");
  const std::size_t sent_before = env_.sent_of<msg::FindNode>().size();
  member_->dht().find_node(kB, [](const LookupResult&) {});
  const std::size_t sent = env_.sent_of<msg::FindNode>().size() - sent_before;
  ASSERT_EQ(sent, 2u);  // alpha = 3, two peers known
  EXPECT_EQ(Metric("yz_find_node_queries_total") - before, 2);
}

TEST_F(MemberMetricsTest, HealthCheckWithoutPeersCountsAConsecutiveFailureAndAnEmergency) {
  EXPECT_EQ(Metric("yz_health_consecutive_failures"), 0);
  env_.advance(timing_.health_check_interval);
  EXPECT_EQ(Metric("yz_health_consecutive_failures"), 1);
  EXPECT_EQ(Metric(R"(yz_emergency_discovery_total{trigger="zero_connections"})"), 1);
  EXPECT_EQ(Metric(R"(yz_emergency_discovery_total{trigger="few_connections"})"), 0);
  env_.advance(timing_.health_check_interval);
  EXPECT_EQ(Metric("yz_health_consecutive_failures"), 2);
  EXPECT_EQ(Metric("yz_health_check_failures_total"), 2);
  // A check that finds a peer resets the run (the total stays).
  Inbound(Peer(kA, "a"));
  env_.advance(timing_.health_check_interval);
  EXPECT_EQ(Metric("yz_health_consecutive_failures"), 0);
  EXPECT_EQ(Metric("yz_health_check_failures_total"), 2);
}

TEST_F(MemberMetricsTest, HealthCheckWithFewPeersIsAFewConnectionsEmergency) {
  Inbound(Peer(kA, "a"));
  env_.advance(timing_.health_check_interval);
  EXPECT_EQ(Metric(R"(yz_emergency_discovery_total{trigger="few_connections"})"), 1);
  EXPECT_EQ(Metric(R"(yz_emergency_discovery_total{trigger="zero_connections"})"), 0);
}

TEST_F(MemberMetricsTest, BootstrapConnectedFollowsTheHandshakeAndTheLinkClosing) {
  EXPECT_EQ(Metric("yz_bootstrap_connected"), 0);
  member_->on_link_opened(bootstrap_);
  EXPECT_EQ(Metric("yz_bootstrap_connected"), 0);  // dialled, not yet handshaken
  BootstrapHandshake();
  EXPECT_EQ(Metric("yz_bootstrap_connected"), 1);
  member_->on_link_closed(bootstrap_, "eof");
  EXPECT_EQ(Metric("yz_bootstrap_connected"), 0);
}

TEST_F(MemberMetricsTest, NewcomerOnboardingFailureIsTimedFromTheAsk) {
  Registered();
  env_.advance(2 * kSecond);
  member_->on_frame(bootstrap_, msg::OnboardingFailed{});
  EXPECT_EQ(Metric(R"(yz_onboarding_duration_seconds_count{result="failure"})"), 1);
  EXPECT_DOUBLE_EQ(Metric(R"(yz_onboarding_duration_seconds_sum{result="failure"})"), 2);
  EXPECT_EQ(Metric(R"(yz_onboarding_duration_seconds_count{result="success"})"), 0);
  EXPECT_EQ(Metric("yz_onboarding_failures_total"), 1);
}

TEST_F(MemberMetricsTest, NewcomerOnboardingSuccessIsTimedToTheIntroduction) {
  Registered();
  env_.advance(3 * kSecond);
  member_->on_frame(bootstrap_, msg::PeerIntroduction{{Peer(kA, "a")}});
  EXPECT_EQ(Metric(R"(yz_onboarding_duration_seconds_count{result="success"})"), 1);
  EXPECT_DOUBLE_EQ(Metric(R"(yz_onboarding_duration_seconds_sum{result="success"})"), 3);
  EXPECT_EQ(Metric(R"(yz_onboarding_duration_seconds_bucket{result="success",le="2.5"})"), 0);
  EXPECT_EQ(Metric(R"(yz_onboarding_duration_seconds_bucket{result="success",le="5"})"), 1);
  EXPECT_EQ(Metric(R"(yz_onboarding_duration_seconds_count{result="failure"})"), 0);
}

TEST_F(MemberMetricsTest, PingAnsweredIsObservedAsItsRoundTrip) {
  const LinkId link = Outbound(Peer(kA, "a"));
  env_.advance(timing_.health_check_interval);  // the dialler pings its links
  const auto pings = env_.messages_of<msg::Ping>(link);
  std::uint64_t ping_id = 0;
  for (const Message& f : pings) ping_id = f.request_id;
  ASSERT_NE(ping_id, 0u);
  EXPECT_EQ(Metric("yz_ping_rtt_seconds_count"), 0);
  env_.advance(20 * kMillisecond);
  member_->on_frame(link, Message(msg::Pong{}, ping_id));
  EXPECT_EQ(Metric("yz_ping_rtt_seconds_count"), 1);
  EXPECT_DOUBLE_EQ(Metric("yz_ping_rtt_seconds_sum"), 0.02);
  EXPECT_EQ(Metric(R"(yz_ping_rtt_seconds_bucket{le="0.01"})"), 0);
  EXPECT_EQ(Metric(R"(yz_ping_rtt_seconds_bucket{le="0.025"})"), 1);
}

TEST_F(MemberMetricsTest, UnansweredPingsCloseTheLinkAsDead) {
  const LinkId link = Outbound(Peer(kA, "a"));
  // dead_link_pings checks send a ping each; the next one closes the link.
  env_.advance(timing_.health_check_interval * (timing_.dead_link_pings + 1));
  ASSERT_TRUE(env_.was_closed(link));
  EXPECT_EQ(env_.close_reasons[link], "dead_link");
  EXPECT_EQ(Metric(R"(yz_links_closed_total{reason="dead_link"})"), 1);
  EXPECT_EQ(Metric(R"(yz_links_closed_total{reason="remote_closed"})"), 0);
}

TEST_F(MemberMetricsTest, ALinkTheOtherSideClosesCountsAsRemoteClosed) {
  const LinkId link = Inbound(Peer(kA, "a"));
  member_->on_link_closed(link, "eof");
  EXPECT_EQ(Metric(R"(yz_links_closed_total{reason="remote_closed"})"), 1);
  EXPECT_EQ(Metric(R"(yz_links_closed_total{reason="dead_link"})"), 0);
  // A link it never knew is not a peer link closing.
  member_->on_link_closed(env_.new_link(), "eof");
  EXPECT_EQ(Metric(R"(yz_links_closed_total{reason="remote_closed"})"), 1);
}

// ---- the bootstrap's metrics ------------------------------------------------

class BootstrapMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ =
        std::make_unique<roles::Bootstrap>(env_, Config(Role::kBootstrap, "bootstrap", kBoot));
    bootstrap_->start();
  }

  double Metric(std::string_view series) {
    return Sample(env_.metrics(), series).value_or(std::nan(""));
  }

  LinkId Register(const NodeId& id, const std::string& name, Role role) {
    const PeerInfo peer = Peer(id, name, role);
    const LinkId link = env_.new_link();
    bootstrap_->on_link_accepted(link);
    bootstrap_->on_frame(link, Hello(peer));
    bootstrap_->on_frame(link, msg::Register{id, peer.metadata, {}, {}});
    EXPECT_FALSE(env_.sent_of<msg::Registered>().empty());
    return link;
  }

  // The last message of type T sent on `link`, request id with it.
  template <MessageKind T>
  Message LastMessage(LinkId link) {
    const Message found = env_.last_of<T>(link);
    EXPECT_TRUE(found.is<T>()) << "no " << message_type_name(Message(T{}).type());
    return found;
  }
  template <MessageKind T>
  T Last(LinkId link) {
    return BodyOf<T>(LastMessage<T>(link));
  }

  // Genesis asks, is designated, and accepts: the first member.
  void GenesisJoins() {
    const LinkId link = Register(kGenesis, "genesis", Role::kGenesis);
    bootstrap_->on_frame(link, msg::GetPeersOrGenesis{});
    const auto designation = Last<msg::PeersOrGenesis>(link);
    ASSERT_TRUE(designation.is_genesis);
    msg::InvitationAccepted accepted;
    accepted.invitation = designation.designation;
    accepted.token.node_id = kGenesis;
    accepted.token.issuer = designation.designation.inviter;
    bootstrap_->on_frame(link, std::move(accepted));
  }

  FakeEnv env_;
  std::unique_ptr<roles::Bootstrap> bootstrap_;
  const Timing timing_{};
};

TEST_F(BootstrapMetricsTest, MembersAndBridgesGaugesFollowRegistrations) {
  EXPECT_EQ(Metric("yz_bootstrap_members"), 0);
  EXPECT_EQ(Metric("yz_bootstrap_bridges"), 0);
  GenesisJoins();
  EXPECT_EQ(Metric("yz_bootstrap_members"), 1);
  const LinkId bridge = Register(kBridge, "bridge-a", Role::kBridge);
  EXPECT_EQ(Metric("yz_bootstrap_bridges"), 1);
  // Created at 0 when the bridge registers, before any timeout.
  EXPECT_EQ(Metric(R"(yz_bootstrap_bridge_timeouts_total{bridge="bridge-a"})"), 0);
  bootstrap_->on_link_closed(bridge, "eof");
  EXPECT_EQ(Metric("yz_bootstrap_bridges"), 0);
  EXPECT_EQ(Metric("yz_bootstrap_members"), 1);
}

TEST_F(BootstrapMetricsTest, SilentBridgeTimesOutAndTheOnboardingFails) {
  GenesisJoins();
  const LinkId bridge = Register(kBridge, "bridge-a", Role::kBridge);
  const LinkId newcomer = Register(kNewcomer, "newcomer", Role::kNode);
  bootstrap_->on_frame(newcomer, msg::GetPeersOrGenesis{});
  ASSERT_FALSE(env_.sent_on(bridge).empty());
  EXPECT_EQ(Last<msg::GetOnboardingPeer>(bridge).new_node_id, kNewcomer);
  // The bridge never answers. The bootstrap waits past the bridge's whole
  // budget plus twice the round trip measured at its handshake (here the
  // 1 ns minimum: hello and register came at the same instant).
  const Duration wait = timing_.bridge_wait(1);
  EXPECT_GT(wait, timing_.onboarding_bridge_timeout);
  env_.advance(timing_.onboarding_bridge_timeout);
  EXPECT_EQ(Metric(R"(yz_bootstrap_bridge_timeouts_total{bridge="bridge-a"})"), 0);
  env_.advance(wait - timing_.onboarding_bridge_timeout);
  EXPECT_EQ(Metric(R"(yz_bootstrap_bridge_timeouts_total{bridge="bridge-a"})"), 1);
  // One bridge, tried once: the onboarding has failed, after that wait.
  EXPECT_EQ(Metric(R"(yz_onboarding_total{result="failure"})"), 1);
  EXPECT_EQ(Metric(R"(yz_onboarding_duration_seconds_count{result="failure"})"), 1);
  EXPECT_DOUBLE_EQ(Metric(R"(yz_onboarding_duration_seconds_sum{result="failure"})"),
                   static_cast<double>(wait) / kSecond);
  EXPECT_EQ(Metric(R"(yz_onboarding_duration_seconds_count{result="success"})"), 0);
}

TEST_F(BootstrapMetricsTest, OnboardingSuccessIsTimedFromRequestToAcceptance) {
  GenesisJoins();
  const LinkId bridge = Register(kBridge, "bridge-a", Role::kBridge);
  const LinkId newcomer = Register(kNewcomer, "newcomer", Role::kNode);
  bootstrap_->on_frame(newcomer, msg::GetPeersOrGenesis{});
  const Message ask = LastMessage<msg::GetOnboardingPeer>(bridge);
  env_.advance(1 * kSecond);
  // The bridge names genesis as the helper, with genesis's invitation.
  msg::OnboardingPeerResponse answer;
  answer.helper = Peer(kGenesis, "genesis", Role::kGenesis);
  answer.invitation.inviter = kGenesis;
  answer.invitation.nonce = 77;
  bootstrap_->on_frame(bridge, Message(std::move(answer), ask.request_id));
  const auto relayed = Last<msg::SendInvitation>(newcomer);
  env_.advance(1 * kSecond);
  msg::InvitationAccepted accepted;
  accepted.invitation = relayed.invitation;
  accepted.token.node_id = kNewcomer;
  accepted.token.issuer = kGenesis;
  bootstrap_->on_frame(newcomer, std::move(accepted));
  EXPECT_EQ(Metric(R"(yz_onboarding_total{result="success"})"), 1);
  EXPECT_EQ(Metric(R"(yz_onboarding_duration_seconds_count{result="success"})"), 1);
  EXPECT_DOUBLE_EQ(Metric(R"(yz_onboarding_duration_seconds_sum{result="success"})"), 2);
  EXPECT_EQ(Metric("yz_bootstrap_members"), 2);
  EXPECT_EQ(Metric(R"(yz_bootstrap_bridge_timeouts_total{bridge="bridge-a"})"), 0);
}

// ---- the join state --------------------------------------------------------------

JoinObservation Observed(bool member, std::size_t connected, std::size_t routing,
                         std::size_t missing, Duration uptime) {
  return JoinObservation{member, connected, routing, missing, uptime, 60 * kSecond};
}

TEST(JoinStateTest, JoinedNeedsMembershipAPeerAndARoutingEntry) {
  EXPECT_EQ(join_state(Observed(true, 1, 1, 0, 0)), JoinState::kJoined);
  EXPECT_EQ(join_state(Observed(true, 1, 1, 0, 3600 * kSecond)), JoinState::kJoined);
  // Missing any one of the three is not joined.
  EXPECT_NE(join_state(Observed(false, 1, 1, 0, 0)), JoinState::kJoined);
  EXPECT_NE(join_state(Observed(true, 0, 1, 0, 0)), JoinState::kJoined);
  EXPECT_NE(join_state(Observed(true, 1, 0, 0, 0)), JoinState::kJoined);
}

TEST(JoinStateTest, NotJoinedIsJoiningInsideTheGraceAndIsolatedFromItsEnd) {
  EXPECT_EQ(join_state(Observed(false, 0, 0, 0, 0)), JoinState::kJoining);
  EXPECT_EQ(join_state(Observed(false, 0, 0, 0, 60 * kSecond - 1)), JoinState::kJoining);
  EXPECT_EQ(join_state(Observed(false, 0, 0, 0, 60 * kSecond)), JoinState::kIsolated);
  // A member that lost every peer is isolated too, once past the grace.
  EXPECT_EQ(join_state(Observed(true, 0, 5, 0, 120 * kSecond)), JoinState::kIsolated);
  // The grace is whatever the timing says (scaled by --time-scale).
  EXPECT_EQ(join_state(JoinObservation{false, 0, 0, 0, 7 * kSecond, 6 * kSecond}),
            JoinState::kIsolated);
}

TEST(JoinStateTest, DegradedComesFirst) {
  // A joined node with a peer missing its handler: the incident's survivor.
  EXPECT_EQ(join_state(Observed(true, 3, 3, 1, 120 * kSecond)), JoinState::kDegraded);
  // Before joining and isolated too: degraded still wins.
  EXPECT_EQ(join_state(Observed(false, 1, 1, 1, 0)), JoinState::kDegraded);
  EXPECT_EQ(join_state(Observed(false, 0, 0, 2, 120 * kSecond)), JoinState::kDegraded);
}

TEST(JoinStateTest, NamesAreTheContractsLabelValues) {
  EXPECT_EQ(join_state_name(JoinState::kJoining), "joining");
  EXPECT_EQ(join_state_name(JoinState::kJoined), "joined");
  EXPECT_EQ(join_state_name(JoinState::kIsolated), "isolated");
  EXPECT_EQ(join_state_name(JoinState::kDegraded), "degraded");
}

TEST_F(MemberMetricsTest, MemberStateGoesFromJoiningToIsolatedAndShowsInYzState) {
  EXPECT_EQ(member_->status().state, JoinState::kJoining);
  EXPECT_EQ(Metric(R"(yz_state{state="joining"})"), 1);
  env_.advance(timing_.startup_grace);
  EXPECT_EQ(member_->status().state, JoinState::kIsolated);
  EXPECT_EQ(Metric(R"(yz_state{state="isolated"})"), 1);
  EXPECT_EQ(Metric(R"(yz_state{state="joining"})"), 0);
}

TEST_F(MemberMetricsTest, NewcomerIntroducedToItsHelperIsJoined) {
  Registered();
  member_->on_frame(bootstrap_, msg::PeerIntroduction{{Peer(kA, "a")}});
  // It dials the helper; the helper answers the handshake.
  ASSERT_EQ(env_.dials.size(), 2u);
  const LinkId helper = env_.dials.back().link;
  member_->on_link_opened(helper);
  member_->on_frame(helper, Connected(Peer(kA, "a")));
  ASSERT_TRUE(member_->is_member()) << "the introduction should make it a member";
  EXPECT_EQ(member_->status().state, JoinState::kJoined);
  EXPECT_EQ(Metric(R"(yz_state{state="joined"})"), 1);
}

TEST(DegradedJoinStateTest, AnInboundPeerWithoutItsHandlerMakesTheMemberDegraded) {
  FakeEnv env;
  ProcessConfig config = Config(Role::kNode, "self", kSelf);
  config.faults.enable(Fault::kEarlyReturnRace);
  DhtMember member(env, config);
  member.start();
  const LinkId link = env.new_link();
  member.on_link_accepted(link);
  member.on_frame(link, Hello(Peer(kA, "a")));
  ASSERT_GT(member.peers_missing_handler(), 0u);
  EXPECT_EQ(member.status().state, JoinState::kDegraded);
  EXPECT_EQ(Sample(env.metrics(), R"(yz_state{state="degraded"})"), 1);
  EXPECT_EQ(Sample(env.metrics(), R"(yz_state{state="joining"})"), 0);
}

TEST(BridgeJoinStateTest, ALinkedBridgeIsJoinedWithoutAMembershipToken) {
  FakeEnv env;
  auto bridge = roles::make_process(env, Config(Role::kBridge, "bridge", kSelf));
  bridge->start();
  const LinkId link = env.new_link();
  bridge->on_link_accepted(link);
  bridge->on_frame(link, Hello(Peer(kA, "a")));
  const ProcessStatus status = bridge->status();
  ASSERT_GT(status.connected_peers, 0u);
  ASSERT_GT(status.routing_table_size, 0u);
  EXPECT_FALSE(status.member);  // no token: a bridge is in by its registration
  EXPECT_EQ(status.state, JoinState::kJoined);
}

TEST(BootstrapJoinStateTest, TheBootstrapIsJoinedWhileItRuns) {
  FakeEnv env;
  roles::Bootstrap bootstrap(env, Config(Role::kBootstrap, "bootstrap", kBoot));
  bootstrap.start();
  EXPECT_EQ(bootstrap.status().state, JoinState::kJoined);
  // Long past any grace, with nobody registered: still the rendezvous.
  env.advance(3600 * kSecond);
  EXPECT_EQ(bootstrap.status().state, JoinState::kJoined);
  EXPECT_EQ(Sample(env.metrics(), R"(yz_state{state="joined"})"), 1);
  EXPECT_EQ(Sample(env.metrics(), R"(yz_state{state="isolated"})"), 0);
}

}  // namespace
}  // namespace yz::core
