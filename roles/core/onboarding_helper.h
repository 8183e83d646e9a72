#pragma once

#include "roles/core/core_metrics.h"
#include "roles/core/dht.h"
#include "roles/core/env.h"
#include "roles/core/member_credentials.h"
#include "roles/core/process.h"

namespace yz::core {

// The helper's side of onboarding (step 8 of roles/ONBOARDING.md): a member
// asked by a bridge signs an invitation for the newcomer and answers with it
// and its own chain, so the newcomer and the bootstrap can check both.
class OnboardingHelper {
 public:
  OnboardingHelper(Env& env, const ProcessConfig& config, const PeerInfo& self,
                   CoreMetrics& metrics, Dht& dht, const MemberCredentials& credentials);

  // A DHT message the Dht does not answer itself: create_invitation_for_peer
  // is answered, anything else refused.
  void on_request(ConnectionManager& from, Message&& message);

 private:
  Env& env_;
  const ProcessConfig& config_;
  const PeerInfo& self_;
  CoreMetrics& metrics_;
  Dht& dht_;
  const MemberCredentials& credentials_;
};

}  // namespace yz::core
