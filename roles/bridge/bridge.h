#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "roles/core/dht_member.h"

namespace yz::roles {

// A passive DHT member (no storage, never offered as a contact) that links to
// every member the bootstrap announces and brokers onboarding: asked by the
// bootstrap for a newcomer, it looks the newcomer's id up, picks up to three
// connected helpers closest to it, and asks them in turn for an invitation.
class Bridge : public core::DhtMember {
 public:
  using DhtMember::DhtMember;

 protected:
  // Bridges create the peer node for every link themselves (the original's
  // bridge code path), so their own side of a link is always served.
  void on_peer_link_established(core::ConnectionManager& manager) override;
  void on_role_request(core::ConnectionManager& from, core::Message&& message) override;
  void on_registered(const core::msg::Registered& registered) override;
  void on_bootstrap_message(core::Message&& message) override;
  void on_emergency(core::Health::Emergency emergency) override;
  void on_health_checked(bool healthy) override;

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

  void broker_onboarding(std::uint64_t request_id, const core::msg::GetOnboardingPeer& request);
  std::vector<core::PeerInfo> pick_helpers(const core::LookupResult& result,
                                           const core::NodeId& newcomer);
  void ask_next_helper(std::uint64_t brokering_id);
  void reply_failure(const Brokering& brokering, std::string code, std::string text);

  std::map<std::uint64_t, Brokering> brokerings_;
  std::uint64_t next_brokering_id_ = 1;
};

}  // namespace yz::roles
