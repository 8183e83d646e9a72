#pragma once

#include "roles/core/dht_member.h"

namespace yz::roles {

// The first member of the network. The bootstrap designates it, it signs its
// own membership token, and it helps the first newcomers join.
class Genesis : public core::DhtMember {
 public:
  using DhtMember::DhtMember;

 protected:
  // Genesis registers every link with the DHT itself before the routing
  // table sees it (the original's genesis code path), so the early return
  // in Dht::handle_peer_connected never reaches its links.
  void on_peer_link_established(core::ConnectionManager& manager) override;
};

}  // namespace yz::roles
