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

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

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
class Identity {
 public:
  // From a 32-byte private key (RFC 8032 seed); nullptr when it is not one.
  static std::shared_ptr<const Identity> from_private_key(std::string_view raw);
  // From four PRNG words (the simulator's keys come from its seeded stream).
  static std::shared_ptr<const Identity> from_words(std::uint64_t a, std::uint64_t b,
                                                    std::uint64_t c, std::uint64_t d);

  ~Identity();
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;

  const std::string& public_key() const { return public_key_; }
  const NodeId& node_id() const { return node_id_; }
  std::string private_key() const;
  // 64-byte Ed25519 signature of `message`.
  std::string sign(std::string_view message) const;

 private:
  explicit Identity(evp_pkey_st* key);

  evp_pkey_st* key_;
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
  explicit SignatureVerifier(std::size_t capacity = 4096) : capacity_(capacity) {}
  bool verify(std::string_view public_key, std::string_view message, std::string_view signature);
  std::uint64_t verifications() const { return verifications_; }

 private:
  std::size_t capacity_;
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
