// The delay rules (issue 16 item 4): the file loader's checks and the holder
// in front of a process, on a fake Env.
#include <gtest/gtest.h>

#include "roles/core/delaying_process.h"
#include "roles/delay/delay_rules_file.h"
#include "roles/metrics/registry.h"
#include "tests/unit/fake_env.h"

namespace yz::core {
namespace {

// Records the frames that reach the process behind the holder.
class Recorder : public Process {
 public:
  void start() override {}
  void stop() override {}
  void on_link_accepted(LinkId) override {}
  void on_link_opened(LinkId) override {}
  void on_link_closed(LinkId, std::string_view) override {}
  void on_frame(LinkId link, Message&& message) override {
    frames.emplace_back(link, message.type());
  }
  ProcessStatus status() override {
    ProcessStatus s;
    s.routing_table_size = routing_entries;
    return s;
  }
  std::size_t peers_missing_handler() override { return 0; }

  std::vector<std::pair<LinkId, MessageType>> frames;
  std::size_t routing_entries = 0;
};

Message hello_from(const std::string& name, Role role) {
  msg::DhtPeerHello hello;
  hello.metadata.name = name;
  hello.metadata.role = role;
  return Message{std::move(hello)};
}

HoldRule hold_hello_from(const std::string& name) {
  HoldRule rule;
  rule.name = "r";
  rule.process = "x";
  rule.type = MessageType::kDhtPeerHello;
  rule.from_name = name;
  rule.hold_for = 100 * kMillisecond;
  rule.until_received = MessageType::kFindNodeResponse;
  return rule;
}

class DelayingProcessTest : public ::testing::Test {
 protected:
  void Start(std::vector<HoldRule> rules) {
    auto inner = std::make_unique<Recorder>();
    inner_ = inner.get();
    process_ = std::make_unique<DelayingProcess>(env_, std::move(rules), std::move(inner));
  }
  testing::FakeEnv env_;
  std::unique_ptr<DelayingProcess> process_;
  Recorder* inner_ = nullptr;
};

TEST_F(DelayingProcessTest, HoldsUntilTheEventKeepingTheLinkInOrder) {
  Start({hold_hello_from("bridge-node-1")});
  process_->on_frame(1, hello_from("genesis", Role::kGenesis));  // another peer: passes
  process_->on_frame(2, hello_from("bridge-node-1", Role::kBridge));
  process_->on_frame(2, Message{msg::DhtPeerProof{}});  // behind the held hello
  ASSERT_EQ(inner_->frames.size(), 1u);
  process_->on_frame(1, Message{msg::FindNodeResponse{}});  // the event
  ASSERT_EQ(inner_->frames.size(), 4u);
  EXPECT_EQ(inner_->frames[1], (std::pair{LinkId{1}, MessageType::kFindNodeResponse}));
  EXPECT_EQ(inner_->frames[2], (std::pair{LinkId{2}, MessageType::kDhtPeerHello}));
  EXPECT_EQ(inner_->frames[3], (std::pair{LinkId{2}, MessageType::kDhtPeerProof}));
  // Spent: the next hello from the bridge passes at once.
  process_->on_frame(3, hello_from("bridge-node-1", Role::kBridge));
  EXPECT_EQ(inner_->frames.size(), 5u);
}

TEST_F(DelayingProcessTest, ForMsEndsTheHoldAndAClosedLinkDropsWhatItHeld) {
  HoldRule rule = hold_hello_from("");
  rule.from_role = Role::kBridge;
  rule.until_received.reset();
  Start({rule, hold_hello_from("other")});
  process_->on_frame(2, hello_from("bridge-node-1", Role::kBridge));
  env_.advance(99 * kMillisecond);
  EXPECT_TRUE(inner_->frames.empty());
  env_.advance(1 * kMillisecond);
  ASSERT_EQ(inner_->frames.size(), 1u);

  Start({rule});
  process_->on_frame(2, hello_from("bridge-node-1", Role::kBridge));
  process_->on_link_closed(2, "remote_closed");
  env_.advance(kSecond);
  EXPECT_TRUE(inner_->frames.empty());
}

TEST_F(DelayingProcessTest, RoutingEntriesAlreadyReachedHoldsNothing) {
  HoldRule rule = hold_hello_from("bridge-node-1");
  rule.until_received.reset();
  rule.hold_for = 0;
  rule.until_routing_entries = 2;
  Start({rule});
  inner_->routing_entries = 2;
  process_->on_frame(2, hello_from("bridge-node-1", Role::kBridge));
  EXPECT_EQ(inner_->frames.size(), 1u);
}

TEST(DelayRulesFile, ParsesScalesAndFormatsBack) {
  const std::string text = R"(rule {
  process: "dht-node-1"
  frame { type: "dht_peer_hello" from_name: "bridge-node-1" from_role: "bridge" }
  for_ms: 2500
  until { received: "find_node_response" }
})";
  const auto load = roles::parse_delay_rules(text, "r.textproto", 10);
  ASSERT_TRUE(load.rules) << load.error;
  ASSERT_EQ(load.rules->rules.size(), 1u);
  const HoldRule& rule = load.rules->rules[0];
  EXPECT_EQ(rule.name, "rule-1");
  EXPECT_EQ(rule.hold_for, 250 * kMillisecond);
  EXPECT_EQ(rule.from_role, Role::kBridge);
  const auto again = roles::parse_delay_rules(roles::format_delay_rules(*load.rules), "f");
  ASSERT_TRUE(again.rules) << again.error;
  EXPECT_EQ(again.rules->rules[0].hold_for, 250 * kMillisecond);
}

TEST(DelayRulesFile, RefusesBadInputNamingThePlace) {
  const auto unknown = roles::parse_delay_rules(
      "rule {\n  process: \"x\"\n  frame { type: \"find_nod\" }\n  for_ms: 1\n}\n", "r");
  EXPECT_EQ(unknown.error.substr(0, 6), "r:3:11") << unknown.error;
  EXPECT_NE(unknown.error.find("unknown message type \"find_nod\"; one of dht_peer_hello"),
            std::string::npos)
      << unknown.error;
  const auto endless =
      roles::parse_delay_rules("rule { process: \"x\" frame { type: \"ping\" } }", "r");
  EXPECT_NE(endless.error.find("r:1:1: rule rule-1 never ends"), std::string::npos)
      << endless.error;
  const auto syntax = roles::parse_delay_rules("rule { procss: \"x\" }", "r");
  EXPECT_EQ(syntax.error.substr(0, 4), "r:1:") << syntax.error;
  EXPECT_NE(syntax.error.find("no field named \"procss\""), std::string::npos) << syntax.error;
  const auto no_process = roles::parse_delay_rules("rule { frame { type: \"ping\" } }", "r");
  EXPECT_NE(no_process.error.find("process is required"), std::string::npos) << no_process.error;
  EXPECT_FALSE(roles::load_delay_rules_file("/nonexistent/rules").rules);
}

}  // namespace
}  // namespace yz::core
