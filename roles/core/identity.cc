#include "roles/core/identity.h"

#include <absl/container/flat_hash_map.h>
#include <absl/strings/string_view.h>
#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>
#include <utility>

#include "roles/core/openssl_ptr.h"

namespace yz::core {
namespace {

using openssl::MdCtxPtr;
using openssl::PkeyPtr;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Fetched once: with EVP_sha256() every digest looks the implementation up
// again (OpenSSL 3's implicit fetch), which took longer than hashing a
// public key. Never freed: it lives as long as the process.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

std::array<std::uint8_t, 32> sha256(std::initializer_list<std::string_view> parts) {
  // One context per thread, initialised again for each digest: EVP_Digest
  // allocates and frees a context (and the digest's state) every call, which
  // cost more than hashing the short inputs here (keys, handshake messages).
  struct CtxHolder {
    MdCtxPtr ctx{EVP_MD_CTX_new()};
  };
  thread_local CtxHolder holder;
  std::array<std::uint8_t, 32> out{};
  unsigned int size = 0;
  const EVP_MD* md = sha256_md();
  EVP_MD_CTX* ctx = holder.ctx.get();
  bool ok = md != nullptr && ctx != nullptr && EVP_DigestInit_ex2(ctx, md, nullptr) == 1;
  for (const std::string_view part : parts)
    ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &size) == 1;
  if (!ok || size != out.size()) throw std::runtime_error("SHA-256 failed");
  return out;
}

std::array<std::uint8_t, 32> sha256(std::string_view data) { return sha256({data}); }

NodeId node_id_for_key(std::string_view public_key) {
  // Every handshake and every link of every chain walked asks again for the
  // same few keys' ids: remembered per thread (no lock), keyed by the whole
  // key, so an answer is always the digest's. Bounded: cleared when full.
  thread_local absl::flat_hash_map<std::string, NodeId> known;
  const absl::string_view key(public_key.data(), public_key.size());
  if (auto it = known.find(key); it != known.end()) return it->second;
  if (known.size() >= 4096) known.clear();
  const NodeId id = node_id_for_key_uncached(public_key);
  known.emplace(std::string(public_key), id);
  return id;
}

NodeId node_id_for_key_uncached(std::string_view public_key) {
  const auto digest = sha256(public_key);
  NodeId::Bytes bytes{};
  std::memcpy(bytes.data(), digest.data(), bytes.size());
  return NodeId(bytes);
}

Identity::Identity(std::string public_key)
    : public_key_(std::move(public_key)), node_id_(node_id_for_key(public_key_)) {}

namespace {

std::string raw_public_key(EVP_PKEY* key) {
  std::string out(kPublicKeyBytes, '\0');
  std::size_t size = out.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &size) != 1 ||
      size != kPublicKeyBytes)
    throw std::runtime_error("Ed25519 public key unavailable");
  return out;
}

class Ed25519Identity final : public Identity {
 public:
  explicit Ed25519Identity(PkeyPtr key)
      : Identity(raw_public_key(key.get())), key_(std::move(key)) {}

  std::string private_key() const override {
    std::string raw(kPrivateKeyBytes, '\0');
    std::size_t size = raw.size();
    if (EVP_PKEY_get_raw_private_key(key_.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                     &size) != 1 ||
        size != kPrivateKeyBytes)
      throw std::runtime_error("Ed25519 private key unavailable");
    return raw;
  }

  std::string sign_message(std::string_view message) const override {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    std::string signature(kSignatureBytes, '\0');
    std::size_t size = signature.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                       bytes_of(message), message.size()) != 1 ||
        size != kSignatureBytes)
      throw std::runtime_error("Ed25519 signing failed");
    return signature;
  }

  bool verify_message(std::string_view public_key, std::string_view message,
                      std::string_view signature) const override {
    return verify_signature(public_key, message, signature);
  }

 private:
  PkeyPtr key_;
};

}  // namespace

std::shared_ptr<const Identity> Identity::from_private_key(std::string_view raw) {
  if (raw.size() != kPrivateKeyBytes) return nullptr;
  EVP_PKEY* key =
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(raw), raw.size());
  if (key == nullptr) return nullptr;
  return std::make_shared<Ed25519Identity>(PkeyPtr(key));
}

std::shared_ptr<const Identity> Identity::from_words(std::uint64_t a, std::uint64_t b,
                                                     std::uint64_t c, std::uint64_t d) {
  std::string raw(kPrivateKeyBytes, '\0');
  const std::uint64_t words[] = {a, b, c, d};
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 8; ++j)
      raw[i * 8 + j] = static_cast<char>((words[i] >> (56 - 8 * j)) & 0xff);
  return from_private_key(raw);
}

bool verify_signature(std::string_view public_key, std::string_view message,
                      std::string_view signature) {
  if (public_key.size() != kPublicKeyBytes || signature.size() != kSignatureBytes) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(public_key),
                                          public_key.size()));
  if (!key) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(), bytes_of(message),
                          message.size()) == 1;
}

std::size_t SignatureVerifier::DigestHash::operator()(const Digest& d) const {
  std::size_t h = 0;
  std::memcpy(&h, d.data(), sizeof h);
  return h;
}

bool SignatureVerifier::verify(std::string_view public_key, std::string_view message,
                               std::string_view signature) {
  // Lengths first: a key one byte longer and a signature one byte shorter
  // must not name the same entry.
  char sizes[16];
  std::size_t at = 0;
  for (const std::size_t size : {public_key.size(), signature.size()})
    for (int shift = 56; shift >= 0; shift -= 8)
      sizes[at++] = static_cast<char>((size >> shift) & 0xff);
  const Digest key =
      sha256({std::string_view(sizes, sizeof sizes), public_key, signature, message});
  if (const bool* known = seen_.find(key)) {
    ++cached_;
    return *known;
  }
  ++verifications_;
  const bool ok = scheme_ ? scheme_->verify(public_key, message, signature)
                          : verify_signature(public_key, message, signature);
  seen_.insert(key, ok);
  return ok;
}

std::string handshake_message(char side, std::string_view nonce, const NodeId& signer,
                              const NodeId& other) {
  std::string out = "yz-handshake-v1";
  out.push_back('\0');
  out.push_back(side);
  out.append(nonce);
  out.append(reinterpret_cast<const char*>(signer.bytes().data()), NodeId::kBytes);
  out.append(reinterpret_cast<const char*>(other.bytes().data()), NodeId::kBytes);
  return out;
}

}  // namespace yz::core
