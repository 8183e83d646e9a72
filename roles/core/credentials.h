#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "roles/core/frame.h"
#include "roles/core/identity.h"

namespace yz::metrics {
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace yz::metrics

namespace yz::core {

// The signed credentials of onboarding (roles/ONBOARDING.md, steps 4, 8, 10
// and 11):
// - an invitation: inviter, invitee, expiry (shared clock, ms), nonce and the
//   inviter's public key, signed by the inviter;
// - a membership token: member, issuer, the nonce of the invitation it cites
//   and the member's public key, signed by the member. Genesis signs its own
//   (issuer == member, nonce 0): the root of every chain.

// The exact bytes each credential's signature covers.
std::string invitation_message(const Invitation& invitation);
std::string token_message(const MembershipToken& token);

Invitation sign_invitation(const Identity& inviter, const NodeId& invitee,
                           std::int64_t expires_at_ms, std::uint64_t nonce);
// `invitation` is the one the token cites; null for genesis's own token.
MembershipToken sign_token(const Identity& member, const Invitation* invitation);

// Checks credentials, verifying each distinct signature once (memoised), and
// counts every refusal on yz_credential_rejected_total{reason}: expired,
// replayed, wrong_subject, bad_signature, broken_chain. Each check returns
// "" or that reason.
class CredentialChecker {
 public:
  explicit CredentialChecker(metrics::Registry& registry);

  // An invitation for `invitee`, valid at `now_ms`, signed by the inviter
  // whose key it carries, whose nonce this process has not used before.
  std::string check_invitation(const Invitation& invitation, const NodeId& invitee,
                               std::int64_t now_ms);
  // `token` is `holder`'s, signed with holder's key, and cites `invitation`.
  std::string check_token(const MembershipToken& token, const NodeId& holder,
                          const Invitation& invitation);
  // Genesis's own token: holder signs it and names itself as issuer.
  std::string check_genesis_token(const MembershipToken& token, const NodeId& holder);

  // The invitation has been used: the same nonce from the same inviter is
  // refused from now on as replayed.
  void mark_used(const Invitation& invitation);
  bool used(const Invitation& invitation) const;

  std::uint64_t verifications() const { return verifier_.verifications(); }

 private:
  std::string refuse(const std::string& reason);
  bool key_is(const std::string& public_key, const NodeId& id) const;

  metrics::Family<metrics::Counter>& rejected_;
  SignatureVerifier verifier_;
  std::set<std::pair<NodeId, std::uint64_t>> used_;
};

}  // namespace yz::core
