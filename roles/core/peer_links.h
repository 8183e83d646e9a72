#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "roles/core/connection_manager.h"
#include "roles/core/env.h"
#include "roles/core/handshake_auth.h"
#include "roles/core/message.h"
#include "roles/core/refusal_log.h"

namespace yz::core {

class CoreMetrics;

// The links of one DHT member: a ConnectionManager per link, the handshake,
// and which link is the current one for each peer. It knows nothing of the
// DHT: it reports an established link and a lost peer to its owner, which
// wires them to the routing table and the DHT.
class PeerLinks {
 public:
  struct Callbacks {
    // A link finished its handshake and is now the peer's current link.
    std::function<void(ConnectionManager&)> on_established;
    // The peer's current link closed and no other link to it remains.
    std::function<void(const PeerInfo& peer, LinkId link)> on_peer_lost;
    // Any link closed (current or not), so requests sent on it can fail fast.
    std::function<void(LinkId link)> on_link_gone;
  };

  // With an identity, every handshake proves both ids (HandshakeAuth);
  // without one (unit tests with hand-picked ids) it does not.
  // The handshake deadline is not here: the guard keeps it for every link of
  // every role (guard.h); complete handshakes are reported to it through
  // Env::link_authenticated.
  PeerLinks(Env& env, CoreMetrics& metrics, PeerInfo self, Callbacks callbacks,
            std::shared_ptr<const Identity> identity = nullptr);

  // Membership at link time: once a peer has proven its key, its credential
  // chain (in connected, from the acceptor; in dht_peer_proof, from the
  // dialler) must pass `check`, or the link is refused as not_a_member, so
  // the peer never reaches the routing table. Who you are, then proof, then
  // membership. Unset (unit tests), links need only the proof of identity.
  struct Admission {
    std::function<const CredentialChain&()> own_chain;
    // "" or why `peer`'s chain is refused.
    std::function<std::string(const NodeId& peer, const CredentialChain& chain)> check;
  };
  void set_admission(Admission admission) { admission_ = std::move(admission); }

  // Dials `peer` and returns its manager, in state kDialling.
  ConnectionManager& dial(const PeerInfo& peer);

  void on_link_accepted(LinkId link);
  void on_link_opened(LinkId link);
  void on_link_closed(LinkId link, std::string_view reason = {});
  void on_frame(LinkId link, Message&& message);

  // Closes a link from this side.
  void close(LinkId link, std::string_view reason);
  void close_all();

  bool owns(LinkId link) const { return managers_.contains(link); }
  ConnectionManager* manager(LinkId link);
  // The peer's current manager: established, or dialling when that is all
  // there is. Null when the peer has no link.
  ConnectionManager* current(const NodeId& peer);
  bool connected(const NodeId& peer) const;

  // Peers with an established current link, in id order.
  std::vector<ConnectionManager*> established();
  std::size_t connected_count() const { return current_.size(); }
  // Peers with an established link (current or not) that has no DHT
  // listener, whatever table, if any, the peer sits in: a frame on such a
  // link is lost. Kept up to date as links come and go, so that checking the
  // missing-handler invariant after every simulator step costs nothing in a
  // correct run.
  std::set<NodeId> unserved() const;
  std::size_t unserved_count() const;
  // The DHT attached a listener to this link.
  void mark_served(LinkId link) { unserved_.erase(link); }
  std::size_t inbound_count() const;

  // Fault pong_wrong_manager: like the original's connection-manager
  // factory, keep both links of a pair that dialled each other (the newest
  // is current) and answer a ping through the current link, not the one it
  // came on.
  void set_per_direction_managers(bool on) { per_direction_managers_ = on; }
  // The links the liveness pings go out on: each peer's current link, or,
  // with that fault on, every established link.
  std::vector<ConnectionManager*> pinged_links();
  std::size_t outbound_count() const;

 private:
  void complete_handshake(ConnectionManager& manager);
  // An established link we dialled to `peer`, if any (fault pong_wrong_manager).
  ConnectionManager* outbound_to(const NodeId& peer);
  // Of two links between the same pair, keep the one dialled by the smaller
  // node id: both ends decide alike without talking about it.
  bool keeps_new_link(const ConnectionManager& existing, const ConnectionManager& fresh) const;
  // Drops a link from the tables and tells the owner.
  void forget(LinkId link);
  // Answers a bad handshake with an error frame, counts it and closes.
  void refuse(ConnectionManager& manager, std::string_view code, std::string text);

  Env& env_;
  CoreMetrics& metrics_;
  PeerInfo self_;
  Callbacks callbacks_;
  // Looked up by link on every frame: hashed, and iterated only in
  // close_all, which sorts the links first.
  std::unordered_map<LinkId, std::unique_ptr<ConnectionManager>> managers_;
  // Hashed: iterated only by established(), which sorts by id, and by
  // counts whose order does not matter.
  std::unordered_map<NodeId, LinkId, NodeIdHash> current_;   // established links only
  std::unordered_map<NodeId, LinkId, NodeIdHash> dialling_;  // outbound links not yet established
  // Managers closed during an event are destroyed at the next one, never
  // while one of their own callbacks is still on the stack.
  std::vector<std::unique_ptr<ConnectionManager>> retired_;
  // Established links without a DHT listener, and their peers.
  std::map<LinkId, NodeId> unserved_;
  // True when the peer's chain is admitted; else refuses the link.
  bool admitted(ConnectionManager& manager, const NodeId& peer, const CredentialChain& chain);

  bool per_direction_managers_ = false;
  HandshakeAuth auth_;
  Admission admission_;
  RefusalLog refusals_;
};

}  // namespace yz::core
