#pragma once

#include "roles/core/dht_member.h"

namespace yz::roles {

// The first member of the network. The bootstrap designates it, it signs its
// own membership token, and it helps the first newcomers join: the shared
// member units, with one difference wired in its constructor.
class Genesis : public core::DhtMember {
 public:
  Genesis(core::Env& env, core::ProcessConfig config);
};

}  // namespace yz::roles
