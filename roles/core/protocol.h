#pragma once

#include <cstdint>
#include <string>

namespace yz::core {

// The wire protocol version this build speaks (PeerMetadata.protocol_version),
// and the range of versions it accepts from a peer. Compatibility is decided
// by this range alone: build ids differ between any two builds, and a network
// must survive a rolling upgrade, so the build id is informational only.
inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr std::uint32_t kMinProtocolVersion = 1;
inline constexpr std::uint32_t kMaxProtocolVersion = 1;
static_assert(kMinProtocolVersion <= kProtocolVersion && kProtocolVersion <= kMaxProtocolVersion);

constexpr bool protocol_supported(std::uint32_t version) {
  return version >= kMinProtocolVersion && version <= kMaxProtocolVersion;
}

// The version_mismatch explanation: what the peer spoke and what it could
// have spoken instead, so an implementer need not read the code.
inline std::string protocol_mismatch_text(std::uint32_t version) {
  return "protocol version " + std::to_string(version) +
         " is not supported; supported: " + std::to_string(kMinProtocolVersion) + "-" +
         std::to_string(kMaxProtocolVersion);
}

}  // namespace yz::core
