#include "roles/core/peer_pool.h"

#include <gtest/gtest.h>

#include <string>

#include "roles/core/routing_table.h"

namespace yz::core {
namespace {

PeerInfo Peer(const std::string& hex, const std::string& address) {
  PeerInfo peer;
  peer.node_id = *NodeId::from_hex(hex);
  peer.metadata.role = Role::kNode;
  peer.metadata.address = address;
  peer.metadata.protocol_version = 1;
  peer.metadata.build_id = "a build id long enough to live on the heap";
  peer.metadata.name = address;
  return peer;
}

const std::string kA = "1111111111111111111111111111111111111111";
const std::string kB = "2222222222222222222222222222222222222222";

TEST(PeerPool, EqualPeersShareOneCopy) {
  const std::size_t before = interned_peer_count();
  const SharedPeer first = intern_peer(Peer(kA, "node-a"));
  const SharedPeer second = intern_peer(Peer(kA, "node-a"));
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(interned_peer_count(), before + 1);
  EXPECT_EQ(first->metadata.address, "node-a");
}

TEST(PeerPool, DifferentMetadataOrIdIsAnotherEntry) {
  const SharedPeer a = intern_peer(Peer(kA, "node-a"));
  // Same id, other metadata (a restart elsewhere, or a peer claiming the
  // id): a second entry, and the first is untouched.
  const SharedPeer moved = intern_peer(Peer(kA, "node-a-moved"));
  const SharedPeer b = intern_peer(Peer(kB, "node-a"));
  EXPECT_NE(a.get(), moved.get());
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(a->metadata.address, "node-a");
  EXPECT_EQ(moved->metadata.address, "node-a-moved");
}

TEST(PeerPool, TheLastHolderFreesTheEntry) {
  const std::size_t before = interned_peer_count();
  {
    const SharedPeer a = intern_peer(Peer(kB, "node-b"));
    const SharedPeer again = intern_peer(Peer(kB, "node-b"));
    EXPECT_EQ(interned_peer_count(), before + 1);
  }
  EXPECT_EQ(interned_peer_count(), before);
  // And a fresh intern after that works as the first did.
  const SharedPeer b = intern_peer(Peer(kB, "node-b"));
  EXPECT_EQ(interned_peer_count(), before + 1);
}

TEST(PeerPool, RoutingTableEntriesShareThePeer) {
  const NodeId self = *NodeId::from_hex("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
  const std::size_t before = interned_peer_count();
  RoutingTable first(self, 20);
  RoutingTable second(self, 20);
  first.handle_peer_connected(Peer(kA, "node-a"));
  second.handle_peer_connected(Peer(kA, "node-a"));
  // Two tables (two processes in the simulator), one copy of the peer.
  EXPECT_EQ(interned_peer_count(), before + 1);
  EXPECT_EQ(first.get(*NodeId::from_hex(kA))->metadata.name, "node-a");
  first.remove(*NodeId::from_hex(kA));
  EXPECT_EQ(interned_peer_count(), before + 1);
  second.remove(*NodeId::from_hex(kA));
  EXPECT_EQ(interned_peer_count(), before);
}

}  // namespace
}  // namespace yz::core
