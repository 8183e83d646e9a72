#include "roles/core/dht_member.h"

#include <stdexcept>
#include <utility>

#include "roles/metrics/registry.h"

namespace yz::core {

DhtMember::DhtMember(Env& env, ProcessConfig config)
    : env_(env),
      config_(std::move(config)),
      self_{config_.node_id,
            PeerMetadata{config_.role, config_.listen_address, config_.protocol_version,
                         config_.build_id, config_.name}},
      metrics_(env.metrics()),
      state_metrics_(env.metrics(), config_.faults),
      routing_table_(config_.node_id, config_.timing.k),
      links_(env, metrics_, self_,
             PeerLinks::Callbacks{
                 [this](ConnectionManager& manager) { on_peer_link_established(manager); },
                 [this](const PeerInfo& peer, LinkId) {
                   routing_table_.remove(peer.node_id);
                   dht_.on_peer_lost(peer.node_id);
                 },
                 [this](LinkId link) { dht_.on_link_gone(link); }},
             config_.identity),
      dht_(env, metrics_, config_.timing, config_.faults, self_, routing_table_, links_),
      health_(config_.timing),
      bootstrap_auth_(env, config_.identity),
      credentials_(env.metrics(),
                   config_.shared_verifier
                       ? config_.shared_verifier
                       : std::make_shared<core::SignatureVerifier>(4096, config_.identity)) {
  if (config_.identity && config_.identity->node_id() != config_.node_id)
    throw std::invalid_argument("process " + config_.name + ": node id is not its key's");
  credentials_.limit_lifetime(config_.timing.invitation_expiry / core::kMillisecond +
                              core::kInvitationClockSkewMs);
  routing_table_.set_on_node_added(
      [this](const PeerInfo& peer, RoutingTable::Placement) { dht_.handle_peer_connected(peer); });
  routing_table_.set_skip_callback_for_replacement(
      config_.faults.has(Fault::kReplacementCacheNoCallback));
  links_.set_per_direction_managers(config_.faults.has(Fault::kPongWrongManager));
  if (config_.identity) {
    links_.set_admission(PeerLinks::Admission{
        [this]() -> const CredentialChain& { return chain_; },
        [this](const NodeId& peer, const CredentialChain& chain) { return admit(peer, chain); }});
  }
  dht_.set_role_request_handler([this](ConnectionManager& from, Message&& message) {
    on_role_request(from, std::move(message));
  });
  env.metrics().AddCollectCallback([this] {
    const std::size_t connected = links_.connected_count();
    metrics_.healthy.Set(health_.healthy(env_.now(), connected) ? 1 : 0);
    metrics_.connected_peers.Set(static_cast<double>(connected));
    metrics_.routing_table_size.Set(static_cast<double>(routing_table_.size()));
    metrics_.peers_missing_handler.Set(static_cast<double>(dht_.peers_missing_handler()));
    metrics_.links_inbound.Set(static_cast<double>(links_.inbound_count()));
    metrics_.links_outbound.Set(static_cast<double>(links_.outbound_count()));
    metrics_.health_consecutive_failures.Set(health_.consecutive_failures());
    metrics_.bootstrap_connected.Set(bootstrap_ready() ? 1 : 0);
    state_metrics_.set_state(join_state());
    state_metrics_.set_reason(health_reason());
  });
}

void DhtMember::start() {
  running_ = true;
  health_.start(env_.now());
  log(LogLevel::kInfo, "started",
      {{"role", std::string(role_name(config_.role))}, {"node_id", self_.node_id.to_hex()}});
  connect_bootstrap();
  schedule_health_check();
}

void DhtMember::stop() {
  if (!running_) return;
  running_ = false;
  health_.stop();
  dht_.shutdown();
  links_.close_all();
  if (bootstrap_link_ != 0) env_.close(bootstrap_link_);
  bootstrap_link_ = 0;
  bootstrap_state_ = BootstrapState::kDisconnected;
}

// ---- links ----------------------------------------------------------------

void DhtMember::on_link_accepted(LinkId link) {
  if (!running_) return;
  links_.on_link_accepted(link);
}

void DhtMember::on_link_opened(LinkId link) {
  if (!running_) return;
  if (link == bootstrap_link_) {
    bootstrap_state_ = BootstrapState::kHandshake;
    msg::DhtPeerHello hello;
    hello.peer_id = self_.node_id;
    hello.metadata = self_.metadata;
    bootstrap_auth_.add_to_hello(link, hello);
    env_.send_handshake(link, std::move(hello));
    return;
  }
  links_.on_link_opened(link);
}

void DhtMember::on_link_closed(LinkId link, std::string_view reason) {
  if (!running_) return;
  if (link == bootstrap_link_) {
    log(LogLevel::kWarn, "bootstrap_disconnected", {{"reason", std::string(reason)}});
    bootstrap_auth_.forget(link);
    bootstrap_link_ = 0;
    bootstrap_state_ = BootstrapState::kDisconnected;
    // A newcomer mid-onboarding will never hear the outcome on this link.
    if (onboarding_in_progress_) end_onboarding_attempt();
    return;
  }
  links_.on_link_closed(link, reason);
}

void DhtMember::on_frame(LinkId link, Message&& message) {
  if (!running_) return;
  if (link == bootstrap_link_) {
    handle_bootstrap_message(std::move(message));
    return;
  }
  links_.on_frame(link, std::move(message));
}

void DhtMember::on_peer_link_established(ConnectionManager& manager) {
  routing_table_path(manager);
}

void DhtMember::routing_table_path(ConnectionManager& manager) {
  // RoutingTable records the peer, then fires on_node_added, which lands in
  // Dht::handle_peer_connected: the incident's path.
  const auto placement = routing_table_.handle_peer_connected(manager.peer());
  if (placement == RoutingTable::Placement::kReplacementCache &&
      config_.faults.has(Fault::kReplacementCacheNoCallback))
    log(LogLevel::kDebug, "replacement_without_callback",
        {{"peer", manager.peer().node_id.short_hex()}});
}

// ---- the bootstrap link ---------------------------------------------------

void DhtMember::connect_bootstrap() {
  if (config_.bootstrap_address.empty() || bootstrap_state_ != BootstrapState::kDisconnected)
    return;
  bootstrap_state_ = BootstrapState::kDialling;
  bootstrap_link_ = env_.dial(config_.bootstrap_address);
}

void DhtMember::send_to_bootstrap(Message message) {
  if (bootstrap_link_ == 0) return;
  env_.send(bootstrap_link_, std::move(message));
}

void DhtMember::handle_bootstrap_handshake(Message&& message) {
  const auto* connected = message.get<msg::DhtPeerConnected>();
  if (connected == nullptr) {
    refusals_.log(LogLevel::kWarn, "bootstrap_handshake_refused", "not_handshake",
                  {{"reason", "not_handshake"},
                   {"first_frame", std::string(message_type_name(message.type()))}});
    return;
  }
  msg::DhtPeerProof proof;
  if (const std::string why = bootstrap_auth_.check_connected(bootstrap_link_, *connected, proof);
      !why.empty()) {
    // Not the bootstrap we can trust: drop the link; emergency discovery
    // dials again later.
    metrics_.handshake_rejected(why).Increment();
    refusals_.log(LogLevel::kWarn, "bootstrap_handshake_refused", why, {{"reason", why}});
    env_.close(bootstrap_link_, why);
    bootstrap_auth_.forget(bootstrap_link_);
    bootstrap_link_ = 0;
    bootstrap_state_ = BootstrapState::kDisconnected;
    return;
  }
  if (bootstrap_auth_.enabled()) {
    env_.send_handshake(bootstrap_link_, std::move(proof));
    if (anchor_ && *anchor_ != connected->node_id)
      log(LogLevel::kWarn, "bootstrap_key_changed",
          {{"was", anchor_->short_hex()}, {"now", connected->node_id.short_hex()}});
    anchor_ = connected->node_id;
  }
  // The bootstrap proved its key (or, without identities, answered): the
  // link is off the handshake deadline.
  env_.link_authenticated(bootstrap_link_);
  bootstrap_state_ = BootstrapState::kReady;
  msg::Register reg;
  reg.node_id = self_.node_id;
  reg.metadata = self_.metadata;
  if (config_.role == Role::kBridge) reg.bridge_auth = config_.bridge_auth;
  if (config_.role == Role::kGenesis) reg.genesis_auth = config_.genesis_auth;
  send_to_bootstrap(std::move(reg));
}

void DhtMember::handle_bootstrap_message(Message&& message) {
  if (bootstrap_state_ == BootstrapState::kHandshake) {
    handle_bootstrap_handshake(std::move(message));
    return;
  }
  if (auto* registered = message.get<msg::Registered>()) {
    // A bridge's registration carries the root of its chain.
    if (!registered->bridge_invitation.signature.empty())
      accept_bootstrap_invitation(registered->bridge_invitation);
    on_registered(*registered);
  } else if (auto* answer = message.get<msg::PeersOrGenesis>()) {
    handle_peers_or_genesis(*answer);
  } else if (auto* offer = message.get<msg::SendInvitation>()) {
    handle_send_invitation(*offer);
  } else if (auto* introduction = message.get<msg::PeerIntroduction>()) {
    handle_peer_introduction(*introduction);
  } else if (auto* failure = message.get<msg::OnboardingFailed>()) {
    handle_onboarding_failed(*failure);
  } else if (auto* error = message.get<msg::Error>()) {
    log(LogLevel::kWarn, "bootstrap_error", {{"code", error->code}, {"message", error->message}});
    if (onboarding_in_progress_) end_onboarding_attempt();
  } else {
    on_bootstrap_message(std::move(message));
  }
}

void DhtMember::on_registered(const msg::Registered&) {
  // A newcomer asks to join; a member back from a lost bootstrap link asks
  // for peers.
  ask_for_peers_or_genesis();
}

void DhtMember::on_bootstrap_message(Message&& message) {
  metrics_.dropped("unexpected_bootstrap_message").Increment();
  log(LogLevel::kWarn, "unexpected_bootstrap_message",
      {{"type", std::string(message_type_name(message.type()))}});
}

// ---- onboarding, newcomer's half (see roles/ONBOARDING.md) -----------------

void DhtMember::ask_for_peers_or_genesis() {
  if (!bootstrap_ready() || onboarding_in_progress_) return;
  if (!member_) {
    onboarding_in_progress_ = true;
    onboarding_asked_at_ = env_.now();
    // If the bootstrap never answers, try again rather than wait forever.
    onboarding_give_up_timer_ = env_.start_timer(config_.timing.onboarding_give_up, [this] {
      onboarding_give_up_timer_ = 0;
      if (onboarding_in_progress_) {
        log(LogLevel::kWarn, "onboarding_no_answer", {});
        end_onboarding_attempt();
      }
    });
  }
  send_to_bootstrap(msg::GetPeersOrGenesis{});
}

void DhtMember::end_onboarding_attempt() {
  onboarding_in_progress_ = false;
  if (onboarding_give_up_timer_ != 0) env_.cancel_timer(onboarding_give_up_timer_);
  onboarding_give_up_timer_ = 0;
}

void DhtMember::handle_peers_or_genesis(msg::PeersOrGenesis& answer) {
  if (answer.is_genesis) {
    become_genesis(answer);
    return;
  }
  if (answer.onboarding_started) return;  // the outcome comes later
  if (!answer.peers.empty()) {
    if (member_) {
      // Emergency discovery as a member: link to the peers we were given.
      for (const PeerInfo& peer : answer.peers)
        if (peer.node_id != self_.node_id) dht_.connect(peer);
      return;
    }
    // The bootstrap knows us as a member already: we restarted with the
    // same identity. Rejoin through the peers it gave us, showing the chain
    // it kept for us.
    end_onboarding_attempt();
    if (config_.identity && !answer.chain.empty()) {
      if (anchor_ && credentials_.check_chain(answer.chain, self_.node_id, *anchor_).empty()) {
        chain_ = std::move(answer.chain);
        token_ = chain_.front().token;
      } else {
        log(LogLevel::kWarn, "own_chain_refused", {});
      }
    }
    log(LogLevel::kInfo, "rejoining", {{"peers", std::to_string(answer.peers.size())}});
    join_through(answer.peers);
    return;
  }
  // The network has no genesis yet: ask again shortly.
  end_onboarding_attempt();
  env_.start_timer(config_.timing.emergency_throttle / 10, [this] {
    if (!member_) ask_for_peers_or_genesis();
  });
}

void DhtMember::become_genesis(const msg::PeersOrGenesis& answer) {
  end_onboarding_attempt();
  const Invitation& designation = answer.designation;
  MembershipToken token;
  const bool again = !chain_.empty() && chain_.back().invitation.nonce == designation.nonce &&
                     chain_.back().invitation.inviter == designation.inviter;
  if (again) {
    token = token_;  // our acceptance was lost: send the same token again
  } else if (config_.identity) {
    // Genesis signs its own token, citing the bootstrap's designation: the
    // root every member's chain ends at.
    if (!accept_bootstrap_invitation(designation)) return;
    token = chain_.front().token;
  } else {
    token.node_id = self_.node_id;
    token.issuer = designation.inviter;
    token.invitation_nonce = designation.nonce;
  }
  log(LogLevel::kInfo, "designated_genesis", {});
  become_member(token);
  // The bootstrap announces genesis once it holds this token.
  send_to_bootstrap(msg::InvitationAccepted{designation, token});
}

bool DhtMember::accept_bootstrap_invitation(const Invitation& invitation) {
  if (!config_.identity) return false;
  std::string problem = "no bootstrap key";
  if (anchor_) {
    problem =
        invitation.inviter != *anchor_
            ? "not signed by the bootstrap"
            : credentials_.check_invitation(invitation, self_.node_id, env_.shared_clock_ms());
  }
  if (!problem.empty()) {
    refusals_.log(LogLevel::kWarn, "invitation_refused", problem, {{"reason", problem}});
    return false;
  }
  credentials_.mark_used(invitation);
  token_ = sign_token(*config_.identity, invitation);
  chain_ = extend_chain(token_, invitation, {});
  return true;
}

std::string DhtMember::admit(const NodeId& peer, const CredentialChain& chain) {
  if (!anchor_) return "no_trust_anchor";  // not yet linked to the bootstrap
  return credentials_.check_chain(chain, peer, *anchor_);
}

void DhtMember::handle_send_invitation(msg::SendInvitation& offer) {
  const Invitation& invitation = offer.invitation;
  const std::int64_t now_ms = env_.shared_clock_ms();
  std::string problem;
  if (member_) {
    problem = "already a member";
  } else if (config_.identity) {
    // Signed by the inviter whose key it carries, for us, not expired, and
    // not a nonce we used before (counted on yz_credential_rejected_total).
    problem = credentials_.check_invitation(invitation, self_.node_id, now_ms);
    // The inviter must itself be a member: its chain leads to the bootstrap.
    if (problem.empty()) problem = admit(invitation.inviter, offer.inviter_chain);
  } else if (invitation.invitee != self_.node_id) {
    problem = "invitation is for another node";
  } else if (invitation.expires_at_ms <= now_ms) {
    problem = "invitation expired";
  }
  if (problem.empty() && !offer.inviter) problem = "no inviter named";
  if (problem.empty()) {
    // The node to dial must be the one who signed (counted as broken_chain).
    const NodeId& named = offer.inviter->node_id;
    if (config_.identity)
      problem = credentials_.check_inviter(invitation, named);
    else if (named != invitation.inviter)
      problem = "inviter does not match the invitation";
  }
  if (!problem.empty()) {
    refusals_.log(LogLevel::kWarn, "invitation_refused", problem, {{"reason", problem}});
    return;
  }
  inviter_ = *offer.inviter;
  if (config_.identity) {
    credentials_.mark_used(invitation);
    token_ = sign_token(*config_.identity, invitation);
    chain_ = extend_chain(token_, invitation, offer.inviter_chain);
  } else {
    token_ = MembershipToken{};
    token_.node_id = self_.node_id;
    token_.issuer = invitation.inviter;
    token_.invitation_nonce = invitation.nonce;
  }
  send_to_bootstrap(msg::InvitationAccepted{invitation, token_});
}

void DhtMember::handle_peer_introduction(const msg::PeerIntroduction& introduction) {
  if (member_) return;  // the helper's copy: the newcomer will dial us
  if (onboarding_in_progress_)
    metrics_.onboarding_success_duration.Observe(
        static_cast<double>(env_.now() - onboarding_asked_at_) / kSecond);
  end_onboarding_attempt();
  join_through(introduction.peers);
}

void DhtMember::join_through(const std::vector<PeerInfo>& peers) {
  become_member(token_);
  // Joining ends with a lookup of our own id, seeded with the peers we were
  // given (whose links may still be opening): it links us to the peers
  // closest to us, since the lookup dials everyone it asks.
  dht_.find_node(
      self_.node_id,
      [this](const LookupResult& result) {
        if (result.timed_out()) {
          log(LogLevel::kWarn, "self_lookup_failed", {{"error", "findNode timeout"}});
          return;
        }
        log(LogLevel::kInfo, "joined",
            {{"closest", std::to_string(result.closest.size())},
             {"connected", std::to_string(links_.connected_count())}});
        // Kademlia's join: refresh every bucket farther than the closest
        // neighbour, so this node knows (and is known in) every part of the
        // id space, not only its own neighbourhood.
        if (!result.closest.empty())
          refresh_buckets_from(bucket_index(self_.node_id, result.closest.front().node_id) + 1);
      },
      peers);
}

void DhtMember::refresh_buckets_from(int bucket) {
  // One lookup at a time, nearest bucket first, so a join adds a bounded
  // amount of traffic at any moment.
  while (bucket < NodeId::kBits && routing_table_.bucket_size(bucket) >= config_.timing.k) ++bucket;
  if (bucket >= NodeId::kBits || !running_) return;
  const NodeId target =
      NodeId::in_bucket(self_.node_id, bucket, env_.random(), env_.random(), env_.random());
  dht_.find_node(target, [this, bucket](const LookupResult&) { refresh_buckets_from(bucket + 1); });
}

void DhtMember::handle_onboarding_failed(const msg::OnboardingFailed& failure) {
  if (onboarding_in_progress_)
    metrics_.onboarding_failure_duration.Observe(
        static_cast<double>(env_.now() - onboarding_asked_at_) / kSecond);
  end_onboarding_attempt();
  ++onboarding_failures_;
  onboarding_failure_code_ = failure.code;
  metrics_.onboarding_failures.Increment();
  log(LogLevel::kError, "onboarding_failed", {{"error", failure.error}});
}

void DhtMember::become_member(const MembershipToken& token) {
  member_ = true;
  token_ = token;
}

// ---- onboarding, helper's half ---------------------------------------------

void DhtMember::on_role_request(ConnectionManager& from, Message&& message) {
  const auto* ask = message.get<msg::CreateInvitationForPeer>();
  if (ask == nullptr) {
    dht_.respond(from, ErrorMessage("unknown_message",
                                    std::string(message_type_name(message.type())) +
                                        " is not handled by a DHT node",
                                    message.request_id));
    return;
  }
  if (!member_) {
    dht_.respond(from,
                 ErrorMessage("not_a_member", "only a member can invite", message.request_id));
    return;
  }
  msg::InvitationCreated reply;
  const std::int64_t expires_at_ms =
      env_.shared_clock_ms() + config_.timing.invitation_expiry / kMillisecond;
  const std::uint64_t nonce = env_.random();
  if (config_.identity) {
    reply.invitation =
        sign_invitation(*config_.identity, ask->target_node_id, expires_at_ms, nonce);
  } else {
    reply.invitation.inviter = self_.node_id;
    reply.invitation.invitee = ask->target_node_id;
    reply.invitation.expires_at_ms = expires_at_ms;
    reply.invitation.nonce = nonce;
  }
  reply.inviter_chain = chain_;  // so the newcomer and the bootstrap can check us
  metrics_.invitation("created").Increment();
  log(LogLevel::kInfo, "invitation_created",
      {{"invitee", ask->target_node_id.short_hex()}, {"bridge", from.peer().node_id.short_hex()}});
  dht_.respond(from, Message(std::move(reply), message.request_id));
}

// ---- health ------------------------------------------------------------------

void DhtMember::schedule_health_check() {
  env_.start_timer(config_.timing.health_check_interval, [this] {
    if (!running_) return;
    run_health_check();
    schedule_health_check();
  });
}

void DhtMember::run_health_check() {
  const std::size_t connected = links_.connected_count();
  const auto emergency =
      health_.check(env_.now(), Health::Observation{connected, routing_table_.size()});
  if (connected == 0) {
    metrics_.health_check_failures.Increment();
    log(LogLevel::kWarn, "health_check_failed",
        {{"connections", "0"}, {"failures", std::to_string(health_.consecutive_failures())}});
  }
  // Liveness: the side that dialled a link pings it. A link without a DHT
  // listener still answers, which is why the incident looked healthy from
  // the outside.
  for (ConnectionManager* manager : links_.pinged_links()) {
    if (manager->direction() != Direction::kOutbound) continue;
    if (manager->unanswered_pings() >= config_.timing.dead_link_pings) {
      log(LogLevel::kWarn, "link_dead",
          {{"peer", manager->peer().node_id.short_hex()},
           {"unanswered_pings", std::to_string(manager->unanswered_pings())}});
      links_.close(manager->link(), "dead_link");
      continue;
    }
    manager->send_ping();
  }
  const bool healthy = health_.healthy(env_.now(), connected);
  metrics_.healthy.Set(healthy ? 1 : 0);
  if (join_state() == JoinState::kJoined) {
    // Joined: what went wrong before is no reason any more.
    onboarding_failure_code_.clear();
    late_answers_baseline_ = dht_.late_answers();
    unanswered_baseline_ = dht_.find_node_timeouts();
  }
  on_health_checked(healthy);
  if (emergency != Health::Emergency::kNone) on_emergency(emergency);
}

void DhtMember::on_emergency(Health::Emergency emergency) {
  (emergency == Health::Emergency::kZeroConnections ? metrics_.emergency_zero_connections
                                                    : metrics_.emergency_few_connections)
      .Increment();
  log(LogLevel::kWarn, "emergency_peer_discovery",
      {{"connected", std::to_string(links_.connected_count())},
       {"routing", std::to_string(routing_table_.size())},
       {"zero", emergency == Health::Emergency::kZeroConnections ? "true" : "false"}});
  if (bootstrap_state_ == BootstrapState::kDisconnected) {
    connect_bootstrap();  // registering again asks for peers
    return;
  }
  ask_for_peers_or_genesis();
}

void DhtMember::set_faults(const FaultSet& faults) {
  config_.faults = faults;  // Dht reads the same FaultSet
  routing_table_.set_skip_callback_for_replacement(faults.has(Fault::kReplacementCacheNoCallback));
  links_.set_per_direction_managers(faults.has(Fault::kPongWrongManager));
  state_metrics_.set_faults(faults);
}

JoinState DhtMember::join_state() {
  // A bridge is in the network by its registration with the bootstrap
  // (BRIDGE_AUTH), not by an invitation, so it never holds a membership
  // token: without this, every bridge of a healthy cluster read "isolated"
  // (and would page as an isolated node) although it links to every member.
  const bool in_network = member_ || config_.role == Role::kBridge;
  return core::join_state(JoinObservation{
      in_network, links_.connected_count(), routing_table_.size(), dht_.peers_missing_handler(),
      env_.now() - health_.started_at(), config_.timing.startup_grace});
}

HealthReason DhtMember::health_reason() {
  return core::health_reason(ReasonObservation{
      join_state(), bootstrap_ready(), dht_.late_answers() - late_answers_baseline_,
      dht_.find_node_timeouts() - unanswered_baseline_, onboarding_failure_code_});
}

ProcessStatus DhtMember::status() {
  ProcessStatus s;
  s.name = config_.name;
  s.role = config_.role;
  s.node_id = self_.node_id;
  s.connected_peers = links_.connected_count();
  s.healthy = health_.healthy(env_.now(), s.connected_peers);
  s.uptime = env_.now() - health_.started_at();
  s.routing_table_size = routing_table_.size();
  s.health_failures = health_.consecutive_failures();
  s.peers_missing_handler = dht_.peers_missing_handler();
  s.dropped_no_handler = static_cast<std::uint64_t>(metrics_.dropped("no_handler").Value());
  s.find_node_timeouts = dht_.find_node_timeouts();
  s.late_answers = dht_.late_answers();
  s.onboarding_failures = onboarding_failures_;
  s.bootstrap_connected = bootstrap_ready();
  s.member = member_;
  s.state = join_state();
  s.reason = health_reason();
  return s;
}

}  // namespace yz::core
