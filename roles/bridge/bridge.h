#pragma once

#include "roles/bridge/onboarding_broker.h"
#include "roles/core/dht_member.h"

namespace yz::roles {

// A passive DHT member (no storage, never offered as a contact) that links to
// every member the bootstrap announces and brokers onboarding
// (OnboardingBroker). Its member units are the shared ones; what it changes
// is wired in its constructor.
class Bridge : public core::DhtMember {
 public:
  Bridge(core::Env& env, core::ProcessConfig config);

 private:
  // member_joined and get_onboarding_peer: true when it was one.
  bool on_bootstrap_message(core::Message& message);
  void on_emergency(core::Health::Emergency emergency);
  void on_health_checked(bool healthy);

  OnboardingBroker broker_;
};

}  // namespace yz::roles
