#include "roles/bridge/bridge.h"

#include <utility>

namespace yz::roles {

using core::Frame;
using core::LogLevel;
using core::MessageType;
using core::PeerInfo;

void Bridge::on_peer_link_established(core::ConnectionManager& manager) {
  dht_.get_or_create_peer_node(manager.peer());
  routing_table_path(manager);
}

void Bridge::on_role_request(core::ConnectionManager& from, Frame&& frame) {
  Frame error = Frame::Of(MessageType::kError, frame.request_id);
  error.code = "bridge_is_passive";
  error.text = std::string(core::message_type_name(frame.type)) + " is not served by a bridge";
  dht_.respond(from, std::move(error));
}

void Bridge::on_registered(const Frame& registered) {
  // Link to the whole network as it stands; later members are announced.
  for (const PeerInfo& member : registered.nodes)
    if (member.node_id != self_.node_id) dht_.connect(member);
}

void Bridge::on_bootstrap_frame(Frame&& frame) {
  switch (frame.type) {
    case MessageType::kMemberJoined:
      for (const PeerInfo& member : frame.nodes)
        if (member.node_id != self_.node_id) dht_.connect(member);
      return;
    case MessageType::kGetOnboardingPeer:
      broker_onboarding(frame);
      return;
    default:
      DhtMember::on_bootstrap_frame(std::move(frame));
  }
}

void Bridge::on_emergency(core::Health::Emergency emergency) {
  (void)emergency;
  if (!bootstrap_ready()) {
    DhtMember::on_emergency(emergency);
    return;
  }
  // Registering again returns the member list to link to.
  Frame reg = Frame::Of(MessageType::kRegister);
  reg.node_id = self_.node_id;
  reg.metadata = self_.metadata;
  reg.text = config_.bridge_auth;
  send_to_bootstrap(std::move(reg));
}

void Bridge::on_health_checked(bool healthy) {
  // Nobody to report to until the bootstrap link's handshake is done (the
  // guard would refuse the frame anyway: nothing reaches a peer before that,
  // guard.h). Sent mid-handshake, it used to get the link refused and
  // closed at every tick once a handshake outlasted the interval.
  if (!bootstrap_ready()) return;
  Frame update = Frame::Of(MessageType::kBridgeHealthUpdate);
  update.count = static_cast<std::uint32_t>(links_.connected_count());
  update.flag = healthy;
  send_to_bootstrap(std::move(update));
}

void Bridge::broker_onboarding(const Frame& request) {
  const std::uint64_t id = next_brokering_id_++;
  Brokering& brokering = brokerings_[id];
  brokering.bootstrap_request_id = request.request_id;
  brokering.newcomer = PeerInfo{request.target, request.metadata};
  brokering.timed_out_at_start = dht_.requests_timed_out();
  brokering.late_at_start = dht_.late_answers();
  log(LogLevel::kInfo, "onboarding_requested", {{"newcomer", request.target.short_hex()}});
  // Within the bridge's budget (Timing::bridge_lookup_budget), so the whole
  // brokering ends within Timing::brokering_budget, which the bootstrap's
  // wait for this answer always exceeds (Timing::bridge_wait).
  dht_.find_node(
      request.target,
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
  Frame ask = Frame::Of(MessageType::kCreateInvitationForPeer);
  ask.target = brokering.newcomer.node_id;
  ask.metadata = brokering.newcomer.metadata;
  log(LogLevel::kDebug, "create_invitation_for_peer",
      {{"helper", helper.node_id.short_hex()},
       {"newcomer", brokering.newcomer.node_id.short_hex()}});
  dht_.request(helper, std::move(ask), config_.timing.invitation_timeout,
               [this, brokering_id, helper](const Frame* response) {
                 auto found = brokerings_.find(brokering_id);
                 if (found == brokerings_.end()) return;
                 if (response == nullptr || response->type != MessageType::kInvitationCreated) {
                   ask_next_helper(brokering_id);
                   return;
                 }
                 Frame reply = Frame::Of(MessageType::kOnboardingPeerResponse,
                                         found->second.bootstrap_request_id);
                 reply.nodes.push_back(helper);
                 reply.invitation = response->invitation;
                 reply.chain = response->chain;  // the helper's, for the bootstrap to check
                 // So a late answer tells the bootstrap why it is late.
                 reply.count = unanswered_since(found->second);
                 metrics_.invitation("brokered").Increment();
                 send_to_bootstrap(std::move(reply));
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
  Frame error = Frame::Of(MessageType::kError, brokering.bootstrap_request_id);
  error.code = std::move(code);
  error.text = std::move(text);
  send_to_bootstrap(std::move(error));
}

}  // namespace yz::roles
