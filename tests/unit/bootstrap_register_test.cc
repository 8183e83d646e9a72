// What the bootstrap checks when a process registers (issue 13): the
// protocol version against the supported range, never the build id, and
// genesis's secret before it is designated the network's root.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "roles/bootstrap/bootstrap.h"
#include "roles/core/protocol.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/peer_frames.h"
#include "tests/unit/test_ids.h"

namespace yz::core {
namespace {

using testing::BodyOf;
using testing::FakeEnv;
using testing::Hello;
using testing::kBoot;
using testing::kGenesis;
using testing::kNewcomer;
using testing::Peer;
using testing::Sample;

constexpr const char* kGenesisSecret = "genesis-secret";

class BootstrapRegisterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessConfig config;
    config.name = "bootstrap";
    config.role = Role::kBootstrap;
    config.node_id = kBoot;
    config.listen_address = "bootstrap:7000";
    config.build_id = "0.1.0+aaaaaaaaaaaa";
    config.genesis_auth = kGenesisSecret;
    bootstrap_ = std::make_unique<roles::Bootstrap>(env_, config);
    bootstrap_->start();
  }

  double Refused(const std::string& reason) {
    return Sample(env_.metrics(), "yz_bootstrap_refused_total{reason=\"" + reason + "\"}")
        .value_or(std::nan(""));
  }

  // Greets `peer` and sends its register; returns the link.
  LinkId Register(const PeerInfo& peer, const std::string& genesis_auth = {}) {
    const LinkId link = env_.new_link();
    bootstrap_->on_link_accepted(link);
    bootstrap_->on_frame(link, Hello(peer));
    bootstrap_->on_frame(link, msg::Register{peer.node_id, peer.metadata, {}, genesis_auth});
    return link;
  }

  // The messages after the handshake's dht_peer_connected.
  std::vector<Message> Answers(LinkId link) {
    std::vector<Message> out;
    for (const Message& f : env_.sent_on(link))
      if (!f.is<msg::DhtPeerConnected>()) out.push_back(f);
    return out;
  }

  FakeEnv env_;
  std::unique_ptr<roles::Bootstrap> bootstrap_;
};

TEST_F(BootstrapRegisterTest, AnotherBuildIdRegisters) {
  PeerInfo node = Peer(kNewcomer, "node");
  node.metadata.build_id = "0.2.0+bbbbbbbbbbbb";
  const LinkId link = Register(node);
  const std::vector<Message> answers = Answers(link);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].type(), MessageType::kRegistered);
  EXPECT_EQ(Refused("version_mismatch"), 0);
}

TEST_F(BootstrapRegisterTest, UnsupportedProtocolVersionsAreRefusedNamingTheRange) {
  static_assert(kMinProtocolVersion == 1 && kMaxProtocolVersion == 1);
  for (const std::uint32_t version : {0u, 2u}) {
    PeerInfo node = Peer(kNewcomer, "node");
    node.metadata.protocol_version = version;
    const LinkId link = Register(node);
    const std::vector<Message> answers = Answers(link);
    ASSERT_FALSE(answers.empty()) << version;
    EXPECT_EQ(answers[0].type(), MessageType::kError) << version;
    EXPECT_EQ(BodyOf<msg::Error>(answers[0]).code, "version_mismatch") << version;
    EXPECT_EQ(BodyOf<msg::Error>(answers[0]).message,
              "protocol version " + std::to_string(version) + " is not supported; supported: 1-1");
  }
  EXPECT_EQ(Refused("version_mismatch"), 2);
}

TEST_F(BootstrapRegisterTest, GenesisWithoutOrWithAWrongSecretIsRefusedAndNeverDesignated) {
  EXPECT_EQ(Refused("bad_genesis_auth"), 0);  // known series, at 0 from the start
  const PeerInfo genesis = Peer(kGenesis, "genesis", Role::kGenesis);
  double refusals = 0;
  for (const std::string& secret :
       {std::string(), std::string("wrong"), std::string(kGenesisSecret) + "x",
        std::string(kGenesisSecret).substr(1)}) {
    const LinkId link = Register(genesis, secret);
    const std::vector<Message> refused = Answers(link);
    ASSERT_EQ(refused.size(), 1u) << secret;
    EXPECT_EQ(refused[0].type(), MessageType::kError) << secret;
    EXPECT_EQ(BodyOf<msg::Error>(refused[0]).code, "bad_genesis_auth") << secret;
    EXPECT_EQ(Refused("bad_genesis_auth"), ++refusals);
    // Not registered, so not designated either.
    bootstrap_->on_frame(link, msg::GetPeersOrGenesis{});
    for (const Message& f : Answers(link))
      EXPECT_FALSE(BodyOf<msg::PeersOrGenesis>(f).is_genesis) << secret;
    EXPECT_TRUE(env_.sent_of<msg::PeersOrGenesis>().empty()) << secret;
  }
}

TEST_F(BootstrapRegisterTest, GenesisWithTheSecretIsDesignated) {
  const LinkId link = Register(Peer(kGenesis, "genesis", Role::kGenesis), kGenesisSecret);
  bootstrap_->on_frame(link, msg::GetPeersOrGenesis{});
  const std::vector<Message> answers = Answers(link);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].type(), MessageType::kRegistered);
  EXPECT_EQ(answers[1].type(), MessageType::kPeersOrGenesis);
  EXPECT_TRUE(BodyOf<msg::PeersOrGenesis>(answers[1]).is_genesis);
  EXPECT_EQ(Refused("bad_genesis_auth"), 0);
}

// A node need not know the genesis secret: only a register as genesis is
// checked.
TEST_F(BootstrapRegisterTest, ANodeRegistersWithoutTheGenesisSecret) {
  const std::vector<Message> answers = Answers(Register(Peer(kNewcomer, "node")));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].type(), MessageType::kRegistered);
}

}  // namespace
}  // namespace yz::core
