#pragma once

#include <string>

#include "roles/core/frame.h"
#include "yz/v1/peer.pb.h"

namespace yz::runtime {

// Converts between the wire's yz.v1.Frame and the core's Frame. Decoding
// checks what the core relies on (ids are 40 hex digits, a body is set) and
// says what is wrong, so a hostile frame becomes a clear error, not a crash.
void encode_frame(const core::Frame& in, v1::Frame& out);

// Returns an empty string on success, else the problem.
std::string decode_frame(const v1::Frame& in, core::Frame& out);

}  // namespace yz::runtime
