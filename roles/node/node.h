#pragma once

#include "roles/core/dht_member.h"

namespace yz::roles {

// A full DHT member: joins through a bridge-brokered invitation, looks itself
// up, helps later newcomers join, and rediscovers peers when it loses them.
// All of that is the shared member units as DhtMember wires them; a node
// changes none of it, and every link it accepts takes the routing-table path
// the incident broke.
class Node : public core::DhtMember {
 public:
  using DhtMember::DhtMember;
};

}  // namespace yz::roles
