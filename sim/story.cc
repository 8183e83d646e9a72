#include "sim/story.h"

#include <map>
#include <optional>
#include <sstream>

namespace yz::sim {
namespace {

struct Line {
  bool log = false;
  std::string process;  // whose event or log
  std::string what;     // event kind or log event
  std::map<std::string, std::string> fields;
};

// "12 t=6.549000000 dht-node-1 accept link=9 peer=bridge-node-1 h=..." or
// "    log dht-node-1 peer_already_in_routing_table peer=83389ac7".
Line parse(const std::string& text) {
  Line line;
  std::istringstream in(text);
  std::string word;
  if (text.starts_with(" ")) {
    line.log = true;
    in >> word >> line.process >> line.what;
  } else {
    in >> word >> word >> line.process >> line.what;
  }
  while (in >> word) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) line.fields[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return line;
}

}  // namespace

std::vector<std::string> failure_story(const TraceFile& trace, const RunResult& result) {
  std::map<std::string, std::string> by_short_id;  // 8 hex digits -> process name
  for (const auto& node : result.nodes) by_short_id[node.node_id.substr(0, 8)] = node.name;
  auto name_of = [&](const std::string& short_id) {
    auto it = by_short_id.find(short_id);
    return it == by_short_id.end() ? short_id : it->second;
  };

  std::vector<std::string> story;
  std::optional<std::string> culprit_node, culprit_peer;  // where frames start to go missing
  std::map<std::string, std::string> last_accept;         // process -> peer of its last accept
  bool dropped_told = false, onboarding_told = false, lookup_told = false;
  for (const auto& text : trace.steps) {
    const Line line = parse(text);
    if (!line.log) {
      if (line.what == "accept" && line.fields.contains("peer"))
        last_accept[line.process] = line.fields.at("peer");
      continue;
    }
    const auto field = [&](const char* key) {
      auto it = line.fields.find(key);
      return it == line.fields.end() ? std::string() : it->second;
    };
    if (!culprit_node && line.what == "peer_already_in_routing_table") {
      const std::string peer = name_of(field("peer"));
      culprit_node = line.process;
      culprit_peer = peer;
      story.push_back(line.process + " accepted a link from " + peer);
      story.push_back(peer + " was already in " + line.process + "'s routing table");
      story.push_back("the DHT returned early, no handler attached");
    } else if (!culprit_node && line.what == "attach_deferred") {
      const std::string peer = name_of(field("peer"));
      culprit_node = line.process;
      culprit_peer = peer;
      story.push_back(line.process + " accepted a link from " + peer);
      story.push_back(line.process + " put off attaching the DHT listener until " + peer +
                      " answered a ping");
    } else if (!culprit_node && line.what == "replacement_without_callback") {
      const std::string peer = name_of(field("peer"));
      culprit_node = line.process;
      culprit_peer = peer;
      story.push_back(line.process + "'s bucket for " + peer + " was full");
      story.push_back(peer + " went to the replacement cache and on_node_added never fired");
    } else if (!culprit_node && line.what == "pong_unmatched") {
      culprit_node = line.process;
      culprit_peer = name_of(field("peer"));
      story.push_back("a pong from " + *culprit_peer + " reached " + line.process +
                      " on another link than its ping left on");
      story.push_back(line.process + " could not match it and counted the ping as lost");
    } else if (!lookup_told && line.what == "lookup_spinning") {
      lookup_told = true;
      story.push_back(line.process + "'s lookup for " + field("target") +
                      " had no candidate left and nothing in flight");
      story.push_back("the loop only ends when the in-flight count drops, so it spun forever");
    } else if (!dropped_told && line.what == "dropped_no_handler") {
      dropped_told = true;
      story.push_back(field("type") + " from " + name_of(field("peer")) + " dropped at " +
                      line.process);
    } else if (!onboarding_told && dropped_told && line.what == "onboarding_failed" &&
               line.fields.contains("newcomer")) {
      onboarding_told = true;
      const std::string error = field("error");
      story.push_back(name_of(field("newcomer")) + "'s onboarding timed out" +
                      (text.find("findNode timeout") != std::string::npos
                           ? std::string(" (findNode timeout)")
                       : error.empty() ? std::string()
                                       : " (" + error + ")"));
    } else if (line.what == "link_dead") {
      story.push_back(line.process + " closed its link to " + name_of(field("peer")) +
                      " as dead after unanswered pings");
      break;
    }
    if (onboarding_told || lookup_told) break;
  }
  for (const auto& v : result.invariant_violations)
    if (story.empty())
      story.push_back(v.invariant + " broke on " + v.node + " at step " + std::to_string(v.step));
  if (story.empty() && result.liveness.checked && !result.liveness.converged)
    story.emplace_back("after healing, not every process became healthy within the bound");
  return story;
}

}  // namespace yz::sim
