#pragma once

#include <optional>
#include <string>
#include <vector>

#include "roles/core/delay_rules.h"
#include "sim/trace_file.h"

namespace yz::sim {

// The delay rules (roles/core/delay_rules.h) that force a shrunk story on
// real processes. Two shapes are known:
// - the early-return race's, "X accepted a link from S -> S was already in
//   X's routing table -> ...", forced in the incident's order: S's dial
//   reaches X after X's lookup learned S from a find_node answer. Its rule
//   holds, at X, S's dht_peer_hello (the dial's first frame) until X has
//   received a find_node_response.
// - pong_wrong_manager's, "a pong from B reached A on another connection
//   manager ...", which needs A's and B's dials to cross. Its rules hold, at
//   the peer whose find_node answers taught each about the other, both
//   lookups until its routing table holds both, and at A and B the other's
//   dht_peer_hello for a while.
// Every hold is capped well inside the timeout of what it holds (a quarter
// of the handshake timeout for the early-return rule; half of the
// find_node and handshake timeouts for the crossed dials, whose nodes can
// be hundreds of milliseconds apart on real processes), so a run where the
// awaited event never comes loses nothing to the hold. For any other story
// `rules` is empty and `why_not` says why.
struct ForceRules {
  std::optional<core::DelayRules> rules;
  std::string why_not;
  std::string explanation;  // one line: which frame waits for which event
};

ForceRules derive_force_rules(const TraceFile& minimal, const std::vector<std::string>& story);

}  // namespace yz::sim
