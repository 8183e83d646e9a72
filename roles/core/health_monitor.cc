#include "roles/core/health_monitor.h"

#include <string>

namespace yz::core {

HealthMonitor::HealthMonitor(Env& env, const ProcessConfig& config, CoreMetrics& metrics,
                             PeerLinks& links, RoutingTable& routing_table, Dht& dht,
                             const MemberCredentials& credentials, BootstrapSession& bootstrap,
                             NewcomerOnboarding& newcomer)
    : env_(env),
      config_(config),
      metrics_(metrics),
      links_(links),
      routing_table_(routing_table),
      dht_(dht),
      credentials_(credentials),
      bootstrap_(bootstrap),
      newcomer_(newcomer),
      health_(config.timing) {}

void HealthMonitor::start() {
  running_ = true;
  health_.start(env_.now());
}

void HealthMonitor::stop() {
  running_ = false;
  health_.stop();
}

void HealthMonitor::schedule_check() {
  env_.start_timer(config_.timing.health_check_interval, [this] {
    if (!running_) return;
    run_check();
    schedule_check();
  });
}

void HealthMonitor::run_check() {
  const std::size_t connected = links_.connected_count();
  const auto emergency =
      health_.check(env_.now(), Health::Observation{connected, routing_table_.size()});
  if (connected == 0) {
    metrics_.health_check_failures.Increment();
    env_.log(LogLevel::kWarn, "health_check_failed",
             {{"connections", "0"}, {"failures", std::to_string(health_.consecutive_failures())}});
  }
  // Liveness: the side that dialled a link pings it. A link without a DHT
  // listener still answers, which is why the incident looked healthy from
  // the outside.
  for (ConnectionManager* manager : links_.pinged_links()) {
    if (manager->direction() != Direction::kOutbound) continue;
    if (manager->unanswered_pings() >= config_.timing.dead_link_pings) {
      env_.log(LogLevel::kWarn, "link_dead",
               {{"peer", manager->peer().node_id.short_hex()},
                {"unanswered_pings", std::to_string(manager->unanswered_pings())}});
      links_.close(manager->link(), "dead_link");
      continue;
    }
    manager->send_ping();
  }
  const bool healthy = health_.healthy(env_.now(), connected);
  metrics_.healthy.Set(healthy ? 1 : 0);
  if (join_state() == JoinState::kJoined) {
    // Joined: what went wrong before is no reason any more.
    newcomer_.forget_failure_code();
    late_answers_baseline_ = dht_.late_answers();
    unanswered_baseline_ = dht_.find_node_timeouts();
  }
  callbacks_.on_checked(healthy);
  if (emergency != Health::Emergency::kNone) callbacks_.on_emergency(emergency);
}

void HealthMonitor::discover_peers(Health::Emergency emergency) {
  (emergency == Health::Emergency::kZeroConnections ? metrics_.emergency_zero_connections
                                                    : metrics_.emergency_few_connections)
      .Increment();
  env_.log(LogLevel::kWarn, "emergency_peer_discovery",
           {{"connected", std::to_string(links_.connected_count())},
            {"routing", std::to_string(routing_table_.size())},
            {"zero", emergency == Health::Emergency::kZeroConnections ? "true" : "false"}});
  if (bootstrap_.disconnected()) {
    bootstrap_.connect();  // registering again asks for peers
    return;
  }
  newcomer_.ask_for_peers_or_genesis();
}

JoinState HealthMonitor::join_state() const {
  // A bridge is in the network by its registration with the bootstrap
  // (BRIDGE_AUTH), not by an invitation, so it never holds a membership
  // token: without this, every bridge of a healthy cluster read "isolated"
  // (and would page as an isolated node) although it links to every member.
  const bool in_network = credentials_.is_member() || config_.role == Role::kBridge;
  return core::join_state(JoinObservation{
      in_network, links_.connected_count(), routing_table_.size(), dht_.peers_missing_handler(),
      env_.now() - health_.started_at(), config_.timing.startup_grace});
}

HealthReason HealthMonitor::health_reason() const {
  return core::health_reason(ReasonObservation{
      join_state(), bootstrap_.ready(), dht_.late_answers() - late_answers_baseline_,
      dht_.find_node_timeouts() - unanswered_baseline_, newcomer_.failure_code()});
}

}  // namespace yz::core
