#pragma once

#include <sys/random.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace yz::runtime {

// Fills `size` bytes from the kernel's random source. Returns "" or why not
// ("getrandom: <strerror>"). Every yz secret (keys, nonces) comes from here,
// so there is deliberately no fallback value: a caller that gets an error
// must stop, never make something from what it has.
inline std::string os_random_fill(void* out, std::size_t size) {
  auto* bytes = static_cast<unsigned char*>(out);
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::getrandom(bytes + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::string("getrandom: ") + std::strerror(errno);
    if (n == 0) return "getrandom: short read";
    got += static_cast<std::size_t>(n);
  }
  return {};
}

// The one line a process dies with when the kernel gives no randomness.
inline std::string randomness_failure(const std::string& why) {
  return "fatal: cannot read randomness from the kernel (" + why + ")";
}

// For callers that cannot return an error (the core's Env::random): ends
// the process, non-zero, rather than hand the core a guessable value.
[[noreturn]] inline void exit_without_randomness(const std::string& why) {
  std::fprintf(stderr, "%s\n", randomness_failure(why).c_str());
  std::fflush(stderr);
  std::_Exit(70);  // EX_SOFTWARE
}

}  // namespace yz::runtime
