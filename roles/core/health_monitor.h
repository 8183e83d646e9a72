#pragma once

#include <cstdint>
#include <functional>

#include "roles/core/bootstrap_session.h"
#include "roles/core/core_metrics.h"
#include "roles/core/dht.h"
#include "roles/core/env.h"
#include "roles/core/health.h"
#include "roles/core/join_state.h"
#include "roles/core/member_credentials.h"
#include "roles/core/newcomer_onboarding.h"
#include "roles/core/peer_links.h"
#include "roles/core/process.h"
#include "roles/core/routing_table.h"

namespace yz::core {

// A member's periodic health check: counts connections against the health
// rules, pings the links it dialled (closing dead ones), and on too few
// connections starts emergency peer discovery. Also what /health reports of
// the member: its join state and, when not joined, why.
class HealthMonitor {
 public:
  struct Callbacks {
    // After every check (a bridge reports it to the bootstrap).
    std::function<void(bool healthy)> on_checked;
    // Too few connections.
    std::function<void(Health::Emergency)> on_emergency;
  };

  HealthMonitor(Env& env, const ProcessConfig& config, CoreMetrics& metrics, PeerLinks& links,
                RoutingTable& routing_table, Dht& dht, const MemberCredentials& credentials,
                BootstrapSession& bootstrap, NewcomerOnboarding& newcomer);
  void set_callbacks(Callbacks callbacks) { callbacks_ = std::move(callbacks); }

  // start() at the process's start; the first check is scheduled apart,
  // once the bootstrap is dialled.
  void start();
  void schedule_check();
  void stop();
  const Health& health() const { return health_; }

  // The plain member's answer to an emergency: counted and logged, then the
  // bootstrap dialled again (registering asks for peers) or asked for peers.
  void discover_peers(Health::Emergency emergency);

  JoinState join_state() const;
  HealthReason health_reason() const;

 private:
  void run_check();

  Env& env_;
  const ProcessConfig& config_;
  CoreMetrics& metrics_;
  PeerLinks& links_;
  RoutingTable& routing_table_;
  Dht& dht_;
  const MemberCredentials& credentials_;
  BootstrapSession& bootstrap_;
  NewcomerOnboarding& newcomer_;
  Callbacks callbacks_;
  Health health_;
  bool running_ = false;
  // What health_reason() weighs, since the process was last seen joined (at
  // a health check) or started: the counts of late answers and unanswered
  // find_node queries then (and the newcomer's last failure code).
  std::uint64_t late_answers_baseline_ = 0;
  std::uint64_t unanswered_baseline_ = 0;
};

}  // namespace yz::core
