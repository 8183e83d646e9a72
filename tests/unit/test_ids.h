// The node ids the core's unit tests give their peers: one digit repeated,
// so a failure message that prints an id says at once whose it is.
#pragma once

#include "roles/core/node_id.h"

namespace yz::core::testing {

inline const NodeId kSelf = *NodeId::from_hex("f000000000000000000000000000000000000000");
inline const NodeId kA = *NodeId::from_hex("1111111111111111111111111111111111111111");
inline const NodeId kB = *NodeId::from_hex("2222222222222222222222222222222222222222");
inline const NodeId kBoot = *NodeId::from_hex("3333333333333333333333333333333333333333");
inline const NodeId kGenesis = *NodeId::from_hex("4444444444444444444444444444444444444444");
inline const NodeId kBridge = *NodeId::from_hex("5555555555555555555555555555555555555555");
inline const NodeId kNewcomer = *NodeId::from_hex("6666666666666666666666666666666666666666");

}  // namespace yz::core::testing
