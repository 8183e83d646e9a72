#pragma once

#include <cstddef>
#include <string_view>

namespace yz::core {

// Compares a presented secret with the configured one in time that depends
// only on their lengths, so a remote guesser learns nothing from how long a
// refusal takes about how many leading bytes it got right.
inline bool secrets_equal(std::string_view presented, std::string_view expected) {
  const std::size_t n = presented.size() > expected.size() ? presented.size() : expected.size();
  unsigned char diff = presented.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto a = static_cast<unsigned char>(i < presented.size() ? presented[i] : 0);
    const auto b = static_cast<unsigned char>(i < expected.size() ? expected[i] : 0);
    diff = static_cast<unsigned char>(diff | (a ^ b));
  }
  return diff == 0;
}

}  // namespace yz::core
