#pragma once

#include <cstdint>

namespace yz::sim {

// SplitMix64 (Steele, Lea, Flood 2014): expands one seed into well-mixed
// words. Used to seed the generators below and to derive per-process seeds.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** 1.0 (Blackman, Vigna 2018). The algorithm is fixed here, not
// left to a standard library, so a seed gives the same run on every machine.
class Xoshiro256 {
 public:
  explicit Xoshiro256(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& word : s_) word = splitmix64(sm);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [lo, hi] by multiply-shift (Lemire); bias is below 2^-64 per
  // unit of range, far under anything a simulation could observe.
  std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi) {
    if (hi <= lo) return lo;
    const std::uint64_t span = hi - lo + 1;
    if (span == 0) return next();  // the whole 64-bit range
    __extension__ using Wide = unsigned __int128;
    return lo + static_cast<std::uint64_t>((static_cast<Wide>(next()) * span) >> 64);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// The trace hash: FNV-1a's xor-then-multiply step applied to whole 64-bit
// words (not bytes), then a final avalanche. Specified here, independent of
// byte order, and cheap enough to run on every event.
class Fnv1a64 {
 public:
  void add_u64(std::uint64_t v) {
    hash_ ^= v;
    hash_ *= 0x100000001b3ULL;
    hash_ ^= hash_ >> 29;
  }
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace yz::sim
