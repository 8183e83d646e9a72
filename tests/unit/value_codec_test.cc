// The data plane's frames on the wire (issue 17): each way and back, and
// malformed ones refused with a reason, never a crash.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "roles/core/message.h"
#include "roles/runtime/codec_fields.h"
#include "roles/runtime/frame_codec.h"
#include "yz/v1/peer.pb.h"

namespace yz::runtime {
namespace {

namespace msg = core::msg;

core::SignedValue Value() {
  core::SignedValue v;
  v.name = "colour";
  v.key = core::value_key_id(v.name);
  v.data = std::string("bl\0ue", 5);  // bytes, not text
  v.publisher = *core::NodeId::from_hex("1111111111111111111111111111111111111111");
  v.publisher_public_key = std::string(32, '\x07');
  v.seq = 1'700'000'000'000'123ULL;
  v.expires_at_ms = 1'700'086'400'000LL;
  v.signature = std::string(64, '\x55');
  return v;
}

core::PeerInfo Peer() {
  core::PeerInfo p;
  p.node_id = *core::NodeId::from_hex("2222222222222222222222222222222222222222");
  p.metadata.role = core::Role::kNode;
  p.metadata.address = "127.0.0.1:4000";
  p.metadata.name = "dht-node-2";
  return p;
}

// Through the bytes a peer would receive.
core::Message RoundTrip(const core::Message& in) {
  v1::Frame wire;
  encode_frame(in, wire);
  v1::Frame parsed;
  EXPECT_TRUE(parsed.ParseFromString(wire.SerializeAsString()));
  core::Message out;
  const std::string problem = decode_frame(parsed, out);
  EXPECT_EQ(problem, "");
  return out;
}

void ExpectSameValue(const core::SignedValue& a, const core::SignedValue& b) {
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.publisher, b.publisher);
  EXPECT_EQ(a.publisher_public_key, b.publisher_public_key);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.expires_at_ms, b.expires_at_ms);
  EXPECT_EQ(a.signature, b.signature);
}

TEST(ValueCodecTest, StoreValueRoundTrips) {
  const core::Message out = RoundTrip(core::Message(msg::StoreValue{Value()}, 9));
  ASSERT_TRUE(out.is<msg::StoreValue>());
  EXPECT_EQ(out.request_id, 9u);
  ExpectSameValue(out.get<msg::StoreValue>()->value, Value());
}

TEST(ValueCodecTest, StoreValueResponseRoundTrips) {
  const core::Message out = RoundTrip(core::Message(msg::StoreValueResponse{false, "stale"}, 3));
  ASSERT_TRUE(out.is<msg::StoreValueResponse>());
  EXPECT_FALSE(out.get<msg::StoreValueResponse>()->stored);
  EXPECT_EQ(out.get<msg::StoreValueResponse>()->refusal, "stale");
  EXPECT_TRUE(RoundTrip(core::Message(msg::StoreValueResponse{true, ""}, 4))
                  .get<msg::StoreValueResponse>()
                  ->stored);
}

TEST(ValueCodecTest, FindValueAndItsReplyRoundTrip) {
  const core::Message find = RoundTrip(core::Message(msg::FindValue{"h\xc3\xa9llo"}, 5));
  ASSERT_TRUE(find.is<msg::FindValue>());
  EXPECT_EQ(find.get<msg::FindValue>()->key, "h\xc3\xa9llo");
  EXPECT_EQ(find.type(), core::MessageType::kFindValue);

  msg::FindValueResponse reply;
  reply.values = {Value(), Value()};
  reply.values[1].seq = 2;
  reply.nodes = {Peer()};
  const core::Message out = RoundTrip(core::Message(reply, 5));
  ASSERT_TRUE(out.is<msg::FindValueResponse>());
  const auto& got = *out.get<msg::FindValueResponse>();
  ASSERT_EQ(got.values.size(), 2u);
  ExpectSameValue(got.values[0], reply.values[0]);
  EXPECT_EQ(got.values[1].seq, 2u);
  ASSERT_EQ(got.nodes.size(), 1u);
  EXPECT_EQ(got.nodes[0].node_id, Peer().node_id);
  EXPECT_EQ(got.nodes[0].metadata.name, "dht-node-2");
  // An empty answer (nobody holds it, nobody known) is an answer too.
  EXPECT_TRUE(RoundTrip(core::Message(msg::FindValueResponse{}, 6)).is<msg::FindValueResponse>());
}

TEST(ValueCodecTest, TypeNamesAreTheWireFieldNames) {
  const auto* frame = v1::Frame::descriptor();
  for (const auto type : {core::MessageType::kStoreValue, core::MessageType::kStoreValueResponse,
                          core::MessageType::kFindValue, core::MessageType::kFindValueResponse}) {
    const std::string name(core::message_type_name(type));
    const auto* field = frame->FindFieldByName(name);
    ASSERT_NE(field, nullptr) << name;
    EXPECT_GE(field->number(), 60) << name;
  }
}

struct Refusal {
  std::string problem;
  std::string_view reason;
};

Refusal Decode(const v1::Frame& wire) {
  v1::Frame parsed;
  EXPECT_TRUE(parsed.ParseFromString(wire.SerializeAsString()));
  core::Message out;
  Refusal r;
  r.problem = decode_frame(parsed, out, &r.reason);
  return r;
}

v1::Frame StoreFrame() {
  v1::Frame wire;
  encode_frame(core::Message(msg::StoreValue{Value()}, 1), wire);
  return wire;
}

TEST(ValueCodecTest, BadIdsInAValueAreBadPeerIds) {
  v1::Frame wire = StoreFrame();
  wire.mutable_store_value()->mutable_value()->set_key("ABCD");
  Refusal r = Decode(wire);
  EXPECT_EQ(r.reason, "bad_peer_id");
  EXPECT_NE(r.problem.find("value.key"), std::string::npos) << r.problem;

  wire = StoreFrame();
  wire.mutable_store_value()->mutable_value()->set_publisher(std::string(40, 'G'));
  r = Decode(wire);
  EXPECT_EQ(r.reason, "bad_peer_id");
  EXPECT_NE(r.problem.find("value.publisher"), std::string::npos) << r.problem;
}

TEST(ValueCodecTest, OversizedOrMissingPartsAreMalformed) {
  const auto refused = [](auto change, const std::string& mention) {
    v1::Frame wire = StoreFrame();
    change(*wire.mutable_store_value()->mutable_value());
    const Refusal r = Decode(wire);
    EXPECT_EQ(r.reason, "malformed") << mention;
    EXPECT_NE(r.problem.find(mention), std::string::npos) << r.problem;
  };
  refused([](v1::SignedValue& v) { v.set_name(""); }, "value.name is empty");
  refused([](v1::SignedValue& v) { v.set_name(std::string(257, 'k')); },
          "value.name is 257 bytes, more than 256");
  refused([](v1::SignedValue& v) { v.set_data(std::string((1 << 20) + 1, 'x')); },
          "value.data is 1048577 bytes");
  refused([](v1::SignedValue& v) { v.set_publisher_public_key(std::string(65, 'k')); },
          "value.publisher_public_key is 65 bytes");
  refused([](v1::SignedValue& v) { v.set_signature(std::string(65, 's')); },
          "value.signature is 65 bytes");

  v1::Frame empty;
  empty.mutable_store_value();
  EXPECT_EQ(Decode(empty).problem, "store_value has no value");
  EXPECT_EQ(Decode(empty).reason, "malformed");

  v1::Frame find;
  find.mutable_find_value_request();
  EXPECT_EQ(Decode(find).problem, "find_value_request.key is empty");

  v1::Frame answer;
  answer.mutable_store_value_response()->set_refusal(std::string(65, 'r'));
  EXPECT_EQ(Decode(answer).reason, "malformed");

  v1::Frame flood;
  for (int i = 0; i < 257; ++i)
    codec::put_value(Value(), flood.mutable_find_value_reply()->add_values());
  EXPECT_NE(Decode(flood).problem.find("257 values, more than 256"), std::string::npos);
}

}  // namespace
}  // namespace yz::runtime
