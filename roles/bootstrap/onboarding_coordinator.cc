#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "roles/bootstrap/bootstrap.h"

// The bootstrap's side of onboarding (steps 3-5, 9, 11 and its failure in
// roles/ONBOARDING.md): designates genesis, asks bridges in turn to broker
// each newcomer, checks and relays the invitation a helper signed, checks
// the newcomer's token, and introduces newcomer and helper. Registration
// and the handshake are bootstrap.cc's.

namespace yz::roles {

using core::Message;
namespace msg = core::msg;
using core::LinkId;
using core::LogLevel;
using core::MessageType;
using core::NodeId;
using core::PeerInfo;
using core::Role;

void Bootstrap::end_onboardings_of(LinkId link, const NodeId& id, bool bridge,
                                   const std::string& name) {
  if (auto onboarding = onboardings_.find(id);
      onboarding != onboardings_.end() && onboarding->second.newcomer_link == link) {
    if (onboarding->second.timer != 0) env_.cancel_timer(onboarding->second.timer);
    forget_requests(onboarding->second);
    onboardings_.erase(onboarding);
  }
  if (!bridge) return;
  // Onboardings waiting on this bridge will hear nothing from it: they try
  // the next bridge now rather than at the end of a wait that may be long.
  std::vector<NodeId> waiting;
  for (const auto& [newcomer, onboarding] : onboardings_)
    if (onboarding.asked_bridge == link && onboarding.timer != 0) waiting.push_back(newcomer);
  for (const NodeId& newcomer : waiting) {
    auto found = onboardings_.find(newcomer);
    if (found == onboardings_.end()) continue;
    env_.cancel_timer(found->second.timer);
    found->second.timer = 0;
    found->second.last_error = "bridge " + name + " disconnected";
    found->second.last_code = "bridge_disconnected";
    // It is off the list of bridges now: counted as tried, it would make
    // the onboarding skip one that is still there.
    if (found->second.bridges_tried > 0) --found->second.bridges_tried;
    ask_next_bridge(newcomer);
  }
}

void Bootstrap::discard_late_answer(LinkId link, const Message& answer, std::string_view why) {
  late_answers_["discarded"].Increment();
  env_.log(LogLevel::kInfo, "late_bridge_answer",
           {{"request", std::to_string(answer.request_id)},
            {"bridge", bridge_name(link)},
            {"result", "discarded"},
            {"why", std::string(why)}});
}

void Bootstrap::forget_requests(const Onboarding& onboarding) {
  for (std::uint64_t request : onboarding.requests) onboarding_by_request_.erase(request);
}

void Bootstrap::note_evidence(const Message& answer, bool late) {
  const auto* response = answer.get<msg::OnboardingPeerResponse>();
  const auto* error = answer.get<msg::Error>();
  const bool helper = response != nullptr && response->helper.has_value();
  // The bridge's lookup heard from nobody, or some of its requests went
  // unanswered: peers drop frames (or are gone).
  if ((error != nullptr && error->code == "find_node_timeout") ||
      (helper && response->unanswered_requests > 0))
    last_drop_evidence_at_ = env_.now();
  // Late, and every request the bridge made was answered: only the way
  // there and back can have taken the time.
  else if (late && helper)
    last_slow_evidence_at_ = env_.now();
}

std::string_view Bootstrap::timeout_code() const {
  return recent(last_slow_evidence_at_) && !recent(last_drop_evidence_at_) ? "bridge_late"
                                                                           : "bridge_timeout";
}

void Bootstrap::handle_get_peers_or_genesis(LinkId link, Client& client) {
  const NodeId id = client.info.node_id;
  msg::PeersOrGenesis reply;
  if (members_.contains(id)) {
    // A member rediscovering peers: the members closest to it.
    std::vector<PeerInfo> peers;
    for (const auto& [member_id, member] : members_)
      if (member_id != id && !away_.contains(member_id)) peers.push_back(member);
    std::sort(peers.begin(), peers.end(), [&](const PeerInfo& a, const PeerInfo& b) {
      return core::closer_to(id, a.node_id, b.node_id);
    });
    if (peers.size() > config_.timing.k) peers.resize(config_.timing.k);
    reply.peers = std::move(peers);
    reply.chain = chain_of(id);  // back after a restart, it shows this again
    send(link, std::move(reply));
    return;
  }
  // Genesis not yet a member (its acceptance may have been lost with its
  // link) asks again: same designation if still pending.
  if (!genesis_ || *genesis_ == id) {
    if (client.info.metadata.role != Role::kGenesis) {
      send(link, std::move(reply));  // neither genesis nor onboarding: not ready yet
      return;
    }
    // Designation: genesis signs a token citing our invitation and sends it
    // back; it becomes a member, announced to the bridges, on that token.
    genesis_ = id;
    Onboarding& designation = onboardings_[id];
    designation.newcomer_link = link;
    designation.newcomer = client.info;
    if (!designation.designation) designation.invitation = invite(id);
    designation.designation = true;
    designation.awaiting_acceptance = true;
    reply.is_genesis = true;
    reply.designation = designation.invitation;
    env_.log(LogLevel::kInfo, "genesis_designated", {{"peer", id.short_hex()}});
    send(link, std::move(reply));
    return;
  }
  if (client.info.metadata.role == Role::kGenesis) {
    refuse(link, "genesis_exists", "the network already has a genesis node");
    return;
  }
  if (onboardings_.contains(id)) {
    reply.onboarding_started = true;
    send(link, std::move(reply));
    return;
  }
  Onboarding& onboarding = onboardings_[id];
  onboarding.newcomer_link = link;
  onboarding.newcomer = client.info;
  onboarding.started_at = env_.now();
  reply.onboarding_started = true;
  send(link, std::move(reply));
  ask_next_bridge(id);
}

void Bootstrap::ask_next_bridge(const NodeId& newcomer) {
  auto it = onboardings_.find(newcomer);
  if (it == onboardings_.end()) return;
  Onboarding& onboarding = it->second;
  const std::vector<LinkId> bridges = live_bridges();
  if (onboarding.bridges_tried >= bridges.size()) {
    if (bridges.empty()) {
      onboarding.last_error = "no bridge available";
      onboarding.last_code = "no_bridge";
    }
    fail_onboarding(newcomer);
    return;
  }
  const LinkId bridge = bridges[(next_bridge_ + onboarding.bridges_tried) % bridges.size()];
  ++onboarding.bridges_tried;
  // Earlier requests stay answerable (late answers): only the onboarding's
  // end forgets them.
  onboarding.request_id = next_request_id_++;
  onboarding.requests.push_back(onboarding.request_id);
  onboarding_by_request_[onboarding.request_id] = Asked{newcomer, bridge};
  onboarding.asked_bridge = bridge;
  send(bridge, Message(msg::GetOnboardingPeer{newcomer, onboarding.newcomer.metadata},
                       onboarding.request_id));
  // Never shorter than the bridge's own budget for it, plus the way there
  // and back (Timing::bridge_wait).
  auto client = clients_.find(bridge);
  const core::Duration wait =
      config_.faults.has(core::Fault::kShortBridgeWait)
          ? config_.timing.onboarding_bridge_timeout
          : config_.timing.bridge_wait(client == clients_.end() ? 0 : client->second.rtt);
  onboarding.timer = env_.start_timer(
      wait, [this, newcomer, bridge, wait] { bridge_timed_out(newcomer, bridge, wait); });
}

void Bootstrap::bridge_timed_out(const NodeId& newcomer, LinkId bridge, core::Duration wait) {
  auto found = onboardings_.find(newcomer);
  if (found == onboardings_.end()) return;
  const std::string name = bridge_name(bridge);
  auto& timeouts = bridge_timeouts_[name];
  if (timeouts == nullptr) timeouts = &bridge_timeouts_family_.Add({{"bridge", name}});
  timeouts->Increment();
  Onboarding& onboarding = found->second;
  onboarding.timer = 0;
  // Not "findNode timeout": the bridge's lookup may be fine and slow. Which
  // it is shows in whether answers come late.
  onboarding.last_code = timeout_code();
  const bool late = onboarding.last_code == "bridge_late";
  if (config_.faults.has(core::Fault::kShortBridgeWait)) {
    // The original's words, which said the same whatever the cause (the
    // code above still tells them apart).
    onboarding.last_error = "findNode timeout - taking too long";
  } else {
    onboarding.last_error = "bridge " + name + " did not answer within " +
                            std::to_string(wait / core::kMillisecond) + " ms" +
                            (late ? " (bridges' answers arrive late: the network is slow)" : "");
  }
  env_.log(LogLevel::kWarn, "bridge_timeout",
           {{"newcomer", newcomer.short_hex()},
            {"bridge", name},
            {"wait_ms", std::to_string(wait / core::kMillisecond)},
            {"answers_late", late ? "true" : "false"}});
  ask_next_bridge(newcomer);
}

void Bootstrap::handle_bridge_answer(LinkId link, Message&& answer) {
  auto by_request = onboarding_by_request_.find(answer.request_id);
  if (by_request == onboarding_by_request_.end()) {
    // The onboarding it was for has ended (or the id is not ours): nothing
    // to complete.
    note_evidence(answer, true);
    discard_late_answer(link, answer, "onboarding ended");
    return;
  }
  const Asked asked = by_request->second;
  if (link != asked.bridge) {
    // Request ids are sequential, so easy to guess: a bridge answering
    // another's request would steer (or fail) onboardings not given to it.
    // The request stays open for the bridge that was asked.
    refuse(link, "not_asked",
           "request " + std::to_string(answer.request_id) + " was not sent to this bridge");
    return;
  }
  onboarding_by_request_.erase(by_request);
  const NodeId newcomer = asked.newcomer;
  auto it = onboardings_.find(newcomer);
  if (it == onboardings_.end()) return;
  Onboarding& onboarding = it->second;
  auto* response = answer.get<msg::OnboardingPeerResponse>();
  const bool success = response != nullptr && response->helper.has_value();
  // Late: the wait for this request ran out and the onboarding moved on to
  // another bridge (whose request is onboarding.request_id now), or ended.
  const bool late = answer.request_id != onboarding.request_id || onboarding.timer == 0;
  note_evidence(answer, late);
  if (late && config_.faults.has(core::Fault::kShortBridgeWait)) {
    // The original dropped every answer after its wait.
    discard_late_answer(link, answer, "fault short_bridge_wait");
    return;
  }
  if (onboarding.awaiting_acceptance) {
    // Another answer came first and its invitation is with the newcomer.
    if (late) discard_late_answer(link, answer, "onboarding has an invitation");
    return;
  }
  if (late && !success) {
    discard_late_answer(link, answer, "a failure, and another bridge is asked");
    return;
  }
  if (late) {
    // Still open: the late answer completes it, and the wait for the bridge
    // asked since ends here (its answer, if any, is superseded).
    late_answers_["used"].Increment();
    env_.log(LogLevel::kInfo, "late_bridge_answer",
             {{"request", std::to_string(answer.request_id)},
              {"bridge", bridge_name(link)},
              {"newcomer", newcomer.short_hex()},
              {"result", "used"}});
  }
  if (onboarding.timer != 0) env_.cancel_timer(onboarding.timer);
  onboarding.timer = 0;
  if (!success) {
    // An error, or a response that names no helper (which says nothing).
    const auto* error = answer.get<msg::Error>();
    const std::string text = error != nullptr ? error->message : std::string();
    const std::string code = error != nullptr ? error->code : std::string();
    onboarding.last_error = text.empty() ? "bridge found no helper" : text;
    onboarding.last_code = code.empty() ? "no_helper" : code;
    ask_next_bridge(newcomer);
    return;
  }
  if (auth_.enabled()) {
    // A helper (or bridge) handing over an invitation the newcomer could
    // not use is a failed bridge: try the next one.
    std::string why =
        credentials_.check_invitation(response->invitation, newcomer, env_.shared_clock_ms());
    if (why.empty())
      why = credentials_.check_inviter(response->invitation, response->helper->node_id);
    // The helper must be a member: its chain leads back to us.
    if (why.empty())
      why = credentials_.check_chain(response->inviter_chain, response->invitation.inviter,
                                     config_.node_id);
    if (!why.empty()) {
      env_.log(LogLevel::kWarn, "invitation_refused",
               {{"newcomer", newcomer.short_hex()}, {"reason", why}});
      onboarding.last_error = "invalid invitation (" + why + ")";
      onboarding.last_code = "invalid_invitation";
      ask_next_bridge(newcomer);
      return;
    }
  }
  onboarding.helper = *response->helper;
  onboarding.invitation = response->invitation;
  onboarding.inviter_chain = response->inviter_chain;
  onboarding.awaiting_acceptance = true;
  msg::SendInvitation relay;
  relay.invitation = std::move(response->invitation);
  relay.inviter_chain = std::move(response->inviter_chain);
  relay.inviter = std::move(response->helper);
  send(onboarding.newcomer_link, std::move(relay));
}

void Bootstrap::handle_invitation_accepted(LinkId link, Client& client,
                                           const msg::InvitationAccepted& accepted) {
  auto it = onboardings_.find(client.info.node_id);
  if (it == onboardings_.end() || !it->second.awaiting_acceptance) {
    refuse(link, "no_invitation", "no invitation is pending for this node");
    return;
  }
  const Onboarding& onboarding = it->second;
  if (auth_.enabled()) {
    // The token is the newcomer's own (signed with the key its handshake
    // proved), cites the invitation we relayed, and that invitation is
    // still valid and used once only.
    std::string why =
        credentials_.check_token(accepted.token, client.info.node_id, onboarding.invitation);
    if (why.empty())
      why = credentials_.check_invitation(onboarding.invitation, client.info.node_id,
                                          env_.shared_clock_ms());
    if (!why.empty()) {
      refuse(link, "bad_token", "membership token refused: " + why);
      return;
    }
    credentials_.mark_used(onboarding.invitation);
  } else if (accepted.invitation.nonce != onboarding.invitation.nonce ||
             accepted.token.node_id != client.info.node_id ||
             accepted.token.issuer != onboarding.invitation.inviter) {
    refuse(link, "bad_token", "membership token does not cite the pending invitation");
    return;
  }
  it->second.token = accepted.token;
  finish_onboarding(it);
}

void Bootstrap::finish_onboarding(std::map<NodeId, Onboarding>::iterator it) {
  const Onboarding onboarding = it->second;
  onboardings_.erase(it);
  if (onboarding.timer != 0) env_.cancel_timer(onboarding.timer);
  forget_requests(onboarding);
  members_[onboarding.newcomer.node_id] = onboarding.newcomer;
  away_.erase(onboarding.newcomer.node_id);
  member_links_[onboarding.newcomer.node_id] =
      core::ChainLink{onboarding.token, onboarding.invitation};
  if (onboarding.designation) {
    env_.log(LogLevel::kInfo, "genesis_joined",
             {{"peer", onboarding.newcomer.node_id.short_hex()}});
    announce_member(onboarding.newcomer);
    return;
  }
  next_bridge_++;
  onboarding_total_["success"].Increment();
  onboarding_success_duration_.Observe(static_cast<double>(env_.now() - onboarding.started_at) /
                                       core::kSecond);
  env_.log(LogLevel::kInfo, "onboarding_succeeded",
           {{"newcomer", onboarding.newcomer.node_id.short_hex()},
            {"helper", onboarding.helper.node_id.short_hex()}});
  // Each side learns the other's address; the newcomer dials its helper.
  send(onboarding.newcomer_link, msg::PeerIntroduction{{onboarding.helper}});
  if (auto helper = link_by_id_.find(onboarding.helper.node_id); helper != link_by_id_.end())
    send(helper->second, msg::PeerIntroduction{{onboarding.newcomer}});
  announce_member(onboarding.newcomer);
}

void Bootstrap::fail_onboarding(const NodeId& newcomer) {
  auto it = onboardings_.find(newcomer);
  if (it == onboardings_.end()) return;
  const Onboarding onboarding = it->second;
  onboardings_.erase(it);
  if (onboarding.timer != 0) env_.cancel_timer(onboarding.timer);
  forget_requests(onboarding);
  onboarding_total_["failure"].Increment();
  onboarding_failure_duration_.Observe(static_cast<double>(env_.now() - onboarding.started_at) /
                                       core::kSecond);
  const std::string error =
      "Onboarding failed: " +
      (onboarding.last_error.empty() ? std::string("no bridge answered") : onboarding.last_error);
  env_.log(LogLevel::kWarn, "onboarding_failed",
           {{"newcomer", newcomer.short_hex()}, {"error", error}});
  // The code says why, for the newcomer's /health reason (core/join_state.h).
  send(onboarding.newcomer_link,
       msg::OnboardingFailed{
           error, onboarding.last_code.empty() ? "bridge_timeout" : onboarding.last_code});
}

}  // namespace yz::roles
