#include "roles/core/handshake_auth.h"

#include <cstring>
#include <utility>

namespace yz::core {

HandshakeAuth::HandshakeAuth(Env& env, std::shared_ptr<const Identity> identity)
    : env_(env), identity_(std::move(identity)) {}

std::string HandshakeAuth::fresh_nonce() {
  std::string nonce(kNonceBytes, '\0');
  for (std::size_t i = 0; i < kNonceBytes; i += 8) {
    const std::uint64_t word = env_.random();
    std::memcpy(nonce.data() + i, &word, 8);
  }
  return nonce;
}

std::string HandshakeAuth::check_key(const NodeId& id, const std::string& public_key,
                                     const std::string& nonce) {
  if (public_key.size() != kPublicKeyBytes || nonce.size() != kNonceBytes) return "missing_proof";
  if (node_id_for_key(public_key) != id) return "id_key_mismatch";
  return {};
}

void HandshakeAuth::add_to_hello(LinkId link, msg::DhtPeerHello& hello) {
  if (!enabled()) return;
  hello.public_key = identity_->public_key();
  hello.nonce = fresh_nonce();
  sent_nonce_[link] = hello.nonce;
}

std::string HandshakeAuth::check_hello(LinkId link, const msg::DhtPeerHello& hello,
                                       msg::DhtPeerConnected& connected) {
  if (!enabled()) return {};
  if (std::string why = check_key(hello.peer_id, hello.public_key, hello.nonce); !why.empty())
    return why;
  connected.public_key = identity_->public_key();
  connected.nonce = fresh_nonce();
  connected.signature =
      identity_->sign(handshake_message('A', hello.nonce, identity_->node_id(), hello.peer_id));
  awaiting_[link] = Awaiting{connected.nonce, hello.public_key, hello.peer_id};
  return {};
}

std::string HandshakeAuth::check_connected(LinkId link, const msg::DhtPeerConnected& connected,
                                           msg::DhtPeerProof& proof) {
  if (!enabled()) return {};
  auto sent = sent_nonce_.find(link);
  if (sent == sent_nonce_.end()) return "missing_proof";
  const std::string our_nonce = std::move(sent->second);
  sent_nonce_.erase(sent);
  if (std::string why = check_key(connected.node_id, connected.public_key, connected.nonce);
      !why.empty())
    return why;
  if (!identity_->verify(connected.public_key,
                         handshake_message('A', our_nonce, connected.node_id, identity_->node_id()),
                         connected.signature))
    return "bad_signature";
  proof.signature = identity_->sign(
      handshake_message('D', connected.nonce, identity_->node_id(), connected.node_id));
  return {};
}

std::string HandshakeAuth::check_proof(LinkId link, const Message& message) {
  auto it = awaiting_.find(link);
  if (it == awaiting_.end()) return "missing_proof";
  const Awaiting awaiting = std::move(it->second);
  awaiting_.erase(it);
  const auto* proof = message.get<msg::DhtPeerProof>();
  if (proof == nullptr) return "missing_proof";
  if (!identity_->verify(
          awaiting.public_key,
          handshake_message('D', awaiting.nonce, awaiting.peer, identity_->node_id()),
          proof->signature))
    return "bad_signature";
  return {};
}

void HandshakeAuth::forget(LinkId link) {
  sent_nonce_.erase(link);
  awaiting_.erase(link);
}

std::string HandshakeAuth::describe(const std::string& reason) {
  if (reason == "missing_proof")
    return "the handshake must carry a 32-byte Ed25519 public key, a 16-byte nonce and then "
           "dht_peer_proof";
  if (reason == "id_key_mismatch")
    return "the node id is not the first 160 bits of SHA-256 of the public key";
  if (reason == "bad_signature") return "the signature of this link's nonce does not verify";
  return reason;
}

}  // namespace yz::core
