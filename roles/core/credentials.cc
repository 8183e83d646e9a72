#include "roles/core/credentials.h"

#include "roles/core/signed_bytes.h"
#include "roles/metrics/types.h"

namespace yz::core {

using signed_bytes::put_id;
using signed_bytes::put_u64;

std::string invitation_message(const Invitation& invitation) {
  std::string out = "yz-invitation-v1";
  out.push_back('\0');
  put_id(out, invitation.inviter);
  put_id(out, invitation.invitee);
  put_u64(out, static_cast<std::uint64_t>(invitation.expires_at_ms));
  put_u64(out, invitation.nonce);
  return out;
}

std::string token_message(const MembershipToken& token) {
  std::string out = "yz-membership-token-v1";
  out.push_back('\0');
  put_id(out, token.node_id);
  put_id(out, token.issuer);
  put_u64(out, token.invitation_nonce);
  return out;
}

Invitation sign_invitation(const Identity& inviter, const NodeId& invitee,
                           std::int64_t expires_at_ms, std::uint64_t nonce) {
  Invitation invitation;
  invitation.inviter = inviter.node_id();
  invitation.invitee = invitee;
  invitation.expires_at_ms = expires_at_ms;
  invitation.nonce = nonce;
  invitation.inviter_public_key = inviter.public_key();
  invitation.signature = inviter.sign(invitation_message(invitation));
  return invitation;
}

MembershipToken sign_token(const Identity& member, const Invitation& invitation) {
  MembershipToken token;
  token.node_id = member.node_id();
  token.issuer = invitation.inviter;
  token.invitation_nonce = invitation.nonce;
  token.public_key = member.public_key();
  token.signature = member.sign(token_message(token));
  return token;
}

CredentialChain extend_chain(const MembershipToken& token, const Invitation& invitation,
                             const CredentialChain& inviter_chain) {
  CredentialChain chain;
  chain.reserve(inviter_chain.size() + 1);
  chain.push_back(ChainLink{token, invitation});
  chain.insert(chain.end(), inviter_chain.begin(), inviter_chain.end());
  return chain;
}

CredentialChecker::CredentialChecker(metrics::Registry& registry,
                                     std::shared_ptr<SignatureVerifier> shared)
    : verifier_(shared ? std::move(shared) : std::make_shared<SignatureVerifier>()),
      rejected_(metrics::BuildCounter()
                    .Name("yz_credential_rejected_total")
                    .Help("Invitations and membership tokens refused, by reason")
                    .Register(registry),
                "reason", kCredentialRejections),
      chain_checks_(metrics::BuildCounter()
                        .Name("yz_chain_verifications_total")
                        .Help("Membership chains checked: verified, cached (the holder was "
                              "proven before) or refused")
                        .Register(registry),
                    "result", kChainVerificationResults) {}

std::string CredentialChecker::refuse(const std::string& reason) {
  rejected_[reason].Increment();
  return reason;
}

bool CredentialChecker::key_is(const std::string& public_key, const NodeId& id) const {
  return public_key.size() == kPublicKeyBytes && node_id_for_key(public_key) == id;
}

std::string CredentialChecker::check_invitation(const Invitation& invitation, const NodeId& invitee,
                                                std::int64_t now_ms) {
  if (invitation.invitee != invitee) return refuse("wrong_subject");
  if (!key_is(invitation.inviter_public_key, invitation.inviter) ||
      !verifier_->verify(invitation.inviter_public_key, invitation_message(invitation),
                         invitation.signature))
    return refuse("bad_signature");
  if (invitation.expires_at_ms <= now_ms) return refuse("expired");
  // Unsigned: expiry is after now, so the difference fits, whatever the values.
  if (max_lifetime_ms_ > 0 &&
      static_cast<std::uint64_t>(invitation.expires_at_ms) - static_cast<std::uint64_t>(now_ms) >
          static_cast<std::uint64_t>(max_lifetime_ms_))
    return refuse("expiry_too_far");
  if (used(invitation)) return refuse("replayed");
  return {};
}

std::string CredentialChecker::check_inviter(const Invitation& invitation, const NodeId& helper) {
  if (invitation.inviter != helper) return refuse("broken_chain");
  return {};
}

std::string CredentialChecker::check_token(const MembershipToken& token, const NodeId& holder,
                                           const Invitation& invitation) {
  if (token.node_id != holder || !key_is(token.public_key, holder)) return refuse("wrong_subject");
  if (!verifier_->verify(token.public_key, token_message(token), token.signature))
    return refuse("bad_signature");
  if (token.issuer != invitation.inviter || token.invitation_nonce != invitation.nonce ||
      invitation.invitee != holder)
    return refuse("broken_chain");
  return {};
}

std::string CredentialChecker::check_chain(const CredentialChain& chain, const NodeId& holder,
                                           const NodeId& anchor) {
  if (proven_.contains(holder)) {
    chain_checks_["cached"].Increment();
    return {};
  }
  std::string why = walk_chain(chain, holder, anchor);
  chain_checks_[why.empty() ? "verified" : "refused"].Increment();
  return why;
}

std::string CredentialChecker::walk_chain(const CredentialChain& chain, const NodeId& holder,
                                          const NodeId& anchor) {
  if (chain.empty()) return refuse("missing_chain");
  if (chain.size() > kMaxChainLength) return refuse("broken_chain");
  // Verify every link up to the anchor or a proven member, then remember
  // the holders: nothing is remembered from a chain that fails anywhere.
  NodeId expected = holder;
  std::size_t checked = 0;
  for (const ChainLink& link : chain) {
    const MembershipToken& token = link.token;
    const Invitation& invitation = link.invitation;
    if (token.node_id != expected || !key_is(token.public_key, expected))
      return refuse("wrong_subject");
    if (invitation.invitee != expected || token.issuer != invitation.inviter ||
        token.invitation_nonce != invitation.nonce)
      return refuse("broken_chain");
    if (!key_is(invitation.inviter_public_key, invitation.inviter) ||
        !verifier_->verify(token.public_key, token_message(token), token.signature) ||
        !verifier_->verify(invitation.inviter_public_key, invitation_message(invitation),
                           invitation.signature))
      return refuse("bad_signature");
    ++checked;
    expected = invitation.inviter;
    if (expected == anchor || proven_.contains(expected)) break;
  }
  if (expected != anchor && !proven_.contains(expected)) return refuse("broken_chain");
  for (std::size_t i = 0; i < checked; ++i) proven_.insert(chain[i].token.node_id, true);
  return {};
}

void CredentialChecker::mark_used(const Invitation& invitation) {
  used_.emplace(invitation.inviter, invitation.nonce);
}

bool CredentialChecker::used(const Invitation& invitation) const {
  return used_.contains({invitation.inviter, invitation.nonce});
}

}  // namespace yz::core
