#include "roles/core/peer_links.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "roles/core/core_metrics.h"
#include "roles/core/protocol.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/peer_frames.h"

namespace yz::core {
namespace {

using testing::BodyOf;
using testing::Connected;
using testing::FakeEnv;
using testing::Hello;
using testing::Peer;
using testing::Sample;

// kLow < kHigh: the dialler-id rule keeps the link kLow dialled.
const NodeId kLow = *NodeId::from_hex("1111111111111111111111111111111111111111");
const NodeId kHigh = *NodeId::from_hex("9999999999999999999999999999999999999999");
const NodeId kOther = *NodeId::from_hex("5555555555555555555555555555555555555555");

std::optional<double> Rejected(metrics::Registry& registry, const std::string& reason) {
  return Sample(registry, "yz_handshake_rejected_total{reason=\"" + reason + "\"}");
}

// One member's PeerLinks with every callback recorded.
class Side {
 public:
  explicit Side(const PeerInfo& self)
      : self_(self),
        links_(env_, metrics_, self,
               PeerLinks::Callbacks{[this](ConnectionManager& m) {
                                      established_.push_back({m.link(), m.peer()});
                                      if (attach_on_established_)
                                        m.attach_dht_listener([](ConnectionManager&, Message&&) {});
                                    },
                                    [this](const PeerInfo& peer, LinkId link) {
                                      lost_.push_back({link, peer});
                                    },
                                    [this](LinkId link) { gone_.push_back(link); }}) {}

  struct Event {
    LinkId link;
    PeerInfo peer;
  };

  // An inbound link whose hello has arrived.
  LinkId AcceptFrom(const PeerInfo& peer) {
    const LinkId link = env_.new_link();
    links_.on_link_accepted(link);
    links_.on_frame(link, Hello(peer));
    return link;
  }
  // An outbound link that completed its handshake.
  LinkId DialTo(const PeerInfo& peer) {
    const LinkId link = links_.dial(peer).link();
    links_.on_link_opened(link);
    links_.on_frame(link, Connected(peer));
    return link;
  }

  PeerInfo self_;
  FakeEnv env_;
  CoreMetrics metrics_{env_.metrics()};
  PeerLinks links_;
  bool attach_on_established_ = false;
  std::vector<Event> established_;
  std::vector<Event> lost_;
  std::vector<LinkId> gone_;
};

class PeerLinksTest : public ::testing::Test {
 protected:
  PeerInfo self_ = Peer(kHigh, "self");
  PeerInfo a_ = Peer(kLow, "a");
  PeerInfo b_ = Peer(kOther, "b");
  Side side_{self_};
};

TEST_F(PeerLinksTest, InboundHandshake) {
  const LinkId link = side_.env_.new_link();
  side_.links_.on_link_accepted(link);
  ASSERT_NE(side_.links_.manager(link), nullptr);
  EXPECT_EQ(side_.links_.manager(link)->state(), ConnectionManager::State::kAwaitingHello);
  EXPECT_FALSE(side_.links_.connected(a_.node_id));

  side_.links_.on_frame(link, Hello(a_));

  const auto replies = side_.env_.sent_on(link);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].type(), MessageType::kDhtPeerConnected);
  EXPECT_EQ(BodyOf<msg::DhtPeerConnected>(replies[0]).node_id, self_.node_id);
  EXPECT_EQ(BodyOf<msg::DhtPeerConnected>(replies[0]).metadata.name, "self");

  ASSERT_EQ(side_.established_.size(), 1u);
  EXPECT_EQ(side_.established_[0].link, link);
  EXPECT_EQ(side_.established_[0].peer.node_id, a_.node_id);
  EXPECT_EQ(side_.established_[0].peer.metadata.name, "a");
  EXPECT_EQ(side_.established_[0].peer.metadata.address, "a:7000");

  EXPECT_TRUE(side_.links_.connected(a_.node_id));
  EXPECT_EQ(side_.links_.current(a_.node_id), side_.links_.manager(link));
  EXPECT_TRUE(side_.links_.manager(link)->established());
  EXPECT_EQ(side_.links_.connected_count(), 1u);
  EXPECT_EQ(side_.links_.inbound_count(), 1u);
  EXPECT_EQ(side_.links_.outbound_count(), 0u);
}

TEST_F(PeerLinksTest, OutboundHandshake) {
  ConnectionManager& manager = side_.links_.dial(a_);
  const LinkId link = manager.link();
  ASSERT_EQ(side_.env_.dials.size(), 1u);
  EXPECT_EQ(side_.env_.dials[0].address, "a:7000");
  EXPECT_EQ(side_.env_.dials[0].link, link);
  EXPECT_EQ(manager.state(), ConnectionManager::State::kDialling);
  // A dialling link is the peer's current one, but the peer is not connected.
  EXPECT_EQ(side_.links_.current(a_.node_id), &manager);
  EXPECT_FALSE(side_.links_.connected(a_.node_id));
  // Dialling again while the first dial is open reuses it.
  EXPECT_EQ(&side_.links_.dial(a_), &manager);
  EXPECT_EQ(side_.env_.dials.size(), 1u);

  manager.send(Message(msg::FindNode{}, 9));  // waits for the handshake
  side_.links_.on_link_opened(link);
  EXPECT_EQ(manager.state(), ConnectionManager::State::kAwaitingConnected);
  auto sent = side_.env_.sent_on(link);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type(), MessageType::kDhtPeerHello);
  EXPECT_EQ(BodyOf<msg::DhtPeerHello>(sent[0]).peer_id, self_.node_id);
  EXPECT_TRUE(side_.established_.empty());

  side_.links_.on_frame(link, Connected(a_));
  ASSERT_EQ(side_.established_.size(), 1u);
  EXPECT_EQ(side_.established_[0].link, link);
  EXPECT_EQ(side_.established_[0].peer.node_id, a_.node_id);
  EXPECT_TRUE(side_.links_.connected(a_.node_id));
  EXPECT_EQ(side_.links_.outbound_count(), 1u);
  EXPECT_EQ(side_.links_.inbound_count(), 0u);
  sent = side_.env_.sent_on(link);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].type(), MessageType::kFindNode);
  EXPECT_EQ(sent[1].request_id, 9u);
}

TEST_F(PeerLinksTest, FirstFrameNotHelloIsRefused) {
  const LinkId link = side_.env_.new_link();
  side_.links_.on_link_accepted(link);
  side_.links_.on_frame(link, Message(msg::FindNode{}, 3));

  const auto sent = side_.env_.sent_on(link);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type(), MessageType::kError);
  EXPECT_EQ(BodyOf<msg::Error>(sent[0]).code, "not_handshake");
  EXPECT_TRUE(side_.env_.was_closed(link));
  EXPECT_FALSE(side_.links_.owns(link));
  EXPECT_EQ(side_.env_.close_reasons[link], "not_handshake");
  EXPECT_TRUE(side_.established_.empty());
  EXPECT_EQ(Rejected(side_.env_.metrics(), "not_handshake"), 1.0);
  EXPECT_EQ(side_.env_.log_count("handshake_refused"), 1u);
  EXPECT_EQ(side_.gone_, std::vector<LinkId>{link});
  EXPECT_TRUE(side_.lost_.empty());
}

TEST_F(PeerLinksTest, HelloFromSelfOrZeroIdIsRefused) {
  const LinkId from_self = side_.AcceptFrom(self_);
  const LinkId from_zero = side_.AcceptFrom(Peer(NodeId(), "zero"));
  EXPECT_TRUE(side_.env_.was_closed(from_self));
  EXPECT_TRUE(side_.env_.was_closed(from_zero));
  EXPECT_TRUE(side_.established_.empty());
  EXPECT_EQ(side_.links_.connected_count(), 0u);
  EXPECT_EQ(Rejected(side_.env_.metrics(), "bad_peer_id"), 2.0);
  ASSERT_EQ(side_.env_.sent_on(from_self).size(), 1u);
  EXPECT_EQ(BodyOf<msg::Error>(side_.env_.sent_on(from_self)[0]).code, "bad_peer_id");
}

// Versions outside [kMinProtocolVersion, kMaxProtocolVersion] are refused,
// each side, and the refusal names the supported range so that an
// implementer need not read the code.
TEST_F(PeerLinksTest, UnsupportedProtocolVersionIsRefusedBothWaysNamingTheRange) {
  static_assert(kMinProtocolVersion == 1 && kMaxProtocolVersion == 1);
  double refused = 0;
  for (const std::uint32_t version : {0u, 2u}) {
    Side side(self_);
    PeerInfo other = a_;
    other.metadata.protocol_version = version;
    const LinkId inbound = side.AcceptFrom(other);
    EXPECT_TRUE(side.env_.was_closed(inbound)) << version;
    ASSERT_EQ(side.env_.sent_on(inbound).size(), 1u) << version;
    EXPECT_EQ(side.env_.sent_on(inbound)[0].type(), MessageType::kError);
    const auto refusal = BodyOf<msg::Error>(side.env_.sent_on(inbound)[0]);
    EXPECT_EQ(refusal.code, "version_mismatch");
    EXPECT_EQ(refusal.message,
              "protocol version " + std::to_string(version) + " is not supported; supported: 1-1");

    const LinkId outbound = side.DialTo(other);
    EXPECT_TRUE(side.env_.was_closed(outbound)) << version;
    EXPECT_TRUE(side.established_.empty()) << version;
    EXPECT_FALSE(side.links_.connected(a_.node_id)) << version;
    EXPECT_EQ(Rejected(side.env_.metrics(), "version_mismatch"), 2.0) << version;
    refused += 2;
  }
  EXPECT_EQ(refused, 4.0);
}

// The build id is informational: a peer of another build that speaks a
// supported protocol version links (a rolling upgrade mixes builds).
TEST_F(PeerLinksTest, AnotherBuildIdLinksBothWays) {
  PeerInfo other_build = a_;
  other_build.metadata.build_id = "0.2.0+0123456789ab";
  ASSERT_NE(other_build.metadata.build_id, self_.metadata.build_id);
  const LinkId inbound = side_.AcceptFrom(other_build);
  EXPECT_FALSE(side_.env_.was_closed(inbound));
  ASSERT_EQ(side_.established_.size(), 1u);
  EXPECT_EQ(side_.established_[0].peer.metadata.build_id, "0.2.0+0123456789ab");

  Side dialler(self_);
  PeerInfo other_b = b_;
  other_b.metadata.build_id = "another-build";
  const LinkId outbound = dialler.DialTo(other_b);
  EXPECT_FALSE(dialler.env_.was_closed(outbound));
  EXPECT_TRUE(dialler.links_.connected(b_.node_id));
}

TEST_F(PeerLinksTest, ConnectedFromUnexpectedIdIsRefused) {
  const LinkId link = side_.links_.dial(a_).link();
  side_.links_.on_link_opened(link);
  side_.links_.on_frame(link, Connected(b_));

  EXPECT_TRUE(side_.env_.was_closed(link));
  EXPECT_FALSE(side_.links_.owns(link));
  EXPECT_TRUE(side_.established_.empty());
  EXPECT_FALSE(side_.links_.connected(a_.node_id));
  EXPECT_FALSE(side_.links_.connected(b_.node_id));
  EXPECT_EQ(side_.links_.current(a_.node_id), nullptr);
  EXPECT_EQ(Rejected(side_.env_.metrics(), "peer_id_mismatch"), 1.0);
  EXPECT_EQ(side_.env_.close_reasons[link], "peer_id_mismatch");
}

TEST_F(PeerLinksTest, OutboundFirstFrameNotConnectedIsRefused) {
  const LinkId link = side_.links_.dial(a_).link();
  side_.links_.on_link_opened(link);
  side_.links_.on_frame(link, Message(msg::FindNode{}, 1));
  EXPECT_TRUE(side_.env_.was_closed(link));
  EXPECT_TRUE(side_.established_.empty());
  EXPECT_EQ(Rejected(side_.env_.metrics(), "not_handshake"), 1.0);
}

TEST_F(PeerLinksTest, FrameBeforeDialOpensIsDropped) {
  const LinkId link = side_.links_.dial(a_).link();
  side_.links_.on_frame(link, Connected(a_));
  EXPECT_TRUE(side_.established_.empty());
  EXPECT_EQ(
      Sample(side_.env_.metrics(), R"(yz_dht_messages_dropped_total{reason="not_handshake"})"),
      1.0);
}

TEST_F(PeerLinksTest, FrameOnUnknownLinkIsCounted) {
  side_.links_.on_frame(12345, Message(msg::Ping{}, 1));
  EXPECT_TRUE(side_.env_.sent.empty());
  EXPECT_EQ(Sample(side_.env_.metrics(), R"(yz_dht_messages_dropped_total{reason="unknown_link"})"),
            1.0);
}

TEST_F(PeerLinksTest, SecondHandshakeOnEstablishedLinkIsDropped) {
  const LinkId link = side_.AcceptFrom(a_);
  side_.links_.on_frame(link, Hello(a_));
  EXPECT_EQ(side_.established_.size(), 1u);
  EXPECT_EQ(side_.env_.sent_on(link).size(), 1u);  // only the first connected
  EXPECT_EQ(Sample(side_.env_.metrics(),
                   R"(yz_dht_messages_dropped_total{reason="duplicate_handshake"})"),
            1.0);
}

// Found by handshake_fuzz: an open for a link that is no longer dialling
// restarted its handshake, so one link became current for two peer ids and
// the routing of a later health check met a link that was gone.
TEST_F(PeerLinksTest, OnlyADialOpensAndOnlyOnce) {
  const LinkId dialled = side_.DialTo(a_);
  side_.links_.on_link_opened(dialled);
  side_.links_.on_frame(dialled, Connected(b_));
  const LinkId accepted = side_.AcceptFrom(b_);
  side_.links_.on_link_opened(accepted);
  EXPECT_EQ(side_.established_.size(), 2u);
  EXPECT_FALSE(side_.env_.was_closed(dialled));
  ASSERT_NE(side_.links_.current(a_.node_id), nullptr);
  EXPECT_EQ(side_.links_.current(a_.node_id)->link(), dialled);
  EXPECT_EQ(side_.links_.current(b_.node_id)->link(), accepted);
  EXPECT_EQ(
      Sample(side_.env_.metrics(), R"(yz_dht_messages_dropped_total{reason="unexpected_open"})"),
      2.0);
}

TEST_F(PeerLinksTest, ConnectedWithZeroOrOwnIdIsRefused) {
  for (const NodeId& id : {NodeId{}, self_.node_id}) {
    PeerInfo unknown;  // dialled by address: no id expected
    unknown.metadata = a_.metadata;
    const LinkId dialled = side_.links_.dial(unknown).link();
    side_.links_.on_link_opened(dialled);
    side_.links_.on_frame(dialled, Connected(Peer(id, "x")));
    EXPECT_TRUE(side_.env_.was_closed(dialled));
  }
  EXPECT_TRUE(side_.established_.empty());
  EXPECT_EQ(Rejected(side_.env_.metrics(), "bad_peer_id"), 2.0);
}

// A dial to an address whose id is not known yet (zero) learns the id from
// dht_peer_connected. The dial must not stay on record under the zero id
// once the link is gone: a later look-up of that id then made a null
// manager for the dead link, and its close dereferenced it (found by
// handshake_fuzz at 1.86 M executions).
TEST_F(PeerLinksTest, ADialByAddressLeavesNoRecordOnceItsLinkIsGone) {
  const PeerInfo unknown = Peer(NodeId{}, "a");
  const LinkId link = side_.links_.dial(unknown).link();
  side_.links_.on_link_opened(link);
  side_.links_.on_frame(link, Connected(a_));
  ASSERT_TRUE(side_.links_.connected(a_.node_id));
  EXPECT_EQ(side_.links_.current(NodeId{}), nullptr) << "the dial is established as a";

  side_.links_.on_link_closed(link);
  EXPECT_EQ(side_.links_.current(NodeId{}), nullptr);
  EXPECT_EQ(side_.links_.current(a_.node_id), nullptr);
  side_.links_.on_link_closed(link);  // the same close again is harmless
  EXPECT_FALSE(side_.links_.owns(link));

  // A new dial to the same address dials again instead of reviving the dead link.
  const std::size_t dials = side_.env_.dials.size();
  const LinkId again = side_.links_.dial(unknown).link();
  EXPECT_NE(again, link);
  EXPECT_EQ(side_.env_.dials.size(), dials + 1);
}

TEST_F(PeerLinksTest, EstablishedLinkAnswersPing) {
  const LinkId link = side_.AcceptFrom(a_);
  side_.links_.on_frame(link, Message(msg::Ping{}, 77));
  const auto sent = side_.env_.sent_on(link);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].type(), MessageType::kPong);
  EXPECT_EQ(sent[1].request_id, 77u);
}

// Both members dial each other at once. Each side sees one inbound and one
// outbound link to the other and, without talking about it, both must keep
// the same physical link: the one the smaller id (kLow) dialled. Each side
// is checked for both orders in which its two handshakes can complete.
struct DuplicateCase {
  bool low_side;  // whose view: kLow's or kHigh's
  bool outbound_completes_first;
};

class DuplicateLinkTest : public ::testing::TestWithParam<DuplicateCase> {};

TEST_P(DuplicateLinkTest, SmallerDiallerWins) {
  const DuplicateCase c = GetParam();
  const PeerInfo low = Peer(kLow, "low");
  const PeerInfo high = Peer(kHigh, "high");
  const PeerInfo& me = c.low_side ? low : high;
  const PeerInfo& them = c.low_side ? high : low;
  Side side(me);

  const LinkId outbound = side.links_.dial(them).link();
  side.links_.on_link_opened(outbound);
  const LinkId inbound = side.env_.new_link();
  side.links_.on_link_accepted(inbound);
  if (c.outbound_completes_first) {
    side.links_.on_frame(outbound, Connected(them));
    side.links_.on_frame(inbound, Hello(them));
  } else {
    side.links_.on_frame(inbound, Hello(them));
    side.links_.on_frame(outbound, Connected(them));
  }

  // kLow dialled this side's outbound link if this is kLow, else the inbound.
  const LinkId kept = c.low_side ? outbound : inbound;
  const LinkId dropped = c.low_side ? inbound : outbound;
  ASSERT_NE(side.links_.current(them.node_id), nullptr);
  EXPECT_EQ(side.links_.current(them.node_id)->link(), kept);
  EXPECT_TRUE(side.env_.was_closed(dropped));
  EXPECT_FALSE(side.env_.was_closed(kept));
  EXPECT_FALSE(side.links_.owns(dropped));
  EXPECT_EQ(side.links_.connected_count(), 1u);
  EXPECT_EQ(side.links_.inbound_count(), c.low_side ? 0u : 1u);
  // Replacing a current link is not losing the peer.
  EXPECT_TRUE(side.lost_.empty());
  EXPECT_EQ(side.gone_, std::vector<LinkId>{dropped});
  // on_established fired for whichever link was current at each step, and
  // last for the one that stays.
  ASSERT_FALSE(side.established_.empty());
  EXPECT_EQ(side.established_.back().link, kept);
}

INSTANTIATE_TEST_SUITE_P(BothSidesBothOrders, DuplicateLinkTest,
                         ::testing::Values(DuplicateCase{true, true}, DuplicateCase{true, false},
                                           DuplicateCase{false, true}, DuplicateCase{false, false}),
                         [](const ::testing::TestParamInfo<DuplicateCase>& param_info) {
                           const DuplicateCase& c = param_info.param;
                           return std::string(c.low_side ? "LowSide" : "HighSide") +
                                  (c.outbound_completes_first ? "OutboundFirst" : "InboundFirst");
                         });

// A refused duplicate drops the frames that waited for it and reports the
// link gone, so their owner (the Dht) sends them again, once, on the kept link.
TEST_F(PeerLinksTest, RefusedDuplicateDropsPendingFramesAndReportsTheLinkGone) {
  // self_ is kHigh, a_ is kLow: a's inbound link wins over our dial.
  const LinkId inbound = side_.AcceptFrom(a_);
  ConnectionManager& dialled = side_.links_.dial(a_);
  const LinkId outbound = dialled.link();
  dialled.send(Message(msg::FindNode{}, 21));
  side_.links_.on_link_opened(outbound);
  side_.links_.on_frame(outbound, Connected(a_));

  EXPECT_TRUE(side_.env_.was_closed(outbound));
  const auto on_inbound = side_.env_.sent_on(inbound);
  ASSERT_EQ(on_inbound.size(), 1u);  // only dht_peer_connected
  EXPECT_EQ(on_inbound[0].type(), MessageType::kDhtPeerConnected);
  for (const Message& f : side_.env_.sent_on(outbound)) EXPECT_NE(f.type(), MessageType::kFindNode);
  EXPECT_EQ(side_.gone_, std::vector<LinkId>{outbound});
}

// The same side dialling twice is a reconnect: the newer link replaces.
TEST_F(PeerLinksTest, ReconnectFromSameDiallerReplaces) {
  const LinkId first = side_.AcceptFrom(a_);
  const LinkId second = side_.AcceptFrom(a_);
  EXPECT_EQ(side_.links_.current(a_.node_id)->link(), second);
  EXPECT_TRUE(side_.env_.was_closed(first));
  EXPECT_TRUE(side_.lost_.empty());
  EXPECT_EQ(side_.established_.size(), 2u);
}

TEST_F(PeerLinksTest, PeerLostOnlyForCurrentLink) {
  // A dial that fails before it opens was never the peer's link.
  const LinkId failed = side_.links_.dial(b_).link();
  side_.links_.on_link_closed(failed);
  EXPECT_TRUE(side_.lost_.empty());
  EXPECT_EQ(side_.gone_, std::vector<LinkId>{failed});

  // An inbound link closed before its hello was never anyone's link.
  const LinkId anonymous = side_.env_.new_link();
  side_.links_.on_link_accepted(anonymous);
  side_.links_.on_link_closed(anonymous);
  EXPECT_TRUE(side_.lost_.empty());

  // Close the replaced link of a reconnect: still not a lost peer. (Ours
  // closed it already; a late close from the remote must not count.)
  const LinkId old_link = side_.AcceptFrom(a_);
  const LinkId current = side_.AcceptFrom(a_);
  side_.links_.on_link_closed(old_link);
  EXPECT_TRUE(side_.lost_.empty());
  EXPECT_TRUE(side_.links_.connected(a_.node_id));

  side_.links_.on_link_closed(current);
  ASSERT_EQ(side_.lost_.size(), 1u);
  EXPECT_EQ(side_.lost_[0].link, current);
  EXPECT_EQ(side_.lost_[0].peer.node_id, a_.node_id);
  EXPECT_FALSE(side_.links_.connected(a_.node_id));
  EXPECT_EQ(side_.links_.current(a_.node_id), nullptr);

  // A second close of the same link is a no-op.
  side_.links_.on_link_closed(current);
  EXPECT_EQ(side_.lost_.size(), 1u);
}

TEST_F(PeerLinksTest, CloseFromThisSideLosesPeer) {
  const LinkId link = side_.AcceptFrom(a_);
  side_.links_.close(link, "test");
  EXPECT_TRUE(side_.env_.was_closed(link));
  ASSERT_EQ(side_.lost_.size(), 1u);
  EXPECT_EQ(side_.lost_[0].peer.node_id, a_.node_id);
}

TEST_F(PeerLinksTest, CloseAllClosesEveryLink) {
  const LinkId in = side_.AcceptFrom(a_);
  const LinkId dialling = side_.links_.dial(b_).link();
  side_.links_.close_all();
  EXPECT_TRUE(side_.env_.was_closed(in));
  EXPECT_TRUE(side_.env_.was_closed(dialling));
  EXPECT_EQ(side_.links_.connected_count(), 0u);
  EXPECT_FALSE(side_.links_.owns(in));
  EXPECT_FALSE(side_.links_.owns(dialling));
}

// A dial given up on before it opened is closed when it does open.
TEST_F(PeerLinksTest, OpenedAfterCloseIsClosedAgain) {
  const LinkId link = side_.links_.dial(a_).link();
  side_.links_.close(link, "given_up");
  side_.env_.closed.clear();
  side_.links_.on_link_opened(link);
  EXPECT_TRUE(side_.env_.was_closed(link));
  EXPECT_TRUE(side_.env_.sent_on(link).empty());
}

TEST_F(PeerLinksTest, UnservedTracksEstablishedLinksWithoutListener) {
  const LinkId link = side_.AcceptFrom(a_);
  EXPECT_EQ(side_.links_.unserved(), std::set<NodeId>{a_.node_id});

  side_.links_.mark_served(link);
  EXPECT_TRUE(side_.links_.unserved().empty());
  EXPECT_EQ(side_.links_.unserved_count(), 0u);

  // A new unserved link (a reconnect) puts the peer back.
  const LinkId again = side_.AcceptFrom(a_);
  EXPECT_EQ(side_.links_.unserved(), std::set<NodeId>{a_.node_id});
  EXPECT_TRUE(side_.env_.was_closed(link));

  side_.links_.on_link_closed(again);
  EXPECT_TRUE(side_.links_.unserved().empty());
}

// Every established link is checked, not only the peer's current one: with
// both links of a pair kept (fault pong_wrong_manager), serving the newer
// link leaves the older one without a listener, and it still counts.
TEST_F(PeerLinksTest, UnservedCountsEveryEstablishedLinkNotOnlyTheCurrent) {
  side_.links_.set_per_direction_managers(true);
  const LinkId older = side_.AcceptFrom(a_);
  const LinkId newer = side_.AcceptFrom(a_);
  ASSERT_FALSE(side_.env_.was_closed(older));
  ASSERT_EQ(side_.links_.current(a_.node_id)->link(), newer);
  side_.links_.mark_served(newer);
  EXPECT_EQ(side_.links_.unserved(), std::set<NodeId>{a_.node_id});
  EXPECT_EQ(side_.links_.unserved_count(), 1u);

  side_.links_.mark_served(older);
  EXPECT_EQ(side_.links_.unserved_count(), 0u);
}

TEST_F(PeerLinksTest, LinkServedDuringEstablishedIsNotUnserved) {
  side_.attach_on_established_ = true;
  side_.AcceptFrom(a_);
  side_.DialTo(b_);
  EXPECT_TRUE(side_.links_.unserved().empty());
  EXPECT_EQ(side_.links_.connected_count(), 2u);
}

// A link that was served before its handshake (the DHT dialled it and
// attached first) is served once established.
TEST_F(PeerLinksTest, ListenerAttachedWhileDiallingCounts) {
  ConnectionManager& m = side_.links_.dial(a_);
  m.attach_dht_listener([](ConnectionManager&, Message&&) {});
  side_.links_.on_link_opened(m.link());
  side_.links_.on_frame(m.link(), Connected(a_));
  EXPECT_TRUE(side_.links_.connected(a_.node_id));
  EXPECT_TRUE(side_.links_.unserved().empty());
}

TEST_F(PeerLinksTest, EstablishedListsPeersInIdOrder) {
  side_.AcceptFrom(b_);  // kOther
  side_.AcceptFrom(a_);  // kLow
  const auto established = side_.links_.established();
  ASSERT_EQ(established.size(), 2u);
  EXPECT_EQ(established[0]->peer().node_id, kLow);
  EXPECT_EQ(established[1]->peer().node_id, kOther);
}

}  // namespace
}  // namespace yz::core
