#include "sim/force_rules.h"

#include <algorithm>
#include <sstream>

namespace yz::sim {
namespace {

constexpr char kAccepted[] = " accepted a link from ";
constexpr char kAlreadyIn[] = " was already in ";

// One step line of a trace: "N t=T PROCESS KIND key=value ...".
struct StepLine {
  std::string process;
  std::string kind;
  std::string peer;
  std::string type;
};

std::optional<StepLine> parse_step(const std::string& line) {
  if (line.empty() || line.starts_with(" ")) return std::nullopt;
  std::istringstream in(line);
  std::string n, t;
  StepLine step;
  if (!(in >> n >> t >> step.process >> step.kind)) return std::nullopt;
  std::string word;
  while (in >> word) {
    if (word.starts_with("peer=")) step.peer = word.substr(5);
    if (word.starts_with("type=")) step.type = word.substr(5);
  }
  return step;
}

}  // namespace

ForceRules derive_force_rules(const TraceFile& minimal, const std::vector<std::string>& story) {
  ForceRules out;
  const auto accepted = story.empty() ? std::string::npos : story[0].find(kAccepted);
  if (story.size() < 2 || accepted == std::string::npos ||
      story[1].find(kAlreadyIn) == std::string::npos) {
    out.why_not =
        "cannot derive delay rules for this story: only the early-return race's shape "
        "(\"X accepted a link from S -> S was already in X's routing table\") is known";
    return out;
  }
  const std::string node = story[0].substr(0, accepted);
  const std::string sender = story[0].substr(accepted + sizeof kAccepted - 1);
  // The trace must show X returning early for S's link and X's own lookup
  // getting an answer. The ordering the rule forces (S's dial reaches X after
  // that answer) is the original incident's; in this code the table records
  // a peer before its callback runs, so the early return does not need it,
  // and a minimal trace may show the dial first. Forcing it makes the story
  // the incident's on real processes, whatever the scheduler does.
  bool answer_seen = false;
  bool early_return = false;
  std::optional<StepLine> current;
  for (const std::string& line : minimal.steps) {
    if (!line.starts_with(" ")) {
      current = parse_step(line);
      if (current && current->process == node && current->kind == "frame" &&
          current->type == "find_node_response")
        answer_seen = true;
      continue;
    }
    if (current && current->process == node && current->peer == sender &&
        line.find(" peer_already_in_routing_table ") != std::string::npos) {
      early_return = true;
    }
  }
  if (!early_return || !answer_seen) {
    out.why_not =
        "cannot derive delay rules: the trace does not show " + node +
        (early_return ? " receiving a find_node_response" : " returning early for " + sender);
    return out;
  }
  core::Duration handshake_timeout = core::Timing{}.handshake_timeout;
  if (const ScenarioLoad scenario = trace_scenario(minimal); scenario.scenario)
    handshake_timeout = scenario.scenario->timing.handshake_timeout;
  core::HoldRule rule;
  rule.name = sender + "-dial-after-" + node + "-lookup";
  rule.process = node;
  rule.type = core::MessageType::kDhtPeerHello;
  rule.from_name = sender;
  rule.until_received = core::MessageType::kFindNodeResponse;
  const core::Duration cap_ms = handshake_timeout / 4 / core::kMillisecond;
  rule.hold_for = std::max<core::Duration>(1, cap_ms) * core::kMillisecond;
  out.explanation = "at " + node + ", " + sender + "'s dht_peer_hello (its dial) waits until " +
                    node + " has received a find_node_response (its lookup learned " + sender +
                    "), at most " + std::to_string(rule.hold_for / core::kMillisecond) + " ms";
  out.rules = core::DelayRules{{std::move(rule)}};
  return out;
}

}  // namespace yz::sim
