#include "roles/core/credentials.h"

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>

#include "roles/core/dht_member.h"
#include "roles/core/handshake_auth.h"
#include "tests/unit/fake_env.h"

namespace yz::core {
namespace {

using testing::FakeEnv;

std::shared_ptr<const Identity> Key(std::uint64_t n) { return Identity::from_words(n, 9, 9, 9); }

constexpr std::int64_t kNow = 1'000'000;
constexpr std::int64_t kLater = kNow + 30 * 60 * 1000;

class CredentialsTest : public ::testing::Test {
 protected:
  std::optional<double> Rejected(const std::string& reason) {
    return testing::Sample(env_.metrics(),
                           "yz_credential_rejected_total{reason=\"" + reason + "\"}");
  }
  FakeEnv env_;
  CredentialChecker checker_{env_.metrics()};
  std::shared_ptr<const Identity> helper_ = Key(1), newcomer_ = Key(2), other_ = Key(3);
};

TEST_F(CredentialsTest, HonestInvitationAndTokenPass) {
  const Invitation inv = sign_invitation(*helper_, newcomer_->node_id(), kLater, 77);
  EXPECT_EQ(checker_.check_invitation(inv, newcomer_->node_id(), kNow), "");
  const MembershipToken token = sign_token(*newcomer_, inv);
  EXPECT_EQ(token.issuer, helper_->node_id());
  EXPECT_EQ(token.invitation_nonce, 77u);
  EXPECT_EQ(checker_.check_token(token, newcomer_->node_id(), inv), "");
}

TEST_F(CredentialsTest, ExpiredInvitationIsRefusedAndCounted) {
  const Invitation inv = sign_invitation(*helper_, newcomer_->node_id(), kNow, 1);
  EXPECT_EQ(checker_.check_invitation(inv, newcomer_->node_id(), kNow), "expired");
  EXPECT_EQ(Rejected("expired"), 1.0);
}

TEST_F(CredentialsTest, AnInvitationLivingPastTheLifetimeLimitIsRefusedAndCounted) {
  constexpr std::int64_t kLimit = 30 * 60 * 1000;
  checker_.limit_lifetime(kLimit);
  const Invitation at_limit = sign_invitation(*helper_, newcomer_->node_id(), kNow + kLimit, 1);
  EXPECT_EQ(checker_.check_invitation(at_limit, newcomer_->node_id(), kNow), "");
  const Invitation beyond = sign_invitation(*helper_, newcomer_->node_id(), kNow + kLimit + 1, 2);
  EXPECT_EQ(checker_.check_invitation(beyond, newcomer_->node_id(), kNow), "expiry_too_far");
  // The farthest expiry there is, against a clock before the epoch: no
  // overflow on the way to the same answer.
  const Invitation forever =
      sign_invitation(*helper_, newcomer_->node_id(), std::numeric_limits<std::int64_t>::max(), 3);
  EXPECT_EQ(checker_.check_invitation(forever, newcomer_->node_id(), -kNow), "expiry_too_far");
  EXPECT_EQ(Rejected("expiry_too_far"), 2.0);
}

TEST_F(CredentialsTest, ReplayedNonceIsRefusedAndCounted) {
  const Invitation inv = sign_invitation(*helper_, newcomer_->node_id(), kLater, 5);
  ASSERT_EQ(checker_.check_invitation(inv, newcomer_->node_id(), kNow), "");
  checker_.mark_used(inv);
  EXPECT_EQ(checker_.check_invitation(inv, newcomer_->node_id(), kNow), "replayed");
  // Another inviter may use the same nonce value.
  EXPECT_EQ(checker_.check_invitation(sign_invitation(*other_, newcomer_->node_id(), kLater, 5),
                                      newcomer_->node_id(), kNow),
            "");
  EXPECT_EQ(Rejected("replayed"), 1.0);
}

TEST_F(CredentialsTest, InvitationOrTokenForAnotherIdIsRefused) {
  const Invitation inv = sign_invitation(*helper_, other_->node_id(), kLater, 5);
  EXPECT_EQ(checker_.check_invitation(inv, newcomer_->node_id(), kNow), "wrong_subject");
  const Invitation mine = sign_invitation(*helper_, newcomer_->node_id(), kLater, 6);
  // other_ signs a token citing newcomer's invitation.
  EXPECT_EQ(checker_.check_token(sign_token(*other_, mine), newcomer_->node_id(), mine),
            "wrong_subject");
  // A token naming newcomer but carrying other's key.
  MembershipToken swapped = sign_token(*newcomer_, mine);
  swapped.public_key = other_->public_key();
  EXPECT_EQ(checker_.check_token(swapped, newcomer_->node_id(), mine), "wrong_subject");
  EXPECT_EQ(Rejected("wrong_subject"), 3.0);
}

TEST_F(CredentialsTest, ForgedSignaturesAreRefused) {
  Invitation inv = sign_invitation(*helper_, newcomer_->node_id(), kLater, 5);
  Invitation longer = inv;
  longer.expires_at_ms += 1;  // edited after signing
  EXPECT_EQ(checker_.check_invitation(longer, newcomer_->node_id(), kNow), "bad_signature");
  Invitation by_other = inv;  // signed by someone else, claiming helper
  by_other.signature = other_->sign(invitation_message(inv));
  EXPECT_EQ(checker_.check_invitation(by_other, newcomer_->node_id(), kNow), "bad_signature");
  Invitation other_key = inv;  // helper's id with another key
  other_key.inviter_public_key = other_->public_key();
  EXPECT_EQ(checker_.check_invitation(other_key, newcomer_->node_id(), kNow), "bad_signature");
  MembershipToken token = sign_token(*newcomer_, inv);
  token.signature[3] ^= 1;
  EXPECT_EQ(checker_.check_token(token, newcomer_->node_id(), inv), "bad_signature");
  EXPECT_EQ(Rejected("bad_signature"), 4.0);
}

TEST_F(CredentialsTest, TokenNotCitingTheInvitationIsABrokenChain) {
  const Invitation inv = sign_invitation(*helper_, newcomer_->node_id(), kLater, 5);
  const Invitation other_inv = sign_invitation(*helper_, newcomer_->node_id(), kLater, 6);
  EXPECT_EQ(checker_.check_token(sign_token(*newcomer_, other_inv), newcomer_->node_id(), inv),
            "broken_chain");
  EXPECT_EQ(Rejected("broken_chain"), 1.0);
}

TEST_F(CredentialsTest, AHelperWhoDidNotSignTheInvitationIsABrokenChainAndCounted) {
  const Invitation inv = sign_invitation(*helper_, newcomer_->node_id(), kLater, 5);
  EXPECT_EQ(checker_.check_inviter(inv, helper_->node_id()), "");
  EXPECT_EQ(Rejected("broken_chain").value_or(0), 0.0);
  // What the bootstrap refuses when a bridge names someone else to dial.
  EXPECT_EQ(checker_.check_inviter(inv, other_->node_id()), "broken_chain");
  EXPECT_EQ(Rejected("broken_chain"), 1.0);
}

// ---- chains back to the bootstrap ---------------------------------------------

// bootstrap -> genesis (designation) -> a -> b, and a bridge registered by
// the bootstrap.
class ChainTest : public CredentialsTest {
 protected:
  // `member` accepts an invitation from `inviter` (null: the bootstrap).
  CredentialChain Join(const Identity& member, const Identity* inviter,
                       const CredentialChain& inviter_chain, std::uint64_t nonce) {
    const Invitation inv =
        sign_invitation(inviter ? *inviter : *bootstrap_, member.node_id(), kLater, nonce);
    return extend_chain(sign_token(member, inv), inv, inviter_chain);
  }
  std::shared_ptr<const Identity> bootstrap_ = Key(10), genesis_ = Key(11), a_ = Key(12),
                                  b_ = Key(13), bridge_ = Key(14);
  CredentialChain genesis_chain_ = Join(*genesis_, nullptr, {}, 1);
  CredentialChain a_chain_ = Join(*a_, genesis_.get(), genesis_chain_, 2);
  CredentialChain b_chain_ = Join(*b_, a_.get(), a_chain_, 3);
  CredentialChain bridge_chain_ = Join(*bridge_, nullptr, {}, 4);
  NodeId anchor() const { return bootstrap_->node_id(); }
};

TEST_F(ChainTest, MembersAndBridgesChainedToTheBootstrapPass) {
  ASSERT_EQ(b_chain_.size(), 3u);
  EXPECT_EQ(checker_.check_chain(b_chain_, b_->node_id(), anchor()), "");
  EXPECT_TRUE(checker_.proven_member(a_->node_id()));
  EXPECT_TRUE(checker_.proven_member(genesis_->node_id()));
  EXPECT_EQ(checker_.check_chain(bridge_chain_, bridge_->node_id(), anchor()), "");
  // Expired long ago is fine: expiry was checked when each was used.
  EXPECT_EQ(checker_.check_chain(genesis_chain_, genesis_->node_id(), anchor()), "");
}

TEST_F(ChainTest, NoChainIsRefusedAndCounted) {
  EXPECT_EQ(checker_.check_chain({}, a_->node_id(), anchor()), "missing_chain");
  EXPECT_EQ(Rejected("missing_chain"), 1.0);
}

TEST_F(ChainTest, ASelfMadeRootIsNotTheBootstrap) {
  // An outsider plays bootstrap for itself: every signature is good, the
  // root is not ours.
  const auto outsider = Key(99);
  const CredentialChain own = Join(*outsider, outsider.get(), {}, 5);
  EXPECT_EQ(checker_.check_chain(own, outsider->node_id(), anchor()), "broken_chain");
  // Nor does cutting a real chain short help.
  CredentialChain cut = b_chain_;
  cut.pop_back();
  EXPECT_EQ(checker_.check_chain(cut, b_->node_id(), anchor()), "broken_chain");
  EXPECT_FALSE(checker_.proven_member(a_->node_id())) << "nothing of a failed chain is kept";
  EXPECT_EQ(Rejected("broken_chain"), 2.0);
}

TEST_F(ChainTest, ForgedOrBorrowedLinksAreRefused) {
  CredentialChain forged = b_chain_;
  forged[1].token.signature[5] ^= 1;  // a's token
  EXPECT_EQ(checker_.check_chain(forged, b_->node_id(), anchor()), "bad_signature");
  // Someone else's valid chain, presented as our own.
  EXPECT_EQ(checker_.check_chain(a_chain_, b_->node_id(), anchor()), "wrong_subject");
  // a's invitation to b, re-pointed at another invitee.
  CredentialChain repointed = b_chain_;
  repointed[0].invitation.invitee = genesis_->node_id();
  EXPECT_EQ(checker_.check_chain(repointed, b_->node_id(), anchor()), "broken_chain");
  // A chain longer than any honest one is not walked.
  CredentialChain endless(kMaxChainLength + 1, b_chain_[0]);
  EXPECT_EQ(checker_.check_chain(endless, b_->node_id(), anchor()), "broken_chain");
}

TEST_F(ChainTest, AProvenMemberEndsTheWalk) {
  ASSERT_EQ(checker_.check_chain(a_chain_, a_->node_id(), anchor()), "");
  const std::uint64_t before = checker_.verifications();
  // b's own link is enough once a is proven: two new signatures.
  EXPECT_EQ(checker_.check_chain({b_chain_.front()}, b_->node_id(), anchor()), "");
  EXPECT_EQ(checker_.verifications(), before + 2);
  // And b again costs nothing.
  EXPECT_EQ(checker_.check_chain(b_chain_, b_->node_id(), anchor()), "");
  EXPECT_EQ(checker_.verifications(), before + 2);
}

TEST_F(ChainTest, ChainChecksAreCountedVerifiedCachedOrRefused) {
  auto count = [this](const std::string& result) {
    return testing::Sample(env_.metrics(),
                           "yz_chain_verifications_total{result=\"" + result + "\"}");
  };
  EXPECT_EQ(count("verified"), 0.0);  // every series from the start
  EXPECT_EQ(count("cached"), 0.0);
  EXPECT_EQ(count("refused"), 0.0);
  ASSERT_EQ(checker_.check_chain(b_chain_, b_->node_id(), anchor()), "");
  const std::uint64_t after_first = checker_.verifications();
  // b shows its chain on every link: walked once, then remembered.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(checker_.check_chain(b_chain_, b_->node_id(), anchor()), "");
  // a and genesis were proven on the way.
  ASSERT_EQ(checker_.check_chain(a_chain_, a_->node_id(), anchor()), "");
  EXPECT_EQ(checker_.verifications(), after_first);
  ASSERT_EQ(checker_.check_chain({}, bridge_->node_id(), anchor()), "missing_chain");
  EXPECT_EQ(count("verified"), 1.0);
  EXPECT_EQ(count("cached"), 4.0);
  EXPECT_EQ(count("refused"), 1.0);
}

TEST_F(CredentialsTest, EachDistinctSignatureIsVerifiedOnce) {
  const Invitation inv = sign_invitation(*helper_, newcomer_->node_id(), kLater, 5);
  for (int i = 0; i < 5; ++i) checker_.check_invitation(inv, newcomer_->node_id(), kNow);
  EXPECT_EQ(checker_.verifications(), 1u);
}

// ---- the newcomer's half, through a DhtMember ---------------------------------

class NewcomerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessConfig config;
    config.name = "newcomer";
    config.identity = newcomer_;
    config.node_id = newcomer_->node_id();
    config.listen_address = "newcomer:7000";
    config.bootstrap_address = "bootstrap:7000";
    member_ = std::make_unique<DhtMember>(env_, config);
    member_->start();
    ASSERT_EQ(env_.dials.size(), 1u);
    link_ = env_.dials[0].link;
    member_->on_link_opened(link_);
    // Play the bootstrap's side of the handshake, proof included.
    const auto hello = testing::BodyOf<msg::DhtPeerHello>(env_.sent.back().message);
    msg::DhtPeerConnected connected;
    connected.node_id = bootstrap_key_->node_id();
    connected.metadata.protocol_version = 1;
    ASSERT_EQ(bootstrap_auth_.check_hello(link_, hello, connected), "");
    member_->on_frame(link_, std::move(connected));
    ASSERT_EQ(env_.sent.back().message.type(), MessageType::kRegister);
    ASSERT_EQ(bootstrap_auth_.check_proof(link_, env_.sent[env_.sent.size() - 2].message), "");
    member_->on_frame(link_, msg::Registered{});
  }

  // Relays `invitation` as the bootstrap would; true when the newcomer
  // accepted it.
  bool Offer(const Invitation& invitation) { return Offer(invitation, HelperChain()); }
  bool Offer(const Invitation& invitation, const CredentialChain& inviter_chain) {
    const std::size_t before = env_.sent.size();
    msg::SendInvitation relay;
    relay.invitation = invitation;
    PeerInfo inviter;
    inviter.node_id = invitation.inviter;
    relay.inviter = inviter;
    relay.inviter_chain = inviter_chain;
    member_->on_frame(link_, std::move(relay));
    for (std::size_t i = before; i < env_.sent.size(); ++i)
      if (env_.sent[i].message.type() == MessageType::kInvitationAccepted) {
        accepted_ = testing::BodyOf<msg::InvitationAccepted>(env_.sent[i].message);
        return true;
      }
    return false;
  }
  std::optional<double> Rejected(const std::string& reason) {
    return testing::Sample(env_.metrics(),
                           "yz_credential_rejected_total{reason=\"" + reason + "\"}");
  }
  std::int64_t Now() { return env_.shared_clock_ms(); }
  // The helper's membership: designated by the bootstrap.
  CredentialChain HelperChain() {
    const Invitation designation =
        sign_invitation(*bootstrap_key_, helper_->node_id(), Now() + 1000, 1);
    return extend_chain(sign_token(*helper_, designation), designation, {});
  }

  FakeEnv env_;
  FakeEnv bootstrap_env_;
  std::shared_ptr<const Identity> newcomer_ = Key(20), helper_ = Key(21), other_ = Key(22),
                                  bootstrap_key_ = Key(23);
  HandshakeAuth bootstrap_auth_{bootstrap_env_, bootstrap_key_};
  std::unique_ptr<DhtMember> member_;
  LinkId link_ = 0;
  msg::InvitationAccepted accepted_;
};

TEST_F(NewcomerTest, AcceptsAValidInvitationWithASignedToken) {
  const Invitation inv = sign_invitation(*helper_, newcomer_->node_id(), Now() + 30 * 60 * 1000, 9);
  ASSERT_TRUE(Offer(inv));
  CredentialChecker checker(bootstrap_env_.metrics());
  EXPECT_EQ(checker.check_token(accepted_.token, newcomer_->node_id(), inv), "");
}

TEST_F(NewcomerTest, ItsChainExtendsTheHelpersToTheBootstrap) {
  const Invitation inv = sign_invitation(*helper_, newcomer_->node_id(), Now() + 30 * 60 * 1000, 9);
  ASSERT_TRUE(Offer(inv));
  ASSERT_EQ(member_->chain().size(), 2u);
  CredentialChecker checker(bootstrap_env_.metrics());
  EXPECT_EQ(checker.check_chain(member_->chain(), newcomer_->node_id(), bootstrap_key_->node_id()),
            "");
}

TEST_F(NewcomerTest, RefusesAnInvitationFromANonMember) {
  // Well signed, but the inviter shows no chain, or one it made itself.
  const Invitation inv = sign_invitation(*other_, newcomer_->node_id(), Now() + 30 * 60 * 1000, 9);
  EXPECT_FALSE(Offer(inv, {}));
  EXPECT_EQ(Rejected("missing_chain"), 1.0);
  const Invitation own = sign_invitation(*other_, other_->node_id(), Now() + 1000, 1);
  EXPECT_FALSE(Offer(inv, extend_chain(sign_token(*other_, own), own, {})));
  EXPECT_EQ(Rejected("broken_chain"), 1.0);
}

// The invitation is sound, but the node named to dial is not its signer:
// refused and counted, as at the bootstrap.
TEST_F(NewcomerTest, RefusesAHelperWhoDidNotSignTheInvitation) {
  const Invitation inv = sign_invitation(*helper_, newcomer_->node_id(), Now() + 30 * 60 * 1000, 9);
  const std::size_t before = env_.sent.size();
  msg::SendInvitation relay;
  relay.invitation = inv;
  PeerInfo impostor;
  impostor.node_id = other_->node_id();
  relay.inviter = impostor;
  relay.inviter_chain = HelperChain();
  member_->on_frame(link_, std::move(relay));
  for (std::size_t i = before; i < env_.sent.size(); ++i)
    EXPECT_NE(env_.sent[i].message.type(), MessageType::kInvitationAccepted);
  EXPECT_EQ(Rejected("broken_chain"), 1.0);
  // The same invitation, naming its signer, is still good.
  EXPECT_TRUE(Offer(inv));
}

// The newcomer takes no invitation that outlives its own invitation
// lifetime (30 min by default) plus the clock skew allowed.
TEST_F(NewcomerTest, RefusesAnInvitationLivingPastTheLifetimeLimit) {
  const std::int64_t limit =
      ProcessConfig{}.timing.invitation_expiry / kMillisecond + kInvitationClockSkewMs;
  EXPECT_FALSE(Offer(sign_invitation(*helper_, newcomer_->node_id(), Now() + limit + 1, 8)));
  EXPECT_EQ(Rejected("expiry_too_far"), 1.0);
  EXPECT_TRUE(Offer(sign_invitation(*helper_, newcomer_->node_id(), Now() + limit, 9)));
}

TEST_F(NewcomerTest, RefusesForgedExpiredMisaddressedAndReplayedInvitations) {
  const std::int64_t later = Now() + 30 * 60 * 1000;
  Invitation forged = sign_invitation(*helper_, newcomer_->node_id(), later, 1);
  forged.signature = other_->sign(invitation_message(forged));
  EXPECT_FALSE(Offer(forged));
  EXPECT_EQ(Rejected("bad_signature"), 1.0);
  EXPECT_FALSE(Offer(sign_invitation(*helper_, newcomer_->node_id(), Now(), 2)));
  EXPECT_EQ(Rejected("expired"), 1.0);
  EXPECT_FALSE(Offer(sign_invitation(*helper_, other_->node_id(), later, 3)));
  EXPECT_EQ(Rejected("wrong_subject"), 1.0);
  // A good one is accepted once; the bootstrap's refusal sends the newcomer
  // back to try again, and the same invitation replayed is refused.
  const Invitation good = sign_invitation(*helper_, newcomer_->node_id(), later, 4);
  ASSERT_TRUE(Offer(good));
  member_->on_frame(link_, msg::Error{"bad_token", ""});
  EXPECT_FALSE(Offer(good));
  EXPECT_EQ(Rejected("replayed"), 1.0);
}

}  // namespace
}  // namespace yz::core
