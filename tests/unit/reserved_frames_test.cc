// store and find_value are out of the contract until the data plane (issue
// 17): their proto fields are reserved, the core has no message type for
// them, and a frame that still carries one is refused like any frame with
// an unknown message, never answered.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "roles/core/message.h"
#include "roles/runtime/frame_codec.h"
#include "yz/v1/peer.pb.h"

namespace yz::runtime {
namespace {

// Frames as an older peer serialised them: store{key:"k" value:"v"} (field
// 16) and find_value_response{found:true value:"v" nodes:[...]} (field 19).
const std::string kOldStore("\x82\x01\x06\x0a\x01k\x12\x01v", 9);
const std::string kOldFindValue("\x9a\x01\x05\x08\x01\x12\x01v", 8);

TEST(ReservedFramesTest, FieldsSixteenToNineteenAreGoneFromTheFrame) {
  const auto* descriptor = v1::Frame::descriptor();
  for (int number = 16; number <= 19; ++number)
    EXPECT_EQ(descriptor->FindFieldByNumber(number), nullptr) << number;
  for (const char* name : {"store", "store_response", "find_value", "find_value_response"}) {
    EXPECT_EQ(descriptor->FindFieldByName(name), nullptr) << name;
    for (int type = 0; type < core::kMessageTypeCount; ++type)
      EXPECT_NE(core::message_type_name(static_cast<core::MessageType>(type)), name);
  }
}

TEST(ReservedFramesTest, AStoreOrFindValueFrameIsRefusedAsUnknown) {
  for (const std::string& bytes : {kOldStore, kOldFindValue}) {
    v1::Frame wire;
    ASSERT_TRUE(wire.ParseFromString(bytes));
    EXPECT_EQ(wire.body_case(), v1::Frame::BODY_NOT_SET);
    core::Message frame;
    const std::string problem = decode_frame(wire, frame);
    EXPECT_NE(problem.find("no message"), std::string::npos) << problem;
  }
}

}  // namespace
}  // namespace yz::runtime
