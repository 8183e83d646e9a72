// libFuzzer target: the frame decoder. Bytes from a peer become a
// yz.v1.Frame (protobuf parse) and then a core::Message (decode_frame, which
// must refuse what the core cannot take, never crash). A frame it accepts
// must survive the way back: encoding it and decoding again succeeds and
// encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "roles/core/message.h"
#include "roles/runtime/frame_codec.h"
#include "yz/v1/peer.pb.h"

// Protobuf logs every string field that is not UTF-8; a fuzzer sends
// thousands a second.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  yz::v1::Frame wire;
  if (!wire.ParseFromArray(data, static_cast<int>(size))) return 0;
  yz::core::Message frame;
  if (!yz::runtime::decode_frame(wire, frame).empty()) return 0;

  yz::v1::Frame again;
  yz::runtime::encode_frame(frame, again);
  std::string first;
  if (!again.SerializeToString(&first)) std::abort();
  yz::core::Message round_trip;
  const std::string problem = yz::runtime::decode_frame(again, round_trip);
  if (!problem.empty()) std::abort();  // we encoded something we refuse to decode
  yz::v1::Frame twice;
  yz::runtime::encode_frame(round_trip, twice);
  std::string second;
  if (!twice.SerializeToString(&second)) std::abort();
  if (first != second) std::abort();  // decode and encode disagree on a field
  return 0;
}
