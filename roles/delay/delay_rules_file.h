#pragma once

#include <optional>
#include <string>

#include "roles/core/delay_rules.h"

namespace yz::roles {

// A delay-rules file (proto/yz/v1/delay_rules.proto, text format), checked:
// every rule names its process and a known message type, from_role and
// until.received are known names, and each rule ends (for_ms or until).
// Durations are divided by `time_scale` (> 0): a file written in scenario
// time runs on processes sped up S times.
struct DelayRulesLoad {
  std::optional<core::DelayRules> rules;
  std::string error;  // "FILE:LINE:COL: problem"
};

DelayRulesLoad parse_delay_rules(const std::string& text, const std::string& origin,
                                 double time_scale = 1.0);
DelayRulesLoad load_delay_rules_file(const std::string& path, double time_scale = 1.0);

// The rules as a text proto that parse_delay_rules reads back (at scale 1).
std::string format_delay_rules(const core::DelayRules& rules);

// "dht_peer_hello, dht_peer_connected, ...": the names a rule may use.
std::string message_type_names();

}  // namespace yz::roles
