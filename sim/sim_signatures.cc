#include "sim/sim_signatures.h"

#include <array>
#include <utility>

namespace yz::sim {
namespace {

std::string digest(std::string_view a, std::string_view b) {
  std::string joined;
  joined.reserve(a.size() + b.size() + 1);
  joined.append(a).push_back('\0');
  joined.append(b);
  const auto sum = core::sha256(joined);
  return std::string(reinterpret_cast<const char*>(sum.data()), sum.size());
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
  return digest("yz-sim-sig-1", std::string(secret).append(message)) +
         digest("yz-sim-sig-2", std::string(message).append(secret));
}

std::shared_ptr<const core::Identity> SimKeyBook::identity(std::uint64_t a, std::uint64_t b,
                                                           std::uint64_t c, std::uint64_t d) {
  std::string secret(core::kPrivateKeyBytes, '\0');
  const std::array<std::uint64_t, 4> words{a, b, c, d};
  for (std::size_t i = 0; i < words.size(); ++i)
    for (std::size_t j = 0; j < 8; ++j)
      secret[i * 8 + j] = static_cast<char>((words[i] >> (56 - 8 * j)) & 0xff);
  std::string public_key = digest("yz-sim-key", secret);
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
  return it != secret_by_public_key_.end() && signature == sim_signature(it->second, message);
}

}  // namespace yz::sim
