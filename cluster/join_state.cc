#include "cluster/join_state.h"

#include "roles/core/timing.h"

namespace yz::cluster {

std::string join_state_name(JoinState state) {
  switch (state) {
    case JoinState::kJoining:
      return "joining";
    case JoinState::kJoined:
      return "joined";
    case JoinState::kIsolated:
      return "isolated";
    case JoinState::kDegraded:
      return "degraded";
    case JoinState::kDown:
      return "down";
    case JoinState::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<JoinState> join_state_from_name(const std::string& name) {
  for (const JoinState s :
       {JoinState::kJoining, JoinState::kJoined, JoinState::kIsolated, JoinState::kDegraded}) {
    if (join_state_name(s) == name) return s;
  }
  return std::nullopt;
}

JoinState derive_join_state(const std::string& role, long connected_peers, long routing_table_size,
                            long peers_missing_handler, std::optional<double> uptime_seconds,
                            double startup_grace_seconds) {
  if (role == "bootstrap") return JoinState::kJoined;
  if (peers_missing_handler > 0) return JoinState::kDegraded;
  if (connected_peers > 0 && routing_table_size > 0) return JoinState::kJoined;
  if (uptime_seconds && *uptime_seconds < startup_grace_seconds) return JoinState::kJoining;
  return JoinState::kIsolated;
}

JoinState join_state_of(const std::string& role, const json::Value& health,
                        double startup_grace_seconds) {
  if (const auto reported = join_state_from_name(health.string_at("state"))) return *reported;
  std::optional<double> uptime;
  for (const char* key : {"uptimeSeconds", "uptime"}) {
    if (const json::Value* v = health.find(key); v != nullptr && v->is_number()) {
      uptime = v->as_double();
      break;
    }
  }
  return derive_join_state(role, static_cast<long>(health.int_at("connectedPeers")),
                           static_cast<long>(health.int_at("routingTableSize")),
                           static_cast<long>(health.int_at("peersMissingHandler")), uptime,
                           startup_grace_seconds);
}

double startup_grace_seconds(double time_scale) {
  const core::Timing defaults;
  const double grace =
      static_cast<double>(defaults.startup_grace) / static_cast<double>(core::kSecond);
  return time_scale > 0 ? grace / time_scale : grace;
}

}  // namespace yz::cluster
