// The bootstrap's side of issue 13: every refusal answers error{code} and
// closes the link with that code (the runtime turns it into the stream's
// status), a client that never finishes its handshake is closed at the
// deadline like at any role, and the member list follows links closing.
#include "roles/bootstrap/bootstrap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "roles/core/handshake_auth.h"
#include "roles/core/identity.h"
#include "roles/make_process.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/peer_frames.h"
#include "tests/unit/test_ids.h"

namespace yz::core {
namespace {

using testing::BodyOf;
using testing::FakeEnv;
using testing::Hello;
using testing::kBoot;
using testing::kBridge;
using testing::kGenesis;
using testing::kNewcomer;
using testing::Peer;
using testing::Sample;

const NodeId kOther = *NodeId::from_hex("7777777777777777777777777777777777777777");
constexpr const char* kBridgeAuth = "bridge-secret";

ProcessConfig BootstrapConfig() {
  ProcessConfig config;
  config.name = "bootstrap";
  config.role = Role::kBootstrap;
  config.node_id = kBoot;
  config.listen_address = "bootstrap:7000";
  config.bridge_auth = kBridgeAuth;
  return config;
}

msg::Register Register(const PeerInfo& peer, std::string auth = "") {
  return msg::Register{peer.node_id, peer.metadata, std::move(auth), {}};
}

// The bootstrap as the drivers build it: behind the guard.
class BootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = roles::make_process(env_, BootstrapConfig());
    bootstrap_->start();
  }

  double Metric(std::string_view series) { return Sample(env_.metrics(), series).value_or(-1); }

  LinkId Greeted(const PeerInfo& peer) {
    const LinkId link = env_.new_link();
    bootstrap_->on_link_accepted(link);
    bootstrap_->on_frame(link, Hello(peer));
    return link;
  }
  LinkId Registered(const PeerInfo& peer, const std::string& auth = "") {
    const LinkId link = Greeted(peer);
    bootstrap_->on_frame(link, Register(peer, auth));
    EXPECT_FALSE(env_.was_closed(link));
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
  // Closed with `code`, after an error frame that says the same.
  void ExpectRefused(LinkId link, const std::string& code) {
    EXPECT_TRUE(env_.was_closed(link)) << code;
    EXPECT_EQ(env_.close_reasons[link], code);
    const std::vector<Message> sent = env_.sent_on(link);
    ASSERT_FALSE(sent.empty()) << code;
    EXPECT_EQ(sent.back().type(), MessageType::kError) << code;
    EXPECT_EQ(BodyOf<msg::Error>(sent.back()).code, code);
    EXPECT_FALSE(BodyOf<msg::Error>(sent.back()).message.empty()) << code;
  }

  // Genesis registers, is designated and accepts, on a link of its own.
  LinkId GenesisJoins() {
    const PeerInfo genesis = Peer(kGenesis, "genesis", Role::kGenesis);
    const LinkId link = Registered(genesis);
    bootstrap_->on_frame(link, msg::GetPeersOrGenesis{});
    const auto designation = Last<msg::PeersOrGenesis>(link);
    EXPECT_TRUE(designation.is_genesis);
    msg::InvitationAccepted accepted;
    accepted.invitation = designation.designation;
    accepted.token.node_id = kGenesis;
    accepted.token.issuer = designation.designation.inviter;
    bootstrap_->on_frame(link, std::move(accepted));
    return link;
  }
  // A newcomer onboarded through `bridge` with genesis as its helper.
  LinkId NewcomerJoins(LinkId bridge) {
    const LinkId link = Registered(Peer(kNewcomer, "newcomer"));
    bootstrap_->on_frame(link, msg::GetPeersOrGenesis{});
    const Message ask = LastMessage<msg::GetOnboardingPeer>(bridge);
    msg::OnboardingPeerResponse answer;
    answer.helper = Peer(kGenesis, "genesis", Role::kGenesis);
    answer.invitation.inviter = kGenesis;
    answer.invitation.nonce = 77;
    bootstrap_->on_frame(bridge, Message(std::move(answer), ask.request_id));
    const auto relayed = Last<msg::SendInvitation>(link);
    msg::InvitationAccepted accepted;
    accepted.invitation = relayed.invitation;
    accepted.token.node_id = kNewcomer;
    accepted.token.issuer = kGenesis;
    bootstrap_->on_frame(link, std::move(accepted));
    return link;
  }
  std::vector<NodeId> Ids(const std::vector<PeerInfo>& peers) {
    std::vector<NodeId> ids;
    for (const PeerInfo& p : peers) ids.push_back(p.node_id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  FakeEnv env_;
  std::unique_ptr<Process> bootstrap_;
};

// ---- every refusal closes, with its reason -------------------------------------

TEST_F(BootstrapTest, FirstFrameNotAHelloIsRefusedAndClosed) {
  const LinkId link = env_.new_link();
  bootstrap_->on_link_accepted(link);
  bootstrap_->on_frame(link, Register(Peer(kOther, "other")));
  ExpectRefused(link, "not_handshake");
  EXPECT_EQ(Metric(R"(yz_bootstrap_refused_total{reason="not_handshake"})"), 1);
}

TEST_F(BootstrapTest, VersionMismatchIsRefusedAndClosed) {
  PeerInfo peer = Peer(kOther, "other");
  const LinkId link = Greeted(peer);
  peer.metadata.protocol_version = 99;
  bootstrap_->on_frame(link, Register(peer));
  ExpectRefused(link, "version_mismatch");
}

TEST_F(BootstrapTest, IdMismatchIsRefusedAndClosed) {
  const LinkId link = Greeted(Peer(kOther, "other"));
  bootstrap_->on_frame(link, Register(Peer(kNewcomer, "newcomer")));
  ExpectRefused(link, "id_mismatch");
}

TEST_F(BootstrapTest, BadBridgeAuthIsRefusedAndClosed) {
  const PeerInfo bridge = Peer(kBridge, "bridge", Role::kBridge);
  const LinkId link = Greeted(bridge);
  bootstrap_->on_frame(link, Register(bridge, "wrong"));
  ExpectRefused(link, "bad_auth");
  EXPECT_EQ(Metric("yz_bootstrap_bridges"), 0);
}

TEST_F(BootstrapTest, SecondGenesisIsRefusedAndClosed) {
  GenesisJoins();
  const LinkId link = Registered(Peer(kOther, "impostor", Role::kGenesis));
  bootstrap_->on_frame(link, msg::GetPeersOrGenesis{});
  ExpectRefused(link, "genesis_exists");
}

TEST_F(BootstrapTest, RequestBeforeRegisterIsRefusedAndClosed) {
  const LinkId link = Greeted(Peer(kOther, "other"));
  bootstrap_->on_frame(link, msg::GetPeersOrGenesis{});
  ExpectRefused(link, "not_registered");
}

TEST_F(BootstrapTest, UnknownRequestIsRefusedAndClosed) {
  const LinkId link = Registered(Peer(kOther, "other"));
  bootstrap_->on_frame(link, Message(msg::FindNode{}, 1));
  ExpectRefused(link, "unknown_message");
}

TEST_F(BootstrapTest, AcceptanceWithoutInvitationIsRefusedAndClosed) {
  const LinkId link = Registered(Peer(kOther, "other"));
  bootstrap_->on_frame(link, msg::InvitationAccepted{});
  ExpectRefused(link, "no_invitation");
}

TEST(BootstrapAuthTest, HelloWithoutKeyIsRefusedAsMissingProofAndClosed) {
  FakeEnv env;
  ProcessConfig config = BootstrapConfig();
  config.identity = Identity::from_words(3, 2, 3, 4);
  config.node_id = config.identity->node_id();
  auto bootstrap = roles::make_process(env, config);
  bootstrap->start();
  const LinkId link = env.new_link();
  bootstrap->on_link_accepted(link);
  bootstrap->on_frame(link, Hello(Peer(kOther, "other")));  // no key, no nonce
  EXPECT_EQ(env.close_reasons[link], "missing_proof");
  ASSERT_FALSE(env.sent_on(link).empty());
  EXPECT_EQ(BodyOf<msg::Error>(env.sent_on(link).back()).code, "missing_proof");
  EXPECT_EQ(Sample(env.metrics(), R"(yz_handshake_rejected_total{reason="missing_proof"})"), 1);
}

// ---- the handshake deadline --------------------------------------------------------

TEST_F(BootstrapTest, SilentClientIsClosedAtTheDeadline) {
  const LinkId silent = env_.new_link();
  bootstrap_->on_link_accepted(silent);
  const LinkId client = Registered(Peer(kOther, "other"));
  env_.advance(Timing{}.handshake_timeout - 1);
  EXPECT_FALSE(env_.was_closed(silent));
  env_.advance(1);
  EXPECT_EQ(env_.close_reasons[silent], "handshake_timeout");
  EXPECT_EQ(Metric(R"(yz_handshake_rejected_total{reason="handshake_timeout"})"), 1);
  EXPECT_EQ(bootstrap_->status().connected_peers, 1u);
  // A client that finished its handshake stays as long as it likes.
  env_.advance(3600 * kSecond);
  EXPECT_FALSE(env_.was_closed(client));
  EXPECT_EQ(env_.authenticated, std::vector<LinkId>{client});
}

TEST(BootstrapAuthTest, SignedHelloWithoutProofIsClosedAtTheDeadline) {
  FakeEnv env;
  ProcessConfig config = BootstrapConfig();
  config.identity = Identity::from_words(3, 2, 3, 4);
  config.node_id = config.identity->node_id();
  auto bootstrap = roles::make_process(env, config);
  bootstrap->start();
  // A client that proves who it is in its hello, then never signs our nonce.
  FakeEnv client_env;
  const auto client_key = Identity::from_words(5, 2, 3, 4);
  HandshakeAuth client(client_env, client_key);
  const LinkId link = env.new_link();
  bootstrap->on_link_accepted(link);
  auto hello = Hello(Peer(client_key->node_id(), "client"));
  client.add_to_hello(link, hello);
  bootstrap->on_frame(link, std::move(hello));
  ASSERT_EQ(env.sent_on(link).back().type(), MessageType::kDhtPeerConnected);
  env.advance(config.timing.handshake_timeout);
  EXPECT_EQ(env.close_reasons[link], "handshake_timeout");
  EXPECT_TRUE(env.authenticated.empty());
}

// ---- the member list follows links --------------------------------------------------

TEST_F(BootstrapTest, AMemberThatLeftIsNotListedUntilItComesBack) {
  const LinkId genesis = GenesisJoins();
  const LinkId bridge = Registered(Peer(kBridge, "bridge", Role::kBridge), kBridgeAuth);
  const LinkId newcomer = NewcomerJoins(bridge);
  EXPECT_EQ(Metric("yz_bootstrap_members"), 2);

  // Genesis's link closes: it is no longer handed out.
  bootstrap_->on_link_closed(genesis, "closed by peer");
  EXPECT_EQ(Metric("yz_bootstrap_members"), 1);
  bootstrap_->on_frame(newcomer, msg::GetPeersOrGenesis{});
  EXPECT_TRUE(Last<msg::PeersOrGenesis>(newcomer).peers.empty());
  const PeerInfo late_bridge = Peer(kOther, "bridge-2", Role::kBridge);
  const LinkId second_bridge = Registered(late_bridge, kBridgeAuth);
  EXPECT_EQ(Ids(Last<msg::Registered>(second_bridge).members), std::vector<NodeId>{kNewcomer});

  // Genesis comes back (a new link, registered again): listed again, and
  // still a member whose chain the bootstrap knows.
  const LinkId again = Registered(Peer(kGenesis, "genesis", Role::kGenesis));
  EXPECT_EQ(Metric("yz_bootstrap_members"), 2);
  bootstrap_->on_frame(newcomer, msg::GetPeersOrGenesis{});
  EXPECT_EQ(Ids(Last<msg::PeersOrGenesis>(newcomer).peers), std::vector<NodeId>{kGenesis});
  bootstrap_->on_frame(again, msg::GetPeersOrGenesis{});
  EXPECT_EQ(Ids(Last<msg::PeersOrGenesis>(again).peers), std::vector<NodeId>{kNewcomer});
}

TEST_F(BootstrapTest, AnOlderLinkClosingDoesNotUnlistAMemberThatReconnected) {
  const LinkId old_link = GenesisJoins();
  Registered(Peer(kGenesis, "genesis", Role::kGenesis));  // reconnected first
  bootstrap_->on_link_closed(old_link, "closed by peer");
  EXPECT_EQ(Metric("yz_bootstrap_members"), 1);
}

// ---- the member's side of its bootstrap link ------------------------------------------

ProcessConfig NodeConfig() {
  ProcessConfig config;
  config.name = "node";
  config.role = Role::kNode;
  config.node_id = kOther;
  config.listen_address = "node:7000";
  config.bootstrap_address = "bootstrap:7000";
  return config;
}

// A bootstrap that never answers the dial (an acceptor that holds back its
// headers) or never answers the hello: the member gives the link up at the
// deadline instead of waiting forever, and its health check dials again.
TEST(MemberBootstrapLinkTest, ADialThatNeverOpensIsGivenUpAtTheDeadline) {
  FakeEnv env;
  auto node = roles::make_process(env, NodeConfig());
  node->start();
  ASSERT_EQ(env.dials.size(), 1u);
  const LinkId link = env.dials[0].link;
  env.advance(Timing{}.handshake_timeout);
  EXPECT_EQ(env.close_reasons[link], "handshake_timeout");
  EXPECT_EQ(Sample(env.metrics(), R"(yz_handshake_rejected_total{reason="handshake_timeout"})"), 1);
  EXPECT_FALSE(node->status().bootstrap_connected);
}

TEST(MemberBootstrapLinkTest, ABootstrapThatNeverAnswersTheHelloIsGivenUp) {
  FakeEnv env;
  auto node = roles::make_process(env, NodeConfig());
  node->start();
  const LinkId link = env.dials.at(0).link;
  env.advance(1 * kSecond);
  node->on_link_opened(link);
  ASSERT_EQ(env.sent_on(link).size(), 1u);  // the hello, unanswered
  env.advance(Timing{}.handshake_timeout - 1 * kSecond);
  EXPECT_EQ(env.close_reasons[link], "handshake_timeout");
}

TEST(MemberBootstrapLinkTest, AnAnsweredBootstrapLinkStays) {
  FakeEnv env;
  auto node = roles::make_process(env, NodeConfig());
  node->start();
  const LinkId link = env.dials.at(0).link;
  node->on_link_opened(link);
  msg::DhtPeerConnected connected = testing::Connected(Peer(kBoot, "bootstrap", Role::kBootstrap));
  node->on_frame(link, std::move(connected));
  env.advance(Timing{}.handshake_timeout * 10);
  EXPECT_FALSE(env.was_closed(link));
}

}  // namespace
}  // namespace yz::core
