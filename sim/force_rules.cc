#include "sim/force_rules.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <utility>

namespace yz::sim {
namespace {

constexpr char kAccepted[] = " accepted a link from ";
constexpr char kAlreadyIn[] = " was already in ";
constexpr char kPongFrom[] = "a pong from ";
constexpr char kReached[] = " reached ";
constexpr char kOnAnotherManager[] = " on another connection manager";

// One step line of a trace: "N t=T PROCESS KIND key=value ...".
struct StepLine {
  std::string number;
  std::string process;
  std::string kind;
  std::string peer;
  std::string type;
  std::string cause;
};

std::optional<StepLine> parse_step(const std::string& line) {
  if (line.empty() || line.starts_with(" ")) return std::nullopt;
  std::istringstream in(line);
  std::string t;
  StepLine step;
  if (!(in >> step.number >> t >> step.process >> step.kind)) return std::nullopt;
  std::string word;
  while (in >> word) {
    if (word.starts_with("peer=")) step.peer = word.substr(5);
    if (word.starts_with("type=")) step.type = word.substr(5);
    if (word.starts_with("cause=")) step.cause = word.substr(6);
  }
  return step;
}

// The scenario's timing (the defaults when the trace's scenario does not load).
core::Timing trace_timing(const TraceFile& minimal) {
  if (const ScenarioLoad scenario = trace_scenario(minimal); scenario.scenario)
    return scenario.scenario->timing;
  return core::Timing{};
}

// `fraction` of `timeout`, in whole milliseconds, at least 1 ms: a hold
// capped well inside the timeout that would end what it holds (a link's
// handshake, a lookup's request) costs nothing in a run where the event it
// waits for never comes.
core::Duration cap_within(core::Duration timeout, int divisor) {
  const core::Duration cap_ms = timeout / divisor / core::kMillisecond;
  return std::max<core::Duration>(1, cap_ms) * core::kMillisecond;
}

ForceRules early_return_rules(const TraceFile& minimal, const std::vector<std::string>& story,
                              std::size_t accepted) {
  ForceRules out;
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
  core::HoldRule rule;
  rule.name = sender + "-dial-after-" + node + "-lookup";
  rule.process = node;
  rule.type = core::MessageType::kDhtPeerHello;
  rule.from_name = sender;
  rule.until_received = core::MessageType::kFindNodeResponse;
  rule.hold_for = cap_within(trace_timing(minimal).handshake_timeout, 4);
  out.explanation = "at " + node + ", " + sender + "'s dht_peer_hello (its dial) waits until " +
                    node + " has received a find_node_response (its lookup learned " + sender +
                    "), at most " + std::to_string(rule.hold_for / core::kMillisecond) + " ms";
  out.rules = core::DelayRules{{std::move(rule)}};
  return out;
}

// pong_wrong_manager's story: "a pong from B reached A on another connection
// manager than its ping left from -> ...". It needs two links between A and
// B, which happens only when their dials cross: each dialled the other
// before the other's dial had finished its handshake. In the trace each
// accept names the dialler's step that caused the dial; when both are the
// find_node_response of one informant X (X told each about the other), the
// rules make the crossing certain: X answers neither lookup until its
// routing table holds both (so both answers leave at once and both name the
// other), and each of A and B holds the other's dht_peer_hello for a while
// (so neither sees the other's link before its own dial is out).
ForceRules crossed_dial_rules(const TraceFile& minimal, const std::string& a,
                              const std::string& b) {
  ForceRules out;
  std::map<std::string, StepLine> by_number;
  std::optional<StepLine> a_accepts_b, b_accepts_a;
  for (const std::string& line : minimal.steps) {
    if (line.starts_with(" ")) continue;
    std::optional<StepLine> step = parse_step(line);
    if (!step) continue;
    by_number[step->number] = *step;
    if (step->kind != "accept") continue;
    if (step->process == a && step->peer == b && !a_accepts_b) a_accepts_b = step;
    if (step->process == b && step->peer == a && !b_accepts_a) b_accepts_a = step;
  }
  if (!a_accepts_b || !b_accepts_a) {
    out.why_not = "cannot derive delay rules: the trace does not show " + a + " and " + b +
                  " each accepting a link from the other (crossed dials)";
    return out;
  }
  // The step that made the dialler dial: its lookup's answer, and who gave it.
  auto informant = [&](const StepLine& accept) -> std::string {
    const auto cause = by_number.find(accept.cause);
    if (cause == by_number.end() || cause->second.kind != "frame" ||
        cause->second.type != "find_node_response")
      return {};
    return cause->second.peer;
  };
  const std::string x = informant(*b_accepts_a);  // told a about b
  const std::string y = informant(*a_accepts_b);  // told b about a
  if (x.empty() || x != y) {
    out.why_not = "cannot derive delay rules: " + a + " and " + b +
                  " did not both learn each other from one peer's find_node answer (" +
                  (x.empty() ? "?" : x) + ", " + (y.empty() ? "?" : y) + ")";
    return out;
  }
  // Half of the timeouts each hold runs against: the two nodes reach the
  // informant, and then dial, up to a few hundred milliseconds apart on real
  // processes, and the holds must span that gap.
  const core::Timing timing = trace_timing(minimal);
  const core::Duration answer_cap = cap_within(timing.find_node_timeout_connected, 2);
  const core::Duration hello_cap = cap_within(timing.handshake_timeout, 2);
  core::DelayRules rules;
  for (const std::string& asker : {a, b}) {
    core::HoldRule answer;
    answer.name = x + "-answers-" + asker + "-knowing-both";
    answer.process = x;
    answer.type = core::MessageType::kFindNode;
    answer.from_name = asker;
    answer.hold_for = answer_cap;
    answer.until_routing_peers = {a, b};
    rules.rules.push_back(std::move(answer));
  }
  for (const auto& [at, from] : {std::pair{a, b}, std::pair{b, a}}) {
    core::HoldRule hello;
    hello.name = from + "-dial-waits-at-" + at;
    hello.process = at;
    hello.type = core::MessageType::kDhtPeerHello;
    hello.from_name = from;
    hello.hold_for = hello_cap;
    rules.rules.push_back(std::move(hello));
  }
  out.explanation = "at " + x + ", " + a + "'s and " + b +
                    "'s find_node wait until its routing table holds both (at most " +
                    std::to_string(answer_cap / core::kMillisecond) +
                    " ms), so both answers leave together naming the other; at " + a + " and at " +
                    b + ", the other's dht_peer_hello waits " +
                    std::to_string(hello_cap / core::kMillisecond) +
                    " ms, so both dials are out before either link is seen: they cross";
  out.rules = std::move(rules);
  return out;
}

}  // namespace

ForceRules derive_force_rules(const TraceFile& minimal, const std::vector<std::string>& story) {
  const auto accepted = story.empty() ? std::string::npos : story[0].find(kAccepted);
  if (story.size() >= 2 && accepted != std::string::npos &&
      story[1].find(kAlreadyIn) != std::string::npos)
    return early_return_rules(minimal, story, accepted);
  // "a pong from B reached A on another connection manager ..."
  if (!story.empty() && story[0].starts_with(kPongFrom)) {
    const std::string& first = story[0];
    const auto reached = first.find(kReached);
    const auto on = first.find(kOnAnotherManager);
    if (reached != std::string::npos && on != std::string::npos && on > reached) {
      const std::string b = first.substr(sizeof kPongFrom - 1, reached - (sizeof kPongFrom - 1));
      const std::string a =
          first.substr(reached + sizeof kReached - 1, on - reached - (sizeof kReached - 1));
      return crossed_dial_rules(minimal, a, b);
    }
  }
  ForceRules out;
  out.why_not =
      "cannot derive delay rules for this story: two shapes are known, the early-return "
      "race's (\"X accepted a link from S -> S was already in X's routing table\") and "
      "pong_wrong_manager's (\"a pong from B reached A on another connection manager ...\")";
  return out;
}

}  // namespace yz::sim
