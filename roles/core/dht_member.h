#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "roles/core/bootstrap_session.h"
#include "roles/core/core_metrics.h"
#include "roles/core/data_plane.h"
#include "roles/core/dht.h"
#include "roles/core/health.h"
#include "roles/core/health_monitor.h"
#include "roles/core/member_credentials.h"
#include "roles/core/newcomer_onboarding.h"
#include "roles/core/onboarding_helper.h"
#include "roles/core/peer_links.h"
#include "roles/core/process.h"
#include "roles/core/refusal_log.h"
#include "roles/core/routing_table.h"
#include "roles/core/state_metrics.h"

namespace yz::core {

// A DHT member (genesis, bridge or node), composed of units with one job
// each: the links, routing table and DHT; its credentials
// (member_credentials.h); the link to the bootstrap (bootstrap_session.h);
// the newcomer's and the helper's sides of onboarding
// (newcomer_onboarding.h, onboarding_helper.h); and health checks with
// emergency peer discovery (health_monitor.h). This class owns them and
// wires them together; a role changes what its Wiring names, nothing else.
// The whole onboarding flow, step by step, is in roles/ONBOARDING.md.
class DhtMember : public Process {
 public:
  // Where a role differs from a plain node. Each is set to the plain
  // node's behaviour until a role replaces it.
  struct Wiring {
    // A peer link finished its handshake. A node's takes the path every
    // link of a plain node takes: ConnectionManager -> RoutingTable -> Dht
    // (route_peer_link).
    std::function<void(ConnectionManager&)> on_peer_link;
    // A DHT message the Dht does not answer itself. A node's is the
    // helper's side of onboarding (OnboardingHelper).
    std::function<void(ConnectionManager&, Message&&)> on_role_request;
    // Registered with the bootstrap. A node asks to join the network.
    std::function<void(const msg::Registered&)> on_registered;
    // A coordination message from the bootstrap the member does not handle:
    // true when the role took it. A node takes none.
    std::function<bool(Message&)> on_bootstrap_message;
    // Too few connections. A node's is HealthMonitor::discover_peers.
    std::function<void(Health::Emergency)> on_emergency;
    std::function<void(bool healthy)> on_health_checked;
  };

  DhtMember(Env& env, ProcessConfig config);
  DhtMember(const DhtMember&) = delete;
  DhtMember& operator=(const DhtMember&) = delete;

  void start() override;
  void stop() override;
  void on_link_accepted(LinkId link) override;
  void on_link_opened(LinkId link) override;
  void on_link_closed(LinkId link, std::string_view reason) override;
  void on_frame(LinkId link, Message&& message) override;
  ProcessStatus status() override;
  void set_faults(const FaultSet& faults) override;
  std::size_t peers_missing_handler() override { return dht_.peers_missing_handler(); }
  // From the counters /metrics exports (yz_dht_messages_dropped_total and
  // yz_links_closed_total), which count exactly those events.
  InvariantCounters invariant_counters() override {
    return {static_cast<std::uint64_t>(metrics_.dropped("no_handler").Value()),
            static_cast<std::uint64_t>(metrics_.link_closed("dead_link").Value())};
  }

  Dht& dht() { return dht_; }
  // Puts and gets for clients, and the values this member holds.
  DataPlane& data() { return data_; }
  RoutingTable& routing_table() { return routing_table_; }
  PeerLinks& links() { return links_; }
  CoreMetrics& metrics() { return metrics_; }
  const ProcessConfig& config() const { return config_; }
  const PeerInfo& self() const { return self_; }
  bool is_member() const { return credentials_.is_member(); }
  // This process's membership, back to the bootstrap: what it shows on
  // every link. Empty until it has one.
  const CredentialChain& chain() const { return credentials_.chain(); }
  BootstrapSession& bootstrap() { return bootstrap_; }
  HealthMonitor& health() { return health_; }

  // The plain node's path for a finished peer link: RoutingTable records
  // the peer, then fires on_node_added, which lands in
  // Dht::handle_peer_connected (the incident's path).
  void route_peer_link(ConnectionManager& manager);

 protected:
  // For a role's constructor: replaces the parts of the wiring it sets.
  void wire(Wiring wiring);

 private:
  void on_bootstrap_message(Message&& message);

  Env& env_;
  ProcessConfig config_;
  PeerInfo self_;
  CoreMetrics metrics_;
  StateMetrics state_metrics_;
  RoutingTable routing_table_;
  PeerLinks links_;
  Dht dht_;
  DataPlane data_;
  HealthMonitor health_;
  BootstrapSession bootstrap_;
  MemberCredentials credentials_;
  NewcomerOnboarding newcomer_;
  OnboardingHelper helper_;
  Wiring wiring_;
  bool running_ = false;
  // Refusals of what others send us, written through one rate limit.
  RefusalLog refusals_{env_};
};

}  // namespace yz::core
