// What each member role changes in the shared member units (DhtMember's
// Wiring), seen from the bootstrap link: a node asks to join once
// registered, a bridge links to the members it is given instead; a bridge
// takes member_joined, while for a node it is an unexpected message. Each
// role is built the way both drivers build it (roles::make_process).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "roles/make_process.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/peer_frames.h"
#include "tests/unit/test_ids.h"

namespace yz::core {
namespace {

using testing::Connected;
using testing::FakeEnv;
using testing::kA;
using testing::kB;
using testing::kBoot;
using testing::kSelf;
using testing::Peer;
using testing::Sample;

constexpr char kUnexpected[] =
    R"(yz_dht_messages_dropped_total{reason="unexpected_bootstrap_message"})";

std::string LastSent(const FakeEnv& env, LinkId link) {
  const std::vector<Message> sent = env.sent_on(link);
  return sent.empty() ? std::string() : std::string(message_type_name(sent.back().type()));
}

// A role started and through its bootstrap handshake (no identities): the
// last frame on the bootstrap link is its register.
struct Started {
  FakeEnv env;
  std::unique_ptr<Process> process;
  LinkId bootstrap = 0;

  explicit Started(Role role) {
    ProcessConfig config;
    config.name = std::string(role_name(role));
    config.role = role;
    config.node_id = kSelf;
    config.listen_address = config.name + ":7000";
    config.bootstrap_address = "bootstrap:7000";
    config.bridge_auth = "secret";
    process = roles::make_process(env, config);
    process->start();
    bootstrap = env.dials.at(0).link;
    process->on_link_opened(bootstrap);
    process->on_frame(bootstrap, Connected(Peer(kBoot, "bootstrap", Role::kBootstrap)));
  }
};

TEST(RoleWiringTest, ANodeAsksToJoinOnceRegisteredABridgeLinksToTheMembers) {
  msg::Registered registered;
  registered.members = {Peer(kA, "a"), Peer(kSelf, "self")};

  Started node(Role::kNode);
  ASSERT_EQ(LastSent(node.env, node.bootstrap), "register");
  node.process->on_frame(node.bootstrap, msg::Registered(registered));
  EXPECT_EQ(LastSent(node.env, node.bootstrap), "get_peers_or_genesis");
  EXPECT_EQ(node.env.dials.size(), 1u);  // the bootstrap only

  Started bridge(Role::kBridge);
  ASSERT_EQ(LastSent(bridge.env, bridge.bootstrap), "register");
  bridge.process->on_frame(bridge.bootstrap, msg::Registered(registered));
  EXPECT_EQ(LastSent(bridge.env, bridge.bootstrap), "register");  // asks nothing
  ASSERT_EQ(bridge.env.dials.size(), 2u);                         // the other member, not itself
  EXPECT_EQ(bridge.env.dials[1].address, "a:7000");
}

TEST(RoleWiringTest, MemberJoinedIsTheBridgesAndUnexpectedForANode) {
  Started node(Role::kNode);
  node.process->on_frame(node.bootstrap, msg::MemberJoined{Peer(kB, "b")});
  EXPECT_EQ(Sample(node.env.metrics(), kUnexpected), 1);
  EXPECT_EQ(node.env.dials.size(), 1u);

  Started bridge(Role::kBridge);
  bridge.process->on_frame(bridge.bootstrap, msg::MemberJoined{Peer(kB, "b")});
  EXPECT_EQ(Sample(bridge.env.metrics(), kUnexpected), 0);
  ASSERT_EQ(bridge.env.dials.size(), 2u);
  EXPECT_EQ(bridge.env.dials[1].address, "b:7000");
  // What a bridge does not take still falls through to the member's count.
  bridge.process->on_frame(bridge.bootstrap, msg::BridgeHealthUpdate{1, true});
  EXPECT_EQ(Sample(bridge.env.metrics(), kUnexpected), 1);
}

}  // namespace
}  // namespace yz::core
