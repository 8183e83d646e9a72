#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "roles/core/bootstrap_session.h"
#include "roles/core/core_metrics.h"
#include "roles/core/dht.h"
#include "roles/core/env.h"
#include "roles/core/member_credentials.h"
#include "roles/core/peer_links.h"
#include "roles/core/process.h"
#include "roles/core/refusal_log.h"
#include "roles/core/routing_table.h"

namespace yz::core {

// The newcomer's side of onboarding (steps 3, 4, 10 and 12 of
// roles/ONBOARDING.md): asks the bootstrap to join, becomes genesis when
// designated, checks and accepts the invitation a helper signed, then joins
// through the peers it is introduced to. Also a member's way back: a member
// that asks again (emergency discovery, or a restart with the same
// identity) gets peers to link to.
class NewcomerOnboarding {
 public:
  NewcomerOnboarding(Env& env, const ProcessConfig& config, const PeerInfo& self,
                     CoreMetrics& metrics, PeerLinks& links, RoutingTable& routing_table, Dht& dht,
                     MemberCredentials& credentials, BootstrapSession& bootstrap,
                     RefusalLog& refusals);

  void start() { running_ = true; }
  void stop() { running_ = false; }

  // get_peers_or_genesis, unless not registered yet or an attempt is open.
  void ask_for_peers_or_genesis();
  // A message from the bootstrap: true when it was the newcomer's.
  bool handle(Message& message);
  // The bootstrap link closed: an attempt in progress will never hear back.
  void on_bootstrap_lost();

  std::uint64_t failures() const { return failures_; }
  // The code of the last onboarding_failed, until forget_failure_code.
  const std::string& failure_code() const { return failure_code_; }
  void forget_failure_code() { failure_code_.clear(); }

 private:
  void end_attempt();
  void handle_peers_or_genesis(msg::PeersOrGenesis& answer);
  void become_genesis(const msg::PeersOrGenesis& answer);
  void handle_send_invitation(msg::SendInvitation& offer);
  void handle_peer_introduction(const msg::PeerIntroduction& introduction);
  void handle_onboarding_failed(const msg::OnboardingFailed& failure);
  void join_through(const std::vector<PeerInfo>& peers);
  void refresh_buckets_from(int bucket);

  Env& env_;
  const ProcessConfig& config_;
  const PeerInfo& self_;
  CoreMetrics& metrics_;
  PeerLinks& links_;
  RoutingTable& routing_table_;
  Dht& dht_;
  MemberCredentials& credentials_;
  BootstrapSession& bootstrap_;
  RefusalLog& refusals_;
  bool running_ = false;
  bool in_progress_ = false;
  TimerId give_up_timer_ = 0;
  TimePoint asked_at_ = 0;  // for yz_onboarding_duration_seconds
  PeerInfo inviter_;
  std::uint64_t failures_ = 0;
  std::string failure_code_;
};

}  // namespace yz::core
