#include "roles/core/newcomer_onboarding.h"

#include <utility>

namespace yz::core {

NewcomerOnboarding::NewcomerOnboarding(Env& env, const ProcessConfig& config, const PeerInfo& self,
                                       CoreMetrics& metrics, PeerLinks& links,
                                       RoutingTable& routing_table, Dht& dht,
                                       MemberCredentials& credentials, BootstrapSession& bootstrap,
                                       RefusalLog& refusals)
    : env_(env),
      config_(config),
      self_(self),
      metrics_(metrics),
      links_(links),
      routing_table_(routing_table),
      dht_(dht),
      credentials_(credentials),
      bootstrap_(bootstrap),
      refusals_(refusals) {}

void NewcomerOnboarding::ask_for_peers_or_genesis() {
  if (!bootstrap_.ready() || in_progress_) return;
  if (!credentials_.is_member()) {
    in_progress_ = true;
    asked_at_ = env_.now();
    // If the bootstrap never answers, try again rather than wait forever.
    give_up_timer_ = env_.start_timer(config_.timing.onboarding_give_up, [this] {
      give_up_timer_ = 0;
      if (in_progress_) {
        env_.log(LogLevel::kWarn, "onboarding_no_answer", {});
        end_attempt();
      }
    });
  }
  bootstrap_.send(msg::GetPeersOrGenesis{});
}

bool NewcomerOnboarding::handle(Message& message) {
  if (auto* answer = message.get<msg::PeersOrGenesis>()) {
    handle_peers_or_genesis(*answer);
  } else if (auto* offer = message.get<msg::SendInvitation>()) {
    handle_send_invitation(*offer);
  } else if (auto* introduction = message.get<msg::PeerIntroduction>()) {
    handle_peer_introduction(*introduction);
  } else if (auto* failure = message.get<msg::OnboardingFailed>()) {
    handle_onboarding_failed(*failure);
  } else if (auto* error = message.get<msg::Error>()) {
    env_.log(LogLevel::kWarn, "bootstrap_error",
             {{"code", error->code}, {"message", error->message}});
    if (in_progress_) end_attempt();
  } else {
    return false;
  }
  return true;
}

void NewcomerOnboarding::on_bootstrap_lost() {
  if (in_progress_) end_attempt();
}

void NewcomerOnboarding::end_attempt() {
  in_progress_ = false;
  if (give_up_timer_ != 0) env_.cancel_timer(give_up_timer_);
  give_up_timer_ = 0;
}

void NewcomerOnboarding::handle_peers_or_genesis(msg::PeersOrGenesis& answer) {
  if (answer.is_genesis) {
    become_genesis(answer);
    return;
  }
  if (answer.onboarding_started) return;  // the outcome comes later
  if (!answer.peers.empty()) {
    if (credentials_.is_member()) {
      // Emergency discovery as a member: link to the peers we were given.
      for (const PeerInfo& peer : answer.peers)
        if (peer.node_id != self_.node_id) dht_.connect(peer);
      return;
    }
    // The bootstrap knows us as a member already: we restarted with the
    // same identity. Rejoin through the peers it gave us, showing the chain
    // it kept for us.
    end_attempt();
    if (config_.identity && !answer.chain.empty() && !credentials_.restore_chain(answer.chain))
      env_.log(LogLevel::kWarn, "own_chain_refused", {});
    env_.log(LogLevel::kInfo, "rejoining", {{"peers", std::to_string(answer.peers.size())}});
    join_through(answer.peers);
    return;
  }
  // The network has no genesis yet: ask again shortly.
  end_attempt();
  env_.start_timer(config_.timing.emergency_throttle / 10, [this] {
    if (!credentials_.is_member()) ask_for_peers_or_genesis();
  });
}

void NewcomerOnboarding::become_genesis(const msg::PeersOrGenesis& answer) {
  end_attempt();
  const Invitation& designation = answer.designation;
  const CredentialChain& chain = credentials_.chain();
  MembershipToken token;
  const bool again = !chain.empty() && chain.back().invitation.nonce == designation.nonce &&
                     chain.back().invitation.inviter == designation.inviter;
  if (again) {
    token = credentials_.token();  // our acceptance was lost: send the same token again
  } else if (config_.identity) {
    // Genesis signs its own token, citing the bootstrap's designation: the
    // root every member's chain ends at.
    if (!credentials_.accept_bootstrap_invitation(designation)) return;
    token = credentials_.chain().front().token;
  } else {
    token.node_id = self_.node_id;
    token.issuer = designation.inviter;
    token.invitation_nonce = designation.nonce;
  }
  env_.log(LogLevel::kInfo, "designated_genesis", {});
  credentials_.become_member(token);
  // The bootstrap announces genesis once it holds this token.
  bootstrap_.send(msg::InvitationAccepted{designation, token});
}

void NewcomerOnboarding::handle_send_invitation(msg::SendInvitation& offer) {
  const Invitation& invitation = offer.invitation;
  const std::int64_t now_ms = env_.shared_clock_ms();
  std::string problem;
  if (credentials_.is_member()) {
    problem = "already a member";
  } else if (config_.identity) {
    // Signed by the inviter whose key it carries, for us, not expired, and
    // not a nonce we used before (counted on yz_credential_rejected_total).
    problem = credentials_.checker().check_invitation(invitation, self_.node_id, now_ms);
    // The inviter must itself be a member: its chain leads to the bootstrap.
    if (problem.empty()) problem = credentials_.admit(invitation.inviter, offer.inviter_chain);
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
      problem = credentials_.checker().check_inviter(invitation, named);
    else if (named != invitation.inviter)
      problem = "inviter does not match the invitation";
  }
  if (!problem.empty()) {
    refusals_.log(LogLevel::kWarn, "invitation_refused", problem, {{"reason", problem}});
    return;
  }
  inviter_ = *offer.inviter;
  credentials_.accept_invitation(invitation, offer.inviter_chain);
  bootstrap_.send(msg::InvitationAccepted{invitation, credentials_.token()});
}

void NewcomerOnboarding::handle_peer_introduction(const msg::PeerIntroduction& introduction) {
  if (credentials_.is_member()) return;  // the helper's copy: the newcomer will dial us
  if (in_progress_)
    metrics_.onboarding_success_duration.Observe(static_cast<double>(env_.now() - asked_at_) /
                                                 kSecond);
  end_attempt();
  join_through(introduction.peers);
}

void NewcomerOnboarding::join_through(const std::vector<PeerInfo>& peers) {
  credentials_.become_member(credentials_.token());
  // Joining ends with a lookup of our own id, seeded with the peers we were
  // given (whose links may still be opening): it links us to the peers
  // closest to us, since the lookup dials everyone it asks.
  dht_.find_node(
      self_.node_id,
      [this](const LookupResult& result) {
        if (result.timed_out()) {
          env_.log(LogLevel::kWarn, "self_lookup_failed", {{"error", "findNode timeout"}});
          return;
        }
        env_.log(LogLevel::kInfo, "joined",
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

void NewcomerOnboarding::refresh_buckets_from(int bucket) {
  // One lookup at a time, nearest bucket first, so a join adds a bounded
  // amount of traffic at any moment.
  while (bucket < NodeId::kBits && routing_table_.bucket_size(bucket) >= config_.timing.k) ++bucket;
  if (bucket >= NodeId::kBits || !running_) return;
  const NodeId target =
      NodeId::in_bucket(self_.node_id, bucket, env_.random(), env_.random(), env_.random());
  dht_.find_node(target, [this, bucket](const LookupResult&) { refresh_buckets_from(bucket + 1); });
}

void NewcomerOnboarding::handle_onboarding_failed(const msg::OnboardingFailed& failure) {
  if (in_progress_)
    metrics_.onboarding_failure_duration.Observe(static_cast<double>(env_.now() - asked_at_) /
                                                 kSecond);
  end_attempt();
  ++failures_;
  failure_code_ = failure.code;
  metrics_.onboarding_failures.Increment();
  env_.log(LogLevel::kError, "onboarding_failed", {{"error", failure.error}});
}

}  // namespace yz::core
