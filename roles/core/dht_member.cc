#include "roles/core/dht_member.h"

#include <stdexcept>
#include <utility>

#include "roles/metrics/registry.h"

namespace yz::core {

DhtMember::DhtMember(Env& env, ProcessConfig config)
    : env_(env),
      config_(std::move(config)),
      self_{config_.node_id,
            PeerMetadata{config_.role, config_.listen_address, config_.protocol_version,
                         config_.build_id, config_.name}},
      metrics_(env.metrics()),
      state_metrics_(env.metrics(), config_.faults),
      routing_table_(config_.node_id, config_.timing.k),
      links_(env, metrics_, self_,
             PeerLinks::Callbacks{
                 [this](ConnectionManager& manager) { wiring_.on_peer_link(manager); },
                 [this](const PeerInfo& peer, LinkId) {
                   routing_table_.remove(peer.node_id);
                   dht_.on_peer_lost(peer.node_id);
                 },
                 [this](LinkId link) { dht_.on_link_gone(link); }},
             config_.identity),
      dht_(env, metrics_, config_.timing, config_.faults, self_, routing_table_, links_),
      data_(env, metrics_, config_, self_, dht_, routing_table_,
            // A bridge holds no chain of its own but is in the network (as
            // health_monitor counts it): it may put and get as a client.
            [this] { return credentials_.is_member() || config_.role == Role::kBridge; }),
      health_(env, config_, metrics_, links_, routing_table_, dht_, credentials_, bootstrap_,
              newcomer_),
      bootstrap_(env, config_, self_, metrics_, credentials_, refusals_),
      credentials_(env, config_, self_, refusals_),
      newcomer_(env, config_, self_, metrics_, links_, routing_table_, dht_, credentials_,
                bootstrap_, refusals_),
      helper_(env, config_, self_, metrics_, dht_, credentials_),
      wiring_{[this](ConnectionManager& manager) { route_peer_link(manager); },
              [this](ConnectionManager& from, Message&& message) {
                helper_.on_request(from, std::move(message));
              },
              // A newcomer asks to join; a member back from a lost
              // bootstrap link asks for peers.
              [this](const msg::Registered&) { newcomer_.ask_for_peers_or_genesis(); },
              [](Message&) { return false; },
              [this](Health::Emergency emergency) { health_.discover_peers(emergency); },
              [](bool) {}} {
  if (config_.identity && config_.identity->node_id() != config_.node_id)
    throw std::invalid_argument("process " + config_.name + ": node id is not its key's");
  routing_table_.set_on_node_added(
      [this](const PeerInfo& peer, RoutingTable::Placement) { dht_.handle_peer_connected(peer); });
  routing_table_.set_skip_callback_for_replacement(
      config_.faults.has(Fault::kReplacementCacheNoCallback));
  links_.set_per_direction_managers(config_.faults.has(Fault::kPongWrongManager));
  if (config_.identity) {
    links_.set_admission(
        PeerLinks::Admission{[this]() -> const CredentialChain& { return credentials_.chain(); },
                             [this](const NodeId& peer, const CredentialChain& chain) {
                               return credentials_.admit(peer, chain);
                             }});
  }
  dht_.set_role_request_handler([this](ConnectionManager& from, Message&& message) {
    wiring_.on_role_request(from, std::move(message));
  });
  dht_.set_value_request_handler([this](ConnectionManager& from, Message&& message) {
    data_.on_request(from, std::move(message));
  });
  bootstrap_.set_callbacks(BootstrapSession::Callbacks{
      [this](Message&& message) { on_bootstrap_message(std::move(message)); },
      [this] { newcomer_.on_bootstrap_lost(); }});
  health_.set_callbacks(HealthMonitor::Callbacks{
      [this](bool healthy) { wiring_.on_health_checked(healthy); },
      [this](Health::Emergency emergency) { wiring_.on_emergency(emergency); }});
  env.metrics().AddCollectCallback([this] {
    const std::size_t connected = links_.connected_count();
    metrics_.healthy.Set(health_.health().healthy(env_.now(), connected) ? 1 : 0);
    metrics_.connected_peers.Set(static_cast<double>(connected));
    metrics_.routing_table_size.Set(static_cast<double>(routing_table_.size()));
    metrics_.peers_missing_handler.Set(static_cast<double>(dht_.peers_missing_handler()));
    metrics_.links_inbound.Set(static_cast<double>(links_.inbound_count()));
    metrics_.links_outbound.Set(static_cast<double>(links_.outbound_count()));
    metrics_.health_consecutive_failures.Set(health_.health().consecutive_failures());
    metrics_.bootstrap_connected.Set(bootstrap_.ready() ? 1 : 0);
    metrics_.values_held.Set(static_cast<double>(data_.values_held()));
    metrics_.value_bytes_held.Set(static_cast<double>(data_.bytes_held()));
    state_metrics_.set_state(health_.join_state());
    state_metrics_.set_reason(health_.health_reason());
  });
}

void DhtMember::wire(Wiring wiring) {
  if (wiring.on_peer_link) wiring_.on_peer_link = std::move(wiring.on_peer_link);
  if (wiring.on_role_request) wiring_.on_role_request = std::move(wiring.on_role_request);
  if (wiring.on_registered) wiring_.on_registered = std::move(wiring.on_registered);
  if (wiring.on_bootstrap_message)
    wiring_.on_bootstrap_message = std::move(wiring.on_bootstrap_message);
  if (wiring.on_emergency) wiring_.on_emergency = std::move(wiring.on_emergency);
  if (wiring.on_health_checked) wiring_.on_health_checked = std::move(wiring.on_health_checked);
}

void DhtMember::start() {
  running_ = true;
  health_.start();
  newcomer_.start();
  env_.log(LogLevel::kInfo, "started",
           {{"role", std::string(role_name(config_.role))}, {"node_id", self_.node_id.to_hex()}});
  bootstrap_.connect();
  health_.schedule_check();
}

void DhtMember::stop() {
  if (!running_) return;
  running_ = false;
  health_.stop();
  newcomer_.stop();
  data_.shutdown();  // before the Dht's: its puts and gets answer "stopped"
  dht_.shutdown();
  links_.close_all();
  bootstrap_.close();
}

void DhtMember::on_link_accepted(LinkId link) {
  if (!running_) return;
  links_.on_link_accepted(link);
}

void DhtMember::on_link_opened(LinkId link) {
  if (!running_) return;
  if (bootstrap_.on_link_opened(link)) return;
  links_.on_link_opened(link);
}

void DhtMember::on_link_closed(LinkId link, std::string_view reason) {
  if (!running_) return;
  if (bootstrap_.on_link_closed(link, reason)) return;
  links_.on_link_closed(link, reason);
}

void DhtMember::on_frame(LinkId link, Message&& message) {
  if (!running_) return;
  if (bootstrap_.on_frame(link, std::move(message))) return;
  links_.on_frame(link, std::move(message));
}

void DhtMember::route_peer_link(ConnectionManager& manager) {
  const auto placement = routing_table_.handle_peer_connected(manager.peer());
  if (placement == RoutingTable::Placement::kReplacementCache &&
      config_.faults.has(Fault::kReplacementCacheNoCallback))
    env_.log(LogLevel::kDebug, "replacement_without_callback",
             {{"peer", manager.peer().node_id.short_hex()}});
}

void DhtMember::on_bootstrap_message(Message&& message) {
  if (auto* registered = message.get<msg::Registered>()) {
    // A bridge's registration carries the root of its chain.
    if (!registered->bridge_invitation.signature.empty())
      credentials_.accept_bootstrap_invitation(registered->bridge_invitation);
    wiring_.on_registered(*registered);
    return;
  }
  if (newcomer_.handle(message) || wiring_.on_bootstrap_message(message)) return;
  metrics_.dropped("unexpected_bootstrap_message").Increment();
  env_.log(LogLevel::kWarn, "unexpected_bootstrap_message",
           {{"type", std::string(message_type_name(message.type()))}});
}

void DhtMember::set_faults(const FaultSet& faults) {
  config_.faults = faults;  // Dht reads the same FaultSet
  routing_table_.set_skip_callback_for_replacement(faults.has(Fault::kReplacementCacheNoCallback));
  links_.set_per_direction_managers(faults.has(Fault::kPongWrongManager));
  state_metrics_.set_faults(faults);
}

ProcessStatus DhtMember::status() {
  const Health& health = health_.health();
  ProcessStatus s;
  s.name = config_.name;
  s.role = config_.role;
  s.node_id = self_.node_id;
  s.connected_peers = links_.connected_count();
  s.healthy = health.healthy(env_.now(), s.connected_peers);
  s.uptime = env_.now() - health.started_at();
  s.routing_table_size = routing_table_.size();
  s.health_failures = health.consecutive_failures();
  s.peers_missing_handler = dht_.peers_missing_handler();
  s.dropped_no_handler = static_cast<std::uint64_t>(metrics_.dropped("no_handler").Value());
  s.find_node_timeouts = dht_.find_node_timeouts();
  s.late_answers = dht_.late_answers();
  s.onboarding_failures = newcomer_.failures();
  s.bootstrap_connected = bootstrap_.ready();
  s.member = credentials_.is_member();
  s.state = health_.join_state();
  s.reason = health_.health_reason();
  return s;
}

}  // namespace yz::core
