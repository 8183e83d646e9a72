// Admission in the simulator: a process with a real key pair, which proves
// it on every link, but whose membership chain does not lead back to the
// bootstrap, is refused by everyone it dials, each refusal counted with its
// reason, and never enters a routing table; the network stays healthy.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "roles/core/credentials.h"
#include "roles/core/dht_member.h"
#include "roles/core/handshake_auth.h"
#include "tests/sim/intruder.h"

namespace yz::sim {
namespace {

using core::CredentialChain;
using core::LinkId;
using core::MessageType;
using testing::load_or_die;

// Dials every member twice a minute from t=60 s and shows, in turn:
// no chain; a chain it rooted itself; a real member's chain as its own; and
// an invitation "from genesis" that it signed itself.
class Outsider : public testing::Intruder {
 public:
  Outsider(core::Env& env, core::ProcessConfig config, std::vector<std::string> targets,
           std::function<CredentialChain()> genesis_chain, core::TimePoint stop_dialling_at)
      : Intruder(env, std::move(config), std::move(targets), stop_dialling_at),
        auth_(env, config_.identity),
        genesis_chain_(std::move(genesis_chain)) {}

  void on_link_opened(LinkId link) override {
    core::msg::DhtPeerHello hello = hello_as(config_.node_id);
    auth_.add_to_hello(link, hello);
    env_.send(link, std::move(hello));
  }
  void on_link_closed(LinkId link, std::string_view) override { auth_.forget(link); }

  int proofs_ = 0;

 private:
  void on_connected(LinkId link, const core::msg::DhtPeerConnected& connected) override {
    core::msg::DhtPeerProof proof;
    if (!auth_.check_connected(link, connected, proof).empty()) return;
    proof.chain = next_lie();
    env_.send(link, std::move(proof));
    ++proofs_;
    send_find_node(link, config_.node_id);
  }
  CredentialChain next_lie() {
    const core::Identity& me = *config_.identity;
    const CredentialChain genesis = genesis_chain_();
    switch (proofs_ % 4) {
      case 0:
        return {};
      case 1: {
        const core::Invitation own = core::sign_invitation(me, me.node_id(), 1, 1);
        return core::extend_chain(core::sign_token(me, own), own, {});
      }
      case 2:
        return genesis;
      default: {
        core::Invitation forged;
        forged.inviter = genesis.front().token.node_id;
        forged.inviter_public_key = genesis.front().token.public_key;
        forged.invitee = me.node_id();
        forged.nonce = 7;
        forged.signature = me.sign(core::invitation_message(forged));
        return core::extend_chain(core::sign_token(me, forged), forged, genesis);
      }
    }
  }
  core::HandshakeAuth auth_;
  std::function<CredentialChain()> genesis_chain_;
};

TEST(SimAdmissionTest, AProvenKeyWithoutAChainToTheBootstrapNeverEntersARoutingTable) {
  Outsider* outsider = nullptr;
  std::size_t targets = 0;
  const auto run = testing::run_with_intruder(
      5, [&](core::Env& env, const core::ProcessConfig& config, const testing::IntruderRun& r) {
        auto genesis_chain = [&r] { return r.member("genesis").chain(); };
        auto process = std::make_unique<Outsider>(env, config, r.members, genesis_chain,
                                                  r.scenario.duration - 30 * core::kSecond);
        outsider = process.get();
        targets = r.members.size();
        return process;
      });
  ASSERT_NE(outsider, nullptr);
  const core::NodeId outsider_id = run->simulator->process("intruder")->status().node_id;
  EXPECT_GE(outsider->proofs_, 4 * static_cast<int>(targets));

  double refused = 0;
  std::map<std::string, double> by_reason;
  for (const auto& name : run->members) {
    core::DhtMember& member = run->member(name);
    EXPECT_TRUE(member.status().healthy) << name;
    EXPECT_FALSE(member.routing_table().contains(outsider_id)) << name;
    EXPECT_FALSE(member.links().connected(outsider_id)) << name;
    refused += run->sample(name, "yz_handshake_rejected_total{reason=\"not_a_member\"}");
    for (const char* reason : {"missing_chain", "broken_chain", "wrong_subject", "bad_signature"})
      by_reason[reason] +=
          run->sample(name, std::string("yz_credential_rejected_total{reason=\"") + reason + "\"}");
  }
  // Every proof it sent was refused, and each kind of lie was seen.
  EXPECT_EQ(refused, outsider->proofs_);
  for (const auto& [reason, count] : by_reason) EXPECT_GT(count, 0) << reason;
  EXPECT_TRUE(outsider->errors_.contains("not_a_member"));
  EXPECT_TRUE(run->result.invariant_violations.empty());
}

}  // namespace
}  // namespace yz::sim
