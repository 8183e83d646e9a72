#include "sim/sim_signatures.h"

#include <array>
#include <utility>

namespace yz::sim {
namespace {

using Sum = std::array<std::uint8_t, 32>;

// SHA-256 of a, a NUL, then b1 and b2: the parts are hashed in place, so a
// signature or a check allocates nothing but its result.
Sum digest(std::string_view a, std::string_view b1, std::string_view b2 = {}) {
  return core::sha256({a, std::string_view("\0", 1), b1, b2});
}

std::string_view view(const Sum& sum) {
  return {reinterpret_cast<const char*>(sum.data()), sum.size()};
}

class SimHashIdentity final : public core::Identity {
 public:
  SimHashIdentity(std::string secret, std::string public_key,
                  std::shared_ptr<const SimKeyBook> book)
      : Identity(std::move(public_key)), secret_(std::move(secret)), book_(std::move(book)) {}

  std::string private_key() const override { return secret_; }

 protected:
  std::string sign_message(std::string_view message) const override {
    return sim_signature(secret_, message);
  }
  bool verify_message(std::string_view public_key, std::string_view message,
                      std::string_view signature) const override {
    return book_->verify(public_key, message, signature);
  }

 private:
  std::string secret_;
  std::shared_ptr<const SimKeyBook> book_;
};

}  // namespace

std::string sim_signature(std::string_view secret, std::string_view message) {
  std::string out(view(digest("yz-sim-sig-1", secret, message)));
  out.append(view(digest("yz-sim-sig-2", message, secret)));
  return out;
}

std::shared_ptr<const core::Identity> SimKeyBook::identity(std::uint64_t a, std::uint64_t b,
                                                           std::uint64_t c, std::uint64_t d) {
  std::string secret(core::kPrivateKeyBytes, '\0');
  const std::array<std::uint64_t, 4> words{a, b, c, d};
  for (std::size_t i = 0; i < words.size(); ++i)
    for (std::size_t j = 0; j < 8; ++j)
      secret[i * 8 + j] = static_cast<char>((words[i] >> (56 - 8 * j)) & 0xff);
  std::string public_key(view(digest("yz-sim-key", secret)));
  secret_by_public_key_[public_key] = secret;
  return std::make_shared<SimHashIdentity>(std::move(secret), std::move(public_key),
                                           shared_from_this());
}

void count_signatures(const core::Identity& identity, RunResult& result) {
  result.signatures += identity.signatures();
  result.verifications += identity.verifications();
}

bool SimKeyBook::verify(std::string_view public_key, std::string_view message,
                        std::string_view signature) const {
  auto it = secret_by_public_key_.find(public_key);
  if (it == secret_by_public_key_.end() || signature.size() != 64) return false;
  const std::string& secret = it->second;
  return signature.substr(0, 32) == view(digest("yz-sim-sig-1", secret, message)) &&
         signature.substr(32) == view(digest("yz-sim-sig-2", message, secret));
}

}  // namespace yz::sim
