// A hostile bridge against a real yz-bootstrap over gRPC. The bridge passes
// BRIDGE_AUTH, is asked to onboard newcomers and hands the bootstrap
// invitations from a helper whose chain is genuine, each wrong in one way
// only: expired, valid for too long, edited after signing, signed with
// another key, addressed to another newcomer, naming someone else as the
// helper to dial, or a nonce already spent (after the first acceptance, and
// by two newcomers racing to accept). The bootstrap must refuse each, count
// the reason on yz_credential_rejected_total, tell the newcomer, never admit
// it, and stay healthy; a valid invitation admits its newcomer. The newcomers
// and genesis are test clients too, so every step is driven, none waited out.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "roles/core/credentials.h"
#include "roles/core/identity.h"
#include "roles/runtime/build_info.h"
#include "tests/integration/harness.h"
#include "tests/integration/hostile_client.h"
#include "yz/v1/peer.grpc.pb.h"

namespace yz::integration {
namespace {

using namespace hostile;  // NOLINT: the client's vocabulary
using std::chrono::seconds;

constexpr char kSecret[] = "the-bridge-secret";
// Numbered test keys (hostile::key_of): who plays what.
constexpr std::uint64_t kGenesis = 0x6e5;
constexpr std::uint64_t kBridge = 0xb2d;
constexpr std::uint64_t kHelper = 0x4e1;
constexpr std::uint64_t kForger = 0xf0f;
constexpr std::int64_t kMinute = 60 * 1000;

const char* const kReasons[] = {"expired",       "expiry_too_far", "replayed",     "wrong_subject",
                                "bad_signature", "broken_chain",   "missing_chain"};

std::string rejected(const std::string& reason) {
  return "yz_credential_rejected_total{reason=\"" + reason + "\"}";
}

// The bootstrap checks expiry on the wall clock (AsioEnv::shared_clock_ms),
// which this test shares: same machine.
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class HostileBridge : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("yz-hostile-bridge");
    bootstrap_ = Child::spawn(
        {binary("yz-bootstrap"), "--data-dir", dir_ + "/bootstrap", "--listen", "127.0.0.1:0",
         "--http", "127.0.0.1:0", "--log-level", "info"},
        {{"BRIDGE_AUTH", kSecret}, {"GENESIS_AUTH", kTestGenesisAuth}}, dir_ + "/bootstrap.log");
    ASSERT_TRUE(
        eventually([&] { return port_of(dir_ + "/bootstrap", "listen").has_value(); }, seconds(20)))
        << read_file(dir_ + "/bootstrap.log");
    address_ = *port_of(dir_ + "/bootstrap", "listen");
    http_ = *port_of(dir_ + "/bootstrap", "http");
    // The helper's chain is rooted at the bootstrap's own key, so the
    // bootstrap finds nothing wrong with it and only the invitation is on
    // trial.
    ASSERT_EQ(load_bootstrap_key(dir_ + "/bootstrap"), "");
    const auto id = json_field(http_get(http_, "/health").body, "nodeId");
    ASSERT_EQ(id, bootstrap_key()->node_id().to_hex()) << "read another key than the bootstrap's";
    helper_ = key_of(kHelper);
    helper_chain_ = insider_chain(*helper_);

    // Onboarding needs a genesis first (else the bootstrap answers "not
    // ready"): one that follows the protocol, citing its designation.
    genesis_ = std::make_unique<Call>(address_, true);
    ASSERT_EQ(genesis_->handshake(kGenesis, false), "");
    const auto genesis = key_of(kGenesis);
    ASSERT_TRUE(
        genesis_->write(register_frame(genesis->node_id(), v1::ROLE_GENESIS,
                                       std::string(runtime::build_id()), {}, 1, kTestGenesisAuth)));
    v1::Frame reply;
    ASSERT_TRUE(genesis_->read(reply));
    ASSERT_TRUE(reply.has_registered()) << reply.ShortDebugString();
    v1::Frame ask;
    ask.mutable_get_peers_or_genesis();
    ASSERT_TRUE(genesis_->write(ask));
    ASSERT_TRUE(genesis_->read(reply));
    ASSERT_TRUE(reply.peers_or_genesis().is_genesis()) << reply.ShortDebugString();
    const v1::Invitation& designation = reply.peers_or_genesis().designation();
    core::Invitation cited;
    cited.inviter = core::NodeId::from_hex(designation.inviter()).value_or(core::NodeId{});
    cited.nonce = designation.nonce();
    v1::Frame accepted;
    *accepted.mutable_invitation_accepted()->mutable_invitation() = designation;
    put_token(core::sign_token(*genesis, cited),
              accepted.mutable_invitation_accepted()->mutable_token());
    ASSERT_TRUE(genesis_->write(accepted));
    ASSERT_TRUE(eventually([&] { return members() == 1; }, seconds(10)))
        << "genesis did not become a member: " << http_get(http_, "/status").body;

    // The hostile bridge registers the way roles/bridge does: it knows the
    // secret, so the bootstrap trusts it with onboardings.
    bridge_ = std::make_unique<Call>(address_, true);
    ASSERT_EQ(bridge_->handshake(kBridge, false), "");
    ASSERT_TRUE(bridge_->write(register_frame(key_of(kBridge)->node_id(), v1::ROLE_BRIDGE,
                                              std::string(runtime::build_id()), kSecret)));
    ASSERT_TRUE(bridge_->read(reply));
    ASSERT_TRUE(reply.has_registered()) << reply.ShortDebugString();
    ASSERT_EQ(reply.registered().members_size(), 1) << reply.ShortDebugString();
    EXPECT_EQ(reply.registered().members(0).node_id(), genesis->node_id().to_hex());
    EXPECT_EQ(reply.registered().bridge_invitation().invitee(),
              key_of(kBridge)->node_id().to_hex());
  }

  void TearDown() override {
    if (http_.empty()) return;  // SetUp already failed on it
    // Refusing everything above must not have cost the bootstrap its health.
    ASSERT_TRUE(bootstrap_.running()) << "the bootstrap died:\n"
                                      << read_file(dir_ + "/bootstrap.log");
    const HttpReply health = http_get(http_, "/health");
    EXPECT_EQ(health.status, 200) << health.body;
    EXPECT_TRUE(json_true(health.body, "healthy")) << health.body;
  }

  double metric(const std::string& series) {
    return metric_value(http_get(http_, "/metrics").body, series).value_or(0);
  }
  std::map<std::string, double> credential_rejections() {
    const std::string exposition = http_get(http_, "/metrics").body;
    std::map<std::string, double> out;
    for (const char* reason : kReasons)
      out[reason] = metric_value(exposition, rejected(reason)).value_or(0);
    return out;
  }
  // The bootstrap's routing table is its member list.
  long members() { return json_number(http_get(http_, "/status").body, "routingTableSize"); }

  core::Invitation invitation_for(std::uint64_t newcomer, std::uint64_t nonce,
                                  std::int64_t expires_at_ms) {
    return core::sign_invitation(*helper_, key_of(newcomer)->node_id(), expires_at_ms, nonce);
  }
  core::Invitation valid_invitation(std::uint64_t newcomer, std::uint64_t nonce) {
    return invitation_for(newcomer, nonce, now_ms() + 30 * kMinute);
  }

  // Newcomer `n` proves its key, registers and asks to join; the bootstrap
  // asks the bridge, which answers `invitation` and the helper's chain,
  // naming `helper` (the helper, unless a test lies) as the one to dial.
  // `*told` is the bootstrap's next frame to the newcomer.
  void onboard(Call& newcomer, std::uint64_t n, const core::Invitation& invitation, v1::Frame* told,
               const core::NodeId* helper = nullptr) {
    v1::Frame request;
    ASSERT_NO_FATAL_FAILURE(ask_to_join(newcomer, n, &request));
    ASSERT_TRUE(bridge_->write(answer(request, invitation, helper)));
    ASSERT_TRUE(newcomer.read(*told)) << "the bootstrap ended the newcomer's stream";
  }

  // Newcomer `n` proves its key, registers and asks to join; `*request` is
  // the get_onboarding_peer the bootstrap then sends the bridge.
  void ask_to_join(Call& newcomer, std::uint64_t n, v1::Frame* request) {
    const core::NodeId id = key_of(n)->node_id();
    ASSERT_EQ(newcomer.handshake(n, false), "");
    ASSERT_TRUE(
        newcomer.write(register_frame(id, v1::ROLE_NODE, std::string(runtime::build_id()))));
    v1::Frame reply;
    ASSERT_TRUE(newcomer.read(reply));
    ASSERT_TRUE(reply.has_registered()) << reply.ShortDebugString();
    v1::Frame ask;
    ask.mutable_get_peers_or_genesis();
    ASSERT_TRUE(newcomer.write(ask));
    ASSERT_TRUE(newcomer.read(reply));
    ASSERT_TRUE(reply.peers_or_genesis().onboarding_started()) << reply.ShortDebugString();

    // Strictly the next frame: a newcomer admitted by mistake would show up
    // here first, as member_joined.
    ASSERT_TRUE(bridge_->read(*request)) << "the bootstrap dropped the bridge";
    ASSERT_TRUE(request->has_get_onboarding_peer()) << request->ShortDebugString();
    ASSERT_EQ(request->get_onboarding_peer().new_node_id(), id.to_hex());
  }

  // The answer to `request`: `invitation` and the helper's chain, naming
  // `helper` (the helper, unless a test lies) as the one to dial.
  v1::Frame answer(const v1::Frame& request, const core::Invitation& invitation,
                   const core::NodeId* helper = nullptr) const {
    v1::Frame answer;
    answer.set_request_id(request.request_id());
    auto* response = answer.mutable_onboarding_peer_response();
    response->mutable_helper()->set_node_id(
        (helper != nullptr ? *helper : helper_->node_id()).to_hex());
    response->mutable_helper()->mutable_metadata()->set_role(v1::ROLE_NODE);
    put_invitation(invitation, response->mutable_invitation());
    put_chain(helper_chain_, response->mutable_inviter_chain());
    return answer;
  }

  // The newcomer signs its token citing `invitation`, as step 10 does.
  static v1::Frame acceptance(std::uint64_t n, const core::Invitation& invitation) {
    v1::Frame accepted;
    put_invitation(invitation, accepted.mutable_invitation_accepted()->mutable_invitation());
    put_token(core::sign_token(*key_of(n), invitation),
              accepted.mutable_invitation_accepted()->mutable_token());
    return accepted;
  }

  // The bootstrap refuses `invitation` for newcomer `n` as `reason`: counted
  // once under that reason and no other, the newcomer told so, its onboarding
  // failed and closed (accepting anyway gets no_invitation), no member added.
  void expect_refused(std::uint64_t n, const core::Invitation& invitation,
                      const std::string& reason, const core::NodeId* helper = nullptr) {
    SCOPED_TRACE("refused as " + reason);
    const auto before = credential_rejections();
    const double failures = metric("yz_onboarding_total{result=\"failure\"}");
    const double no_invitation = metric("yz_bootstrap_refused_total{reason=\"no_invitation\"}");
    const long members_before = members();

    Call newcomer(address_, true);
    v1::Frame told;
    ASSERT_NO_FATAL_FAILURE(onboard(newcomer, n, invitation, &told, helper));
    ASSERT_TRUE(told.has_onboarding_failed())
        << "the bootstrap relayed an invitation it must refuse: " << told.ShortDebugString();
    EXPECT_EQ(told.onboarding_failed().error(),
              "Onboarding failed: invalid invitation (" + reason + ")");
    EXPECT_TRUE(eventually([&] { return credential_rejections()[reason] == before.at(reason) + 1; },
                           seconds(5)))
        << rejected(reason) << " is " << credential_rejections()[reason] << ", was "
        << before.at(reason);
    const auto after = credential_rejections();
    for (const char* other : kReasons) {
      if (other == reason) continue;
      EXPECT_EQ(after.at(other), before.at(other)) << rejected(other);
    }
    EXPECT_EQ(metric("yz_onboarding_total{result=\"failure\"}"), failures + 1);

    ASSERT_TRUE(newcomer.write(acceptance(n, invitation)));
    v1::Frame reply;
    ASSERT_TRUE(newcomer.read(reply));
    ASSERT_TRUE(reply.has_error()) << "accepted a refused invitation: " << reply.ShortDebugString();
    EXPECT_EQ(reply.error().code(), "no_invitation") << reply.ShortDebugString();
    EXPECT_TRUE(eventually(
        [&] {
          return metric("yz_bootstrap_refused_total{reason=\"no_invitation\"}") ==
                 no_invitation + 1;
        },
        seconds(5)));
    EXPECT_EQ(members(), members_before) << http_get(http_, "/status").body;
  }

  // The bootstrap relays `invitation` to newcomer `n` unchanged, with the
  // helper and its chain (the newcomer has not accepted yet).
  void expect_relayed(Call& newcomer, std::uint64_t n, const core::Invitation& invitation) {
    v1::Frame told;
    ASSERT_NO_FATAL_FAILURE(onboard(newcomer, n, invitation, &told));
    ASSERT_TRUE(told.has_send_invitation())
        << "refused a valid invitation: " << told.ShortDebugString();
    v1::Invitation sent;
    put_invitation(invitation, &sent);
    EXPECT_EQ(told.send_invitation().invitation().ShortDebugString(), sent.ShortDebugString());
    EXPECT_EQ(told.send_invitation().inviter().node_id(), helper_->node_id().to_hex());
    EXPECT_EQ(told.send_invitation().inviter_chain_size(), 1);
  }

  // Newcomer `n` accepts and is admitted: introduced to its helper, and the
  // bridge told of the new member.
  void expect_admitted(Call& newcomer, std::uint64_t n, const core::Invitation& invitation) {
    const long members_before = members();
    ASSERT_TRUE(newcomer.write(acceptance(n, invitation)));
    v1::Frame reply;
    ASSERT_TRUE(newcomer.read(reply));
    ASSERT_TRUE(reply.has_peer_introduction()) << reply.ShortDebugString();
    ASSERT_EQ(reply.peer_introduction().peers_size(), 1);
    EXPECT_EQ(reply.peer_introduction().peers(0).node_id(), helper_->node_id().to_hex());
    ASSERT_TRUE(bridge_->read(reply));
    ASSERT_TRUE(reply.has_member_joined()) << reply.ShortDebugString();
    EXPECT_EQ(reply.member_joined().member().node_id(), key_of(n)->node_id().to_hex());
    EXPECT_EQ(members(), members_before + 1);
  }

  // The bridge registers again, as a real one does when it loses its
  // links: the members the bootstrap lists, by id. Its answer must be the
  // bridge's next frame, so nothing was sent to the bridge since (it is
  // never told its answers were refused) and it is still trusted.
  std::set<std::string> members_listed_to_bridge() {
    std::set<std::string> ids;
    EXPECT_TRUE(bridge_->write(register_frame(key_of(kBridge)->node_id(), v1::ROLE_BRIDGE,
                                              std::string(runtime::build_id()), kSecret)));
    v1::Frame reply;
    EXPECT_TRUE(bridge_->read(reply));
    EXPECT_TRUE(reply.has_registered()) << reply.ShortDebugString();
    for (const auto& member : reply.registered().members()) ids.insert(member.node_id());
    return ids;
  }
  static std::string id_of(std::uint64_t n) { return key_of(n)->node_id().to_hex(); }

  std::string dir_, address_, http_;
  Child bootstrap_;
  std::shared_ptr<const core::Identity> helper_;
  core::CredentialChain helper_chain_;
  std::unique_ptr<Call> genesis_, bridge_;
};

TEST_F(HostileBridge, ExpiredForgedAndMisaddressedInvitationsAreRefused) {
  {
    SCOPED_TRACE("(a) expired a minute ago");
    expect_refused(0xa, invitation_for(0xa, 0xa1, now_ms() - kMinute), "expired");
  }
  {
    SCOPED_TRACE("(a2) valid for a century: its nonce would outlive a restart");
    expect_refused(0xa2, invitation_for(0xa2, 0xa2, now_ms() + 100LL * 365 * 24 * 60 * kMinute),
                   "expiry_too_far");
  }
  {
    SCOPED_TRACE("(b1) expiry pushed out after signing");
    core::Invitation edited = invitation_for(0xb1, 0xb1, now_ms() + 30 * kMinute);
    edited.expires_at_ms += 24 * 60 * kMinute;
    expect_refused(0xb1, edited, "bad_signature");
  }
  {
    SCOPED_TRACE("(b2) the helper's name and key, another key's signature");
    const core::Invitation genuine = valid_invitation(0xb2, 0xb2);
    core::Invitation forged =
        core::sign_invitation(*key_of(kForger), genuine.invitee, genuine.expires_at_ms, 0xb2);
    forged.inviter = genuine.inviter;
    forged.inviter_public_key = genuine.inviter_public_key;
    expect_refused(0xb2, forged, "bad_signature");
  }
  {
    SCOPED_TRACE("(c) signed for another invitee");
    expect_refused(0xc, valid_invitation(0xc0ffee, 0xc1), "wrong_subject");
  }
  {
    SCOPED_TRACE("(g) a sound invitation, but another node named as the helper to dial");
    const core::NodeId impostor = key_of(kForger)->node_id();
    expect_refused(0x9, valid_invitation(0x9, 0x91), "broken_chain", &impostor);
  }
  EXPECT_EQ(members(), 1) << "only genesis: " << http_get(http_, "/status").body;
  EXPECT_EQ(members_listed_to_bridge(), std::set<std::string>{id_of(kGenesis)});
  EXPECT_EQ(metric("yz_onboarding_total{result=\"success\"}"), 0);
}

TEST_F(HostileBridge, AnInvitationIsUsedOnce) {
  constexpr std::uint64_t kNonce = 0xd1;
  const core::Invitation valid = valid_invitation(0xd, kNonce);
  Call first(address_, true);
  {
    SCOPED_TRACE("(d) valid: relayed, accepted, admitted");
    ASSERT_NO_FATAL_FAILURE(expect_relayed(first, 0xd, valid));
    ASSERT_NO_FATAL_FAILURE(expect_admitted(first, 0xd, valid));
  }
  {
    SCOPED_TRACE("(e1) the same invitation, verbatim, for a second newcomer");
    // Its invitee is the first newcomer: caught before its nonce is looked at.
    expect_refused(0xe1, valid, "wrong_subject");
  }
  {
    SCOPED_TRACE("(e2) the spent nonce, signed anew for a second newcomer");
    expect_refused(0xe2, valid_invitation(0xe2, kNonce), "replayed");
  }

  // (f) One fresh nonce to two newcomers at once: neither is spent when the
  // bridge hands them over, so both are relayed; the first acceptance spends
  // it and the second token is refused as a replay.
  SCOPED_TRACE("(f) one nonce, two newcomers racing to accept");
  constexpr std::uint64_t kRaced = 0xf1;
  const core::Invitation to_first = valid_invitation(0xf1, kRaced);
  const core::Invitation to_second = valid_invitation(0xf2, kRaced);
  Call racer1(address_, true), racer2(address_, true);
  ASSERT_NO_FATAL_FAILURE(expect_relayed(racer1, 0xf1, to_first));
  ASSERT_NO_FATAL_FAILURE(expect_relayed(racer2, 0xf2, to_second));
  ASSERT_NO_FATAL_FAILURE(expect_admitted(racer1, 0xf1, to_first));
  const auto before = credential_rejections();
  const double bad_token = metric("yz_bootstrap_refused_total{reason=\"bad_token\"}");
  const long members_before = members();
  ASSERT_TRUE(racer2.write(acceptance(0xf2, to_second)));
  v1::Frame reply;
  ASSERT_TRUE(racer2.read(reply));
  ASSERT_TRUE(reply.has_error()) << "admitted on a spent nonce: " << reply.ShortDebugString();
  EXPECT_EQ(reply.error().code(), "bad_token");
  EXPECT_EQ(reply.error().message(), "membership token refused: replayed");
  EXPECT_TRUE(
      eventually([&] { return credential_rejections()["replayed"] == before.at("replayed") + 1; },
                 seconds(5)));
  EXPECT_TRUE(eventually(
      [&] { return metric("yz_bootstrap_refused_total{reason=\"bad_token\"}") == bad_token + 1; },
      seconds(5)));
  EXPECT_EQ(members(), members_before);

  // Genesis and the two honest acceptances, nobody else.
  EXPECT_EQ(members(), 3) << http_get(http_, "/status").body;
  EXPECT_EQ(members_listed_to_bridge(),
            (std::set<std::string>{id_of(kGenesis), id_of(0xd), id_of(0xf1)}));
  EXPECT_EQ(metric("yz_onboarding_total{result=\"success\"}"), 2);
}

// Request ids are sequential, so a second bridge can guess the one sent to
// the first and answer it: with its own helper, or with a failure that
// would pass the newcomer on to itself. Only the bridge asked may answer.
TEST_F(HostileBridge, OnlyTheBridgeAskedMayAnswer) {
  const std::string not_asked_series = "yz_bootstrap_refused_total{reason=\"not_asked\"}";
  constexpr std::uint64_t kRogue = 0x60e;
  // A refusal closes the link it came on, so the rogue registers afresh for
  // each try.
  auto rogue_bridge = [&](Call& rogue) {
    ASSERT_EQ(rogue.handshake(kRogue, false), "");
    ASSERT_TRUE(rogue.write(register_frame(key_of(kRogue)->node_id(), v1::ROLE_BRIDGE,
                                           std::string(runtime::build_id()), kSecret)));
    v1::Frame reply;
    ASSERT_TRUE(rogue.read(reply));
    ASSERT_TRUE(reply.has_registered()) << reply.ShortDebugString();
  };

  // No onboarding has succeeded yet, so the first bridge to register, the
  // fixture's, is asked first.
  Call newcomer(address_, true);
  v1::Frame request;
  ASSERT_NO_FATAL_FAILURE(ask_to_join(newcomer, 0x1, &request));
  const double not_asked = metric(not_asked_series);
  for (const bool fail : {false, true}) {
    SCOPED_TRACE(fail ? "the rogue answers that no helper was found" : "the rogue names a helper");
    Call rogue(address_, true);
    ASSERT_NO_FATAL_FAILURE(rogue_bridge(rogue));
    v1::Frame hijack = answer(request, valid_invitation(0x1, 0x60e1));
    if (fail) {
      hijack.clear_onboarding_peer_response();
      hijack.mutable_error()->set_code("no_helper");
      hijack.mutable_error()->set_message("bridge found no helper");
    }
    ASSERT_TRUE(rogue.write(hijack));
    v1::Frame reply;
    ASSERT_TRUE(rogue.read(reply));
    ASSERT_TRUE(reply.has_error()) << reply.ShortDebugString();
    EXPECT_EQ(reply.error().code(), "not_asked") << reply.ShortDebugString();
    EXPECT_FALSE(rogue.read(reply)) << "still open after not_asked: " << reply.ShortDebugString();
  }
  EXPECT_TRUE(eventually([&] { return metric(not_asked_series) == not_asked + 2; }, seconds(5)));

  // The request is still the asked bridge's: its answer goes through.
  const core::Invitation invitation = valid_invitation(0x1, 0x1);
  ASSERT_TRUE(bridge_->write(answer(request, invitation)));
  v1::Frame told;
  ASSERT_TRUE(newcomer.read(told));
  ASSERT_TRUE(told.has_send_invitation()) << told.ShortDebugString();
  EXPECT_EQ(told.send_invitation().invitation().nonce(), 0x1u);
  EXPECT_EQ(told.send_invitation().inviter().node_id(), helper_->node_id().to_hex());
  ASSERT_NO_FATAL_FAILURE(expect_admitted(newcomer, 0x1, invitation));
}

}  // namespace
}  // namespace yz::integration
