#include "roles/delay/delay_rules_file.h"

#include <google/protobuf/text_format.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "proto/text_format_error.h"
#include "yz/v1/delay_rules.pb.h"

namespace yz::roles {
namespace {

namespace pb = google::protobuf;

// "FILE:LINE:COL: " of a field of `msg` (its tree), or "FILE: " when unknown.
std::string where(const std::string& origin, const pb::TextFormat::ParseInfoTree* tree,
                  const pb::Message& msg, const char* field, int index = -1) {
  const auto* descriptor = msg.GetDescriptor()->FindFieldByName(field);
  if (tree != nullptr && descriptor != nullptr) {
    // protobuf throws for a repeated field's location without an index
    if (descriptor->is_repeated() && index < 0) index = 0;
    if (!descriptor->is_repeated()) index = -1;
    const auto location = tree->GetLocation(descriptor, index);
    if (location.line >= 0)
      return origin + ":" + std::to_string(location.line + 1) + ":" +
             std::to_string(location.column + 1) + ": ";
  }
  return origin + ": ";
}

std::optional<core::MessageType> type_named(const std::string& name) {
  for (int i = 0; i < core::kMessageTypeCount; ++i) {
    const auto type = static_cast<core::MessageType>(i);
    if (core::message_type_name(type) == name) return type;
  }
  return std::nullopt;
}

std::optional<core::Role> role_named(const std::string& name) {
  for (const core::Role role :
       {core::Role::kBootstrap, core::Role::kGenesis, core::Role::kBridge, core::Role::kNode})
    if (core::role_name(role) == name) return role;
  return std::nullopt;
}

// Checks one rule; "" or the problem with its place.
std::string check_rule(const v1::HoldRule& in, int index, const std::string& origin,
                       const std::string& at_rule, const pb::TextFormat::ParseInfoTree* tree,
                       double time_scale, core::HoldRule& out) {
  out.name = in.name().empty() ? "rule-" + std::to_string(index + 1) : in.name();
  if (in.process().empty())
    return at_rule + "rule " + out.name + ": process is required (the --name the rule applies to)";
  out.process = in.process();
  if (!in.has_frame() || in.frame().type().empty())
    return where(origin, tree, in, "frame") + "rule " + out.name +
           ": frame { type: \"...\" } is required; one of " + message_type_names();
  const auto* frame_tree =
      tree ? tree->GetTreeForNested(in.GetDescriptor()->FindFieldByName("frame"), -1) : nullptr;
  const auto type = type_named(in.frame().type());
  if (!type)
    return where(origin, frame_tree, in.frame(), "type") + "unknown message type \"" +
           in.frame().type() + "\"; one of " + message_type_names();
  out.type = *type;
  out.from_name = in.frame().from_name();
  if (!in.frame().from_role().empty()) {
    const auto role = role_named(in.frame().from_role());
    if (!role)
      return where(origin, frame_tree, in.frame(), "from_role") + "unknown role \"" +
             in.frame().from_role() + "\"; one of bootstrap, genesis, bridge, node";
    out.from_role = *role;
  }
  const auto* until_tree =
      tree ? tree->GetTreeForNested(in.GetDescriptor()->FindFieldByName("until"), -1) : nullptr;
  if (!in.until().received().empty()) {
    const auto until = type_named(in.until().received());
    if (!until)
      return where(origin, until_tree, in.until(), "received") + "unknown message type \"" +
             in.until().received() + "\"; one of " + message_type_names();
    out.until_received = *until;
  }
  out.until_routing_entries = in.until().routing_entries();
  for (int i = 0; i < in.until().routing_peers_size(); ++i) {
    const std::string& name = in.until().routing_peers(i);
    if (name.empty())
      return where(origin, until_tree, in.until(), "routing_peers", i) + "rule " + out.name +
             ": an empty name in until { routing_peers }";
    out.until_routing_peers.push_back(name);
  }
  // Capped at a day of file time: a hold is a test's, never a process's life.
  constexpr std::uint64_t kMaxMs = 24ULL * 3600 * 1000;
  if (in.for_ms() > kMaxMs)
    return where(origin, tree, in, "for_ms") + "for_ms " + std::to_string(in.for_ms()) +
           " is over a day (" + std::to_string(kMaxMs) + ")";
  out.hold_for = static_cast<core::Duration>(
      std::llround(static_cast<double>(in.for_ms()) * core::kMillisecond / time_scale));
  if (in.for_ms() != 0 && out.hold_for == 0) out.hold_for = 1;
  if (in.for_ms() == 0 && !out.until_received && out.until_routing_entries == 0 &&
      out.until_routing_peers.empty())
    return at_rule + "rule " + out.name +
           " never ends: give for_ms, until { received: \"...\" }, until { routing_entries: N }"
           " or until { routing_peers: \"NAME\" }";
  return {};
}

}  // namespace

std::string message_type_names() {
  std::string out;
  for (int i = 0; i < core::kMessageTypeCount; ++i)
    out +=
        (i ? ", " : "") + std::string(core::message_type_name(static_cast<core::MessageType>(i)));
  return out;
}

DelayRulesLoad parse_delay_rules(const std::string& text, const std::string& origin,
                                 double time_scale) {
  if (!(time_scale > 0) || !std::isfinite(time_scale))
    return {std::nullopt, origin + ": time scale must be a positive number"};
  v1::DelayRules proto;
  pb::TextFormat::Parser parser;
  FirstTextFormatError errors(origin);
  pb::TextFormat::ParseInfoTree tree;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(text, &proto))
    return {std::nullopt, errors.first().empty() ? origin + ": not a yz.v1.DelayRules text proto"
                                                 : errors.first()};
  core::DelayRules rules;
  std::set<std::string> names;
  const auto* rule_field = proto.GetDescriptor()->FindFieldByName("rule");
  for (int i = 0; i < proto.rule_size(); ++i) {
    core::HoldRule rule;
    const auto* rule_tree = tree.GetTreeForNested(rule_field, i);
    const auto location = tree.GetLocation(rule_field, i);
    const std::string at_rule = origin + ":" + std::to_string(location.line + 1) + ":" +
                                std::to_string(location.column + 1) + ": ";
    if (std::string problem =
            check_rule(proto.rule(i), i, origin, at_rule, rule_tree, time_scale, rule);
        !problem.empty())
      return {std::nullopt, problem};
    if (!names.insert(rule.name).second)
      return {std::nullopt, where(origin, rule_tree, proto.rule(i), "name") +
                                "two rules are named \"" + rule.name + "\""};
    rules.rules.push_back(std::move(rule));
  }
  return {std::move(rules), {}};
}

DelayRulesLoad load_delay_rules_file(const std::string& path, double time_scale) {
  std::ifstream in(path);
  if (!in) return {std::nullopt, path + ": cannot open delay-rules file"};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_delay_rules(buffer.str(), path, time_scale);
}

std::string format_delay_rules(const core::DelayRules& rules) {
  std::ostringstream out;
  out << "# proto-file: proto/yz/v1/delay_rules.proto\n# proto-message: yz.v1.DelayRules\n";
  for (const core::HoldRule& rule : rules.rules) {
    out << "rule {\n  name: \"" << rule.name << "\"\n  process: \"" << rule.process << "\"\n"
        << "  frame { type: \"" << core::message_type_name(rule.type) << "\"";
    if (!rule.from_name.empty()) out << " from_name: \"" << rule.from_name << "\"";
    if (rule.from_role != core::Role::kUnspecified)
      out << " from_role: \"" << core::role_name(rule.from_role) << "\"";
    out << " }\n";
    if (rule.hold_for > 0) out << "  for_ms: " << rule.hold_for / core::kMillisecond << "\n";
    if (rule.until_received || rule.until_routing_entries != 0 ||
        !rule.until_routing_peers.empty()) {
      out << "  until {";
      if (rule.until_received)
        out << " received: \"" << core::message_type_name(*rule.until_received) << "\"";
      if (rule.until_routing_entries != 0)
        out << " routing_entries: " << rule.until_routing_entries;
      for (const std::string& name : rule.until_routing_peers)
        out << " routing_peers: \"" << name << "\"";
      out << " }\n";
    }
    out << "}\n";
  }
  return out.str();
}

}  // namespace yz::roles
