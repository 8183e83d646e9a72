#include "roles/bridge/bridge.h"

#include <utility>

namespace yz::roles {

using core::LogLevel;
using core::Message;
using core::PeerInfo;
namespace msg = core::msg;

void Bridge::on_peer_link_established(core::ConnectionManager& manager) {
  dht_.get_or_create_peer_node(manager.peer());
  routing_table_path(manager);
}

void Bridge::on_role_request(core::ConnectionManager& from, Message&& message) {
  dht_.respond(from, core::ErrorMessage("bridge_is_passive",
                                        std::string(core::message_type_name(message.type())) +
                                            " is not served by a bridge",
                                        message.request_id));
}

void Bridge::on_registered(const msg::Registered& registered) {
  // Link to the whole network as it stands; later members are announced.
  for (const PeerInfo& member : registered.members)
    if (member.node_id != self_.node_id) dht_.connect(member);
}

void Bridge::on_bootstrap_message(Message&& message) {
  if (const auto* joined = message.get<msg::MemberJoined>()) {
    if (joined->member.node_id != self_.node_id) dht_.connect(joined->member);
  } else if (const auto* request = message.get<msg::GetOnboardingPeer>()) {
    broker_onboarding(message.request_id, *request);
  } else {
    DhtMember::on_bootstrap_message(std::move(message));
  }
}

void Bridge::on_emergency(core::Health::Emergency emergency) {
  (void)emergency;
  if (!bootstrap_ready()) {
    DhtMember::on_emergency(emergency);
    return;
  }
  // Registering again returns the member list to link to.
  msg::Register reg;
  reg.node_id = self_.node_id;
  reg.metadata = self_.metadata;
  reg.bridge_auth = config_.bridge_auth;
  send_to_bootstrap(std::move(reg));
}

void Bridge::on_health_checked(bool healthy) {
  // Nobody to report to until the bootstrap link's handshake is done (the
  // guard would refuse the frame anyway: nothing reaches a peer before that,
  // guard.h). Sent mid-handshake, it used to get the link refused and
  // closed at every tick once a handshake outlasted the interval.
  if (!bootstrap_ready()) return;
  send_to_bootstrap(
      msg::BridgeHealthUpdate{static_cast<std::uint32_t>(links_.connected_count()), healthy});
}

void Bridge::broker_onboarding(std::uint64_t request_id, const msg::GetOnboardingPeer& request) {
  const std::uint64_t id = next_brokering_id_++;
  Brokering& brokering = brokerings_[id];
  brokering.bootstrap_request_id = request_id;
  brokering.newcomer = PeerInfo{request.new_node_id, request.new_node_metadata};
  brokering.timed_out_at_start = dht_.requests_timed_out();
  brokering.late_at_start = dht_.late_answers();
  log(LogLevel::kInfo, "onboarding_requested", {{"newcomer", request.new_node_id.short_hex()}});
  // Within the bridge's budget (Timing::bridge_lookup_budget), so the whole
  // brokering ends within Timing::brokering_budget, which the bootstrap's
  // wait for this answer always exceeds (Timing::bridge_wait).
  dht_.find_node(
      request.new_node_id,
      [this, id](const core::LookupResult& result) {
        auto it = brokerings_.find(id);
        if (it == brokerings_.end()) return;
        if (result.timed_out()) {
          log(LogLevel::kWarn, "onboarding_lookup_failed",
              {{"newcomer", it->second.newcomer.node_id.short_hex()},
               {"error", "findNode timeout"}});
          reply_failure(it->second, "find_node_timeout", "findNode timeout - taking too long");
          brokerings_.erase(it);
          return;
        }
        it->second.candidates = pick_helpers(result, it->second.newcomer.node_id);
        ask_next_helper(id);
      },
      {}, config_.timing.bridge_lookup_budget());
}

std::vector<PeerInfo> Bridge::pick_helpers(const core::LookupResult& result,
                                           const core::NodeId& newcomer) {
  // The lookup's answers come closest first; keep those we can reach now.
  std::vector<PeerInfo> helpers;
  for (const PeerInfo& peer : result.closest) {
    if (helpers.size() >= config_.timing.helper_candidates) break;
    if (peer.node_id == newcomer || core::Dht::is_passive(peer)) continue;
    if (!links_.connected(peer.node_id)) continue;
    helpers.push_back(peer);
  }
  return helpers;
}

void Bridge::ask_next_helper(std::uint64_t brokering_id) {
  auto it = brokerings_.find(brokering_id);
  if (it == brokerings_.end()) return;
  Brokering& brokering = it->second;
  if (brokering.next >= brokering.candidates.size()) {
    log(LogLevel::kWarn, "onboarding_no_helper",
        {{"newcomer", brokering.newcomer.node_id.short_hex()},
         {"tried", std::to_string(brokering.candidates.size())}});
    metrics_.invitation("no_helper").Increment();
    reply_failure(brokering, "no_helper", "no helper answered create_invitation_for_peer");
    brokerings_.erase(it);
    return;
  }
  const PeerInfo helper = brokering.candidates[brokering.next++];
  msg::CreateInvitationForPeer ask{brokering.newcomer.node_id, brokering.newcomer.metadata};
  log(LogLevel::kDebug, "create_invitation_for_peer",
      {{"helper", helper.node_id.short_hex()},
       {"newcomer", brokering.newcomer.node_id.short_hex()}});
  dht_.request(helper, std::move(ask), config_.timing.invitation_timeout,
               [this, brokering_id, helper](Message* response) {
                 auto found = brokerings_.find(brokering_id);
                 if (found == brokerings_.end()) return;
                 auto* created =
                     response != nullptr ? response->get<msg::InvitationCreated>() : nullptr;
                 if (created == nullptr) {
                   ask_next_helper(brokering_id);
                   return;
                 }
                 msg::OnboardingPeerResponse reply;
                 reply.helper = helper;
                 reply.invitation = std::move(created->invitation);
                 // The helper's chain, for the bootstrap to check.
                 reply.inviter_chain = std::move(created->inviter_chain);
                 // So a late answer tells the bootstrap why it is late.
                 reply.unanswered_requests = unanswered_since(found->second);
                 metrics_.invitation("brokered").Increment();
                 send_to_bootstrap(Message(std::move(reply), found->second.bootstrap_request_id));
                 brokerings_.erase(found);
               });
}

std::uint32_t Bridge::unanswered_since(const Brokering& brokering) const {
  // Across every brokering in flight, not this one's only: evidence that
  // peers are not answering, which is what the bootstrap wants to know.
  const std::uint64_t timed_out = dht_.requests_timed_out() - brokering.timed_out_at_start;
  const std::uint64_t late = dht_.late_answers() - brokering.late_at_start;
  return static_cast<std::uint32_t>(timed_out > late ? timed_out - late : 0);
}

void Bridge::reply_failure(const Brokering& brokering, std::string code, std::string text) {
  send_to_bootstrap(
      core::ErrorMessage(std::move(code), std::move(text), brokering.bootstrap_request_id));
}

}  // namespace yz::roles
