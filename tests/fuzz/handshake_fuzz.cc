// libFuzzer target: the handshake and everything after it, in the core. A
// role process (node, bridge, genesis or bootstrap, behind the same limits
// as in production: roles::make_process) runs on a FakeEnv while the input
// decides what the world does: links are accepted, dials open or fail,
// frames of any type with any fields arrive on any link, links close and
// the clock moves on. The process must never crash, and after stop() it
// must still report a status. Most inputs give the process an identity, so
// the signed handshake and admission by membership chain run too: frames
// then carry keys, nonces, signatures and chains, some made with a few known
// keys (valid or re-pointed), most garbage. The keys are Ed25519 for a
// quarter of the inputs and the simulator's keyed-hash stand-in
// (sim/sim_signatures.h) for half: the role code signs and verifies through
// core::Identity either way, and the stand-in costs a hundredth as much, so
// the state machines around the signatures get most of the executions.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "roles/core/credentials.h"
#include "roles/core/frame.h"
#include "roles/core/identity.h"
#include "roles/core/message.h"
#include "roles/core/process.h"
#include "roles/make_process.h"
#include "sim/sim_signatures.h"
#include "tests/unit/fake_env.h"

namespace {

using yz::core::CredentialChain;
using yz::core::Invitation;
using yz::core::LinkId;
using yz::core::MembershipToken;
using yz::core::Message;
using yz::core::MessageType;
using yz::core::NodeId;
using yz::core::PeerInfo;
using yz::core::PeerMetadata;
using yz::core::Role;

const NodeId kSelf = NodeId::from_words(0xf000000000000000ULL, 0, 0);
// Drawn half the time, so registering as genesis reaches the designation.
constexpr const char* kGenesisSecret = "genesis-secret";

// A few ids so that frames name the same peers again and again, plus self,
// zero and arbitrary ones.
NodeId PickId(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0:
      return kSelf;
    case 1:
      return NodeId{};
    case 2:
      return NodeId::from_words(in.ConsumeIntegral<std::uint64_t>(),
                                in.ConsumeIntegral<std::uint64_t>(),
                                in.ConsumeIntegral<std::uint64_t>());
    default:
      return NodeId::from_words(
          static_cast<std::uint64_t>(in.ConsumeIntegralInRange<int>(1, 5)) << 60, 0, 0);
  }
}

Role PickRole(FuzzedDataProvider& in) {
  return static_cast<Role>(in.ConsumeIntegralInRange<int>(0, 4));
}

PeerInfo PickPeer(FuzzedDataProvider& in) {
  PeerInfo peer;
  peer.node_id = PickId(in);
  peer.metadata.role = PickRole(in);
  peer.metadata.address = "peer" + std::to_string(in.ConsumeIntegralInRange<int>(0, 5)) + ":7000";
  peer.metadata.protocol_version = in.ConsumeBool() ? 1 : in.ConsumeIntegral<std::uint32_t>();
  peer.metadata.build_id = in.ConsumeRandomLengthString(8);
  peer.metadata.name = in.ConsumeRandomLengthString(8);
  return peer;
}

using Keys = std::vector<std::shared_ptr<const yz::core::Identity>>;

// Keys made once, per scheme: the process's own (when it has one) and three
// peers'.
const Keys& Ed25519Keys() {
  static const auto keys = [] {
    Keys k;
    for (std::uint64_t i = 1; i <= 4; ++i) k.push_back(yz::core::Identity::from_words(i, 7, 7, 7));
    return k;
  }();
  return keys;
}
const Keys& SimHashKeys() {
  static const auto keys = [] {
    auto book = std::make_shared<yz::sim::SimKeyBook>();
    Keys k;
    for (std::uint64_t i = 1; i <= 4; ++i) k.push_back(book->identity(i, 7, 7, 7));
    return k;
  }();
  return keys;
}

std::string PickBytes(FuzzedDataProvider& in, std::size_t usual) {
  return in.ConsumeBool() ? std::string(usual, static_cast<char>(in.ConsumeIntegral<char>()))
                          : in.ConsumeRandomLengthString(usual + 8);
}

// A chain link: signed by known keys (so signatures verify and the walk goes
// on), then perhaps edited after signing; or plain garbage.
yz::core::ChainLink PickLink(FuzzedDataProvider& in, const Keys& keys) {
  yz::core::ChainLink link;
  if (in.ConsumeBool()) {
    const auto& member = keys[in.ConsumeIntegralInRange<std::size_t>(0, keys.size() - 1)];
    const auto& inviter = keys[in.ConsumeIntegralInRange<std::size_t>(0, keys.size() - 1)];
    link.invitation =
        yz::core::sign_invitation(*inviter, member->node_id(), in.ConsumeIntegral<std::int64_t>(),
                                  in.ConsumeIntegralInRange<std::uint64_t>(0, 3));
    link.token = yz::core::sign_token(*member, link.invitation);
    if (in.ConsumeBool()) link.invitation.invitee = PickId(in);
    if (in.ConsumeBool()) link.token.issuer = PickId(in);
    return link;
  }
  link.token.node_id = PickId(in);
  link.token.issuer = PickId(in);
  link.token.public_key = PickBytes(in, yz::core::kPublicKeyBytes);
  link.token.signature = PickBytes(in, yz::core::kSignatureBytes);
  link.invitation.inviter = PickId(in);
  link.invitation.invitee = PickId(in);
  link.invitation.inviter_public_key = PickBytes(in, yz::core::kPublicKeyBytes);
  link.invitation.signature = PickBytes(in, yz::core::kSignatureBytes);
  return link;
}

// A message of any type. Every field is drawn, in the same order for every
// type so one input means the same draws whatever type it picks; the
// message's type then takes the fields it has.
Message PickMessage(FuzzedDataProvider& in, const Keys& keys) {
  const auto type =
      static_cast<MessageType>(in.ConsumeIntegralInRange<int>(0, yz::core::kMessageTypeCount - 1));
  const std::uint64_t request_id = in.ConsumeIntegralInRange<std::uint64_t>(0, 8);
  const PeerInfo who = PickPeer(in);
  NodeId node_id = who.node_id;
  const PeerMetadata metadata = who.metadata;
  const NodeId target = PickId(in);
  std::vector<PeerInfo> nodes;
  const int node_count = in.ConsumeIntegralInRange<int>(0, 4);
  for (int i = 0; i < node_count; ++i) nodes.push_back(PickPeer(in));
  Invitation invitation;
  invitation.inviter = PickId(in);
  invitation.invitee = PickId(in);
  invitation.expires_at_ms = in.ConsumeIntegral<std::int64_t>();
  invitation.nonce = in.ConsumeIntegralInRange<std::uint64_t>(0, 3);
  MembershipToken token;
  token.node_id = PickId(in);
  token.issuer = PickId(in);
  token.invitation_nonce = in.ConsumeIntegralInRange<std::uint64_t>(0, 3);
  const bool flag = in.ConsumeBool();
  const bool onboarding_started = in.ConsumeBool();
  const std::string text = in.ConsumeRandomLengthString(16);
  const std::string code = in.ConsumeRandomLengthString(8);
  const auto count = in.ConsumeIntegral<std::uint32_t>();
  const std::string genesis_auth =
      in.ConsumeBool() ? std::string(kGenesisSecret) : in.ConsumeRandomLengthString(8);
  std::string public_key;
  if (in.ConsumeBool()) {
    const auto& key = keys[in.ConsumeIntegralInRange<std::size_t>(0, keys.size() - 1)];
    public_key = in.ConsumeBool() ? key->public_key() : PickBytes(in, 32);
    if (in.ConsumeBool()) node_id = key->node_id();
  }
  const std::string nonce = PickBytes(in, yz::core::kNonceBytes);
  const std::string signature = PickBytes(in, yz::core::kSignatureBytes);
  CredentialChain chain;
  const int chain_length = in.ConsumeIntegralInRange<int>(0, 3);
  for (int i = 0; i < chain_length; ++i) chain.push_back(PickLink(in, keys));

  namespace m = yz::core::msg;
  const std::optional<PeerInfo> first =
      nodes.empty() ? std::nullopt : std::optional<PeerInfo>(nodes.front());
  const auto with = [request_id](auto body) { return Message(std::move(body), request_id); };
  switch (type) {
    case MessageType::kDhtPeerHello:
      return with(m::DhtPeerHello{node_id, metadata, public_key, nonce});
    case MessageType::kDhtPeerConnected:
      return with(m::DhtPeerConnected{node_id, metadata, public_key, nonce, signature, chain});
    case MessageType::kPing:
      return with(m::Ping{});
    case MessageType::kPong:
      return with(m::Pong{});
    case MessageType::kFindNode:
      return with(m::FindNode{target});
    case MessageType::kFindNodeResponse:
      return with(m::FindNodeResponse{nodes});
    case MessageType::kCreateInvitationForPeer:
      return with(m::CreateInvitationForPeer{target, metadata});
    case MessageType::kInvitationCreated:
      return with(m::InvitationCreated{invitation, chain});
    case MessageType::kRegister:
      return with(m::Register{node_id, metadata, text, genesis_auth});
    case MessageType::kRegistered:
      return with(m::Registered{nodes, invitation});
    case MessageType::kGetPeersOrGenesis:
      return with(m::GetPeersOrGenesis{});
    case MessageType::kPeersOrGenesis:
      return with(m::PeersOrGenesis{flag, onboarding_started, nodes, invitation, chain});
    case MessageType::kGetOnboardingPeer:
      return with(m::GetOnboardingPeer{target, metadata});
    case MessageType::kOnboardingPeerResponse:
      return with(m::OnboardingPeerResponse{first, invitation, chain, count});
    case MessageType::kSendInvitation:
      return with(m::SendInvitation{invitation, first, chain});
    case MessageType::kInvitationAccepted:
      return with(m::InvitationAccepted{invitation, token});
    case MessageType::kMembershipTokenGranted:
      return with(m::MembershipTokenGranted{token});
    case MessageType::kPeerIntroduction:
      return with(m::PeerIntroduction{nodes});
    case MessageType::kMemberJoined:
      return with(m::MemberJoined{first.value_or(PeerInfo{})});
    case MessageType::kBridgeHealthUpdate:
      return with(m::BridgeHealthUpdate{count, flag});
    case MessageType::kOnboardingFailed:
      return with(m::OnboardingFailed{text, code});
    case MessageType::kDhtPeerProof:
      return with(m::DhtPeerProof{signature, chain});
    case MessageType::kError:
      return with(m::Error{code, text});
    case MessageType::kStoreValue: {
      yz::core::SignedValue value;
      value.key = target;
      value.name = text;
      value.data = code;
      value.publisher = node_id;
      value.publisher_public_key = public_key;
      value.seq = count;
      value.expires_at_ms = invitation.expires_at_ms;
      value.signature = signature;
      return with(m::StoreValue{value});
    }
    case MessageType::kStoreValueResponse:
      return with(m::StoreValueResponse{flag, code});
    case MessageType::kFindValue:
      return with(m::FindValue{text});
    case MessageType::kFindValueResponse:
      return with(m::FindValueResponse{{}, nodes});
  }
  return with(m::Error{code, text});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  yz::core::testing::FakeEnv env;
  yz::core::ProcessConfig config;
  config.name = "fuzzed";
  config.role = static_cast<Role>(in.ConsumeIntegralInRange<int>(1, 4));
  config.node_id = kSelf;
  // 0: no identity, Ed25519 peers; 1: Ed25519; 2, 3: the keyed-hash stand-in.
  const int scheme = in.ConsumeIntegralInRange<int>(0, 3);
  const Keys& keys = scheme >= 2 ? SimHashKeys() : Ed25519Keys();
  if (scheme != 0) {
    config.identity = keys.front();
    config.node_id = config.identity->node_id();
  }
  config.listen_address = "self:7000";
  config.bootstrap_address = config.role == Role::kBootstrap ? "" : "bootstrap:7000";
  config.bridge_auth = "secret";
  config.genesis_auth = kGenesisSecret;
  config.timing.limits.frames_burst = 16;  // small, so floods close links
  config.timing.limits.max_inbound_links = 6;
  auto process = yz::roles::make_process(env, config);
  process->start();

  std::vector<LinkId> links;   // links the world knows of, open or not
  std::size_t dials_seen = 0;  // env.dials up to here are in `links`
  for (int step = 0; step < 64 && in.remaining_bytes() > 0; ++step) {
    for (; dials_seen < env.dials.size(); ++dials_seen) links.push_back(env.dials[dials_seen].link);
    auto pick_link = [&]() -> LinkId {
      if (links.empty()) return 0;
      return links[in.ConsumeIntegralInRange<std::size_t>(0, links.size() - 1)];
    };
    switch (in.ConsumeIntegralInRange<int>(0, 6)) {
      case 0: {
        const LinkId link = env.new_link();
        links.push_back(link);
        process->on_link_accepted(link);
        break;
      }
      case 1:
        if (const LinkId link = pick_link()) process->on_link_opened(link);
        break;
      case 2:
      case 3:
        if (const LinkId link = pick_link()) process->on_frame(link, PickMessage(in, keys));
        break;
      case 4:
        if (const LinkId link = pick_link()) process->on_link_closed(link, "closed by peer");
        break;
      case 5:
        env.advance(in.ConsumeIntegralInRange<std::int64_t>(0, 120'000) * yz::core::kMillisecond);
        break;
      case 6:
        (void)process->status();
        (void)process->peers_missing_handler();
        break;
    }
  }
  process->stop();
  (void)process->status();
  return 0;
}
