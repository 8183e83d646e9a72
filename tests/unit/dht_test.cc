// The incident in miniature: a DhtMember driven by hand through a FakeEnv,
// with the early_return_race fault on and off. Only the fault switch differs
// between the paired tests; every difference in outcome has to come from the
// mechanism (RoutingTable records the peer before it calls the Dht back).
#include "roles/core/dht.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "roles/core/dht_member.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/peer_frames.h"
#include "tests/unit/test_ids.h"

namespace yz::core {
namespace {

using testing::BodyOf;
using testing::Connected;
using testing::FakeEnv;
using testing::Hello;
using testing::kA;
using testing::kB;
using testing::kSelf;
using testing::Peer;
using testing::Sample;

// Every peer below differs from kSelf in the top bit, so all share bucket
// 159: with k = 1 the second of them goes to the replacement cache. All are
// smaller than kSelf, so on a duplicate link the peer's dial wins.
const NodeId kC = *NodeId::from_hex("3333333333333333333333333333333333333333");
const NodeId kTarget = *NodeId::from_hex("3030303030303030303030303030303030303030");

constexpr char kNoHandler[] = R"(yz_dht_messages_dropped_total{reason="no_handler"})";

Message FindNode(std::uint64_t request_id, const NodeId& target) {
  return Message(msg::FindNode{target}, request_id);
}

std::vector<NodeId> Ids(const std::vector<PeerInfo>& peers) {
  std::vector<NodeId> out;
  for (const auto& p : peers) out.push_back(p.node_id);
  return out;
}

FaultSet Faults(std::initializer_list<Fault> faults) {
  FaultSet set;
  for (Fault f : faults) set.enable(f);
  return set;
}

class DhtTest : public ::testing::Test {
 protected:
  void Start(FaultSet faults, std::size_t k = 20) {
    ProcessConfig config;
    config.name = "self";
    config.role = Role::kNode;
    config.node_id = kSelf;
    config.listen_address = "self:7000";
    config.bootstrap_address = "bootstrap:7000";
    config.timing.k = k;
    config.faults = faults;
    member_ = std::make_unique<DhtMember>(env_, config);
    member_->start();  // dials the bootstrap, which never answers here
  }

  // A peer dials us: the routing-table path the incident broke.
  LinkId Inbound(const PeerInfo& peer) {
    const LinkId link = env_.new_link();
    member_->on_link_accepted(link);
    member_->on_frame(link, Hello(peer));
    return link;
  }

  // We dial the peer through the Dht, which attaches before the link opens.
  LinkId DhtDial(const PeerInfo& peer) {
    const LinkId link = member_->dht().connect(peer).link();
    member_->on_link_opened(link);
    member_->on_frame(link, Connected(peer));
    return link;
  }

  bool Served(LinkId link) {
    ConnectionManager* m = member_->links().manager(link);
    return m != nullptr && m->dht_listener_attached();
  }

  // The one request of type T sent on `link`; fails the test otherwise.
  template <MessageKind T>
  std::uint64_t RequestIdOn(LinkId link) {
    const auto sent = env_.messages_of<T>(link);
    EXPECT_EQ(sent.size(), 1u);
    return sent.empty() ? 0 : sent.front().request_id;
  }

  Dht& dht() { return member_->dht(); }

  FakeEnv env_;
  std::unique_ptr<DhtMember> member_;
  PeerInfo a_ = Peer(kA, "a");
  PeerInfo b_ = Peer(kB, "b");
  PeerInfo c_ = Peer(kC, "c");
};

// (a) The incident: the peer is in the routing table and its link answers
// pings, but every DHT message on it is dropped.
TEST_F(DhtTest, EarlyReturnRaceLeavesInboundLinkWithoutListener) {
  Start(Faults({Fault::kEarlyReturnRace}));
  const LinkId link = Inbound(a_);

  EXPECT_TRUE(member_->routing_table().contains(kA));
  EXPECT_TRUE(member_->links().connected(kA));
  EXPECT_FALSE(Served(link));
  EXPECT_FALSE(dht().has_peer_node(kA));
  EXPECT_EQ(dht().peers_missing_handler(), 1u);
  EXPECT_EQ(member_->peers_missing_handler(), 1u);
  EXPECT_EQ(Sample(env_.metrics(), "yz_peers_missing_handler"), 1.0);
  EXPECT_EQ(env_.log_count("peer_already_in_routing_table"), 1u);
  EXPECT_EQ(env_.log_count("dht_handler_attached"), 0u);

  env_.sent.clear();
  member_->on_frame(link, FindNode(7, kTarget));
  EXPECT_TRUE(env_.sent_of<msg::FindNodeResponse>().empty());
  EXPECT_TRUE(env_.sent.empty());
  EXPECT_EQ(Sample(env_.metrics(), kNoHandler), 1.0);
  EXPECT_EQ(member_->status().dropped_no_handler, 1u);

  // Liveness still looks fine.
  member_->on_frame(link, Message(msg::Ping{}, 8));
  const auto pongs = env_.messages_of<msg::Pong>(link);
  ASSERT_EQ(pongs.size(), 1u);
  EXPECT_EQ(pongs[0].request_id, 8u);
  EXPECT_EQ(Sample(env_.metrics(), kNoHandler), 1.0);
}

// (b) The same sequence with the fix.
TEST_F(DhtTest, FixedInboundLinkGetsListenerAndAnswers) {
  Start(FaultSet{});
  const LinkId link_b = Inbound(b_);
  const LinkId link = Inbound(a_);

  EXPECT_TRUE(member_->routing_table().contains(kA));
  EXPECT_TRUE(Served(link));
  EXPECT_TRUE(Served(link_b));
  EXPECT_TRUE(dht().has_peer_node(kA));
  EXPECT_EQ(dht().peers_missing_handler(), 0u);
  EXPECT_TRUE(member_->links().unserved().empty());
  EXPECT_EQ(Sample(env_.metrics(), "yz_peers_missing_handler"), 0.0);
  EXPECT_EQ(env_.log_count("peer_already_in_routing_table"), 0u);

  env_.sent.clear();
  member_->on_frame(link, FindNode(7, kTarget));
  const auto responses = env_.messages_of<msg::FindNodeResponse>(link);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].request_id, 7u);
  EXPECT_EQ(Ids(BodyOf<msg::FindNodeResponse>(responses[0]).nodes), std::vector<NodeId>{kB});
  EXPECT_EQ(Sample(env_.metrics(), kNoHandler), 0.0);  // at 0 from the start
}

// What the bridges saw: a helper whose link came in inbound never receives
// create_invitation_for_peer, and nothing comes back to say so.
TEST_F(DhtTest, EarlyReturnRaceSwallowsInvitationRequest) {
  Start(Faults({Fault::kEarlyReturnRace}));
  const LinkId link = Inbound(a_);
  env_.sent.clear();
  Message request(msg::CreateInvitationForPeer{kC, {}}, 31);
  member_->on_frame(link, std::move(request));
  EXPECT_TRUE(env_.sent.empty());
  EXPECT_EQ(Sample(env_.metrics(), kNoHandler), 1.0);
}

TEST_F(DhtTest, FixedDeliversInvitationRequestToRole) {
  Start(FaultSet{});
  const LinkId link = Inbound(a_);
  env_.sent.clear();
  Message request(msg::CreateInvitationForPeer{kC, {}}, 31);
  member_->on_frame(link, std::move(request));
  // Reaching the role is the point; this node is no member yet, so it says so.
  const auto errors = env_.messages_of<msg::Error>(link);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].request_id, 31u);
  EXPECT_EQ(BodyOf<msg::Error>(errors[0]).code, "not_a_member");
}

// (c) A link the Dht dials itself has its listener before it opens, so the
// early return that follows does no harm.
TEST_F(DhtTest, OutboundDialByDhtIsServedEvenWithFault) {
  Start(Faults({Fault::kEarlyReturnRace}));
  ConnectionManager& manager = dht().connect(b_);
  const LinkId link = manager.link();
  EXPECT_EQ(env_.dials.back().address, "b:7000");
  EXPECT_EQ(env_.dials.back().link, link);
  EXPECT_TRUE(manager.dht_listener_attached());
  EXPECT_TRUE(dht().has_peer_node(kB));

  member_->on_link_opened(link);
  const auto hellos = env_.sent_of<msg::DhtPeerHello>(link);
  ASSERT_EQ(hellos.size(), 1u);
  EXPECT_EQ(hellos[0].peer_id, kSelf);
  member_->on_frame(link, Connected(b_));

  EXPECT_TRUE(member_->routing_table().contains(kB));
  EXPECT_TRUE(Served(link));
  EXPECT_EQ(dht().peers_missing_handler(), 0u);
  // The early return did happen; it just had nothing left to skip.
  EXPECT_EQ(env_.log_count("peer_already_in_routing_table"), 1u);

  member_->on_frame(link, FindNode(9, kTarget));
  ASSERT_EQ(env_.messages_of<msg::FindNodeResponse>(link).size(), 1u);
  EXPECT_EQ(Sample(env_.metrics(), kNoHandler), 0.0);  // at 0 from the start
}

// The reconnect path bites too: once the served link is gone, the same peer
// dialling back in is in the table before the Dht hears of it.
TEST_F(DhtTest, ReconnectAfterServedLinkLosesListenerWithFault) {
  Start(Faults({Fault::kEarlyReturnRace}));
  const LinkId first = DhtDial(b_);
  ASSERT_TRUE(Served(first));
  member_->on_link_closed(first, "remote closed");
  EXPECT_FALSE(member_->routing_table().contains(kB));
  EXPECT_FALSE(dht().has_peer_node(kB));

  const LinkId again = Inbound(b_);
  EXPECT_TRUE(member_->routing_table().contains(kB));
  EXPECT_FALSE(Served(again));
  EXPECT_EQ(dht().peers_missing_handler(), 1u);
}

TEST_F(DhtTest, ReconnectIsServedWhenFixed) {
  Start(FaultSet{});
  const LinkId first = DhtDial(b_);
  member_->on_link_closed(first, "remote closed");
  const LinkId again = Inbound(b_);
  EXPECT_TRUE(Served(again));
  EXPECT_EQ(dht().peers_missing_handler(), 0u);
}

// (d) Repair by hand with get_or_create_peer_node, twice: one attachment.
TEST_F(DhtTest, GetOrCreatePeerNodeAttachesOnce) {
  Start(Faults({Fault::kEarlyReturnRace}));
  const LinkId link = Inbound(a_);
  ASSERT_EQ(dht().peers_missing_handler(), 1u);

  dht().get_or_create_peer_node(a_);
  EXPECT_TRUE(Served(link));
  EXPECT_TRUE(dht().has_peer_node(kA));
  EXPECT_EQ(dht().peers_missing_handler(), 0u);
  EXPECT_TRUE(member_->links().unserved().empty());
  EXPECT_EQ(env_.log_count("dht_handler_attached"), 1u);

  dht().get_or_create_peer_node(a_);
  dht().handle_peer_connected(a_);
  EXPECT_EQ(env_.log_count("dht_handler_attached"), 1u);
  EXPECT_EQ(dht().peer_node_count(), 1u);

  env_.sent.clear();
  member_->on_frame(link, FindNode(12, kTarget));
  const auto responses = env_.messages_of<msg::FindNodeResponse>(link);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].request_id, 12u);
}

TEST_F(DhtTest, HandlePeerConnectedTwiceAttachesOnceWhenFixed) {
  Start(FaultSet{});
  const LinkId link = Inbound(a_);
  dht().handle_peer_connected(a_);
  dht().handle_peer_connected(a_);
  EXPECT_EQ(env_.log_count("dht_handler_attached"), 1u);
  member_->on_frame(link, FindNode(3, kTarget));
  EXPECT_EQ(env_.messages_of<msg::FindNodeResponse>(link).size(), 1u);
}

// A peer node for a peer with no link yet: nothing to attach to, no crash,
// and the node is remembered.
TEST_F(DhtTest, GetOrCreatePeerNodeWithoutLink) {
  Start(FaultSet{});
  dht().get_or_create_peer_node(c_);
  EXPECT_TRUE(dht().has_peer_node(kC));
  EXPECT_EQ(env_.log_count("dht_handler_attached"), 0u);
}

// (e) Timeouts: 10 s to a connected peer, 3 s to one with no link.
TEST_F(DhtTest, FindNodeToConnectedPeerTimesOutAfterTenSeconds) {
  Start(FaultSet{});
  const LinkId link = Inbound(a_);
  EXPECT_EQ(dht().find_node_timeout(kA), 10 * kSecond);

  std::optional<LookupResult> result;
  env_.sent.clear();
  dht().find_node(kTarget, [&](const LookupResult& r) { result = r; });
  ASSERT_EQ(env_.messages_of<msg::FindNode>(link).size(), 1u);
  EXPECT_EQ(env_.sent_of<msg::FindNode>(link)[0].target, kTarget);

  env_.advance(10 * kSecond - 1);
  EXPECT_FALSE(result.has_value());
  EXPECT_EQ(dht().find_node_timeouts(), 0u);
  env_.advance(1);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->timed_out());
  EXPECT_EQ(result->queried, 1u);
  EXPECT_EQ(result->duration, 10 * kSecond);
  EXPECT_EQ(dht().find_node_timeouts(), 1u);
  EXPECT_EQ(Sample(env_.metrics(), "yz_find_node_timeouts_total"), 1.0);
  EXPECT_EQ(member_->status().find_node_timeouts, 1u);
}

TEST_F(DhtTest, FindNodeToUnconnectedPeerTimesOutAfterThreeSeconds) {
  Start(FaultSet{});
  EXPECT_EQ(dht().find_node_timeout(kC), 3 * kSecond);

  std::optional<LookupResult> result;
  dht().find_node(kTarget, [&](const LookupResult& r) { result = r; }, {c_});
  EXPECT_EQ(env_.dials.back().address, "c:7000");

  env_.advance(3 * kSecond - 1);
  EXPECT_FALSE(result.has_value());
  env_.advance(1);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->timed_out());
  EXPECT_EQ(dht().find_node_timeouts(), 1u);
  EXPECT_EQ(Sample(env_.metrics(), "yz_find_node_timeouts_total"), 1.0);
}

TEST_F(DhtTest, FindNodeCompletesOnAnswer) {
  Start(FaultSet{});
  const LinkId link = Inbound(a_);
  std::optional<LookupResult> result;
  dht().find_node(kTarget, [&](const LookupResult& r) { result = r; });
  const std::uint64_t id = RequestIdOn<msg::FindNode>(link);

  env_.advance(2 * kMillisecond);
  Message answer(msg::FindNodeResponse{}, id);
  member_->on_frame(link, std::move(answer));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->timed_out());
  EXPECT_EQ(Ids(result->closest), std::vector<NodeId>{kA});
  EXPECT_EQ(result->duration, 2 * kMillisecond);
  EXPECT_EQ(Sample(env_.metrics(), "yz_find_node_duration_seconds_count"), 1.0);

  // The timer was cancelled with the request.
  env_.advance(20 * kSecond);
  EXPECT_EQ(dht().find_node_timeouts(), 0u);
  EXPECT_EQ(Sample(env_.metrics(), "yz_find_node_timeouts_total"), 0.0);
}

// The incident from the asking side: the peer answers, the answer arrives
// on a link with no listener, and the lookup ends in "findNode timeout".
TEST_F(DhtTest, EarlyReturnRaceTurnsAnswerIntoTimeout) {
  Start(Faults({Fault::kEarlyReturnRace}));
  const LinkId link = Inbound(a_);
  std::optional<LookupResult> result;
  dht().find_node(kTarget, [&](const LookupResult& r) { result = r; });
  const std::uint64_t id = RequestIdOn<msg::FindNode>(link);

  member_->on_frame(link, Message(msg::FindNodeResponse{}, id));
  EXPECT_FALSE(result.has_value());
  EXPECT_EQ(Sample(env_.metrics(), kNoHandler), 1.0);
  env_.advance(10 * kSecond);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->timed_out());
  EXPECT_EQ(dht().find_node_timeouts(), 1u);
}

// A closed link fails its requests at once instead of waiting out the timer,
// and that is not counted as a timeout.
TEST_F(DhtTest, RequestFailsFastWhenLinkCloses) {
  Start(FaultSet{});
  const LinkId link = Inbound(a_);
  std::optional<LookupResult> result;
  dht().find_node(kTarget, [&](const LookupResult& r) { result = r; });
  member_->on_link_closed(link, "remote closed");
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->failed, 1u);
  EXPECT_TRUE(result->timed_out());
  EXPECT_EQ(dht().find_node_timeouts(), 0u);
  EXPECT_FALSE(member_->routing_table().contains(kA));
}

// A response is matched by request id and by the peer asked.
TEST_F(DhtTest, ResponseFromAnotherPeerIsLate) {
  Start(FaultSet{});
  const LinkId link_a = Inbound(a_);
  const LinkId link_c = Inbound(c_);
  std::optional<LookupResult> result;
  dht().find_node(kA, [&](const LookupResult& r) { result = r; });
  // kA is asked first: it is the closest to itself.
  const std::uint64_t id = RequestIdOn<msg::FindNode>(link_a);

  member_->on_frame(link_c, Message(msg::FindNodeResponse{}, id));
  EXPECT_EQ(Sample(env_.metrics(), R"(yz_dht_messages_dropped_total{reason="late_response"})"),
            1.0);
  EXPECT_FALSE(result.has_value());
}

// (f) Answers never name the requester itself, nor a bridge.
TEST_F(DhtTest, FindNodeAnswerExcludesRequesterAndBridges) {
  Start(FaultSet{});
  const LinkId link_a = Inbound(a_);
  Inbound(Peer(kB, "bridge", Role::kBridge));
  const LinkId link_c = Inbound(c_);
  ASSERT_EQ(member_->routing_table().size(), 3u);

  member_->on_frame(link_a, FindNode(1, kA));
  auto responses = env_.messages_of<msg::FindNodeResponse>(link_a);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(Ids(BodyOf<msg::FindNodeResponse>(responses[0]).nodes), std::vector<NodeId>{kC});

  member_->on_frame(link_c, FindNode(2, kB));
  responses = env_.messages_of<msg::FindNodeResponse>(link_c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(Ids(BodyOf<msg::FindNodeResponse>(responses[0]).nodes), std::vector<NodeId>{kA});
}

// Bridges are never asked in a lookup either.
TEST_F(DhtTest, LookupSkipsBridges) {
  Start(FaultSet{});
  const LinkId bridge = Inbound(Peer(kB, "bridge", Role::kBridge));
  std::optional<LookupResult> result;
  dht().find_node(kB, [&](const LookupResult& r) { result = r; });
  EXPECT_TRUE(env_.messages_of<msg::FindNode>(bridge).empty());
  ASSERT_TRUE(result.has_value());  // nobody to ask: done at once
  EXPECT_EQ(result->queried, 0u);
}

// A request queued on our dial that loses to the peer's own dial goes out on
// the link that stays, once: a second copy draws a second answer, which
// then shows up as a late_response drop.
TEST_F(DhtTest, RequestQueuedOnLosingDuplicateIsSentOnce) {
  Start(FaultSet{});
  std::optional<LookupResult> result;
  dht().find_node(kTarget, [&](const LookupResult& r) { result = r; }, {a_});
  const LinkId dialled = env_.dials.back().link;
  ASSERT_EQ(member_->links().manager(dialled)->pending_frames(), 1u);

  const LinkId inbound = Inbound(a_);  // kA < kSelf: this link wins
  member_->on_link_opened(dialled);
  member_->on_frame(dialled, Connected(a_));
  ASSERT_TRUE(env_.was_closed(dialled));
  ASSERT_EQ(member_->links().current(kA)->link(), inbound);

  const auto requests = env_.messages_of<msg::FindNode>(inbound);
  ASSERT_EQ(requests.size(), 1u) << "the request must be resent once, by Dht::on_link_gone";
  member_->on_frame(inbound, Message(msg::FindNodeResponse{}, requests[0].request_id));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->timed_out());
}

// stop() closes every link, and the process acts on nothing after it. Here a
// lookup is mid-flight when the member stops: closing the links fails its
// requests, which must not make the lookup dial the next candidate.
TEST_F(DhtTest, StopDialsNothingAndLeavesNoLinkOpen) {
  Start(FaultSet{});
  Inbound(a_);
  Inbound(b_);
  Inbound(c_);
  // Farther from kTarget than a, b and c, so it waits while they are asked.
  const PeerInfo far = Peer(*NodeId::from_hex("7000000000000000000000000000000000000000"), "far");
  dht().find_node(kTarget, [](const LookupResult&) {}, {far});
  ASSERT_EQ(env_.sent_of<msg::FindNode>().size(), 3u);
  const std::size_t dials_before = env_.dials.size();

  member_->stop();
  env_.advance(60 * kSecond);

  EXPECT_EQ(env_.dials.size(), dials_before) << "the lookup dialled after stop()";
  for (const auto& dial : env_.dials) EXPECT_TRUE(env_.was_closed(dial.link)) << dial.address;
}

// (g) replacement_cache_no_callback: with k = 1 the second peer of a bucket
// goes to the replacement cache. Without its callback the Dht never hears of
// it, and its link has no listener. yz_peers_missing_handler counts it at
// once, while the peer is still in the replacement cache: every established
// link's listener is checked, whatever table the peer sits in (issue 14; it
// used to count routing-table peers only, and showed the gap only once the
// peer was promoted).
TEST_F(DhtTest, ReplacementCacheNoCallbackLeavesLinkWithoutListener) {
  Start(Faults({Fault::kReplacementCacheNoCallback}), /*k=*/1);
  const LinkId link_a = Inbound(a_);
  const LinkId link_b = Inbound(b_);
  EXPECT_TRUE(Served(link_a));
  EXPECT_TRUE(member_->routing_table().contains(kA));
  EXPECT_FALSE(member_->routing_table().contains(kB));
  EXPECT_EQ(member_->routing_table().replacement_count(), 1u);
  EXPECT_FALSE(Served(link_b));
  EXPECT_EQ(member_->links().unserved(), std::set<NodeId>{kB});
  EXPECT_EQ(dht().peers_missing_handler(), 1u);
  EXPECT_EQ(member_->peers_missing_handler(), 1u);
  EXPECT_EQ(member_->status().state, JoinState::kDegraded);
  EXPECT_EQ(Sample(env_.metrics(), "yz_peers_missing_handler"), 1.0);

  env_.sent.clear();
  member_->on_frame(link_b, FindNode(5, kTarget));
  EXPECT_TRUE(env_.sent.empty());
  EXPECT_EQ(Sample(env_.metrics(), kNoHandler), 1.0);

  member_->on_link_closed(link_a, "remote closed");
  EXPECT_TRUE(member_->routing_table().contains(kB));  // promoted
  EXPECT_EQ(dht().peers_missing_handler(), 1u);
  EXPECT_EQ(Sample(env_.metrics(), "yz_peers_missing_handler"), 1.0);
}

TEST_F(DhtTest, ReplacementCachePeerServedWhenFixed) {
  Start(FaultSet{}, /*k=*/1);
  const LinkId link_a = Inbound(a_);
  const LinkId link_b = Inbound(b_);
  EXPECT_FALSE(member_->routing_table().contains(kB));
  EXPECT_EQ(member_->routing_table().replacement_count(), 1u);
  EXPECT_TRUE(Served(link_b));
  EXPECT_TRUE(member_->links().unserved().empty());

  member_->on_link_closed(link_a, "remote closed");
  EXPECT_TRUE(member_->routing_table().contains(kB));
  EXPECT_EQ(dht().peers_missing_handler(), 0u);

  member_->on_frame(link_b, FindNode(5, kTarget));
  EXPECT_EQ(env_.messages_of<msg::FindNodeResponse>(link_b).size(), 1u);
}

}  // namespace
}  // namespace yz::core
