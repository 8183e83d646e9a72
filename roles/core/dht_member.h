#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "roles/core/core_metrics.h"
#include "roles/core/credentials.h"
#include "roles/core/dht.h"
#include "roles/core/handshake_auth.h"
#include "roles/core/health.h"
#include "roles/core/peer_links.h"
#include "roles/core/process.h"
#include "roles/core/refusal_log.h"
#include "roles/core/routing_table.h"
#include "roles/core/state_metrics.h"

namespace yz::core {

// What genesis, bridges and DHT nodes share: links, routing table, DHT,
// health with emergency peer discovery, the link to the bootstrap, and both
// member-side halves of onboarding (the newcomer's and the helper's). The
// whole onboarding flow, step by step, is described in roles/ONBOARDING.md.
class DhtMember : public Process {
 public:
  DhtMember(Env& env, ProcessConfig config);

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
  RoutingTable& routing_table() { return routing_table_; }
  PeerLinks& links() { return links_; }
  const PeerInfo& self() const { return self_; }
  bool is_member() const { return member_; }
  // This process's membership, back to the bootstrap: what it shows on
  // every link. Empty until it has one.
  const CredentialChain& chain() const { return chain_; }

 protected:
  // A peer link finished its handshake. The default is the path every link
  // of a plain node takes: ConnectionManager -> RoutingTable -> Dht.
  virtual void on_peer_link_established(ConnectionManager& manager);
  // A DHT message the Dht does not answer itself. The default is the
  // helper's half of onboarding: create_invitation_for_peer.
  virtual void on_role_request(ConnectionManager& from, Message&& message);
  // Registered with the bootstrap. The default asks to join the network.
  virtual void on_registered(const msg::Registered& registered);
  // A coordination message from the bootstrap that the member logic does
  // not handle; roles override to take theirs.
  virtual void on_bootstrap_message(Message&& message);
  // Too few connections; the default asks the bootstrap again.
  virtual void on_emergency(Health::Emergency emergency);
  virtual void on_health_checked(bool healthy) { (void)healthy; }

  void routing_table_path(ConnectionManager& manager);
  void send_to_bootstrap(Message message);
  bool bootstrap_ready() const { return bootstrap_state_ == BootstrapState::kReady; }
  void ask_for_peers_or_genesis();
  void become_member(const MembershipToken& token);
  // A peer's chain at link time, against the bootstrap's key.
  std::string admit(const NodeId& peer, const CredentialChain& chain);
  // An invitation the bootstrap signed for us (genesis's designation, a
  // bridge's registration): our chain's root. False when it is not one.
  bool accept_bootstrap_invitation(const Invitation& invitation);
  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
    env_.log(level, event, fields);
  }

  Env& env_;
  ProcessConfig config_;
  PeerInfo self_;
  CoreMetrics metrics_;
  StateMetrics state_metrics_;
  RoutingTable routing_table_;
  PeerLinks links_;
  Dht dht_;
  Health health_;

 private:
  enum class BootstrapState : std::uint8_t { kDisconnected, kDialling, kHandshake, kReady };

  void connect_bootstrap();
  void handle_bootstrap_message(Message&& message);
  void handle_bootstrap_handshake(Message&& message);
  void handle_peers_or_genesis(msg::PeersOrGenesis& answer);
  void become_genesis(const msg::PeersOrGenesis& answer);
  void handle_send_invitation(msg::SendInvitation& offer);
  void handle_peer_introduction(const msg::PeerIntroduction& introduction);
  void handle_onboarding_failed(const msg::OnboardingFailed& failure);
  void schedule_health_check();
  void run_health_check();
  void end_onboarding_attempt();
  JoinState join_state();
  HealthReason health_reason();
  void join_through(const std::vector<PeerInfo>& peers);
  void refresh_buckets_from(int bucket);

  bool running_ = false;
  bool member_ = false;
  MembershipToken token_;
  CredentialChain chain_;
  // The bootstrap's id, proven by the handshake on our bootstrap link: the
  // trust anchor of every chain. Unset until that handshake completes.
  std::optional<NodeId> anchor_;
  LinkId bootstrap_link_ = 0;
  BootstrapState bootstrap_state_ = BootstrapState::kDisconnected;
  HandshakeAuth bootstrap_auth_;
  CredentialChecker credentials_;
  bool onboarding_in_progress_ = false;
  TimerId onboarding_give_up_timer_ = 0;
  TimePoint onboarding_asked_at_ = 0;  // for yz_onboarding_duration_seconds
  PeerInfo inviter_;
  std::uint64_t onboarding_failures_ = 0;
  // What health_reason() weighs, since the process was last seen joined (at
  // a health check) or started: the code of the last onboarding_failed, and
  // the counts of late answers and unanswered find_node queries then.
  std::string onboarding_failure_code_;
  std::uint64_t late_answers_baseline_ = 0;
  std::uint64_t unanswered_baseline_ = 0;
  // Refusals of what others send us, written through one rate limit.
  RefusalLog refusals_{env_};
};

}  // namespace yz::core
