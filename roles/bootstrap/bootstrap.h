#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "roles/core/credentials.h"
#include "roles/core/env.h"
#include "roles/core/handshake_auth.h"
#include "roles/core/process.h"
#include "roles/core/rate_limit.h"
#include "roles/core/refusal_log.h"
#include "roles/core/state_metrics.h"
#include "roles/metrics/known_series.h"
#include "roles/metrics/types.h"

namespace yz::roles {

// yz_bootstrap_refused_total{reason}: every code Bootstrap::refuse sends.
inline constexpr std::array<std::string_view, 12> kBootstrapRefusals = {
    "not_handshake",    "not_registered", "unknown_message", "rate_limited",
    "version_mismatch", "id_mismatch",    "bad_auth",        "genesis_exists",
    "not_asked",        "no_invitation",  "bad_token",       "bad_genesis_auth"};
// yz_onboarding_total{result}.
inline constexpr std::array<std::string_view, 2> kOnboardingOutcomes = {"success", "failure"};

// Rendezvous and coordinator. Not a DHT member: it registers processes,
// designates genesis, asks bridges to broker each newcomer's onboarding (one
// bridge at a time, onboarding_bridge_timeout each), relays the invitation,
// introduces newcomer and helper, and announces new members to the bridges.
class Bootstrap : public core::Process {
 public:
  Bootstrap(core::Env& env, core::ProcessConfig config);

  void start() override;
  void stop() override;
  void on_link_accepted(core::LinkId link) override;
  void on_link_opened(core::LinkId link) override;
  void on_link_closed(core::LinkId link, std::string_view reason) override;
  void on_frame(core::LinkId link, core::Frame&& frame) override;
  core::ProcessStatus status() override;
  std::size_t peers_missing_handler() override { return 0; }

  // Members listed to others: those whose link to us is up (contract of
  // issue 13: a member that left is not handed out as a peer).
  std::size_t member_count() const { return members_.size() - away_.size(); }

 private:
  struct Client {
    bool greeted = false;  // handshake done
    bool registered = false;
    core::PeerInfo info;
  };
  struct Onboarding {
    core::LinkId newcomer_link = 0;
    core::PeerInfo newcomer;
    std::size_t bridges_tried = 0;
    std::uint64_t request_id = 0;   // of the get_onboarding_peer in flight
    core::LinkId asked_bridge = 0;  // the bridge it went to: only it may answer
    core::TimerId timer = 0;
    bool awaiting_acceptance = false;
    core::PeerInfo helper;
    core::Invitation invitation;
    core::CredentialChain inviter_chain;  // the helper's, checked
    core::MembershipToken token;          // the newcomer's, once accepted
    // Genesis's designation: no bridge, no helper; the invitation is ours.
    bool designation = false;
    core::TimePoint started_at = 0;  // request received, for the duration histogram
    std::string last_error;
  };

  void handle(core::LinkId link, Client& client, core::Frame&& frame);
  void handle_register(core::LinkId link, Client& client, const core::Frame& frame);
  void handle_get_peers_or_genesis(core::LinkId link, Client& client);
  void handle_bridge_answer(core::LinkId link, const core::Frame& frame);
  void handle_invitation_accepted(core::LinkId link, Client& client, const core::Frame& frame);
  void ask_next_bridge(const core::NodeId& newcomer);
  void fail_onboarding(const core::NodeId& newcomer);
  void finish_onboarding(std::map<core::NodeId, Onboarding>::iterator it);
  void announce_member(const core::PeerInfo& member);
  // An invitation signed by this bootstrap: genesis's designation or a
  // bridge's registration, the root of a chain.
  core::Invitation invite(const core::NodeId& invitee);
  // A member's chain back to this bootstrap, from the link each member
  // accepted (one per member, not a chain each).
  core::CredentialChain chain_of(const core::NodeId& member) const;
  // Refuses a request: counted on yz_bootstrap_refused_total, answered with
  // error{code, text}, and the link closed with the code as its reason.
  void refuse(core::LinkId link, const std::string& code, std::string text);
  // Refuses a handshake: counted on yz_handshake_rejected_total, and closed
  // the same way.
  void refuse_handshake(core::LinkId link, const std::string& reason, std::string text);
  void close_with_error(core::LinkId link, const std::string& code, std::string text);
  // Drops a client whose link closed, either side.
  void forget_client(core::LinkId link);
  void send(core::LinkId link, core::Frame frame);
  // The name a bridge goes by in yz_bootstrap_bridge_timeouts_total.
  std::string bridge_name(core::LinkId link) const;
  std::vector<core::LinkId> live_bridges() const;

  core::Env& env_;
  core::ProcessConfig config_;
  bool running_ = false;
  core::TimePoint started_at_ = 0;
  std::map<core::LinkId, Client> clients_;
  // The link each greeted node id talks on, so finding a helper's link does
  // not scan every client (which made a 10,000-node join quadratic).
  std::map<core::NodeId, core::LinkId> link_by_id_;
  std::map<core::NodeId, core::PeerInfo> members_;
  // Members whose link to us closed, until they register again: not listed
  // (registered, peers_or_genesis, yz_bootstrap_members), chain kept.
  std::set<core::NodeId> away_;
  std::map<core::NodeId, core::ChainLink> member_links_;
  std::optional<core::NodeId> genesis_;
  // Bridges in registration order, and where the next onboarding starts so
  // the load spreads.
  std::vector<core::LinkId> bridges_;
  std::size_t next_bridge_ = 0;
  std::map<core::NodeId, Onboarding> onboardings_;
  std::map<std::uint64_t, core::NodeId> onboarding_by_request_;
  std::uint64_t next_request_id_ = 1;
  // Registered before any member that reads them.
  metrics::KnownSeries onboarding_total_;
  metrics::KnownSeries refused_total_;
  metrics::Gauge& healthy_;
  metrics::KnownSeries handshake_rejected_;
  metrics::Histogram& onboarding_success_duration_;
  metrics::Histogram& onboarding_failure_duration_;
  metrics::Family<metrics::Counter>& bridge_timeouts_family_;
  // By bridge name; a series is created when the bridge registers.
  std::map<std::string, metrics::Counter*> bridge_timeouts_;
  metrics::Gauge& members_gauge_;
  metrics::Gauge& bridges_gauge_;
  core::StateMetrics state_metrics_;
  core::HandshakeAuth auth_;
  core::CredentialChecker credentials_;
  // Registrations from everyone together (Limits::registrations_per_second).
  core::TokenBucket registrations_{config_.timing.limits.registrations_per_second,
                                   config_.timing.limits.registrations_burst, env_.now()};
  core::LimitHits limited_registrations_{env_, "registrations"};
  core::RefusalLog refusals_{env_};
};

}  // namespace yz::roles
