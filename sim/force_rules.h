#pragma once

#include <optional>
#include <string>
#include <vector>

#include "roles/core/delay_rules.h"
#include "sim/trace_file.h"

namespace yz::sim {

// The delay rules (roles/core/delay_rules.h) that force a shrunk story on
// real processes, derived from its missing-handler link. One shape is known:
// the early-return race's, "X accepted a link from S -> S was already in X's
// routing table -> ...", forced in the incident's order: S's dial reaches X
// after X's lookup learned S from a find_node answer. Its rule holds, at X,
// S's dht_peer_hello (the dial's first frame) until X has received a
// find_node_response (capped at a quarter of the handshake
// timeout, so the link survives a run where none comes). For any other
// story `rules` is empty and `why_not` says why.
struct ForceRules {
  std::optional<core::DelayRules> rules;
  std::string why_not;
  std::string explanation;  // one line: which frame waits for which event
};

ForceRules derive_force_rules(const TraceFile& minimal, const std::vector<std::string>& story);

}  // namespace yz::sim
