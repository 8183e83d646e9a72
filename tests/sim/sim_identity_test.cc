// Proof of identity in the simulator: a process that lies about its node id
// (a hello whose id is not its key's, or a stolen public key it cannot sign
// with) is refused by everyone it dials, counted, and never enters a
// routing table; the honest network around it stays healthy.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "roles/core/dht_member.h"
#include "roles/core/handshake_auth.h"
#include "roles/make_process.h"
#include "roles/metrics/registry.h"
#include "roles/metrics/text_serializer.h"
#include "sim/sim_signatures.h"
#include "tests/sim/intruder.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using core::LinkId;
using core::MessageType;
using testing::load_or_die;

// The id the liar claims: a real key pair's, but the liar only ever learns
// its public key.
const std::shared_ptr<const core::Identity>& Phantom() {
  static const auto phantom = core::Identity::from_words(0xfade, 0xdead, 0xbeef, 0xf00d);
  return phantom;
}

// Dials every other process twice a minute from t=60 s and lies in turn:
// (a) hello{phantom id, its own key}: the id is not the key's;
// (b) hello{phantom id, phantom's public key}, then a proof signed with its
//     own key: the signature does not verify.
class Liar : public testing::Intruder {
 public:
  using Intruder::Intruder;

  void on_link_opened(LinkId link) override {
    core::msg::DhtPeerHello hello = hello_as(Phantom()->node_id());
    hello.nonce = std::string(core::kNonceBytes, 'n');
    const bool steal = (attempts_++ % 2) == 1;
    hello.public_key = steal ? Phantom()->public_key() : config_.identity->public_key();
    env_.send(link, std::move(hello));
  }
  void on_link_closed(LinkId, std::string_view) override {}

  int attempts_ = 0;

 private:
  void on_connected(LinkId link, const core::msg::DhtPeerConnected& connected) override {
    core::msg::DhtPeerProof proof;
    proof.signature = config_.identity->sign(
        core::handshake_message('D', connected.nonce, Phantom()->node_id(), connected.node_id));
    env_.send(link, std::move(proof));
    send_find_node(link, Phantom()->node_id());
  }
};

TEST(SimIdentityTest, LyingProcessNeverEntersARoutingTable) {
  Liar* liar = nullptr;
  std::size_t targets = 0;
  const auto run = testing::run_with_intruder(
      3, [&](core::Env& env, const core::ProcessConfig& config, const testing::IntruderRun& r) {
        auto process = std::make_unique<Liar>(env, config, r.members,
                                              r.scenario.duration - 30 * core::kSecond);
        liar = process.get();
        targets = r.members.size();
        return process;
      });
  ASSERT_NE(liar, nullptr);
  EXPECT_GE(liar->attempts_, 2 * static_cast<int>(targets));

  // Every honest process is healthy; none holds the liar, under either id.
  double id_key_mismatch = 0, bad_signature = 0;
  for (const auto& name : run->members) {
    core::DhtMember& member = run->member(name);
    EXPECT_TRUE(member.status().healthy) << name;
    EXPECT_FALSE(member.routing_table().contains(Phantom()->node_id())) << name;
    EXPECT_FALSE(member.links().connected(Phantom()->node_id())) << name;
    const double mismatch =
        run->sample(name, "yz_handshake_rejected_total{reason=\"id_key_mismatch\"}");
    const double bad = run->sample(name, "yz_handshake_rejected_total{reason=\"bad_signature\"}");
    EXPECT_GT(mismatch, 0) << name;
    EXPECT_GT(bad, 0) << name;
    id_key_mismatch += mismatch;
    bad_signature += bad;
  }
  EXPECT_EQ(id_key_mismatch + bad_signature, liar->attempts_);
  EXPECT_TRUE(liar->errors_.contains("id_key_mismatch"));
  EXPECT_TRUE(liar->errors_.contains("bad_signature"));
  EXPECT_TRUE(run->result.invariant_violations.empty());
}

TEST(SimIdentityTest, TheHashStandInSignsOnlyForTheKeysHolder) {
  auto book = std::make_shared<SimKeyBook>();
  const auto alice = book->identity(1, 2, 3, 4);
  const auto bob = book->identity(5, 6, 7, 8);
  EXPECT_EQ(alice->public_key().size(), core::kPublicKeyBytes);
  EXPECT_EQ(alice->node_id(), core::node_id_for_key(alice->public_key()));
  const std::string signature = alice->sign("message");
  EXPECT_EQ(signature.size(), core::kSignatureBytes);
  EXPECT_TRUE(bob->verify(alice->public_key(), "message", signature));
  EXPECT_FALSE(bob->verify(alice->public_key(), "messagE", signature));
  EXPECT_FALSE(bob->verify(bob->public_key(), "message", signature));
  // A key the book never made verifies nothing, whatever it signs.
  const auto stranger = std::make_shared<SimKeyBook>()->identity(1, 2, 3, 5);
  EXPECT_FALSE(alice->verify(stranger->public_key(), "message", stranger->sign("message")));
}

TEST(SimIdentityTest, FastSignaturesRunTheSameRolesDeterministically) {
  Scenario scenario = load_or_die("incident-15.textproto");
  scenario.sim_hash_signatures = true;
  const RunResult fixed = testing::run_once(scenario, 4);
  EXPECT_EQ(fixed.trace_hash, testing::run_once(scenario, 4).trace_hash);
  EXPECT_TRUE(fixed.invariant_violations.empty());
  EXPECT_EQ(fixed.summary.unhealthy, 0u);
  EXPECT_EQ(fixed.summary.healthy, 19u);
  const RunResult faulted = testing::run_once(scenario, 4, testing::early_return_race());
  EXPECT_FALSE(faulted.invariant_violations.empty());
  scenario.sim_hash_signatures = false;
  EXPECT_NE(fixed.trace_hash, testing::run_once(scenario, 4).trace_hash);
}

// The build id is informational (issue 13): processes of two builds that
// speak one protocol version form one healthy network, as in a rolling
// upgrade. The bootstrap used to refuse any build id not its own.
TEST(SimIdentityTest, TwoBuildIdsJoinOneNetwork) {
  Scenario scenario = load_or_die("incident-15.textproto");
  scenario.sim_hash_signatures = true;
  RunOptions options;
  options.seed = 4;
  std::map<std::string, std::string> builds;
  options.make_process = [&builds](core::Env& env, core::ProcessConfig config) {
    config.build_id = builds.size() % 2 == 0 ? "0.1.0+aaaaaaaaaaaa" : "0.2.0+bbbbbbbbbbbb";
    builds[config.name] = config.build_id;
    return roles::make_process(env, config);
  };
  Simulator simulator(scenario, options);
  const RunResult result = simulator.run();
  std::set<std::string> distinct;
  for (const auto& [name, build] : builds) distinct.insert(build);
  EXPECT_EQ(distinct.size(), 2u);
  EXPECT_TRUE(result.invariant_violations.empty());
  EXPECT_EQ(result.summary.unhealthy, 0u);
  EXPECT_EQ(result.summary.healthy, 19u);
}

TEST(SimIdentityTest, IdsComeFromKeysDrawnFromTheSeed) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  std::map<std::string, core::NodeId> first, second, other;
  for (auto* out : {&first, &second}) {
    RunOptions options;
    options.seed = 11;
    options.make_process = [out](core::Env& env, const core::ProcessConfig& config) {
      EXPECT_NE(config.identity, nullptr);
      if (config.identity) {
        EXPECT_EQ(config.identity->node_id(), config.node_id);
      }
      (*out)[config.name] = config.node_id;
      return roles::make_process(env, config);
    };
    Simulator simulator(scenario, options);
  }
  RunOptions options;
  options.seed = 12;
  options.make_process = [&other](core::Env& env, const core::ProcessConfig& config) {
    other[config.name] = config.node_id;
    return roles::make_process(env, config);
  };
  Simulator simulator(scenario, options);
  EXPECT_EQ(first, second);
  EXPECT_NE(first, other);
}

}  // namespace
}  // namespace yz::sim
