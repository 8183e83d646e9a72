#include "roles/bootstrap/bootstrap.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "roles/core/core_metrics.h"
#include "roles/core/protocol.h"
#include "roles/core/secret.h"
#include "roles/metrics/registry.h"

namespace yz::roles {

using core::Message;
namespace msg = core::msg;
using core::LinkId;
using core::LogLevel;
using core::MessageType;
using core::NodeId;
using core::PeerInfo;
using core::Role;

Bootstrap::Bootstrap(core::Env& env, core::ProcessConfig config)
    : env_(env),
      config_(std::move(config)),
      onboarding_total_(metrics::BuildCounter()
                            .Name("yz_onboarding_total")
                            .Help("Onboardings coordinated by this bootstrap, by result")
                            .Register(env.metrics()),
                        "result", kOnboardingOutcomes),
      refused_total_(metrics::BuildCounter()
                         .Name("yz_bootstrap_refused_total")
                         .Help("Requests the bootstrap refused, by reason")
                         .Register(env.metrics()),
                     "reason", kBootstrapRefusals),
      late_answers_(metrics::BuildCounter()
                        .Name("yz_bootstrap_late_bridge_answers_total")
                        .Help("Bridge answers to get_onboarding_peer that came after the "
                              "bootstrap's wait for them, by result (used: completed an "
                              "onboarding still open; discarded)")
                        .Register(env.metrics()),
                    "result", kLateAnswerResults),
      // Same family as the members' yz_healthy, so sum(yz_healthy) counts
      // every process of a cluster.
      healthy_(metrics::BuildGauge()
                   .Name("yz_healthy")
                   .Help("1 when the process passes its health rules, else 0")
                   .Register(env.metrics())
                   .Add({})),
      handshake_rejected_(metrics::BuildCounter()
                              .Name("yz_handshake_rejected_total")
                              .Help("Links closed before or at the handshake, by reason")
                              .Register(env.metrics()),
                          "reason", core::kHandshakeAuthReasons),
      onboarding_success_duration_(
          core::onboarding_duration_family(env.metrics())
              .Add({{"result", "success"}}, core::onboarding_duration_buckets())),
      onboarding_failure_duration_(
          core::onboarding_duration_family(env.metrics())
              .Add({{"result", "failure"}}, core::onboarding_duration_buckets())),
      bridge_timeouts_family_(metrics::BuildCounter()
                                  .Name("yz_bootstrap_bridge_timeouts_total")
                                  .Help("Onboarding requests a bridge did not answer within the "
                                        "per-bridge timeout, by bridge name")
                                  .Register(env.metrics())),
      members_gauge_(metrics::BuildGauge()
                         .Name("yz_bootstrap_members")
                         .Help("Members of the network the bootstrap knows (genesis included)")
                         .Register(env.metrics())
                         .Add({})),
      bridges_gauge_(metrics::BuildGauge()
                         .Name("yz_bootstrap_bridges")
                         .Help("Bridges registered with the bootstrap and still connected")
                         .Register(env.metrics())
                         .Add({})),
      state_metrics_(env.metrics(), config_.faults),
      auth_(env, config_.identity),
      credentials_(env.metrics(),
                   config_.shared_verifier
                       ? config_.shared_verifier
                       : std::make_shared<core::SignatureVerifier>(4096, config_.identity)) {
  if (config_.identity && config_.identity->node_id() != config_.node_id)
    throw std::invalid_argument("process " + config_.name + ": node id is not its key's");
  credentials_.limit_lifetime(config_.timing.invitation_expiry / core::kMillisecond +
                              core::kInvitationClockSkewMs);
  env.metrics().AddCollectCallback([this] {
    members_gauge_.Set(static_cast<double>(member_count()));
    bridges_gauge_.Set(static_cast<double>(live_bridges().size()));
    // The rendezvous has no DHT to join: joined while it runs.
    state_metrics_.set_state(running_ ? core::JoinState::kJoined : core::JoinState::kJoining);
    state_metrics_.set_reason(core::HealthReason::kNone);
  });
}

std::string Bootstrap::bridge_name(LinkId link) const {
  auto it = clients_.find(link);
  if (it == clients_.end()) return "unknown";
  const core::PeerInfo& info = it->second.info;
  return info.metadata.name.empty() ? info.node_id.short_hex() : info.metadata.name;
}

void Bootstrap::start() {
  running_ = true;
  started_at_ = env_.now();
  healthy_.Set(1);
  env_.log(LogLevel::kInfo, "started", {{"role", "bootstrap"}});
}

void Bootstrap::stop() {
  running_ = false;
  healthy_.Set(0);
  for (const auto& [link, client] : clients_) env_.close(link, "shutdown");
  clients_.clear();
}

void Bootstrap::on_link_accepted(LinkId link) {
  if (!running_) return;
  // A client that never finishes its handshake is closed by the guard's
  // handshake deadline (roles/core/guard.h), like any role's.
  clients_[link] = Client{};
}

void Bootstrap::on_link_opened(LinkId link) {
  // The bootstrap never dials; a stray open is closed.
  env_.close(link);
}

void Bootstrap::on_link_closed(LinkId link, std::string_view) {
  if (!running_) return;
  forget_client(link);
}

void Bootstrap::forget_client(LinkId link) {
  auto it = clients_.find(link);
  if (it == clients_.end()) return;
  auth_.forget(link);
  const NodeId id = it->second.info.node_id;
  if (auto by_id = link_by_id_.find(id); by_id != link_by_id_.end() && by_id->second == link) {
    link_by_id_.erase(by_id);
    // The member's own link is gone (not an older one it replaced): it is
    // not listed to anyone until it registers again. Its chain stays.
    if (members_.contains(id)) away_.insert(id);
  }
  const bool bridge = std::find(bridges_.begin(), bridges_.end(), link) != bridges_.end();
  const std::string name = bridge ? bridge_name(link) : std::string();
  clients_.erase(it);
  std::erase(bridges_, link);
  end_onboardings_of(link, id, bridge, name);
}

void Bootstrap::send(LinkId link, Message message) {
  if (clients_.contains(link)) env_.send(link, std::move(message));
}

void Bootstrap::refuse(LinkId link, const std::string& code, std::string text) {
  refused_total_[code].Increment();
  refusals_.log(LogLevel::kWarn, "refused", code, {{"code", code}, {"message", text}});
  close_with_error(link, code, std::move(text));
}

void Bootstrap::refuse_handshake(LinkId link, const std::string& reason, std::string text) {
  handshake_rejected_[reason].Increment();
  refusals_.log(LogLevel::kWarn, "handshake_refused", reason,
                {{"reason", reason}, {"detail", text}});
  close_with_error(link, reason, std::move(text));
}

void Bootstrap::close_with_error(LinkId link, const std::string& code, std::string text) {
  // The error frame goes first: the close travels behind it, and the
  // runtime repeats the code as the stream's status. Sent as the
  // handshake's own, so it reaches a client refused mid-handshake too.
  if (clients_.contains(link)) env_.send_handshake(link, core::ErrorMessage(code, std::move(text)));
  forget_client(link);
  env_.close(link, code);
}

void Bootstrap::on_frame(LinkId link, Message&& message) {
  if (!running_) return;
  auto it = clients_.find(link);
  if (it == clients_.end()) return;
  Client& client = it->second;
  // The first frame after our connected (the proof, or without identities
  // the register, both sent on receipt of it): one round trip of this link.
  if (client.connected_sent_at >= 0 && client.rtt == 0)
    client.rtt = std::max<core::Duration>(env_.now() - client.connected_sent_at, 1);
  if (!client.greeted) {
    greet(link, client, std::move(message));
    return;
  }
  handle(link, client, std::move(message));
}

void Bootstrap::greet(LinkId link, Client& client, Message&& message) {
  if (auth_.awaiting_proof(link)) {
    if (const std::string why = auth_.check_proof(link, message); !why.empty()) {
      refuse_handshake(link, why, core::HandshakeAuth::describe(why));
      return;
    }
    client.greeted = true;
    link_by_id_[client.info.node_id] = link;
    env_.link_authenticated(link);
    return;
  }
  const auto* hello = message.get<msg::DhtPeerHello>();
  if (hello == nullptr || hello->peer_id.is_zero()) {
    refuse(link, "not_handshake",
           "the first frame must be dht_peer_hello, got " +
               std::string(core::message_type_name(message.type())));
    return;
  }
  msg::DhtPeerConnected connected;
  connected.node_id = config_.node_id;
  connected.metadata.role = Role::kBootstrap;
  connected.metadata.address = config_.listen_address;
  connected.metadata.protocol_version = config_.protocol_version;
  connected.metadata.build_id = config_.build_id;
  connected.metadata.name = config_.name;
  if (const std::string why = auth_.check_hello(link, *hello, connected); !why.empty()) {
    refuse_handshake(link, why, core::HandshakeAuth::describe(why));
    return;
  }
  client.info = PeerInfo{hello->peer_id, hello->metadata};
  client.connected_sent_at = env_.now();
  env_.send_handshake(link, std::move(connected));
  // With proof of identity on, the client is greeted on dht_peer_proof.
  if (!auth_.enabled()) {
    client.greeted = true;
    link_by_id_[hello->peer_id] = link;
    env_.link_authenticated(link);
  }
}

void Bootstrap::handle(LinkId link, Client& client, Message&& message) {
  if (const auto* request = message.get<msg::Register>()) {
    handle_register(link, client, *request);
    return;
  }
  if (!client.registered) {
    refuse(link, "not_registered", "register before anything else");
    return;
  }
  switch (message.type()) {
    case MessageType::kGetPeersOrGenesis:
      handle_get_peers_or_genesis(link, client);
      return;
    case MessageType::kOnboardingPeerResponse:
    case MessageType::kError:
      if (client.info.metadata.role == Role::kBridge)
        handle_bridge_answer(link, std::move(message));
      return;
    case MessageType::kInvitationAccepted:
      handle_invitation_accepted(link, client, *message.get<msg::InvitationAccepted>());
      return;
    case MessageType::kBridgeHealthUpdate:
      return;  // kept for the operator's logs; bridge choice is by link state
    default:
      refuse(link, "unknown_message",
             std::string(core::message_type_name(message.type())) + " is not a bootstrap request");
  }
}

void Bootstrap::handle_register(LinkId link, Client& client, const msg::Register& request) {
  if (!registrations_.allow(env_.now())) {
    // Slowed, not lost: the newcomer's health check dials and registers again.
    limited_registrations_.hit({{"peer", request.node_id.short_hex()}});
    refuse(link, "rate_limited", "too many registrations; try again later");
    return;
  }
  // The build id is not compared: two builds speaking one protocol version
  // share a network, which is what a rolling upgrade needs.
  if (!core::protocol_supported(request.metadata.protocol_version)) {
    refuse(link, "version_mismatch",
           core::protocol_mismatch_text(request.metadata.protocol_version));
    return;
  }
  if (request.node_id != client.info.node_id) {
    refuse(link, "id_mismatch", "register names another node than the handshake");
    return;
  }
  const bool bridge = request.metadata.role == Role::kBridge;
  if (bridge && !core::secrets_equal(request.bridge_auth, config_.bridge_auth)) {
    refuse(link, "bad_auth", "bridge authentication failed");
    return;
  }
  // Checked at register, before any designation: only the holder of
  // GENESIS_AUTH may become the root every chain leads back to.
  if (request.metadata.role == Role::kGenesis &&
      !core::secrets_equal(request.genesis_auth, config_.genesis_auth)) {
    refuse(link, "bad_genesis_auth", "genesis authentication failed");
    return;
  }
  client.registered = true;
  client.info.metadata = request.metadata;
  // A member back after a restart may listen on a new address: record it
  // and tell the bridges, whose links to the old one are gone.
  if (auto member = members_.find(request.node_id); member != members_.end()) {
    const bool moved = member->second.metadata.address != request.metadata.address;
    member->second = client.info;
    away_.erase(request.node_id);  // back: listed again
    if (moved) announce_member(client.info);
  }
  msg::Registered registered;
  if (bridge) {
    if (std::find(bridges_.begin(), bridges_.end(), link) == bridges_.end())
      bridges_.push_back(link);
    const std::string name = bridge_name(link);
    if (!bridge_timeouts_.contains(name))
      bridge_timeouts_[name] = &bridge_timeouts_family_.Add({{"bridge", name}});
    for (const auto& [id, member] : members_)
      if (!away_.contains(id)) registered.members.push_back(member);
    // BRIDGE_AUTH passed: the bridge's chain starts at our invitation.
    if (auth_.enabled()) registered.bridge_invitation = invite(request.node_id);
  }
  env_.log(LogLevel::kInfo, "registered",
           {{"peer", request.node_id.short_hex()},
            {"role", std::string(core::role_name(request.metadata.role))}});
  send(link, std::move(registered));
}

std::vector<LinkId> Bootstrap::live_bridges() const {
  std::vector<LinkId> live;
  for (LinkId link : bridges_)
    if (clients_.contains(link)) live.push_back(link);
  return live;
}

void Bootstrap::announce_member(const PeerInfo& member) {
  for (LinkId bridge : live_bridges()) send(bridge, msg::MemberJoined{member});
}

core::Invitation Bootstrap::invite(const NodeId& invitee) {
  const std::int64_t expires_at_ms =
      env_.shared_clock_ms() + config_.timing.invitation_expiry / core::kMillisecond;
  const std::uint64_t nonce = env_.random();
  if (config_.identity)
    return core::sign_invitation(*config_.identity, invitee, expires_at_ms, nonce);
  core::Invitation unsigned_invitation;  // unit tests with hand-picked ids
  unsigned_invitation.inviter = config_.node_id;
  unsigned_invitation.invitee = invitee;
  unsigned_invitation.expires_at_ms = expires_at_ms;
  unsigned_invitation.nonce = nonce;
  return unsigned_invitation;
}

core::CredentialChain Bootstrap::chain_of(const NodeId& member) const {
  core::CredentialChain chain;
  NodeId holder = member;
  while (chain.size() < core::kMaxChainLength) {
    auto link = member_links_.find(holder);
    if (link == member_links_.end()) return {};
    chain.push_back(link->second);
    holder = link->second.invitation.inviter;
    if (holder == config_.node_id) return chain;
  }
  return {};
}

core::ProcessStatus Bootstrap::status() {
  core::ProcessStatus s;
  s.name = config_.name;
  s.role = Role::kBootstrap;
  s.node_id = config_.node_id;
  s.healthy = running_;
  s.uptime = env_.now() - started_at_;
  s.connected_peers = clients_.size();
  s.routing_table_size = member_count();
  s.member = true;
  s.bootstrap_connected = true;
  s.state = running_ ? core::JoinState::kJoined : core::JoinState::kJoining;
  return s;
}

}  // namespace yz::roles