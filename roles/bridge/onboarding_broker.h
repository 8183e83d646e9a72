#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "roles/core/bootstrap_session.h"
#include "roles/core/core_metrics.h"
#include "roles/core/dht.h"
#include "roles/core/env.h"
#include "roles/core/peer_links.h"
#include "roles/core/process.h"

namespace yz::roles {

// The bridge's side of onboarding (steps 6, 7 and 9 of roles/ONBOARDING.md):
// asked by the bootstrap for a newcomer, it looks the newcomer's id up,
// picks up to three connected helpers closest to it, asks them in turn for
// an invitation, and answers the bootstrap with the first one (or why none).
class OnboardingBroker {
 public:
  OnboardingBroker(core::Env& env, const core::ProcessConfig& config, core::CoreMetrics& metrics,
                   core::Dht& dht, core::PeerLinks& links, core::BootstrapSession& bootstrap);

  // get_onboarding_peer, request `request_id` of the bootstrap.
  void broker(std::uint64_t request_id, const core::msg::GetOnboardingPeer& request);

 private:
  struct Brokering {
    std::uint64_t bootstrap_request_id = 0;
    core::PeerInfo newcomer;
    std::vector<core::PeerInfo> candidates;
    std::size_t next = 0;
    // The Dht's counts when brokering began: what timed out since, less
    // what was answered late since, went unanswered (told to the bootstrap).
    std::uint64_t timed_out_at_start = 0;
    std::uint64_t late_at_start = 0;
  };
  std::uint32_t unanswered_since(const Brokering& brokering) const;

  std::vector<core::PeerInfo> pick_helpers(const core::LookupResult& result,
                                           const core::NodeId& newcomer);
  void ask_next_helper(std::uint64_t brokering_id);
  void reply_failure(const Brokering& brokering, std::string code, std::string text);

  core::Env& env_;
  const core::ProcessConfig& config_;
  core::CoreMetrics& metrics_;
  core::Dht& dht_;
  core::PeerLinks& links_;
  core::BootstrapSession& bootstrap_;
  std::map<std::uint64_t, Brokering> brokerings_;
  std::uint64_t next_brokering_id_ = 1;
};

}  // namespace yz::roles
