#include "roles/core/peer_pool.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace yz::core {
namespace {

bool same_peer(const PeerInfo& a, const PeerInfo& b) {
  return a.node_id == b.node_id && a.metadata.role == b.metadata.role &&
         a.metadata.protocol_version == b.metadata.protocol_version &&
         a.metadata.address == b.metadata.address && a.metadata.build_id == b.metadata.build_id &&
         a.metadata.name == b.metadata.name;
}

struct Pool {
  std::mutex mutex;
  // By id, then the (almost always single) metadata variants seen for it: a
  // peer that restarts, or a hostile one claiming another's id, is a second
  // entry, never a change to the first.
  // The raw pointer stays valid while the lock is held: release() deletes
  // only after it has taken the lock and dropped the entry.
  struct Entry {
    const PeerInfo* peer;
    std::weak_ptr<const PeerInfo> weak;
  };
  std::unordered_map<NodeId, std::vector<Entry>, NodeIdHash> live;
  std::size_t count = 0;
};

// Never destroyed: a PeerInfo let go during static destruction still finds
// its pool.
Pool& pool() {
  static Pool* const instance = new Pool;
  return *instance;
}

void release(const PeerInfo* peer) {
  Pool& p = pool();
  {
    std::lock_guard lock(p.mutex);
    auto it = p.live.find(peer->node_id);
    if (it != p.live.end()) {
      auto& variants = it->second;
      auto dead = std::find_if(variants.begin(), variants.end(),
                               [&](const Pool::Entry& e) { return e.peer == peer; });
      if (dead != variants.end()) {
        variants.erase(dead);
        --p.count;
      }
      if (variants.empty()) p.live.erase(it);
    }
  }
  delete peer;
}

}  // namespace

SharedPeer intern_peer(const PeerInfo& peer) {
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  auto& variants = p.live[peer.node_id];
  // Compared through the raw pointer, so that no reference is taken (and
  // perhaps dropped last, re-entering release under the lock) but the one
  // returned. An expired match is on its way out: make a fresh one.
  for (const Pool::Entry& e : variants) {
    if (!same_peer(*e.peer, peer)) continue;
    if (SharedPeer held = e.weak.lock()) return held;
  }
  auto* fresh = new PeerInfo(peer);
  SharedPeer made(fresh, release);
  variants.push_back({fresh, made});
  ++p.count;
  return made;
}

std::size_t interned_peer_count() {
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  return p.count;
}

}  // namespace yz::core
