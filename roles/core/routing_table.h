#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include "roles/core/frame.h"
#include "roles/core/node_id.h"
#include "roles/core/peer_pool.h"

namespace yz::core {

// Kademlia routing table: 160 k-buckets around `self`, each holding up to k
// peers in least-recently-seen order, plus a replacement cache of up to k
// peers per bucket that did not fit. Entries are peers with an open link:
// the table is told when a link's handshake completes and when it closes.
class RoutingTable {
 public:
  enum class Placement { kAdded, kUpdated, kReplacementCache };

  // Fired by handle_peer_connected once the table has recorded the peer
  // (the incident's order: the entry exists before the callback runs).
  using NodeAddedCallback = std::function<void(const PeerInfo& peer, Placement placement)>;

  RoutingTable(NodeId self, std::size_t k);

  void set_on_node_added(NodeAddedCallback callback) { on_node_added_ = std::move(callback); }

  // When set, a peer sent to the replacement cache does not fire on_node_added
  // (fault replacement_cache_no_callback). Off by default.
  void set_skip_callback_for_replacement(bool skip) { skip_callback_for_replacement_ = skip; }

  // A link to `peer` completed its handshake. Adds the peer (or refreshes it
  // to most-recently-seen), or puts it in the bucket's replacement cache when
  // the bucket is full; then fires on_node_added. Ignores `self`.
  Placement handle_peer_connected(const PeerInfo& peer);

  // The peer's link closed: removes it from its bucket (promoting the most
  // recently seen replacement, if any) or from the replacement cache.
  // Returns true when the peer was in a bucket.
  bool remove(const NodeId& peer);

  bool contains(const NodeId& peer) const;
  std::optional<PeerInfo> get(const NodeId& peer) const;

  // Up to `count` bucket entries closest to `target` by XOR, closest first,
  // skipping those for which `exclude` returns true.
  std::vector<PeerInfo> closest(const NodeId& target, std::size_t count,
                                const std::function<bool(const PeerInfo&)>& exclude = {}) const;

  // Every bucket entry, ordered by bucket index then least-recently-seen.
  std::vector<PeerInfo> all() const;

  // Entries in buckets (not counting replacement caches).
  std::size_t size() const { return size_; }
  std::size_t replacement_count() const;
  std::size_t bucket_size(int index) const;
  const NodeId& self() const { return self_; }
  std::size_t k() const { return k_; }

 private:
  // The id beside the shared peer (peer_pool.h): 40 bytes instead of a
  // whole PeerInfo, and lookups by id never leave the bucket's array.
  struct Entry {
    NodeId id;
    SharedPeer peer;
  };
  using Entries = std::vector<Entry>;
  struct Bucket {
    // Vectors, not deques: a table has 160 buckets and most stay empty, and
    // an empty deque still allocates. Buckets hold at most k entries.
    Entries entries;       // front = least recently seen
    Entries replacements;  // back = most recently seen
  };

  NodeId self_;
  std::size_t k_;
  // Bucket i is buckets_[kBits - 1 - i], allocated down to the lowest
  // index used: peers at random ids fill only the top few dozen buckets.
  std::vector<Bucket> buckets_;
  static const Entries kNoPeers;
  const Entries& entries_of(int index) const {
    const auto j = static_cast<std::size_t>(NodeId::kBits - 1 - index);
    return j < buckets_.size() ? buckets_[j].entries : kNoPeers;
  }
  Bucket& bucket_for(int index) {
    const auto j = static_cast<std::size_t>(NodeId::kBits - 1 - index);
    if (j >= buckets_.size()) buckets_.resize(j + 1);
    return buckets_[j];
  }
  std::size_t size_ = 0;
  // Bit i set when bucket i has entries: closest() walks these in index
  // order without chasing the nodes of a tree.
  std::array<std::uint64_t, (NodeId::kBits + 63) / 64> nonempty_{};
  bool nonempty(int index) const { return ((nonempty_[index / 64] >> (index % 64)) & 1) != 0; }
  void set_nonempty(int index, bool on) {
    const std::uint64_t bit = std::uint64_t{1} << (index % 64);
    if (on) {
      nonempty_[index / 64] |= bit;
    } else {
      nonempty_[index / 64] &= ~bit;
    }
  }
  NodeAddedCallback on_node_added_;
  bool skip_callback_for_replacement_ = false;
};

}  // namespace yz::core
