#include "roles/core/dht.h"

#include <utility>
#include <vector>

#include "roles/core/core_metrics.h"

namespace yz::core {

Dht::Dht(Env& env, CoreMetrics& metrics, const Timing& timing, const FaultSet& faults,
         const PeerInfo& self, RoutingTable& routing_table, PeerLinks& links)
    : env_(env),
      metrics_(metrics),
      timing_(timing),
      faults_(faults),
      self_(self),
      routing_table_(routing_table),
      links_(links) {}

void Dht::handle_peer_connected(const PeerInfo& peer) {
  if (faults_.has(Fault::kEarlyReturnRace) && routing_table_.contains(peer.node_id)) {
    // The incident's early return (KademliaDHT.js:1458): the peer "already
    // exists", so get_or_create_peer_node is skipped and this link never gets
    // its DHT listener. Pings still work; every DHT message is dropped.
    env_.log(LogLevel::kDebug, "peer_already_in_routing_table",
             {{"peer", peer.node_id.short_hex()}});
    return;
  }
  if (faults_.has(Fault::kMessageBeforeAttach)) {
    ConnectionManager* manager = links_.current(peer.node_id);
    if (manager != nullptr && manager->direction() == Direction::kInbound &&
        !manager->dht_listener_attached()) {
      // The original attached the listener after an asynchronous step; what
      // the dialler sent at once was read with nobody listening.
      env_.log(LogLevel::kDebug, "attach_deferred", {{"peer", peer.node_id.short_hex()}});
      env_.start_timer(kDeferredAttach, [this, peer] { get_or_create_peer_node(peer); });
      return;
    }
  }
  get_or_create_peer_node(peer);
}

void Dht::get_or_create_peer_node(const PeerInfo& peer) {
  peer_nodes_.insert(peer.node_id);
  ConnectionManager* manager = links_.current(peer.node_id);
  if (manager == nullptr) return;
  const bool attached =
      manager->attach_dht_listener([this](ConnectionManager& from, Message&& message) {
        handle_peer_message(from, std::move(message));
      });
  if (attached) {
    links_.mark_served(manager->link());
    env_.log(LogLevel::kDebug, "dht_handler_attached",
             {{"peer", peer.node_id.short_hex()}, {"link", std::to_string(manager->link())}});
  }
}

ConnectionManager& Dht::connect(const PeerInfo& peer) {
  if (ConnectionManager* current = links_.current(peer.node_id)) return *current;
  ConnectionManager& manager = links_.dial(peer);
  get_or_create_peer_node(peer);
  return manager;
}

Duration Dht::find_node_timeout(const NodeId& peer) const {
  return links_.connected(peer) ? timing_.find_node_timeout_connected : timing_.find_node_timeout;
}

void Dht::request(const PeerInfo& peer, Message message, Duration timeout, ResponseCallback done) {
  if (shut_down_) return;
  const std::uint64_t id = next_request_id_++;
  message.request_id = id;
  ConnectionManager& manager = connect(peer);
  PendingRequest pending{peer, manager.link(), message, 0, env_.now(), std::move(done)};
  pending.timer = env_.start_timer(timeout, [this, id] {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    it->second.timer = 0;
    ++requests_timed_out_;
    if (it->second.message.is<msg::FindNode>()) {
      ++find_node_timeouts_;
      metrics_.find_node_timeouts.Increment();
    }
    env_.log(LogLevel::kDebug, "request_timeout",
             {{"peer", it->second.peer.node_id.short_hex()},
              {"type", std::string(message_type_name(it->second.message.type()))},
              {"req", std::to_string(id)}});
    // Ids grow, so the smallest is the oldest.
    if (timed_out_.size() >= kTimedOutMemory) timed_out_.erase(timed_out_.begin());
    timed_out_.insert(id);
    complete_request(id, nullptr);
  });
  pending_.emplace(id, std::move(pending));
  manager.send(std::move(message));
}

void Dht::respond(ConnectionManager& to, Message message) { to.send(std::move(message)); }

void Dht::complete_request(std::uint64_t request_id, Message* response) {
  auto it = pending_.find(request_id);
  if (it == pending_.end()) return;
  PendingRequest pending = std::move(it->second);
  pending_.erase(it);
  if (pending.timer != 0) env_.cancel_timer(pending.timer);
  if (pending.done) pending.done(response);
}

void Dht::on_link_gone(LinkId link) {
  std::vector<std::uint64_t> affected;
  for (const auto& [id, pending] : pending_)
    if (pending.link == link) affected.push_back(id);
  for (std::uint64_t id : affected) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    // A duplicate link was replaced: the request may never have been read,
    // so ask again on the link that stays. Answers are idempotent.
    ConnectionManager* replacement = links_.current(it->second.peer.node_id);
    if (replacement != nullptr && replacement->link() != link) {
      it->second.link = replacement->link();
      replacement->send(it->second.message);
      continue;
    }
    complete_request(id, nullptr);
  }
}

void Dht::on_peer_lost(const NodeId& peer) { peer_nodes_.erase(peer); }

void Dht::shutdown() {
  shut_down_ = true;
  for (auto& [id, pending] : pending_)
    if (pending.timer != 0) env_.cancel_timer(pending.timer);
  pending_.clear();
  for (auto& [id, active] : lookups_)
    if (active.budget_timer != 0) env_.cancel_timer(active.budget_timer);
  lookups_.clear();
}

void Dht::handle_peer_message(ConnectionManager& from, Message&& message) {
  switch (message.type()) {
    case MessageType::kFindNodeResponse:
    case MessageType::kInvitationCreated:
    case MessageType::kStoreValueResponse:
    case MessageType::kFindValueResponse:
    case MessageType::kError: {
      auto it = pending_.find(message.request_id);
      if (it == pending_.end() || it->second.peer.node_id != from.peer().node_id) {
        metrics_.dropped("late_response").Increment();
        if (it == pending_.end() && timed_out_.erase(message.request_id) > 0) {
          // Answered after all, too late: the peer has a handler and the
          // frames got through, slowly.
          ++late_answers_;
          metrics_.late_answers.Increment();
          env_.log(LogLevel::kDebug, "late_answer",
                   {{"peer", from.peer().node_id.short_hex()},
                    {"type", std::string(message_type_name(message.type()))}});
        }
        return;
      }
      complete_request(message.request_id, &message);
      return;
    }
    case MessageType::kFindNode:
      answer_find_node(from, message, *message.get<msg::FindNode>());
      return;
    case MessageType::kStoreValue:
    case MessageType::kFindValue:
      if (!value_handler_) break;
      value_handler_(from, std::move(message));
      return;
    default:
      break;
  }
  if (role_handler_) {
    role_handler_(from, std::move(message));
    return;
  }
  respond(from, ErrorMessage(
                    "unknown_message",
                    std::string(message_type_name(message.type())) + " is not handled by this role",
                    message.request_id));
}

void Dht::answer_find_node(ConnectionManager& from, const Message& message,
                           const msg::FindNode& find) {
  const NodeId requester = from.peer().node_id;
  if (!find_node_limit_.allow(requester, env_.now())) {
    limited_lookups_.hit({{"peer", requester.short_hex()}});  // dropped: the asker slows down
    return;
  }
  msg::FindNodeResponse reply;
  reply.nodes = routing_table_.closest(find.target, timing_.k, [&](const PeerInfo& peer) {
    return peer.node_id == requester || is_passive(peer);
  });
  respond(from, Message(std::move(reply), message.request_id));
}

void Dht::find_node(const NodeId& target, LookupCallback done,
                    const std::vector<PeerInfo>& extra_seeds, Duration budget) {
  if (shut_down_) return;
  const std::uint64_t id = next_lookup_id_++;
  auto lookup = std::make_unique<Lookup>(self_.node_id, target, timing_.k, timing_.alpha);
  lookup->add_candidates(routing_table_.closest(target, timing_.k, is_passive));
  lookup->add_candidates(extra_seeds);
  ActiveLookup& active =
      lookups_.emplace(id, ActiveLookup{std::move(lookup), env_.now(), std::move(done)})
          .first->second;
  if (budget > 0) {
    active.budget_timer = env_.start_timer(budget, [this, id] {
      auto it = lookups_.find(id);
      if (it == lookups_.end()) return;
      it->second.budget_timer = 0;
      // A spinning lookup (fault lookup_no_termination) spins on: the fault
      // is the original's loop, which had no budget.
      if (it->second.spinning) return;
      env_.log(LogLevel::kDebug, "lookup_budget_spent",
               {{"target", it->second.lookup->target().short_hex()},
                {"answered", std::to_string(it->second.lookup->result().answered)}});
      finish_lookup(it);
    });
  }
  advance_lookup(id);
}

void Dht::finish_lookup(std::map<std::uint64_t, ActiveLookup>::iterator it) {
  ActiveLookup finished = std::move(it->second);
  lookups_.erase(it);
  if (finished.budget_timer != 0) env_.cancel_timer(finished.budget_timer);
  LookupResult result = finished.lookup->result();
  result.duration = env_.now() - finished.started_at;
  metrics_.find_node_duration.Observe(static_cast<double>(result.duration) / kSecond);
  if (finished.done) finished.done(result);
}

void Dht::advance_lookup(std::uint64_t lookup_id) {
  auto it = lookups_.find(lookup_id);
  if (it == lookups_.end()) return;
  Lookup& lookup = *it->second.lookup;
  if (lookup.done() && faults_.has(Fault::kLookupNoTermination) && lookup.result().queried == 0) {
    // The original's loop ended only when a reply brought its active-query
    // count back to zero; with no candidate there is never a reply.
    if (!it->second.spinning)
      env_.log(LogLevel::kDebug, "lookup_spinning", {{"target", lookup.target().short_hex()}});
    it->second.spinning = true;
    env_.start_timer(0, [this, lookup_id] { advance_lookup(lookup_id); });
    return;
  }
  if (lookup.done()) {
    finish_lookup(it);
    return;
  }
  for (const PeerInfo& peer : lookup.next_queries()) {
    metrics_.find_node_queries.Increment();
    const NodeId asked = peer.node_id;
    request(peer, msg::FindNode{lookup.target()}, find_node_timeout(asked),
            [this, lookup_id, asked](Message* response) {
              auto found = lookups_.find(lookup_id);
              if (found == lookups_.end()) return;
              const auto* answer =
                  response != nullptr ? response->get<msg::FindNodeResponse>() : nullptr;
              if (answer != nullptr) {
                found->second.lookup->on_answer(asked, answer->nodes);
              } else {
                found->second.lookup->on_failure(asked);
              }
              advance_lookup(lookup_id);
            });
  }
}

std::size_t Dht::peers_missing_handler() {
  // Every established link counts, not only those of routing-table peers: a
  // peer in the replacement cache (fault replacement_cache_no_callback) or
  // in no table at all loses its frames just the same.
  return links_.unserved_count();
}

}  // namespace yz::core
