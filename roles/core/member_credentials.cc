#include "roles/core/member_credentials.h"

#include <utility>

namespace yz::core {

MemberCredentials::MemberCredentials(Env& env, const ProcessConfig& config, const PeerInfo& self,
                                     RefusalLog& refusals)
    : env_(env),
      config_(config),
      self_(self),
      refusals_(refusals),
      checker_(env.metrics(), config.shared_verifier ? config.shared_verifier
                                                     : std::make_shared<core::SignatureVerifier>(
                                                           4096, config.identity)) {
  checker_.limit_lifetime(config_.timing.invitation_expiry / core::kMillisecond +
                          core::kInvitationClockSkewMs);
}

void MemberCredentials::trust_bootstrap(const NodeId& id) {
  if (anchor_ && *anchor_ != id)
    env_.log(LogLevel::kWarn, "bootstrap_key_changed",
             {{"was", anchor_->short_hex()}, {"now", id.short_hex()}});
  anchor_ = id;
}

std::string MemberCredentials::admit(const NodeId& peer, const CredentialChain& chain) {
  if (!anchor_) return "no_trust_anchor";  // not yet linked to the bootstrap
  return checker_.check_chain(chain, peer, *anchor_);
}

bool MemberCredentials::accept_bootstrap_invitation(const Invitation& invitation) {
  if (!config_.identity) return false;
  std::string problem = "no bootstrap key";
  if (anchor_) {
    problem = invitation.inviter != *anchor_
                  ? "not signed by the bootstrap"
                  : checker_.check_invitation(invitation, self_.node_id, env_.shared_clock_ms());
  }
  if (!problem.empty()) {
    refusals_.log(LogLevel::kWarn, "invitation_refused", problem, {{"reason", problem}});
    return false;
  }
  checker_.mark_used(invitation);
  token_ = sign_token(*config_.identity, invitation);
  chain_ = extend_chain(token_, invitation, {});
  return true;
}

void MemberCredentials::accept_invitation(const Invitation& invitation,
                                          const CredentialChain& inviter_chain) {
  if (config_.identity) {
    checker_.mark_used(invitation);
    token_ = sign_token(*config_.identity, invitation);
    chain_ = extend_chain(token_, invitation, inviter_chain);
  } else {
    token_ = MembershipToken{};
    token_.node_id = self_.node_id;
    token_.issuer = invitation.inviter;
    token_.invitation_nonce = invitation.nonce;
  }
}

bool MemberCredentials::restore_chain(CredentialChain& chain) {
  if (!anchor_ || !checker_.check_chain(chain, self_.node_id, *anchor_).empty()) return false;
  chain_ = std::move(chain);
  token_ = chain_.front().token;
  return true;
}

void MemberCredentials::become_member(const MembershipToken& token) {
  member_ = true;
  token_ = token;
}

}  // namespace yz::core
