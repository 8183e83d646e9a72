#include "roles/core/identity.h"

#include <gtest/gtest.h>

#include <string>

#include "roles/core/core_metrics.h"
#include "roles/core/handshake_auth.h"
#include "roles/core/peer_links.h"
#include "tests/unit/fake_env.h"

namespace yz::core {
namespace {

using testing::FakeEnv;

std::shared_ptr<const Identity> Key(std::uint64_t n) { return Identity::from_words(n, 2, 3, 4); }

TEST(IdentityTest, NodeIdIsTheFirst160BitsOfSha256OfThePublicKey) {
  // RFC 8032 test 1: the all-zero... seed 9d61b19d... gives d75a9801...
  const std::string seed_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  std::string seed;
  for (std::size_t i = 0; i < seed_hex.size(); i += 2)
    seed.push_back(static_cast<char>(std::stoi(seed_hex.substr(i, 2), nullptr, 16)));
  const auto id = Identity::from_private_key(seed);
  ASSERT_NE(id, nullptr);
  std::string pub_hex;
  for (unsigned char c : id->public_key()) {
    static const char* kHex = "0123456789abcdef";
    pub_hex += kHex[c >> 4];
    pub_hex += kHex[c & 15];
  }
  EXPECT_EQ(pub_hex, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const auto digest = sha256(id->public_key());
  for (int i = 0; i < NodeId::kBytes; ++i) EXPECT_EQ(id->node_id().bytes()[i], digest[i]);
  EXPECT_EQ(id->private_key(), seed);
}

TEST(IdentityTest, SignaturesAreDeterministicAndVerify) {
  const auto a = Key(1);
  const auto b = Key(2);
  EXPECT_NE(a->node_id(), b->node_id());
  EXPECT_EQ(Key(1)->node_id(), a->node_id());  // same seed, same identity
  const std::string sig = a->sign("message");
  EXPECT_EQ(sig.size(), kSignatureBytes);
  EXPECT_EQ(a->sign("message"), sig);
  EXPECT_TRUE(verify_signature(a->public_key(), "message", sig));
  EXPECT_FALSE(verify_signature(b->public_key(), "message", sig));  // another key
  EXPECT_FALSE(verify_signature(a->public_key(), "massage", sig));  // another message
  std::string forged = sig;
  forged[10] ^= 1;
  EXPECT_FALSE(verify_signature(a->public_key(), "message", forged));
  EXPECT_FALSE(verify_signature(a->public_key(), "message", ""));  // malformed
  EXPECT_FALSE(verify_signature("short", "message", sig));         // malformed
  EXPECT_EQ(Identity::from_private_key("not 32 bytes"), nullptr);
}

TEST(IdentityTest, VerifierMemoisesEachDistinctSignature) {
  const auto a = Key(1);
  SignatureVerifier verifier;
  const std::string sig = a->sign("m");
  EXPECT_TRUE(verifier.verify(a->public_key(), "m", sig));
  EXPECT_TRUE(verifier.verify(a->public_key(), "m", sig));
  EXPECT_EQ(verifier.verifications(), 1u);
  EXPECT_FALSE(verifier.verify(a->public_key(), "n", sig));
  EXPECT_FALSE(verifier.verify(a->public_key(), "n", sig));
  EXPECT_EQ(verifier.verifications(), 2u);
  EXPECT_EQ(verifier.cached(), 2u);
}

TEST(IdentityTest, AShiftedSplitOfARememberedTripleIsNotRemembered) {
  // The same bytes cut differently (the signature's last byte moved to the
  // front of the message) must be checked, not found: it is malformed.
  const auto a = Key(1);
  SignatureVerifier verifier;
  const std::string sig = a->sign("m");
  ASSERT_TRUE(verifier.verify(a->public_key(), "m", sig));
  EXPECT_FALSE(verifier.verify(a->public_key(), sig.back() + std::string("m"),
                               sig.substr(0, sig.size() - 1)));
  EXPECT_FALSE(verifier.verify(a->public_key(), "", sig + "m"));
  EXPECT_EQ(verifier.verifications(), 3u);
}

TEST(IdentityTest, AFullVerifierForgetsItsOldestAnswerFirst) {
  const auto a = Key(1);
  SignatureVerifier verifier(2);
  const std::string s1 = a->sign("1"), s2 = a->sign("2"), s3 = a->sign("3");
  EXPECT_TRUE(verifier.verify(a->public_key(), "1", s1));
  EXPECT_TRUE(verifier.verify(a->public_key(), "2", s2));
  EXPECT_TRUE(verifier.verify(a->public_key(), "3", s3));  // forgets "1"
  EXPECT_EQ(verifier.verifications(), 3u);
  EXPECT_TRUE(verifier.verify(a->public_key(), "3", s3));
  EXPECT_TRUE(verifier.verify(a->public_key(), "2", s2));
  EXPECT_EQ(verifier.verifications(), 3u);
  EXPECT_TRUE(verifier.verify(a->public_key(), "1", s1));  // checked again, forgets "2"
  EXPECT_EQ(verifier.verifications(), 4u);
  EXPECT_TRUE(verifier.verify(a->public_key(), "2", s2));
  EXPECT_EQ(verifier.verifications(), 5u);
}

TEST(BoundedMemoTest, ARewrittenKeyKeepsItsAge) {
  BoundedMemo<int, int> memo(2);
  memo.insert(1, 10);
  memo.insert(2, 20);
  memo.insert(1, 11);  // still the oldest
  memo.insert(3, 30);
  EXPECT_EQ(memo.find(1), nullptr);
  ASSERT_NE(memo.find(2), nullptr);
  EXPECT_EQ(*memo.find(2), 20);
  EXPECT_EQ(*memo.find(3), 30);
  EXPECT_EQ(memo.size(), 2u);
}

TEST(IdentityTest, AnIdentityCountsWhatItSignsAndChecks) {
  const auto a = Key(1);
  const auto b = Key(2);
  const std::string sig = a->sign("m");
  a->sign("n");
  EXPECT_EQ(a->signatures(), 2u);
  EXPECT_TRUE(b->verify(a->public_key(), "m", sig));
  EXPECT_FALSE(b->verify(a->public_key(), "n", sig));
  EXPECT_EQ(b->verifications(), 2u);
  EXPECT_EQ(b->signatures(), 0u);
  EXPECT_EQ(a->verifications(), 0u);
  // A verifier checking in a's scheme counts on a, and only what it computes.
  SignatureVerifier verifier(16, a);
  verifier.verify(a->public_key(), "m", sig);
  verifier.verify(a->public_key(), "m", sig);
  EXPECT_EQ(a->verifications(), 1u);
}

// ---- the three-frame handshake, both sides in one test --------------------

struct Pair {
  FakeEnv env_d, env_a;
  std::shared_ptr<const Identity> d = Key(11), a = Key(12);
  HandshakeAuth dialler{env_d, d}, acceptor{env_a, a};

  msg::DhtPeerHello Hello(const Identity& as) {
    msg::DhtPeerHello hello;
    hello.peer_id = as.node_id();
    dialler.add_to_hello(1, hello);
    return hello;
  }
};

TEST(HandshakeAuthTest, HonestHandshakeSucceedsBothWays) {
  Pair p;
  msg::DhtPeerHello hello = p.Hello(*p.d);
  msg::DhtPeerConnected connected;
  connected.node_id = p.a->node_id();
  ASSERT_EQ(p.acceptor.check_hello(7, hello, connected), "");
  EXPECT_TRUE(p.acceptor.awaiting_proof(7));
  msg::DhtPeerProof proof;
  ASSERT_EQ(p.dialler.check_connected(1, connected, proof), "");
  EXPECT_EQ(proof.signature.size(), kSignatureBytes);
  EXPECT_EQ(p.acceptor.check_proof(7, proof), "");
  EXPECT_FALSE(p.acceptor.awaiting_proof(7));
}

TEST(HandshakeAuthTest, HelloClaimingAnotherIdIsRefused) {
  Pair p;
  msg::DhtPeerHello hello = p.Hello(*p.d);
  hello.peer_id = Key(99)->node_id();  // someone else's id, our key
  msg::DhtPeerConnected connected;
  EXPECT_EQ(p.acceptor.check_hello(7, hello, connected), "id_key_mismatch");
  EXPECT_FALSE(p.acceptor.awaiting_proof(7));
}

TEST(HandshakeAuthTest, HelloWithoutKeyIsRefused) {
  Pair p;
  msg::DhtPeerHello hello;
  hello.peer_id = p.d->node_id();
  msg::DhtPeerConnected connected;
  EXPECT_EQ(p.acceptor.check_hello(7, hello, connected), "missing_proof");
}

TEST(HandshakeAuthTest, StolenPublicKeyWithoutPrivateKeyFailsTheProof) {
  // A liar copies a real node's id and public key into its hello; it cannot
  // sign the acceptor's nonce with that key.
  Pair p;
  const auto victim = Key(42);
  const auto liar = Key(43);
  msg::DhtPeerHello hello;
  hello.peer_id = victim->node_id();
  hello.public_key = victim->public_key();
  hello.nonce = std::string(kNonceBytes, 'x');
  msg::DhtPeerConnected connected;
  connected.node_id = p.a->node_id();
  ASSERT_EQ(p.acceptor.check_hello(7, hello, connected), "");
  msg::DhtPeerProof proof;
  proof.signature =
      liar->sign(handshake_message('D', connected.nonce, victim->node_id(), p.a->node_id()));
  EXPECT_EQ(p.acceptor.check_proof(7, proof), "bad_signature");
}

TEST(HandshakeAuthTest, ReplayedProofFromAnotherLinkFails) {
  Pair p;
  // First, an honest handshake on link 7; record its proof.
  msg::DhtPeerHello hello = p.Hello(*p.d);
  msg::DhtPeerConnected connected;
  connected.node_id = p.a->node_id();
  ASSERT_EQ(p.acceptor.check_hello(7, hello, connected), "");
  msg::DhtPeerProof proof;
  ASSERT_EQ(p.dialler.check_connected(1, connected, proof), "");
  ASSERT_EQ(p.acceptor.check_proof(7, proof), "");
  // A second link replays the same hello and proof: the acceptor's nonce is
  // fresh, so the old signature does not cover it.
  msg::DhtPeerConnected connected2;
  connected2.node_id = p.a->node_id();
  ASSERT_EQ(p.acceptor.check_hello(8, hello, connected2), "");
  EXPECT_NE(connected2.nonce, connected.nonce);
  EXPECT_EQ(p.acceptor.check_proof(8, proof), "bad_signature");
}

TEST(HandshakeAuthTest, ForgedConnectedIsRefusedByTheDialler) {
  Pair p;
  msg::DhtPeerHello hello = p.Hello(*p.d);
  msg::DhtPeerConnected connected;
  connected.node_id = p.a->node_id();
  ASSERT_EQ(p.acceptor.check_hello(7, hello, connected), "");
  connected.signature[0] ^= 1;
  msg::DhtPeerProof proof;
  EXPECT_EQ(p.dialler.check_connected(1, connected, proof), "bad_signature");
}

TEST(HandshakeAuthTest, AcceptorSignatureCannotBeReflectedAsDiallerProof) {
  // Both signatures cover their side: 'A' and 'D' messages differ.
  const auto k = Key(5);
  const NodeId other = Key(6)->node_id();
  const std::string nonce(kNonceBytes, 'n');
  EXPECT_NE(handshake_message('A', nonce, k->node_id(), other),
            handshake_message('D', nonce, k->node_id(), other));
}

// ---- PeerLinks with identities: a liar never becomes a peer ---------------

PeerInfo Info(const Identity& id) {
  PeerInfo p;
  p.node_id = id.node_id();
  p.metadata.role = Role::kNode;
  p.metadata.address = id.node_id().short_hex();
  p.metadata.protocol_version = 1;
  return p;
}

struct Member {
  explicit Member(std::shared_ptr<const Identity> key)
      : id(std::move(key)),
        links(env, metrics, Info(*id),
              PeerLinks::Callbacks{
                  [this](ConnectionManager& m) { established.push_back(m.peer().node_id); },
                  [](const PeerInfo&, LinkId) {}, [](LinkId) {}},
              id) {}
  std::shared_ptr<const Identity> id;
  FakeEnv env;
  CoreMetrics metrics{env.metrics()};
  PeerLinks links;
  std::vector<NodeId> established;

  std::optional<double> Rejected(const std::string& reason) {
    return testing::Sample(env.metrics(), "yz_handshake_rejected_total{reason=\"" + reason + "\"}");
  }
};

TEST(PeerLinksAuthTest, HonestLinkEstablishesOnBothSidesAfterTheProof) {
  Member d(Key(1)), a(Key(2));
  const LinkId out = d.links.dial(Info(*a.id)).link();
  d.links.on_link_opened(out);
  const Message hello = d.env.sent.back().message;
  a.links.on_link_accepted(5);
  a.links.on_frame(5, Message(hello));
  ASSERT_EQ(a.env.sent.back().message.type(), MessageType::kDhtPeerConnected);
  EXPECT_TRUE(a.established.empty());  // not before the proof
  d.links.on_frame(out, Message(a.env.sent.back().message));
  ASSERT_EQ(d.established.size(), 1u);
  ASSERT_EQ(d.env.sent.back().message.type(), MessageType::kDhtPeerProof);
  a.links.on_frame(5, Message(d.env.sent.back().message));
  ASSERT_EQ(a.established.size(), 1u);
  EXPECT_EQ(a.established[0], d.id->node_id());
  EXPECT_TRUE(a.links.connected(d.id->node_id()));
}

TEST(PeerLinksAuthTest, HelloWhoseIdIsNotItsKeyIsRefusedAndCounted) {
  Member a(Key(2));
  const auto liar = Key(3);
  msg::DhtPeerHello hello;
  hello.peer_id = Key(4)->node_id();
  hello.metadata = Info(*liar).metadata;
  hello.public_key = liar->public_key();
  hello.nonce = std::string(kNonceBytes, 'z');
  a.links.on_link_accepted(5);
  a.links.on_frame(5, std::move(hello));
  EXPECT_TRUE(a.established.empty());
  EXPECT_EQ(a.links.connected_count(), 0u);
  ASSERT_FALSE(a.env.sent.empty());
  EXPECT_EQ(a.env.sent.back().message.type(), MessageType::kError);
  EXPECT_EQ(testing::BodyOf<msg::Error>(a.env.sent.back().message).code, "id_key_mismatch");
  EXPECT_EQ(a.env.close_reasons[5], "id_key_mismatch");
  EXPECT_EQ(a.Rejected("id_key_mismatch"), 1.0);
}

TEST(PeerLinksAuthTest, FrameInsteadOfProofIsRefused) {
  Member d(Key(1)), a(Key(2));
  const LinkId out = d.links.dial(Info(*a.id)).link();
  d.links.on_link_opened(out);
  a.links.on_link_accepted(5);
  a.links.on_frame(5, Message(d.env.sent.back().message));
  a.links.on_frame(5, Message(msg::FindNode{}, 1));
  EXPECT_TRUE(a.established.empty());
  EXPECT_EQ(a.Rejected("missing_proof"), 1.0);
}

TEST(PeerLinksAuthTest, BadProofIsRefusedAndCounted) {
  Member d(Key(1)), a(Key(2));
  const LinkId out = d.links.dial(Info(*a.id)).link();
  d.links.on_link_opened(out);
  a.links.on_link_accepted(5);
  a.links.on_frame(5, Message(d.env.sent.back().message));
  msg::DhtPeerProof proof;
  proof.signature = std::string(kSignatureBytes, 's');
  a.links.on_frame(5, std::move(proof));
  EXPECT_TRUE(a.established.empty());
  EXPECT_EQ(a.Rejected("bad_signature"), 1.0);
  EXPECT_EQ(a.env.close_reasons[5], "bad_signature");
}

TEST(PeerLinksAuthTest, ImpostorAnsweringADialIsRefused) {
  // We dial a's address; whoever answers must hold a's key.
  Member d(Key(1)), a(Key(2)), impostor(Key(3));
  const LinkId out = d.links.dial(Info(*a.id)).link();
  d.links.on_link_opened(out);
  msg::DhtPeerConnected connected;
  connected.node_id = a.id->node_id();
  connected.metadata = Info(*a.id).metadata;
  connected.public_key = a.id->public_key();  // a's public key, but not a's private key
  connected.nonce = std::string(kNonceBytes, 'q');
  connected.signature = impostor.id->sign("anything");
  d.links.on_frame(out, std::move(connected));
  EXPECT_TRUE(d.established.empty());
  EXPECT_EQ(d.Rejected("bad_signature"), 1.0);
}

}  // namespace
}  // namespace yz::core
