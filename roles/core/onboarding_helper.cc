#include "roles/core/onboarding_helper.h"

#include <string>
#include <utility>

namespace yz::core {

OnboardingHelper::OnboardingHelper(Env& env, const ProcessConfig& config, const PeerInfo& self,
                                   CoreMetrics& metrics, Dht& dht,
                                   const MemberCredentials& credentials)
    : env_(env),
      config_(config),
      self_(self),
      metrics_(metrics),
      dht_(dht),
      credentials_(credentials) {}

void OnboardingHelper::on_request(ConnectionManager& from, Message&& message) {
  const auto* ask = message.get<msg::CreateInvitationForPeer>();
  if (ask == nullptr) {
    dht_.respond(from, ErrorMessage("unknown_message",
                                    std::string(message_type_name(message.type())) +
                                        " is not handled by a DHT node",
                                    message.request_id));
    return;
  }
  if (!credentials_.is_member()) {
    dht_.respond(from,
                 ErrorMessage("not_a_member", "only a member can invite", message.request_id));
    return;
  }
  msg::InvitationCreated reply;
  const std::int64_t expires_at_ms =
      env_.shared_clock_ms() + config_.timing.invitation_expiry / kMillisecond;
  const std::uint64_t nonce = env_.random();
  if (config_.identity) {
    reply.invitation =
        sign_invitation(*config_.identity, ask->target_node_id, expires_at_ms, nonce);
  } else {
    reply.invitation.inviter = self_.node_id;
    reply.invitation.invitee = ask->target_node_id;
    reply.invitation.expires_at_ms = expires_at_ms;
    reply.invitation.nonce = nonce;
  }
  reply.inviter_chain = credentials_.chain();  // so the newcomer and the bootstrap can check us
  metrics_.invitation("created").Increment();
  env_.log(
      LogLevel::kInfo, "invitation_created",
      {{"invitee", ask->target_node_id.short_hex()}, {"bridge", from.peer().node_id.short_hex()}});
  dht_.respond(from, Message(std::move(reply), message.request_id));
}

}  // namespace yz::core
