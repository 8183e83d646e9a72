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
// yz_bootstrap_late_bridge_answers_total{result}: a bridge's answer that came
// after the bootstrap's wait for it had passed; used when it completed an
// onboarding still open, discarded when the onboarding had ended or moved on
// (another bridge's answer came first, or the late one was a failure).
inline constexpr std::array<std::string_view, 2> kLateAnswerResults = {"used", "discarded"};
// Rendezvous and coordinator. Not a DHT member: it registers processes,
// designates genesis, asks bridges to broker each newcomer's onboarding (one
// bridge at a time, Timing::bridge_wait each: longer than the bridge's own
// budget for the request, plus the round trip measured at the bridge's
// handshake; an answer that comes later still completes an onboarding that
// is open), relays the invitation, introduces newcomer and helper, and
// announces new members to the bridges. A failed onboarding says why in
// onboarding_failed's code (core/join_state.h, kOnboardingFailureCodes).
class Bootstrap : public core::Process {
 public:
  Bootstrap(core::Env& env, core::ProcessConfig config);

  void start() override;
  void stop() override;
  void on_link_accepted(core::LinkId link) override;
  void on_link_opened(core::LinkId link) override;
  void on_link_closed(core::LinkId link, std::string_view reason) override;
  void on_frame(core::LinkId link, core::Message&& message) override;
  core::ProcessStatus status() override;
  std::size_t peers_missing_handler() override { return 0; }
  // Fault short_bridge_wait is the bootstrap's (core/faults.h).
  void set_faults(const core::FaultSet& faults) override { config_.faults = faults; }

  // Members listed to others: those whose link to us is up (contract of
  // issue 13: a member that left is not handed out as a peer).
  std::size_t member_count() const { return members_.size() - away_.size(); }

 private:
  struct Client {
    bool greeted = false;  // handshake done
    bool registered = false;
    core::PeerInfo info;
    // The round trip of the link, from sending connected to the client's
    // next frame (its proof, or without identities its register); 0 until
    // then. What the wait for a bridge adds for the way there and back.
    core::TimePoint connected_sent_at = -1;
    core::Duration rtt = 0;
  };
  // One get_onboarding_peer sent: for which newcomer, to which bridge. Kept
  // until its onboarding ends, so an answer after the wait still counts.
  struct Asked {
    core::NodeId newcomer;
    core::LinkId bridge = 0;
  };
  struct Onboarding {
    core::LinkId newcomer_link = 0;
    core::PeerInfo newcomer;
    std::size_t bridges_tried = 0;
    std::uint64_t request_id = 0;   // of the get_onboarding_peer in flight
    core::LinkId asked_bridge = 0;  // the bridge it went to: only it may answer
    // Every get_onboarding_peer of this onboarding, answerable until it ends.
    std::vector<std::uint64_t> requests;
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
    std::string last_code;  // onboarding_failed's code (kOnboardingFailureCodes)
  };

  // ---- registry and handshake: bootstrap.cc ----

  // The handshake: hello, then (with identities on) the proof.
  void greet(core::LinkId link, Client& client, core::Message&& message);
  void handle(core::LinkId link, Client& client, core::Message&& message);
  void handle_register(core::LinkId link, Client& client, const core::msg::Register& request);
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
  void send(core::LinkId link, core::Message message);
  // The name a bridge goes by in yz_bootstrap_bridge_timeouts_total.
  std::string bridge_name(core::LinkId link) const;
  std::vector<core::LinkId> live_bridges() const;

  // ---- onboarding coordination: onboarding_coordinator.cc ----

  void handle_get_peers_or_genesis(core::LinkId link, Client& client);
  void handle_bridge_answer(core::LinkId link, core::Message&& answer);
  void handle_invitation_accepted(core::LinkId link, Client& client,
                                  const core::msg::InvitationAccepted& accepted);
  void ask_next_bridge(const core::NodeId& newcomer);
  // The wait for `bridge` ran out: try the next one.
  void bridge_timed_out(const core::NodeId& newcomer, core::LinkId bridge, core::Duration wait);
  // A bridge's answer that completes nothing: counted, logged, dropped.
  void discard_late_answer(core::LinkId link, const core::Message& answer, std::string_view why);
  // Forgets every request of an onboarding that ends.
  void forget_requests(const Onboarding& onboarding);
  // Records what a bridge's answer says of the network (see timeout_code).
  void note_evidence(const core::Message& answer, bool late);
  // Why the wait for a bridge ran out, as onboarding_failed's code:
  // bridge_late when, in the last kEvidenceMemory, answers with a helper
  // came after their wait from bridges none of whose requests went
  // unanswered (onboarding_peer_response.unanswered_requests 0), and no
  // bridge reported unanswered requests or answered find_node_timeout: the
  // way to the bridges and back is what takes the time, a slow network.
  // Else bridge_timeout (frames lost on the way: the early-return bug, or a
  // bridge gone silent).
  std::string_view timeout_code() const;
  bool recent(core::TimePoint at) const { return at >= 0 && env_.now() - at <= kEvidenceMemory; }
  void fail_onboarding(const core::NodeId& newcomer);
  void finish_onboarding(std::map<core::NodeId, Onboarding>::iterator it);
  // Ends what a closed link leaves open: the onboarding of the newcomer
  // `id` when it was on that link, and the waits for it when it was a
  // bridge's (named `name`): those ask the next bridge now.
  void end_onboardings_of(core::LinkId link, const core::NodeId& id, bool bridge,
                          const std::string& name);

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
  std::map<std::uint64_t, Asked> onboarding_by_request_;
  static constexpr core::Duration kEvidenceMemory = 10 * 60 * core::kSecond;
  core::TimePoint last_slow_evidence_at_ = -1;
  core::TimePoint last_drop_evidence_at_ = -1;
  std::uint64_t next_request_id_ = 1;
  // Registered before any member that reads them.
  metrics::KnownSeries onboarding_total_;
  metrics::KnownSeries refused_total_;
  metrics::KnownSeries late_answers_;
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
