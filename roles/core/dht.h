#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>

#include "roles/core/connection_manager.h"
#include "roles/core/env.h"
#include "roles/core/faults.h"
#include "roles/core/lookup.h"
#include "roles/core/message.h"
#include "roles/core/peer_links.h"
#include "roles/core/rate_limit.h"
#include "roles/core/routing_table.h"
#include "roles/core/timing.h"

namespace yz::core {

class CoreMetrics;

// The Kademlia layer of one member: which peers it has a peer node for (and
// so a DHT listener on their link), requests and their responses matched by
// request_id, iterative lookups, and the answers to find_node. store_value
// and find_value requests go to the data plane (data_plane.h) through
// on_value_request; messages that belong to a role
// (create_invitation_for_peer) go to the role through on_role_request.
class Dht {
 public:
  using RoleRequestHandler = std::function<void(ConnectionManager& from, Message&& message)>;
  // The response, or null when the request timed out or its link failed;
  // the callee may move from it.
  using ResponseCallback = std::function<void(Message* response)>;
  using LookupCallback = std::function<void(const LookupResult& result)>;

  Dht(Env& env, CoreMetrics& metrics, const Timing& timing, const FaultSet& faults,
      const PeerInfo& self, RoutingTable& routing_table, PeerLinks& links);

  void set_role_request_handler(RoleRequestHandler handler) { role_handler_ = std::move(handler); }
  void set_value_request_handler(RoleRequestHandler handler) {
    value_handler_ = std::move(handler);
  }

  // The routing table reports a connected peer (its on_node_added callback).
  // This is the function of the incident: with the fault early_return_race
  // on, it returns early when the table already holds the peer, and since the
  // table records a peer before it calls back, that is always.
  void handle_peer_connected(const PeerInfo& peer);

  // Creates the peer node if it does not exist and attaches the DHT listener
  // to the peer's current link. Idempotent: the listener is attached once.
  void get_or_create_peer_node(const PeerInfo& peer);

  // The link to use for `peer`: its current one, or a new dial. A dial the
  // DHT makes itself gets its listener before the link even opens.
  ConnectionManager& connect(const PeerInfo& peer);

  // Sends a request to `peer` (dialling if needed) and calls `done` once
  // with the response, or with null on timeout or when no link remains.
  void request(const PeerInfo& peer, Message message, Duration timeout, ResponseCallback done);
  void respond(ConnectionManager& to, Message message);
  // find_node's timeout: longer to a peer we already have a link to.
  Duration find_node_timeout(const NodeId& peer) const;

  // Iterative find_node, seeded with the closest connected peers plus
  // `extra_seeds` (a newcomer's helper, whose link may still be opening).
  // With a `budget` above 0, a lookup still running that long after it
  // started ends there with the peers that have answered (queries still in
  // flight are abandoned: whatever they bring is ignored).
  void find_node(const NodeId& target, LookupCallback done,
                 const std::vector<PeerInfo>& extra_seeds = {}, Duration budget = 0);

  // Before the process closes its links: ends every lookup and request
  // without calling back, so nothing dials or fires after a stop.
  void shutdown();

  // Link bookkeeping from PeerLinks.
  void on_link_gone(LinkId link);
  void on_peer_lost(const NodeId& peer);

  // Peers with an established link that has no DHT listener, whatever table
  // (routing, replacement cache, none) the peer sits in.
  std::size_t peers_missing_handler();
  bool has_peer_node(const NodeId& peer) const { return peer_nodes_.contains(peer); }
  std::size_t peer_node_count() const { return peer_nodes_.size(); }
  std::uint64_t find_node_timeouts() const { return find_node_timeouts_; }
  // Answers that came after their request had timed out (of the last
  // kTimedOutMemory requests that did): the network is slow, not dropping.
  std::uint64_t late_answers() const { return late_answers_; }
  // Requests of any kind that timed out (find_node_timeouts() counts the
  // find_node ones).
  std::uint64_t requests_timed_out() const { return requests_timed_out_; }

  // Bridges are passive: never handed out as contacts, never asked in lookups.
  static bool is_passive(const PeerInfo& peer) { return peer.metadata.role == Role::kBridge; }

 private:
  struct PendingRequest {
    PeerInfo peer;
    LinkId link = 0;
    Message message;  // a copy kept to resend if its link is replaced by another
    TimerId timer = 0;
    TimePoint sent_at = 0;
    ResponseCallback done;
  };
  struct ActiveLookup {
    std::unique_ptr<Lookup> lookup;
    TimePoint started_at = 0;
    LookupCallback done;
    bool spinning = false;  // fault lookup_no_termination
    TimerId budget_timer = 0;
  };
  // How late fault message_before_attach attaches an accepted link's listener.
  static constexpr Duration kDeferredAttach = 5 * kMillisecond;

  void handle_peer_message(ConnectionManager& from, Message&& message);
  void answer_find_node(ConnectionManager& from, const Message& message, const msg::FindNode& find);
  void complete_request(std::uint64_t request_id, Message* response);
  void advance_lookup(std::uint64_t lookup_id);
  // Ends a lookup now with what it has (its budget ran out, or it is done).
  void finish_lookup(std::map<std::uint64_t, ActiveLookup>::iterator it);

  Env& env_;
  CoreMetrics& metrics_;
  const Timing& timing_;
  const FaultSet& faults_;
  PeerInfo self_;
  RoutingTable& routing_table_;
  PeerLinks& links_;
  RoleRequestHandler role_handler_;
  RoleRequestHandler value_handler_;
  // The peers' info lives in their links. Never iterated.
  std::unordered_set<NodeId, NodeIdHash> peer_nodes_;
  std::map<std::uint64_t, PendingRequest> pending_;
  std::uint64_t next_request_id_ = 1;
  std::map<std::uint64_t, ActiveLookup> lookups_;
  std::uint64_t next_lookup_id_ = 1;
  std::uint64_t find_node_timeouts_ = 0;
  std::uint64_t late_answers_ = 0;
  std::uint64_t requests_timed_out_ = 0;
  // Requests that timed out, newest last, so an answer after its timeout is
  // told from one to a request we never made. Bounded.
  static constexpr std::size_t kTimedOutMemory = 1024;
  std::set<std::uint64_t> timed_out_;
  bool shut_down_ = false;
  // find_node answered per peer (Limits::lookups_per_second).
  KeyedLimiter<NodeId> find_node_limit_{timing_.limits.lookups_per_second,
                                        timing_.limits.lookups_burst};
  LimitHits limited_lookups_{env_, "lookups"};
};

}  // namespace yz::core
