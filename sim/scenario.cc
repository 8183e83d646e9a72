#include "sim/scenario.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "proto/text_format_error.h"
#include "yz/sim/v1/scenario.pb.h"

namespace yz::sim {
namespace {

namespace pb = google::protobuf;
using core::kMillisecond;

// Names where a field of a parsed message sits in the file.
class Locator {
 public:
  Locator(std::string origin, const pb::TextFormat::ParseInfoTree* tree)
      : origin_(std::move(origin)), tree_(tree) {}

  std::string at(const pb::Message& msg, const char* field, int index = -1) const {
    const auto* descriptor = msg.GetDescriptor()->FindFieldByName(field);
    if (tree_ != nullptr && descriptor != nullptr) {
      const auto location = tree_->GetLocation(descriptor, index);
      if (location.line >= 0)
        return origin_ + ":" + std::to_string(location.line + 1) + ":" +
               std::to_string(location.column + 1) + ": ";
    }
    return origin_ + ": ";
  }
  Locator nested(const pb::Message& msg, const char* field, int index = -1) const {
    const auto* descriptor = msg.GetDescriptor()->FindFieldByName(field);
    return Locator(origin_,
                   tree_ && descriptor ? tree_->GetTreeForNested(descriptor, index) : nullptr);
  }
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
  const pb::TextFormat::ParseInfoTree* tree_;
};

// The length of the UTF-8 sequence starting at text[i], or 0 when it is
// not one (overlong forms, surrogates and code points past U+10FFFF too).
std::size_t utf8_length(const std::string& text, std::size_t i) {
  const auto byte = [&](std::size_t j) { return static_cast<unsigned char>(text[j]); };
  const unsigned char c = byte(i);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (std::size_t j = 1; j < n; ++j) {
    if ((byte(i + j) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + j) & 0x3f);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return n;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

core::Role role_of(v1::Role role) {
  switch (role) {
    case v1::BOOTSTRAP:
      return core::Role::kBootstrap;
    case v1::GENESIS:
      return core::Role::kGenesis;
    case v1::BRIDGE:
      return core::Role::kBridge;
    case v1::NODE:
      return core::Role::kNode;
    default:
      return core::Role::kUnspecified;
  }
}

// Overrides a Timing field when the scenario sets it (0 keeps the default).
void apply_timing(const v1::Timing& t, core::Timing& timing) {
  auto ms = [](std::uint64_t v, core::Duration& out) {
    // Capped so that huge values mean "never" instead of overflowing.
    constexpr std::uint64_t kMaxMs = INT64_MAX / kMillisecond;
    if (v != 0) out = static_cast<core::Duration>(std::min(v, kMaxMs)) * kMillisecond;
  };
  ms(t.health_check_interval_ms(), timing.health_check_interval);
  if (t.health_failure_limit() != 0) timing.health_failure_limit = t.health_failure_limit();
  ms(t.startup_grace_ms(), timing.startup_grace);
  ms(t.find_node_timeout_connected_ms(), timing.find_node_timeout_connected);
  ms(t.find_node_timeout_ms(), timing.find_node_timeout);
  ms(t.onboarding_bridge_timeout_ms(), timing.onboarding_bridge_timeout);
  ms(t.invitation_timeout_ms(), timing.invitation_timeout);
  ms(t.invitation_expiry_ms(), timing.invitation_expiry);
  ms(t.emergency_throttle_ms(), timing.emergency_throttle);
  if (t.k() != 0) timing.k = t.k();
  if (t.alpha() != 0) timing.alpha = t.alpha();
  ms(t.value_ttl_ms(), timing.value_ttl);
  ms(t.republish_interval_ms(), timing.republish_interval);
  if (t.put_write_quorum() != 0) timing.put_write_quorum = t.put_write_quorum();
  ms(t.put_timeout_ms(), timing.put_timeout);
  ms(t.get_timeout_ms(), timing.get_timeout);
}

// Every time in a scenario: a century, so that sums of a few of them (a
// start, its jitter, the run and its liveness phase) stay far from
// overflowing the nanosecond clock.
constexpr std::uint64_t kMaxMs = 100ULL * 365 * 24 * 3600 * 1000;

std::string validate(const v1::Scenario& proto, const Locator& where, const ScenarioLimits& limits,
                     Scenario& out) {
  if (proto.duration_ms() == 0) return where.at(proto, "duration_ms") + "duration_ms must be > 0";
  if (proto.duration_ms() > kMaxMs)
    return where.at(proto, "duration_ms") + "duration_ms is too large (at most a century)";
  if (proto.liveness_bound_ms() > kMaxMs)
    return where.at(proto, "liveness_bound_ms") + "liveness_bound_ms is too large";
  if (proto.has_lookup_check() && proto.lookup_check().at_ms() > kMaxMs)
    return where.at(proto, "lookup_check") + "lookup_check at_ms is too large";
  out.name = proto.name();
  out.description = proto.description();
  out.duration = static_cast<core::Duration>(proto.duration_ms()) * kMillisecond;

  out.latency_min = 500 * core::kMillisecond / 1000;  // 500 us
  out.latency_max = 20 * kMillisecond;
  if (proto.has_latency()) {
    const auto& latency = proto.latency();
    if (latency.max_us() < latency.min_us())
      return where.at(proto, "latency") + "latency max_us (" + std::to_string(latency.max_us()) +
             ") is below min_us (" + std::to_string(latency.min_us()) + ")";
    if (latency.max_us() == 0) return where.at(proto, "latency") + "latency max_us must be > 0";
    if (latency.max_us() > static_cast<std::uint64_t>(INT64_MAX / 1000))
      return where.at(proto, "latency") + "latency max_us is too large";
    out.latency_min = static_cast<core::Duration>(latency.min_us()) * 1000;
    out.latency_max = static_cast<core::Duration>(latency.max_us()) * 1000;
    if (latency.tail_per_mille() > 999)
      return where.at(proto, "latency") + "latency tail_per_mille must be below 1000";
    if (latency.tail_per_mille() > 0) {
      if (latency.tail_max_us() < latency.max_us())
        return where.at(proto, "latency") + "latency tail_max_us (" +
               std::to_string(latency.tail_max_us()) + ") is below max_us (" +
               std::to_string(latency.max_us()) + ")";
      if (latency.tail_max_us() > static_cast<std::uint64_t>(INT64_MAX / 1000))
        return where.at(proto, "latency") + "latency tail_max_us is too large";
      out.latency_tail_max = static_cast<core::Duration>(latency.tail_max_us()) * 1000;
      out.latency_tail_per_mille = latency.tail_per_mille();
    }
  }
  apply_timing(proto.timing(), out.timing);
  if (out.timing.alpha > out.timing.k)
    return where.at(proto, "timing") + "timing alpha must not exceed k";
  if (out.timing.put_write_quorum > out.timing.k)
    return where.at(proto, "timing") + "timing put_write_quorum must not exceed k";

  std::set<std::string> names;
  int bootstraps = 0;
  int genesis = 0;
  for (int i = 0; i < proto.process_size(); ++i) {
    const auto& p = proto.process(i);
    const Locator at = where.nested(proto, "process", i);
    if (!valid_name(p.name()))
      return where.at(proto, "process", i) + "process name '" + printable(p.name()) +
             "' must be 1-64 characters of [A-Za-z0-9._-]";
    const core::Role role = role_of(p.role());
    if (role == core::Role::kUnspecified && p.role() == v1::ROLE_UNSPECIFIED)
      return where.at(proto, "process", i) + "process '" + p.name() + "' has no role";
    if (role == core::Role::kUnspecified)
      return at.at(p, "role") + "process '" + p.name() + "' has unknown role " +
             std::to_string(static_cast<int>(p.role())) +
             " (expected BOOTSTRAP, GENESIS, BRIDGE or NODE)";
    if (!names.insert(p.name()).second)
      return at.at(p, "name") + "process name '" + p.name() + "' is used twice";
    if (p.start_at_ms() > kMaxMs)
      return at.at(p, "start_at_ms") + "start_at_ms of '" + p.name() + "' is too large";
    bootstraps += role == core::Role::kBootstrap;
    genesis += role == core::Role::kGenesis;
    out.processes.push_back(ProcessSpec{
        p.name(), role, static_cast<core::Duration>(p.start_at_ms()) * kMillisecond, 0});
  }
  // The processes the groups would add, counted before one is built.
  std::uint64_t total = static_cast<std::uint64_t>(proto.process_size());
  for (int i = 0; i < proto.node_group_size(); ++i) {
    total += proto.node_group(i).count();
    if (total > limits.max_processes)
      return where.at(proto, "node_group", i) + "node_group '" +
             printable(proto.node_group(i).name_prefix()) + "' (count " +
             std::to_string(proto.node_group(i).count()) + ") brings the scenario to " +
             std::to_string(total) + " processes, over the cap of " +
             std::to_string(limits.max_processes) + " (yzsim --max-processes N raises it)";
  }
  if (total > limits.max_processes)
    return where.origin() + ": the scenario has " + std::to_string(total) +
           " processes, over the cap of " + std::to_string(limits.max_processes) +
           " (yzsim --max-processes N raises it)";
  for (int i = 0; i < proto.node_group_size(); ++i) {
    const auto& g = proto.node_group(i);
    const Locator at = where.nested(proto, "node_group", i);
    if (!valid_name(g.name_prefix() + "1"))
      return at.at(g, "name_prefix") + "node_group name_prefix '" + printable(g.name_prefix()) +
             "' must be characters of [A-Za-z0-9._-]";
    if (g.count() == 0) return where.at(proto, "node_group", i) + "node_group count must be > 0";
    // The last node's start, first + (count - 1) * interval, and the jitter.
    if (g.first_start_ms() > kMaxMs || g.start_jitter_ms() > kMaxMs ||
        (g.count() > 1 && g.start_interval_ms() > (kMaxMs - g.first_start_ms()) / (g.count() - 1)))
      return where.at(proto, "node_group", i) + "node_group start times are too large";
    for (std::uint32_t n = 1; n <= g.count(); ++n) {
      const std::string name = g.name_prefix() + std::to_string(n);
      if (!names.insert(name).second)
        return where.at(proto, "node_group", i) + "process name '" + name + "' is used twice";
      out.processes.push_back(ProcessSpec{
          name, core::Role::kNode,
          static_cast<core::Duration>(g.first_start_ms() + (n - 1) * g.start_interval_ms()) *
              kMillisecond,
          static_cast<core::Duration>(g.start_jitter_ms()) * kMillisecond});
    }
  }
  if (bootstraps != 1)
    return where.origin() + ": a scenario needs exactly one BOOTSTRAP process, found " +
           std::to_string(bootstraps);
  if (genesis != 1)
    return where.origin() + ": a scenario needs exactly one GENESIS process, found " +
           std::to_string(genesis);
  for (int i = 0; i < proto.fault_size(); ++i) {
    const auto fault = core::fault_from_name(proto.fault(i));
    if (!fault)
      return where.at(proto, "fault", i) + "unknown fault '" + proto.fault(i) +
             "' (yzsim faults lists them)";
    out.faults.enable(*fault);
  }
  out.bridge_auth = proto.bridge_auth().empty() ? "sim-bridge-auth" : proto.bridge_auth();
  out.genesis_auth = proto.genesis_auth().empty() ? "sim-genesis-auth" : proto.genesis_auth();
  if (proto.has_lookup_check()) {
    out.lookup_checks = proto.lookup_check().count();
    out.lookup_check_at = static_cast<core::Duration>(proto.lookup_check().at_ms()) * kMillisecond;
    if (out.lookup_check_at >= out.duration)
      return where.at(proto, "lookup_check") + "lookup_check at_ms must be before duration_ms";
  }
  out.liveness_bound = static_cast<core::Duration>(proto.liveness_bound_ms()) * kMillisecond;
  out.restarts = proto.restarts();
  out.sim_hash_signatures = proto.signatures() == v1::SIM_HASH;
  return {};
}

}  // namespace

std::string printable(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

std::string not_text_problem(const std::string& text, const std::string& origin) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    bool text_byte = true;
    if (c < 0x80) {
      // Tabs, newlines, carriage returns, vertical tabs and form feeds are
      // white space in a text proto; every other control character is not.
      text_byte = c >= 0x20 ? c != 0x7f : (c >= '\t' && c <= '\r');
    } else {
      length = utf8_length(text, i);
      text_byte = length != 0;
    }
    if (!text_byte) {
      char value[8];
      std::snprintf(value, sizeof value, "0x%02x", c);
      return origin + ": not a text file: byte " + value + " at offset " + std::to_string(i) +
             " (line " + std::to_string(line) + ", column " + std::to_string(column) + ") is " +
             (c < 0x80 ? "a control character" : "not UTF-8") +
             "; a scenario is a yz.sim.v1.Scenario text proto";
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += length;
  }
  return {};
}

ScenarioLoad parse_scenario(const std::string& text, const std::string& origin,
                            const ScenarioLimits& limits) {
  // Before the tokenizer, whose messages quote the byte it choked on.
  if (std::string problem = not_text_problem(text, origin); !problem.empty())
    return ScenarioLoad{std::nullopt, std::move(problem)};
  v1::Scenario proto;
  pb::TextFormat::Parser parser;
  FirstTextFormatError errors(origin);
  pb::TextFormat::ParseInfoTree tree;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(text, &proto)) {
    return ScenarioLoad{std::nullopt, errors.first().empty()
                                          ? origin + ": not a yz.sim.v1.Scenario text proto"
                                          : errors.first()};
  }
  Scenario scenario;
  const std::string problem = validate(proto, Locator(origin, &tree), limits, scenario);
  if (!problem.empty()) return ScenarioLoad{std::nullopt, problem};
  return ScenarioLoad{std::move(scenario), {}};
}

const std::vector<TimingDuration>& timing_durations() {
  static const std::vector<TimingDuration> kFields = {
      {"health_check_interval", &core::Timing::health_check_interval},
      {"startup_grace", &core::Timing::startup_grace},
      {"find_node_timeout_connected", &core::Timing::find_node_timeout_connected},
      {"find_node_timeout", &core::Timing::find_node_timeout},
      {"onboarding_bridge_timeout", &core::Timing::onboarding_bridge_timeout},
      {"invitation_timeout", &core::Timing::invitation_timeout},
      {"invitation_expiry", &core::Timing::invitation_expiry},
      {"emergency_throttle", &core::Timing::emergency_throttle},
      {"emergency_throttle_connected", &core::Timing::emergency_throttle_connected},
      {"onboarding_give_up", &core::Timing::onboarding_give_up},
      {"handshake_timeout", &core::Timing::handshake_timeout},
      {"value_ttl", &core::Timing::value_ttl},
      {"republish_interval", &core::Timing::republish_interval},
      {"put_timeout", &core::Timing::put_timeout},
      {"get_timeout", &core::Timing::get_timeout},
  };
  return kFields;
}

Scenario apply_edits(const Scenario& scenario, const ScenarioEdits& edits) {
  Scenario out = scenario;
  if (!edits.dropped.empty()) {
    std::erase_if(out.processes, [&](const ProcessSpec& p) {
      return std::find(edits.dropped.begin(), edits.dropped.end(), p.name) != edits.dropped.end();
    });
  }
  if (edits.latency_min) out.latency_min = *edits.latency_min;
  if (edits.latency_max) out.latency_max = std::max(*edits.latency_max, out.latency_min);
  if (edits.start_spacing_percent) {
    // Scales each DHT node's start offset from the first DHT node's start,
    // so the join spacing changes and the infrastructure's start does not.
    core::Duration first = -1;
    for (const auto& p : out.processes)
      if (p.role == core::Role::kNode && (first < 0 || p.start_at < first)) first = p.start_at;
    for (auto& p : out.processes) {
      if (p.role != core::Role::kNode) continue;
      p.start_at = first + (p.start_at - first) * *edits.start_spacing_percent / 100;
      p.start_jitter = p.start_jitter * *edits.start_spacing_percent / 100;
    }
  }
  if (edits.latency_tail_per_mille) out.latency_tail_per_mille = *edits.latency_tail_per_mille;
  if (edits.latency_tail_max) out.latency_tail_max = *edits.latency_tail_max;
  if (out.latency_tail_max < out.latency_max) out.latency_tail_per_mille = 0;
  if (out.latency_tail_per_mille > 999) out.latency_tail_per_mille = 999;
  for (const auto& [name, value] : edits.timing)
    for (const TimingDuration& field : timing_durations())
      if (field.name == name) out.timing.*field.field = value;
  if (edits.liveness_bound) out.liveness_bound = *edits.liveness_bound;
  if (edits.faults) out.faults = *edits.faults;
  if (edits.restarts) out.restarts = *edits.restarts;
  if (edits.sim_hash_signatures) out.sim_hash_signatures = true;
  if (edits.duration) {
    out.duration = *edits.duration;
    if (out.lookup_check_at >= out.duration) out.lookup_checks = 0;
  }
  return out;
}

ScenarioLoad load_scenario_file(const std::string& path, const ScenarioLimits& limits) {
  std::ifstream in(path);
  if (!in) return ScenarioLoad{std::nullopt, path + ": cannot open scenario file"};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_scenario(buffer.str(), path, limits);
}

}  // namespace yz::sim
