#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "roles/core/env.h"
#include "roles/core/frame.h"

namespace yz::core {

// One rule of a delay-rules file (proto/yz/v1/delay_rules.proto), checked
// and with its durations scaled: it holds frames of `type` that this process
// receives, from its first match until `hold_for` has passed or the `until`
// event has happened, whichever is first. Off unless a file names the
// process: forces, on real processes and in the simulator alike, an ordering
// the simulator found.
struct HoldRule {
  std::string name;     // label in metrics and logs
  std::string process;  // the --name it applies to
  MessageType type = MessageType::kError;
  std::string from_name;                // empty: any peer
  Role from_role = Role::kUnspecified;  // unspecified: any role
  Duration hold_for = 0;                // 0: until the event alone
  std::optional<MessageType> until_received;
  std::uint32_t until_routing_entries = 0;  // 0: not a condition
  // Every one of these peers (by --name) is in the routing table. Empty: not
  // a condition. Two rules with the same set end at the same instant, which
  // is how a file makes two answers leave together.
  std::vector<std::string> until_routing_peers;
};

struct DelayRules {
  std::vector<HoldRule> rules;
};

}  // namespace yz::core
