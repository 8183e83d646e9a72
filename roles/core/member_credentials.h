#pragma once

#include <optional>
#include <string>

#include "roles/core/credentials.h"
#include "roles/core/env.h"
#include "roles/core/process.h"
#include "roles/core/refusal_log.h"

namespace yz::core {

// A member's credentials: the trust anchor (the bootstrap's key, proven on
// our bootstrap link), our membership token and chain back to that anchor,
// and the check of a peer's chain when it links to us.
class MemberCredentials {
 public:
  MemberCredentials(Env& env, const ProcessConfig& config, const PeerInfo& self,
                    RefusalLog& refusals);

  bool is_member() const { return member_; }
  const MembershipToken& token() const { return token_; }
  // What this process shows on every link. Empty until it has one.
  const CredentialChain& chain() const { return chain_; }
  const std::optional<NodeId>& anchor() const { return anchor_; }
  CredentialChecker& checker() { return checker_; }

  // The bootstrap proved `id` on our bootstrap link: every chain must end
  // at it from now on.
  void trust_bootstrap(const NodeId& id);
  // A peer's chain at link time, against the bootstrap's key: empty when
  // admitted, else why not.
  std::string admit(const NodeId& peer, const CredentialChain& chain);
  // An invitation the bootstrap signed for us (genesis's designation, a
  // bridge's registration): our chain's root. False when it is not one.
  bool accept_bootstrap_invitation(const Invitation& invitation);
  // A member's invitation, already checked: our token cites it, and our
  // chain is that token followed by the inviter's chain.
  void accept_invitation(const Invitation& invitation, const CredentialChain& inviter_chain);
  // The chain the bootstrap kept for us, back after a restart with the
  // same identity. False (and nothing changes) when it does not check.
  bool restore_chain(CredentialChain& chain);
  void become_member(const MembershipToken& token);

 private:
  Env& env_;
  const ProcessConfig& config_;
  const PeerInfo& self_;
  RefusalLog& refusals_;
  CredentialChecker checker_;
  bool member_ = false;
  MembershipToken token_;
  CredentialChain chain_;
  // Unset until the bootstrap link's handshake completes.
  std::optional<NodeId> anchor_;
};

}  // namespace yz::core
