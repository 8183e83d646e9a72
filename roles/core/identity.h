#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "roles/core/node_id.h"

namespace yz::core {

// Ed25519 (OpenSSL 3 EVP): deterministic signatures, so a simulator run
// signs the same bytes on every machine and its trace hash stays fixed.
inline constexpr std::size_t kPrivateKeyBytes = 32;  // the RFC 8032 seed
inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;
inline constexpr std::size_t kNonceBytes = 16;

std::array<std::uint8_t, 32> sha256(std::string_view data);

// A node id is the first 160 bits of SHA-256 of its raw public key.
NodeId node_id_for_key(std::string_view public_key);

// One process's key pair. Immutable once made; share it by shared_ptr.
// Ed25519 everywhere, except in simulations that choose the simulator's
// keyed-hash stand-in (sim/sim_signatures.h) for speed: the scheme is the
// identity's, so the role code signs and verifies the same way in both.
class Identity {
 public:
  // Ed25519 from a 32-byte private key (RFC 8032 seed); nullptr when it is
  // not one.
  static std::shared_ptr<const Identity> from_private_key(std::string_view raw);
  // Ed25519 from four PRNG words (the simulator's keys come from its seeded
  // stream).
  static std::shared_ptr<const Identity> from_words(std::uint64_t a, std::uint64_t b,
                                                    std::uint64_t c, std::uint64_t d);

  virtual ~Identity() = default;
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;

  const std::string& public_key() const { return public_key_; }
  const NodeId& node_id() const { return node_id_; }
  virtual std::string private_key() const = 0;
  // 64-byte signature of `message`.
  virtual std::string sign(std::string_view message) const = 0;
  // True when `signature` is `public_key`'s signature of `message` in this
  // identity's scheme: how a process checks everyone else's signatures.
  virtual bool verify(std::string_view public_key, std::string_view message,
                      std::string_view signature) const = 0;

 protected:
  // `public_key` is raw, kPublicKeyBytes long; the node id derives from it.
  explicit Identity(std::string public_key);

 private:
  std::string public_key_;
  NodeId node_id_;
};

// True when `signature` is a valid Ed25519 signature of `message` by
// `public_key` (raw 32 bytes). Malformed keys and signatures are false.
bool verify_signature(std::string_view public_key, std::string_view message,
                      std::string_view signature);

// verify_signature, remembering each distinct (key, message, signature)
// answer, so a credential a process sees again costs a hash lookup rather
// than a 100 us verification. Bounded: forgets everything past `capacity`.
class SignatureVerifier {
 public:
  // `scheme`: whose verify() to use (the process's own identity); null for
  // Ed25519.
  explicit SignatureVerifier(std::size_t capacity = 4096,
                             std::shared_ptr<const Identity> scheme = nullptr)
      : capacity_(capacity), scheme_(std::move(scheme)) {}
  bool verify(std::string_view public_key, std::string_view message, std::string_view signature);
  std::uint64_t verifications() const { return verifications_; }

 private:
  std::size_t capacity_;
  std::shared_ptr<const Identity> scheme_;
  std::unordered_map<std::string, bool> seen_;
  std::uint64_t verifications_ = 0;
};

// The bytes each side of a peer handshake signs: a domain tag, which side
// signs ('A' the acceptor, 'D' the dialler), the other side's fresh nonce,
// the signer's id and the other's id. Binding both ids and the side keeps a
// signature from being replayed on another link or in the other direction.
std::string handshake_message(char side, std::string_view nonce, const NodeId& signer,
                              const NodeId& other);

}  // namespace yz::core
