#include "roles/core/routing_table.h"

#include <algorithm>
#include <utility>

namespace yz::core {
namespace {

template <typename Entries>
auto Find(Entries& peers, const NodeId& id) {
  return std::find_if(peers.begin(), peers.end(), [&](const auto& e) { return e.id == id; });
}

// Bit `index` of `id`, counting from the least significant bit, matching
// NodeId::highest_bit and bucket_index.
// Appends, growing to at most `cap` at a time rather than doubling past it:
// a full bucket holds k entries, not the 32 that doubling would reserve.
template <typename Entries, typename Entry>
void PushCapped(Entries& peers, Entry&& entry, std::size_t cap) {
  if (peers.size() == peers.capacity() && peers.size() < cap)
    peers.reserve(std::min(std::max<std::size_t>(2 * peers.size(), 1), cap));
  peers.push_back(std::forward<Entry>(entry));
}

bool BitAt(const NodeId& id, int index) {
  const auto byte = id.bytes()[NodeId::kBytes - 1 - index / 8];
  return ((byte >> (index % 8)) & 1) != 0;
}

}  // namespace

RoutingTable::RoutingTable(NodeId self, std::size_t k) : self_(self), k_(k) {}

const RoutingTable::Entries RoutingTable::kNoPeers;

RoutingTable::Placement RoutingTable::handle_peer_connected(const PeerInfo& peer) {
  const int index = bucket_index(self_, peer.node_id);
  // A link to ourselves is not a routing entry. kUpdated is the closest
  // "nothing new was learned" answer, and no callback fires: listeners
  // must never see self as a node that was added.
  if (index < 0) return Placement::kUpdated;

  Bucket& bucket = bucket_for(index);
  Entry entry{peer.node_id, intern_peer(peer)};
  Placement placement;
  if (auto it = Find(bucket.entries, peer.node_id); it != bucket.entries.end()) {
    bucket.entries.erase(it);
    bucket.entries.push_back(std::move(entry));
    placement = Placement::kUpdated;
  } else if (bucket.entries.size() < k_) {
    // remove() keeps a bucket full while it has replacements, so this is only
    // defensive: a peer must never sit in both lists at once.
    if (auto rit = Find(bucket.replacements, peer.node_id); rit != bucket.replacements.end()) {
      bucket.replacements.erase(rit);
    }
    PushCapped(bucket.entries, std::move(entry), k_);
    ++size_;
    if (bucket.entries.size() == 1) set_nonempty(index, true);
    placement = Placement::kAdded;
  } else {
    if (auto rit = Find(bucket.replacements, peer.node_id); rit != bucket.replacements.end()) {
      bucket.replacements.erase(rit);
    }
    PushCapped(bucket.replacements, std::move(entry), k_ + 1);  // k + 1 for a moment
    while (bucket.replacements.size() > k_) bucket.replacements.erase(bucket.replacements.begin());
    placement = Placement::kReplacementCache;
  }

  // The callback runs only after the entry is recorded: the DHT's early-return
  // fault depends on finding the peer already present (see DESIGN.md).
  const bool skip = placement == Placement::kReplacementCache && skip_callback_for_replacement_;
  if (on_node_added_ && !skip) on_node_added_(peer, placement);
  return placement;
}

bool RoutingTable::remove(const NodeId& peer) {
  const int index = bucket_index(self_, peer);
  if (index < 0) return false;
  if (static_cast<std::size_t>(NodeId::kBits - 1 - index) >= buckets_.size()) return false;
  Bucket& bucket = bucket_for(index);
  if (auto it = Find(bucket.entries, peer); it != bucket.entries.end()) {
    bucket.entries.erase(it);
    --size_;
    if (!bucket.replacements.empty()) {
      bucket.entries.push_back(std::move(bucket.replacements.back()));
      bucket.replacements.pop_back();
      ++size_;
    }
    if (bucket.entries.empty()) set_nonempty(index, false);
    return true;
  }
  if (auto rit = Find(bucket.replacements, peer); rit != bucket.replacements.end()) {
    bucket.replacements.erase(rit);
  }
  return false;
}

bool RoutingTable::contains(const NodeId& peer) const {
  const int index = bucket_index(self_, peer);
  if (index < 0) return false;
  const auto& entries = entries_of(index);
  return Find(entries, peer) != entries.end();
}

std::optional<PeerInfo> RoutingTable::get(const NodeId& peer) const {
  const int index = bucket_index(self_, peer);
  if (index < 0) return std::nullopt;
  const auto& entries = entries_of(index);
  if (auto it = Find(entries, peer); it != entries.end()) return *it->peer;
  return std::nullopt;
}

std::vector<PeerInfo> RoutingTable::closest(
    const NodeId& target, std::size_t count,
    const std::function<bool(const PeerInfo&)>& exclude) const {
  std::vector<PeerInfo> out;
  if (count == 0 || size_ == 0) return out;

  // Every entry of bucket i agrees with self above bit i and differs at bit
  // i, so its distance to `target` agrees with t = self ^ target above bit i
  // and has bit i equal to !t[i]. Whole buckets therefore order by distance:
  // first the buckets whose t bit is set, highest index first (their distances
  // have a 0 where t has its 1), then those whose t bit is clear, lowest index
  // first. Visiting buckets in that order lets us stop after the bucket that
  // completes `count` candidates instead of scanning the whole table.
  const NodeId t = self_ ^ target;
  std::vector<std::pair<NodeId, const PeerInfo*>> candidates;
  candidates.reserve(std::min(size_, count + k_));

  auto gather = [&](int index) {
    for (const Entry& e : entries_of(index)) {
      if (exclude && exclude(*e.peer)) continue;
      candidates.emplace_back(e.id ^ target, e.peer.get());
    }
    return candidates.size() >= count;
  };

  // Only non-empty buckets are visited: a table of n peers fills about
  // log2(n) of its 160 buckets.
  bool done = false;
  for (int i = NodeId::kBits - 1; i >= 0 && !done; --i) {
    if (nonempty(i) && BitAt(t, i)) done = gather(i);
  }
  for (int i = 0; i < NodeId::kBits && !done; ++i) {
    if (nonempty(i) && !BitAt(t, i)) done = gather(i);
  }

  const std::size_t n = std::min(count, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n),
                    candidates.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(*candidates[i].second);
  return out;
}

std::vector<PeerInfo> RoutingTable::all() const {
  std::vector<PeerInfo> out;
  out.reserve(size_);
  for (auto bucket = buckets_.rbegin(); bucket != buckets_.rend(); ++bucket) {  // index order
    for (const Entry& e : bucket->entries) out.push_back(*e.peer);
  }
  return out;
}

std::size_t RoutingTable::replacement_count() const {
  std::size_t total = 0;
  for (const Bucket& bucket : buckets_) total += bucket.replacements.size();
  return total;
}

std::size_t RoutingTable::bucket_size(int index) const {
  if (index < 0 || index >= NodeId::kBits) return 0;
  return entries_of(index).size();
}

}  // namespace yz::core
