#include "roles/bridge/onboarding_broker.h"

#include <utility>

namespace yz::roles {

using core::LogLevel;
using core::Message;
using core::PeerInfo;
namespace msg = core::msg;

OnboardingBroker::OnboardingBroker(core::Env& env, const core::ProcessConfig& config,
                                   core::CoreMetrics& metrics, core::Dht& dht,
                                   core::PeerLinks& links, core::BootstrapSession& bootstrap)
    : env_(env),
      config_(config),
      metrics_(metrics),
      dht_(dht),
      links_(links),
      bootstrap_(bootstrap) {}

void OnboardingBroker::broker(std::uint64_t request_id, const msg::GetOnboardingPeer& request) {
  const std::uint64_t id = next_brokering_id_++;
  Brokering& brokering = brokerings_[id];
  brokering.bootstrap_request_id = request_id;
  brokering.newcomer = PeerInfo{request.new_node_id, request.new_node_metadata};
  brokering.timed_out_at_start = dht_.requests_timed_out();
  brokering.late_at_start = dht_.late_answers();
  env_.log(LogLevel::kInfo, "onboarding_requested",
           {{"newcomer", request.new_node_id.short_hex()}});
  // Within the bridge's budget (Timing::bridge_lookup_budget), so the whole
  // brokering ends within Timing::brokering_budget, which the bootstrap's
  // wait for this answer always exceeds (Timing::bridge_wait).
  dht_.find_node(
      request.new_node_id,
      [this, id](const core::LookupResult& result) {
        auto it = brokerings_.find(id);
        if (it == brokerings_.end()) return;
        if (result.timed_out()) {
          env_.log(LogLevel::kWarn, "onboarding_lookup_failed",
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

std::vector<PeerInfo> OnboardingBroker::pick_helpers(const core::LookupResult& result,
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

void OnboardingBroker::ask_next_helper(std::uint64_t brokering_id) {
  auto it = brokerings_.find(brokering_id);
  if (it == brokerings_.end()) return;
  Brokering& brokering = it->second;
  if (brokering.next >= brokering.candidates.size()) {
    env_.log(LogLevel::kWarn, "onboarding_no_helper",
             {{"newcomer", brokering.newcomer.node_id.short_hex()},
              {"tried", std::to_string(brokering.candidates.size())}});
    metrics_.invitation("no_helper").Increment();
    reply_failure(brokering, "no_helper", "no helper answered create_invitation_for_peer");
    brokerings_.erase(it);
    return;
  }
  const PeerInfo helper = brokering.candidates[brokering.next++];
  msg::CreateInvitationForPeer ask{brokering.newcomer.node_id, brokering.newcomer.metadata};
  env_.log(LogLevel::kDebug, "create_invitation_for_peer",
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
                 bootstrap_.send(Message(std::move(reply), found->second.bootstrap_request_id));
                 brokerings_.erase(found);
               });
}

std::uint32_t OnboardingBroker::unanswered_since(const Brokering& brokering) const {
  // Across every brokering in flight, not this one's only: evidence that
  // peers are not answering, which is what the bootstrap wants to know.
  const std::uint64_t timed_out = dht_.requests_timed_out() - brokering.timed_out_at_start;
  const std::uint64_t late = dht_.late_answers() - brokering.late_at_start;
  return static_cast<std::uint32_t>(timed_out > late ? timed_out - late : 0);
}

void OnboardingBroker::reply_failure(const Brokering& brokering, std::string code,
                                     std::string text) {
  bootstrap_.send(
      core::ErrorMessage(std::move(code), std::move(text), brokering.bootstrap_request_id));
}

}  // namespace yz::roles
