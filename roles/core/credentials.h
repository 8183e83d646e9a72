#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "roles/core/bounded_memo.h"
#include "roles/core/frame.h"
#include "roles/core/identity.h"
#include "roles/metrics/known_series.h"
#include "roles/metrics/registry.h"

namespace yz::core {

// The signed credentials of onboarding (roles/ONBOARDING.md, steps 4, 8, 10
// and 11):
// - an invitation: inviter, invitee, expiry (shared clock, ms), nonce and the
//   inviter's public key, signed by the inviter;
// - a membership token: member, issuer, the nonce of the invitation it cites
//   and the member's public key, signed by the member;
// - a chain (frame.h): a member's token and invitation, then its inviter's,
//   and so on back to an invitation the bootstrap signed. The bootstrap
//   signs two kinds: genesis's designation (genesis's token cites it, so
//   every member's chain ends at genesis and then the bootstrap) and a
//   bridge's registration, which it grants only with BRIDGE_AUTH. Every
//   process learns the bootstrap's key from the proven handshake on its own
//   bootstrap link: that key is the trust anchor.

// The exact bytes each credential's signature covers.
std::string invitation_message(const Invitation& invitation);
std::string token_message(const MembershipToken& token);

Invitation sign_invitation(const Identity& inviter, const NodeId& invitee,
                           std::int64_t expires_at_ms, std::uint64_t nonce);
// The member's token citing `invitation` (genesis's cites its designation).
MembershipToken sign_token(const Identity& member, const Invitation& invitation);

// The chain of a member who accepted `invitation` from the holder of
// `inviter_chain` (empty when the bootstrap signed it).
CredentialChain extend_chain(const MembershipToken& token, const Invitation& invitation,
                             const CredentialChain& inviter_chain);

// Checks credentials, verifying each distinct signature once (memoised), and
// counts every refusal on yz_credential_rejected_total{reason}: expired,
// expiry_too_far, replayed, wrong_subject, bad_signature, broken_chain. Each check returns
// "" or that reason.
// How far ahead of a checker's clock an inviter's may run: an invitation may
// expire up to its lifetime plus this after it is checked.
inline constexpr std::int64_t kInvitationClockSkewMs = 5 * 60 * 1000;

// yz_credential_rejected_total{reason}: every reason the checks return.
inline constexpr std::array<std::string_view, 7> kCredentialRejections = {
    "wrong_subject", "bad_signature", "expired",      "expiry_too_far",
    "replayed",      "broken_chain",  "missing_chain"};

// yz_chain_verifications_total{result}: a peer's membership chain walked
// and accepted (verified), accepted because its holder was proven before
// (cached), or refused.
inline constexpr std::array<std::string_view, 3> kChainVerificationResults = {"verified", "cached",
                                                                              "refused"};

// How many proven members a process remembers: more than any one process
// links to, so in practice each peer's chain is walked once per process.
inline constexpr std::size_t kProvenMembers = std::size_t{1} << 16;

class CredentialChecker {
 public:
  // `shared`: a verifier several processes use together (the simulator's,
  // one per run, since every member checks the same chains); null, its own.
  explicit CredentialChecker(metrics::Registry& registry,
                             std::shared_ptr<SignatureVerifier> shared = nullptr);

  // An invitation for `invitee`, valid at `now_ms` and for no longer than
  // the lifetime limit from now, signed by the inviter whose key it carries,
  // whose nonce this process has not used before.
  std::string check_invitation(const Invitation& invitation, const NodeId& invitee,
                               std::int64_t now_ms);
  // Refuse invitations that expire more than `max_ms` after they are checked
  // (reason expiry_too_far): used nonces are remembered only in memory, so
  // a long-lived invitation could be used again after a restart. 0: no limit.
  void limit_lifetime(std::int64_t max_ms) { max_lifetime_ms_ = max_ms; }
  // `helper`, the node a bridge names for the newcomer to dial, is the one
  // who signed `invitation`; otherwise broken_chain.
  std::string check_inviter(const Invitation& invitation, const NodeId& helper);
  // `token` is `holder`'s, signed with holder's key, and cites `invitation`.
  std::string check_token(const MembershipToken& token, const NodeId& holder,
                          const Invitation& invitation);
  // `chain` proves that `holder` is a member (or a bridge): each token is
  // signed by its holder and cites its invitation, each invitation is signed
  // by the next link's holder, and the last by `anchor` (the bootstrap).
  // Expiry and replay are not checked here: they were checked when each
  // invitation was used, and a chain is shown again on every link. A holder
  // proven once is remembered (the last kProvenMembers of them), so a chain
  // is walked once per process and then only up to the first member this
  // process already knows; each signature on it is checked once per
  // verifier (SignatureVerifier). Reasons: missing_chain, broken_chain,
  // wrong_subject, bad_signature. Counted on yz_chain_verifications_total.
  std::string check_chain(const CredentialChain& chain, const NodeId& holder, const NodeId& anchor);
  bool proven_member(const NodeId& id) const { return proven_.contains(id); }

  // The invitation has been used: the same nonce from the same inviter is
  // refused from now on as replayed.
  void mark_used(const Invitation& invitation);
  bool used(const Invitation& invitation) const;

  std::uint64_t verifications() const { return verifier_->verifications(); }

 private:
  std::string refuse(const std::string& reason);
  bool key_is(const std::string& public_key, const NodeId& id) const;
  std::string walk_chain(const CredentialChain& chain, const NodeId& holder, const NodeId& anchor);

  std::shared_ptr<SignatureVerifier> verifier_;
  metrics::KnownSeries rejected_;
  metrics::KnownSeries chain_checks_;
  std::set<std::pair<NodeId, std::uint64_t>> used_;
  // Holders whose chain this process checked; only looked up.
  BoundedMemo<NodeId, bool, NodeIdHash> proven_{kProvenMembers};
  std::int64_t max_lifetime_ms_ = 0;
};

}  // namespace yz::core
