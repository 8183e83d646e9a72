#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "roles/core/identity.h"
#include "sim/run_result.h"

namespace yz::sim {

// The simulator's stand-in for Ed25519, chosen per scenario (`signatures:
// SIM_HASH`) or per command (`yzsim ... --fast-signatures`). A key is 32
// secret bytes; its public key is SHA-256 of them and a signature is
// SHA-256(secret, message) twice over (64 bytes). Verifying looks the
// secret up by public key in the run's key book, so only the holder of a
// key can sign for it, as with Ed25519, at about a hundredth of the cost.
// The role code cannot tell: it signs and verifies through core::Identity.
// What it does not model is a process that reads the key book: there is
// none, the simulator runs only the roles and the tests' own processes.
class SimKeyBook : public std::enable_shared_from_this<SimKeyBook> {
 public:
  // A key pair from four words of the run's seeded stream.
  std::shared_ptr<const core::Identity> identity(std::uint64_t a, std::uint64_t b, std::uint64_t c,
                                                 std::uint64_t d);
  bool verify(std::string_view public_key, std::string_view message,
              std::string_view signature) const;

 private:
  std::map<std::string, std::string, std::less<>> secret_by_public_key_;
};

// Adds what `identity` signed and checked to the run's counts (one identity
// per process; the run's shared verifier checks with the first one's).
void count_signatures(const core::Identity& identity, RunResult& result);

// The signature `secret` makes of `message`.
std::string sim_signature(std::string_view secret, std::string_view message);

}  // namespace yz::sim
