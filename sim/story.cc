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

  std::vector<Line> lines;
  lines.reserve(trace.steps.size());
  for (const auto& text : trace.steps) lines.push_back(parse(text));
  const auto field = [](const Line& line, const char* key) {
    auto it = line.fields.find(key);
    return it == line.fields.end() ? std::string() : it->second;
  };

  // The first frame lost for want of a handler anchors the story: the cause
  // told is the one at that node, for that peer.
  std::optional<std::size_t> drop;
  for (std::size_t i = 0; i < lines.size() && !drop; ++i)
    if (lines[i].log && lines[i].what == "dropped_no_handler") drop = i;
  const std::string drop_node = drop ? lines[*drop].process : std::string();
  const std::string drop_peer = drop ? field(lines[*drop], "peer") : std::string();

  std::vector<std::string> story;
  std::optional<std::size_t> cause;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    if (!line.log) continue;
    const bool causal = line.what == "peer_already_in_routing_table" ||
                        line.what == "attach_deferred" ||
                        line.what == "replacement_without_callback" ||
                        line.what == "pong_unmatched" || line.what == "lookup_spinning";
    if (!causal) continue;
    if (drop && (i > *drop || line.process != drop_node || field(line, "peer") != drop_peer))
      continue;
    cause = i;
    if (!drop) break;  // no drop: the first cause
  }
  if (cause) {
    const Line& line = lines[*cause];
    const std::string peer = name_of(field(line, "peer"));
    if (line.what == "peer_already_in_routing_table") {
      story.push_back(line.process + " accepted a link from " + peer);
      story.push_back(peer + " was already in " + line.process + "'s routing table");
      story.push_back("the DHT returned early, no handler attached");
    } else if (line.what == "attach_deferred") {
      story.push_back(line.process + " accepted a link from " + peer);
      story.push_back(line.process + " put off attaching the DHT listener by an asynchronous step");
    } else if (line.what == "replacement_without_callback") {
      story.push_back(line.process + "'s bucket for " + peer + " was full");
      story.push_back(peer + " went to the replacement cache and on_node_added never fired");
      story.push_back("the link from " + peer + " never got a DHT listener");
    } else if (line.what == "pong_unmatched") {
      story.push_back("a pong from " + peer + " reached " + line.process +
                      " on another connection manager than its ping left from");
      story.push_back(line.process + " could not match it and counted the ping as lost");
    } else if (line.what == "lookup_spinning") {
      story.push_back(line.process + "'s lookup for " + field(line, "target") +
                      " had no candidate left and nothing in flight");
      story.push_back("the loop only ends through its active-query count, so it spun forever");
    }
  }
  if (!drop && cause) {
    for (std::size_t i = *cause + 1; i < lines.size(); ++i)
      if (lines[i].log && lines[i].what == "link_dead") {
        story.push_back(lines[i].process + " closed its live link to " +
                        name_of(field(lines[i], "peer")) + " as dead after " +
                        field(lines[i], "unanswered_pings") + " unanswered pings");
        break;
      }
  }
  if (drop) {
    story.push_back(field(lines[*drop], "type") + " from " + name_of(drop_peer) + " dropped at " +
                    drop_node);
    for (std::size_t i = *drop + 1; i < lines.size(); ++i) {
      const Line& line = lines[i];
      if (line.log && line.what == "onboarding_failed" && line.fields.contains("newcomer")) {
        const bool timeout = trace.steps[i].find("findNode timeout") != std::string::npos;
        story.push_back(name_of(field(line, "newcomer")) + "'s onboarding timed out" +
                        (timeout ? " (findNode timeout)" : ""));
        break;
      }
      if (line.log && line.what == "link_dead") {
        story.push_back(line.process + " closed its link to " + name_of(field(line, "peer")) +
                        " as dead after unanswered pings");
        break;
      }
    }
  }
  for (const auto& v : result.invariant_violations)
    if (story.empty())
      story.push_back(v.invariant + " broke on " + v.node + " at step " + std::to_string(v.step));
  if (story.empty() && result.liveness.checked && !result.liveness.converged)
    story.emplace_back("after healing, not every process became healthy within the bound");
  return story;
}

}  // namespace yz::sim
