#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "roles/core/env.h"
#include "roles/core/identity.h"
#include "roles/core/message.h"

namespace yz::core {

// The proof-of-identity part of a link handshake, for PeerLinks and the
// bootstrap alike. Three frames:
//   dialler  -> dht_peer_hello{id, public_key, nonce_d}
//   acceptor -> dht_peer_connected{id, public_key, nonce_a, sign_A(nonce_d)}
//   dialler  -> dht_peer_proof{sign_D(nonce_a)}
// Each side checks that the other's id is SHA-256(public_key)[0..20) and
// that the signature of its own fresh nonce verifies: the peer holds the
// private key of the id it claims, on this link, now. Nonces come from
// Env::random, so the simulator stays deterministic.
//
// Each check returns "" or the refusal reason, which is also the
// yz_handshake_rejected_total label: one of kHandshakeAuthReasons.
inline constexpr std::array<std::string_view, 3> kHandshakeAuthReasons = {
    "missing_proof", "id_key_mismatch", "bad_signature"};

class HandshakeAuth {
 public:
  // A null identity disables every check (unit tests with hand-picked ids).
  HandshakeAuth(Env& env, std::shared_ptr<const Identity> identity);

  bool enabled() const { return identity_ != nullptr; }

  // Dialler: adds our key and a fresh nonce to the outgoing hello.
  void add_to_hello(LinkId link, msg::DhtPeerHello& hello);
  // Acceptor: checks the hello's key; on success adds our key, a fresh
  // nonce and our signature of the dialler's nonce to `connected`, and
  // remembers what the dialler's proof must sign.
  std::string check_hello(LinkId link, const msg::DhtPeerHello& hello,
                          msg::DhtPeerConnected& connected);
  // Dialler: checks connected's key and signature; on success `proof` is
  // the dht_peer_proof to send before anything else.
  std::string check_connected(LinkId link, const msg::DhtPeerConnected& connected,
                              msg::DhtPeerProof& proof);
  // Acceptor: checks the dialler's proof, the first message after connected
  // (anything else is missing_proof).
  std::string check_proof(LinkId link, const Message& proof);

  // The acceptor answered this link's hello and waits for its proof.
  bool awaiting_proof(LinkId link) const { return awaiting_.contains(link); }
  void forget(LinkId link);

  // A one-line explanation of a refusal reason, for the error frame.
  static std::string describe(const std::string& reason);

 private:
  std::string fresh_nonce();
  static std::string check_key(const NodeId& id, const std::string& public_key,
                               const std::string& nonce);

  struct Awaiting {
    std::string nonce;       // ours, which the dialler must sign
    std::string public_key;  // the dialler's
    NodeId peer;
  };

  Env& env_;
  std::shared_ptr<const Identity> identity_;
  std::map<LinkId, std::string> sent_nonce_;  // dialler: our nonce per link
  std::map<LinkId, Awaiting> awaiting_;       // acceptor: links owing a proof
};

}  // namespace yz::core
