#include "roles/core/routing_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace yz::core {
namespace {

using Placement = RoutingTable::Placement;

const NodeId kSelf = *NodeId::from_hex("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");

NodeId OnlyBit(int bit) {
  NodeId::Bytes bytes{};
  bytes[NodeId::kBytes - 1 - bit / 8] = static_cast<std::uint8_t>(1u << (bit % 8));
  return NodeId(bytes);
}

// Distinct peers that all fall in bucket 159 of kSelf: they differ from self
// in the top bit, and from each other in bit `i`.
NodeId TopBucketPeer(int i) { return kSelf ^ OnlyBit(159) ^ OnlyBit(i); }

PeerInfo Peer(const NodeId& id, std::string name = "") {
  PeerInfo p;
  p.node_id = id;
  p.metadata.role = Role::kNode;
  p.metadata.address = "10.0.0.1:" + id.short_hex();
  p.metadata.name = std::move(name);
  return p;
}

std::vector<NodeId> Ids(const std::vector<PeerInfo>& peers) {
  std::vector<NodeId> ids;
  for (const auto& p : peers) ids.push_back(p.node_id);
  return ids;
}

// A random id at a random distance from `center`: the top `rng() % 161` bits
// of the distance are cleared, so ids spread over every bucket rather than
// piling into the top few as uniformly random ids would.
NodeId RandomIdNear(const NodeId& center, std::mt19937_64& rng) {
  NodeId::Bytes d = NodeId::from_words(rng(), rng(), rng()).bytes();
  const int cleared = static_cast<int>(rng() % (NodeId::kBits + 1));
  for (int bit = 0; bit < cleared; ++bit) {
    d[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  return center ^ NodeId(d);
}

std::vector<NodeId> BruteForceClosest(const std::vector<NodeId>& ids, const NodeId& target,
                                      std::size_t count) {
  std::vector<std::pair<NodeId, NodeId>> by_distance;  // (distance, id)
  for (const NodeId& id : ids) by_distance.emplace_back(id ^ target, id);
  std::sort(by_distance.begin(), by_distance.end());
  std::vector<NodeId> out;
  for (std::size_t i = 0; i < by_distance.size() && i < count; ++i) {
    out.push_back(by_distance[i].second);
  }
  return out;
}

TEST(RoutingTableTest, StartsEmpty) {
  RoutingTable table(kSelf, 20);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.replacement_count(), 0u);
  EXPECT_EQ(table.k(), 20u);
  EXPECT_EQ(table.self(), kSelf);
  EXPECT_TRUE(table.all().empty());
  EXPECT_TRUE(table.closest(kSelf, 5).empty());
  for (int i = 0; i < NodeId::kBits; ++i) EXPECT_EQ(table.bucket_size(i), 0u);
}

TEST(RoutingTableTest, AddsNewPeer) {
  RoutingTable table(kSelf, 20);
  const PeerInfo peer = Peer(kSelf ^ OnlyBit(42), "alice");
  EXPECT_EQ(table.handle_peer_connected(peer), Placement::kAdded);
  EXPECT_TRUE(table.contains(peer.node_id));
  const auto got = table.get(peer.node_id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->node_id, peer.node_id);
  EXPECT_EQ(got->metadata.name, "alice");
  EXPECT_EQ(got->metadata.address, peer.metadata.address);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.bucket_size(42), 1u);
  EXPECT_EQ(table.bucket_size(41), 0u);
  EXPECT_FALSE(table.contains(kSelf ^ OnlyBit(41)));
  EXPECT_FALSE(table.get(kSelf ^ OnlyBit(41)).has_value());
}

TEST(RoutingTableTest, CallbackFiresAfterEntryExists) {
  RoutingTable table(kSelf, 20);
  const PeerInfo peer = Peer(kSelf ^ OnlyBit(10), "bob");
  int calls = 0;
  table.set_on_node_added([&](const PeerInfo& added, Placement placement) {
    ++calls;
    // The incident depends on this order: the DHT's handler already finds the
    // peer in the table when it is told about it.
    EXPECT_TRUE(table.contains(added.node_id));
    EXPECT_TRUE(table.get(added.node_id).has_value());
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(added.node_id, peer.node_id);
    EXPECT_EQ(added.metadata.name, "bob");
    EXPECT_EQ(placement, Placement::kAdded);
  });
  EXPECT_EQ(table.handle_peer_connected(peer), Placement::kAdded);
  EXPECT_EQ(calls, 1);
}

TEST(RoutingTableTest, CallbackSeesRefreshedMetadata) {
  RoutingTable table(kSelf, 20);
  const NodeId id = kSelf ^ OnlyBit(10);
  table.handle_peer_connected(Peer(id, "old"));
  std::vector<Placement> placements;
  table.set_on_node_added([&](const PeerInfo& added, Placement placement) {
    placements.push_back(placement);
    EXPECT_EQ(table.get(added.node_id)->metadata.name, "new");
  });
  EXPECT_EQ(table.handle_peer_connected(Peer(id, "new")), Placement::kUpdated);
  EXPECT_EQ(placements, std::vector<Placement>{Placement::kUpdated});
}

TEST(RoutingTableTest, RefreshMovesToMostRecentlySeen) {
  RoutingTable table(kSelf, 20);
  const PeerInfo a = Peer(TopBucketPeer(0), "a");
  const PeerInfo b = Peer(TopBucketPeer(1), "b");
  const PeerInfo c = Peer(TopBucketPeer(2), "c");
  table.handle_peer_connected(a);
  table.handle_peer_connected(b);
  table.handle_peer_connected(c);
  ASSERT_EQ(Ids(table.all()), (std::vector<NodeId>{a.node_id, b.node_id, c.node_id}));

  PeerInfo a2 = a;
  a2.metadata.name = "a2";
  a2.metadata.protocol_version = 7;
  EXPECT_EQ(table.handle_peer_connected(a2), Placement::kUpdated);
  EXPECT_EQ(Ids(table.all()), (std::vector<NodeId>{b.node_id, c.node_id, a.node_id}));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.bucket_size(159), 3u);
  EXPECT_EQ(table.get(a.node_id)->metadata.name, "a2");
  EXPECT_EQ(table.get(a.node_id)->metadata.protocol_version, 7u);
}

TEST(RoutingTableTest, FullBucketSendsPeerToReplacementCache) {
  RoutingTable table(kSelf, 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(table.handle_peer_connected(Peer(TopBucketPeer(i))), Placement::kAdded);
  }
  const PeerInfo extra = Peer(TopBucketPeer(3));
  EXPECT_EQ(table.handle_peer_connected(extra), Placement::kReplacementCache);
  EXPECT_FALSE(table.contains(extra.node_id));
  EXPECT_FALSE(table.get(extra.node_id).has_value());
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.bucket_size(159), 3u);
  EXPECT_EQ(table.replacement_count(), 1u);
  EXPECT_EQ(table.all().size(), 3u);
  // Replacements are not routing entries, not even for their own id.
  for (const auto& p : table.closest(extra.node_id, 10)) EXPECT_NE(p.node_id, extra.node_id);

  // Seeing it again keeps it in the cache without duplicating it.
  EXPECT_EQ(table.handle_peer_connected(extra), Placement::kReplacementCache);
  EXPECT_EQ(table.replacement_count(), 1u);

  // Other buckets are unaffected by a full one.
  EXPECT_EQ(table.handle_peer_connected(Peer(kSelf ^ OnlyBit(5))), Placement::kAdded);
  EXPECT_EQ(table.size(), 4u);
}

TEST(RoutingTableTest, ReplacementCacheCappedAtK) {
  RoutingTable table(kSelf, 3);
  for (int i = 0; i < 3; ++i) table.handle_peer_connected(Peer(TopBucketPeer(i)));
  for (int i = 3; i < 8; ++i) {
    EXPECT_EQ(table.handle_peer_connected(Peer(TopBucketPeer(i))), Placement::kReplacementCache);
  }
  EXPECT_EQ(table.replacement_count(), 3u);

  // The cache kept the three most recent (5, 6, 7) and dropped 3 and 4; each
  // removal promotes the most recent one left.
  std::vector<NodeId> promoted;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(table.remove(TopBucketPeer(i)));
    promoted.push_back(table.all().back().node_id);
  }
  EXPECT_EQ(promoted, (std::vector<NodeId>{TopBucketPeer(7), TopBucketPeer(6), TopBucketPeer(5)}));
  EXPECT_EQ(table.replacement_count(), 0u);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_FALSE(table.contains(TopBucketPeer(3)));
  EXPECT_FALSE(table.contains(TopBucketPeer(4)));
}

TEST(RoutingTableTest, ReplacementSeenAgainBecomesMostRecent) {
  RoutingTable table(kSelf, 3);
  for (int i = 0; i < 3; ++i) table.handle_peer_connected(Peer(TopBucketPeer(i)));
  table.handle_peer_connected(Peer(TopBucketPeer(10), "r10"));
  table.handle_peer_connected(Peer(TopBucketPeer(11), "r11"));
  table.handle_peer_connected(Peer(TopBucketPeer(12), "r12"));
  // Cache order is now 10, 11, 12; seeing 10 again makes it 11, 12, 10.
  EXPECT_EQ(table.handle_peer_connected(Peer(TopBucketPeer(10), "r10-again")),
            Placement::kReplacementCache);
  EXPECT_EQ(table.replacement_count(), 3u);
  // A fourth replacement evicts the oldest, which is now 11.
  table.handle_peer_connected(Peer(TopBucketPeer(13), "r13"));
  EXPECT_EQ(table.replacement_count(), 3u);

  std::vector<std::string> promoted;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(table.remove(TopBucketPeer(i)));
    promoted.push_back(table.all().back().metadata.name);
  }
  EXPECT_EQ(promoted, (std::vector<std::string>{"r13", "r10-again", "r12"}));
  EXPECT_FALSE(table.contains(TopBucketPeer(11)));
}

TEST(RoutingTableTest, RemovePromotesMostRecentReplacementToBack) {
  RoutingTable table(kSelf, 3);
  for (int i = 0; i < 3; ++i) table.handle_peer_connected(Peer(TopBucketPeer(i)));
  table.handle_peer_connected(Peer(TopBucketPeer(20)));
  table.handle_peer_connected(Peer(TopBucketPeer(21)));

  EXPECT_TRUE(table.remove(TopBucketPeer(1)));
  EXPECT_FALSE(table.contains(TopBucketPeer(1)));
  EXPECT_TRUE(table.contains(TopBucketPeer(21)));
  EXPECT_FALSE(table.contains(TopBucketPeer(20)));
  // The promoted peer is the most recently seen entry of the bucket.
  EXPECT_EQ(Ids(table.all()),
            (std::vector<NodeId>{TopBucketPeer(0), TopBucketPeer(2), TopBucketPeer(21)}));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.bucket_size(159), 3u);
  EXPECT_EQ(table.replacement_count(), 1u);
}

TEST(RoutingTableTest, RemoveWithoutReplacementsShrinksBucket) {
  RoutingTable table(kSelf, 3);
  table.handle_peer_connected(Peer(TopBucketPeer(0)));
  table.handle_peer_connected(Peer(TopBucketPeer(1)));
  EXPECT_TRUE(table.remove(TopBucketPeer(0)));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.bucket_size(159), 1u);
  EXPECT_FALSE(table.remove(TopBucketPeer(0)));  // already gone
  EXPECT_EQ(table.size(), 1u);
  // The freed slot takes a new peer directly.
  EXPECT_EQ(table.handle_peer_connected(Peer(TopBucketPeer(0))), Placement::kAdded);
  EXPECT_EQ(table.size(), 2u);
}

TEST(RoutingTableTest, RemoveFromReplacementCacheReturnsFalse) {
  RoutingTable table(kSelf, 3);
  for (int i = 0; i < 3; ++i) table.handle_peer_connected(Peer(TopBucketPeer(i)));
  table.handle_peer_connected(Peer(TopBucketPeer(30)));
  table.handle_peer_connected(Peer(TopBucketPeer(31)));
  EXPECT_FALSE(table.remove(TopBucketPeer(31)));
  EXPECT_EQ(table.replacement_count(), 1u);
  EXPECT_EQ(table.size(), 3u);
  // The removed replacement is no longer a candidate for promotion.
  EXPECT_TRUE(table.remove(TopBucketPeer(0)));
  EXPECT_TRUE(table.contains(TopBucketPeer(30)));
  EXPECT_FALSE(table.contains(TopBucketPeer(31)));
  EXPECT_EQ(table.replacement_count(), 0u);
}

TEST(RoutingTableTest, RemoveUnknownOrSelfReturnsFalse) {
  RoutingTable table(kSelf, 3);
  table.handle_peer_connected(Peer(TopBucketPeer(0)));
  EXPECT_FALSE(table.remove(TopBucketPeer(1)));
  EXPECT_FALSE(table.remove(kSelf));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(table.contains(TopBucketPeer(0)));
}

TEST(RoutingTableTest, CallbackFiresForReplacementByDefault) {
  RoutingTable table(kSelf, 2);
  std::vector<std::pair<NodeId, Placement>> calls;
  table.set_on_node_added(
      [&](const PeerInfo& p, Placement placement) { calls.emplace_back(p.node_id, placement); });
  table.handle_peer_connected(Peer(TopBucketPeer(0)));
  table.handle_peer_connected(Peer(TopBucketPeer(1)));
  EXPECT_EQ(table.handle_peer_connected(Peer(TopBucketPeer(2))), Placement::kReplacementCache);
  const std::vector<std::pair<NodeId, Placement>> want = {
      {TopBucketPeer(0), Placement::kAdded},
      {TopBucketPeer(1), Placement::kAdded},
      {TopBucketPeer(2), Placement::kReplacementCache},
  };
  EXPECT_EQ(calls, want);
}

TEST(RoutingTableTest, SkipCallbackForReplacementOnlySkipsReplacements) {
  RoutingTable table(kSelf, 2);
  table.set_skip_callback_for_replacement(true);
  std::vector<std::pair<NodeId, Placement>> calls;
  table.set_on_node_added(
      [&](const PeerInfo& p, Placement placement) { calls.emplace_back(p.node_id, placement); });
  table.handle_peer_connected(Peer(TopBucketPeer(0)));
  table.handle_peer_connected(Peer(TopBucketPeer(1)));
  EXPECT_EQ(table.handle_peer_connected(Peer(TopBucketPeer(2))), Placement::kReplacementCache);
  EXPECT_EQ(table.handle_peer_connected(Peer(TopBucketPeer(2))), Placement::kReplacementCache);
  EXPECT_EQ(table.handle_peer_connected(Peer(TopBucketPeer(0))), Placement::kUpdated);
  // Still recorded in the cache even though nobody was told.
  EXPECT_EQ(table.replacement_count(), 1u);
  const std::vector<std::pair<NodeId, Placement>> want = {
      {TopBucketPeer(0), Placement::kAdded},
      {TopBucketPeer(1), Placement::kAdded},
      {TopBucketPeer(0), Placement::kUpdated},
  };
  EXPECT_EQ(calls, want);

  // Turning the fault off restores the callback.
  table.set_skip_callback_for_replacement(false);
  table.handle_peer_connected(Peer(TopBucketPeer(3)));
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls.back(), std::make_pair(TopBucketPeer(3), Placement::kReplacementCache));
}

TEST(RoutingTableTest, SelfIsIgnored) {
  RoutingTable table(kSelf, 3);
  int calls = 0;
  table.set_on_node_added([&](const PeerInfo&, Placement) { ++calls; });
  EXPECT_EQ(table.handle_peer_connected(Peer(kSelf)), Placement::kUpdated);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.replacement_count(), 0u);
  EXPECT_FALSE(table.contains(kSelf));
  EXPECT_FALSE(table.get(kSelf).has_value());
  EXPECT_TRUE(table.all().empty());
}

TEST(RoutingTableTest, SizesAcrossBuckets) {
  RoutingTable table(kSelf, 2);
  table.handle_peer_connected(Peer(kSelf ^ OnlyBit(0)));
  table.handle_peer_connected(Peer(kSelf ^ OnlyBit(3)));
  table.handle_peer_connected(Peer(kSelf ^ OnlyBit(3) ^ OnlyBit(1)));
  table.handle_peer_connected(Peer(kSelf ^ OnlyBit(3) ^ OnlyBit(2)));  // bucket 3 full
  table.handle_peer_connected(Peer(kSelf ^ OnlyBit(100)));
  table.handle_peer_connected(Peer(kSelf ^ OnlyBit(159)));
  EXPECT_EQ(table.size(), 5u);
  EXPECT_EQ(table.replacement_count(), 1u);
  EXPECT_EQ(table.bucket_size(0), 1u);
  EXPECT_EQ(table.bucket_size(1), 0u);
  EXPECT_EQ(table.bucket_size(3), 2u);
  EXPECT_EQ(table.bucket_size(100), 1u);
  EXPECT_EQ(table.bucket_size(159), 1u);
  EXPECT_EQ(table.bucket_size(-1), 0u);
  EXPECT_EQ(table.bucket_size(160), 0u);
}

TEST(RoutingTableTest, AllOrdersByBucketThenLeastRecentlySeen) {
  RoutingTable table(kSelf, 5);
  const NodeId b100_a = kSelf ^ OnlyBit(100);
  const NodeId b100_b = kSelf ^ OnlyBit(100) ^ OnlyBit(1);
  const NodeId b7 = kSelf ^ OnlyBit(7);
  const NodeId b159 = kSelf ^ OnlyBit(159);
  table.handle_peer_connected(Peer(b159));
  table.handle_peer_connected(Peer(b100_a));
  table.handle_peer_connected(Peer(b100_b));
  table.handle_peer_connected(Peer(b7));
  table.handle_peer_connected(Peer(b100_a));  // refresh
  EXPECT_EQ(Ids(table.all()), (std::vector<NodeId>{b7, b100_b, b100_a, b159}));
}

TEST(RoutingTableTest, ClosestMatchesBruteForce) {
  std::mt19937_64 rng(20240517);
  const NodeId self = NodeId::from_words(rng(), rng(), rng());
  // k = 20 drops many of the 1,000 into replacement caches; the large k keeps
  // them all. Both must agree with a sort over the actual bucket entries.
  for (const std::size_t k : {std::size_t{20}, std::size_t{1000}}) {
    RoutingTable table(self, k);
    for (int i = 0; i < 1000; ++i) {
      // Half uniformly random (top buckets), half near self (all buckets).
      const NodeId id =
          (i % 2 == 0) ? NodeId::from_words(rng(), rng(), rng()) : RandomIdNear(self, rng);
      table.handle_peer_connected(Peer(id));
    }
    const std::vector<NodeId> entries = Ids(table.all());
    ASSERT_EQ(entries.size(), table.size());
    if (k == 1000) {
      EXPECT_GT(table.size(), 990u);  // nearly all kept (collisions with self are ~impossible)
    } else {
      EXPECT_GT(table.replacement_count(), 0u);
    }

    std::vector<NodeId> targets = {self, entries.front(), entries.back(), NodeId(),
                                   *NodeId::from_hex(std::string(40, 'f'))};
    for (int i = 0; i < 100; ++i) {
      targets.push_back(i % 2 == 0 ? NodeId::from_words(rng(), rng(), rng())
                                   : RandomIdNear(self, rng));
    }
    for (const NodeId& target : targets) {
      const std::vector<NodeId> sorted = BruteForceClosest(entries, target, entries.size());
      for (const std::size_t count :
           {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{20}, std::size_t{57},
            entries.size(), entries.size() + 5}) {
        const auto got = Ids(table.closest(target, count));
        const std::vector<NodeId> want(
            sorted.begin(),
            sorted.begin() + static_cast<std::ptrdiff_t>(std::min(count, sorted.size())));
        ASSERT_EQ(got, want) << "k=" << k << " target=" << target.to_hex() << " count=" << count;
      }
    }
  }
}

TEST(RoutingTableTest, ClosestReturnsFullPeerInfo) {
  RoutingTable table(kSelf, 20);
  table.handle_peer_connected(Peer(kSelf ^ OnlyBit(4), "near"));
  table.handle_peer_connected(Peer(kSelf ^ OnlyBit(90), "far"));
  const auto got = table.closest(kSelf, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].metadata.name, "near");
  EXPECT_EQ(got[1].metadata.name, "far");
  EXPECT_EQ(got[0].metadata.role, Role::kNode);
}

TEST(RoutingTableTest, ClosestHonoursExclude) {
  std::mt19937_64 rng(99);
  RoutingTable table(kSelf, 20);
  for (int i = 0; i < 1000; ++i) table.handle_peer_connected(Peer(RandomIdNear(kSelf, rng)));
  const std::vector<NodeId> entries = Ids(table.all());

  // Exclude a deterministic pseudo-random half of the entries.
  std::set<NodeId> excluded;
  std::vector<NodeId> allowed;
  for (const NodeId& id : entries) {
    if (rng() % 2 == 0) {
      excluded.insert(id);
    } else {
      allowed.push_back(id);
    }
  }
  ASSERT_FALSE(excluded.empty());
  ASSERT_FALSE(allowed.empty());
  const auto exclude = [&](const PeerInfo& p) { return excluded.count(p.node_id) > 0; };

  for (int i = 0; i < 50; ++i) {
    const NodeId target = RandomIdNear(kSelf, rng);
    for (const std::size_t count :
         {std::size_t{1}, std::size_t{8}, std::size_t{20}, entries.size()}) {
      const auto got = Ids(table.closest(target, count, exclude));
      for (const NodeId& id : got) EXPECT_EQ(excluded.count(id), 0u);
      ASSERT_EQ(got, BruteForceClosest(allowed, target, count));
    }
  }

  // Excluding everything leaves nothing.
  EXPECT_TRUE(table.closest(kSelf, 20, [](const PeerInfo&) { return true; }).empty());
  // An empty filter excludes nothing.
  EXPECT_EQ(table.closest(kSelf, entries.size(), {}).size(), entries.size());
}

}  // namespace
}  // namespace yz::core
