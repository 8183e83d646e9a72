#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "roles/core/bounded_memo.h"
#include "roles/core/node_id.h"

namespace yz::core {

// Ed25519 (OpenSSL 3 EVP): deterministic signatures, so a simulator run
// signs the same bytes on every machine and its trace hash stays fixed.
inline constexpr std::size_t kPrivateKeyBytes = 32;  // the RFC 8032 seed
inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;
inline constexpr std::size_t kNonceBytes = 16;

std::array<std::uint8_t, 32> sha256(std::string_view data);
// The digest of the parts' concatenation, without building it.
std::array<std::uint8_t, 32> sha256(std::initializer_list<std::string_view> parts);

// A node id is the first 160 bits of SHA-256 of its raw public key.
NodeId node_id_for_key(std::string_view public_key);
// The same, always hashing (node_id_for_key remembers recent keys).
NodeId node_id_for_key_uncached(std::string_view public_key);

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
  std::string sign(std::string_view message) const {
    signatures_.fetch_add(1, std::memory_order_relaxed);
    return sign_message(message);
  }
  // True when `signature` is `public_key`'s signature of `message` in this
  // identity's scheme: how a process checks everyone else's signatures.
  bool verify(std::string_view public_key, std::string_view message,
              std::string_view signature) const {
    verifications_.fetch_add(1, std::memory_order_relaxed);
    return verify_message(public_key, message, signature);
  }

  // How many times sign() and verify() ran: the work the scheme did, which
  // dominates a simulated run's CPU time with Ed25519 (yzsim reports the
  // sums per run). Relaxed atomics: a real process may sign on any thread.
  std::uint64_t signatures() const { return signatures_.load(std::memory_order_relaxed); }
  std::uint64_t verifications() const { return verifications_.load(std::memory_order_relaxed); }

 protected:
  // `public_key` is raw, kPublicKeyBytes long; the node id derives from it.
  explicit Identity(std::string public_key);

  virtual std::string sign_message(std::string_view message) const = 0;
  virtual bool verify_message(std::string_view public_key, std::string_view message,
                              std::string_view signature) const = 0;

 private:
  std::string public_key_;
  NodeId node_id_;
  mutable std::atomic<std::uint64_t> signatures_{0};
  mutable std::atomic<std::uint64_t> verifications_{0};
};

// True when `signature` is a valid Ed25519 signature of `message` by
// `public_key` (raw 32 bytes). Malformed keys and signatures are false.
bool verify_signature(std::string_view public_key, std::string_view message,
                      std::string_view signature);

// verify_signature, remembering each distinct (key, message, signature)
// answer, so a credential a process sees again (every link shows the peer's
// membership chain) costs a SHA-256 and a hash lookup rather than a 70 us
// verification. Remembered by the digest of all three, length-prefixed, so
// no two different triples share an entry; at most `capacity` of them, the
// oldest forgotten first (bounded_memo.h). The answer does not depend on
// whether it was remembered, so neither does anything a process does.
class SignatureVerifier {
 public:
  // `scheme`: whose verify() to use (the process's own identity); null for
  // Ed25519.
  explicit SignatureVerifier(std::size_t capacity = 4096,
                             std::shared_ptr<const Identity> scheme = nullptr)
      : scheme_(std::move(scheme)), seen_(capacity) {}
  bool verify(std::string_view public_key, std::string_view message, std::string_view signature);
  // Checks computed, and checks answered from memory.
  std::uint64_t verifications() const { return verifications_; }
  std::uint64_t cached() const { return cached_; }

 private:
  using Digest = std::array<std::uint8_t, 32>;
  struct DigestHash {
    std::size_t operator()(const Digest& d) const;
  };

  std::shared_ptr<const Identity> scheme_;
  BoundedMemo<Digest, bool, DigestHash> seen_;
  std::uint64_t verifications_ = 0;
  std::uint64_t cached_ = 0;
};

// The bytes each side of a peer handshake signs: a domain tag, which side
// signs ('A' the acceptor, 'D' the dialler), the other side's fresh nonce,
// the signer's id and the other's id. Binding both ids and the side keeps a
// signature from being replayed on another link or in the other direction.
std::string handshake_message(char side, std::string_view nonce, const NodeId& signer,
                              const NodeId& other);

}  // namespace yz::core
