#pragma once

#include <string>
#include <string_view>

#include "roles/core/message.h"
#include "yz/v1/peer.pb.h"

namespace yz::runtime {

// Converts between the wire's yz.v1.Frame and the core's Message, one small
// function per message type each way (frame_encode.cc, frame_decode.cc). Decoding
// checks what the core relies on (ids are 40 lower-case hex digits, a body
// is set) and says what is wrong, so a hostile frame becomes a clear error,
// not a crash.
void encode_frame(const core::Message& in, v1::Frame& out);

// Returns an empty string on success, else the problem; `reason`, when
// given, gets the refusal's reason code: "bad_peer_id" for an id that is not
// exactly 40 lower-case hex digits, else "malformed".
std::string decode_frame(const v1::Frame& in, core::Message& out,
                         std::string_view* reason = nullptr);

}  // namespace yz::runtime
