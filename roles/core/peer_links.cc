#include "roles/core/peer_links.h"

#include <algorithm>
#include <utility>

#include "roles/core/core_metrics.h"
#include "roles/core/protocol.h"

namespace yz::core {

PeerLinks::PeerLinks(Env& env, CoreMetrics& metrics, PeerInfo self, Callbacks callbacks,
                     std::shared_ptr<const Identity> identity)
    : env_(env),
      metrics_(metrics),
      self_(std::move(self)),
      callbacks_(std::move(callbacks)),
      auth_(env, std::move(identity)),
      refusals_(env) {}

ConnectionManager& PeerLinks::dial(const PeerInfo& peer) {
  if (auto it = dialling_.find(peer.node_id); it != dialling_.end())
    return *managers_.at(it->second);
  const LinkId link = env_.dial(peer.metadata.address);
  auto manager = std::make_unique<ConnectionManager>(env_, metrics_, link, Direction::kOutbound);
  manager->set_peer(peer);
  auto& ref = *manager;
  managers_[link] = std::move(manager);
  dialling_[peer.node_id] = link;
  return ref;
}

void PeerLinks::on_link_accepted(LinkId link) {
  retired_.clear();
  // A peer that opens a stream and never says hello loses it at the
  // handshake deadline, which the guard keeps for every link (guard.h).
  managers_[link] = std::make_unique<ConnectionManager>(env_, metrics_, link, Direction::kInbound);
}

void PeerLinks::refuse(ConnectionManager& manager, std::string_view code, std::string text) {
  metrics_.handshake_rejected(code).Increment();
  refusals_.log(
      LogLevel::kWarn, "handshake_refused", code,
      {{"link", std::to_string(manager.link())}, {"reason", std::string(code)}, {"detail", text}});
  manager.send_handshake(ErrorMessage(std::string(code), std::move(text)));
  close(manager.link(), code);
}

void PeerLinks::on_link_opened(LinkId link) {
  retired_.clear();
  auto* manager = this->manager(link);
  if (manager == nullptr) {
    // Given up on before it opened (a duplicate, or a close from above).
    env_.close(link);
    return;
  }
  if (manager->state() != ConnectionManager::State::kDialling) {
    // Only a dial opens: a second open, or one for an accepted link, would
    // restart a handshake that is done (found by handshake_fuzz).
    metrics_.dropped("unexpected_open").Increment();
    return;
  }
  manager->set_state(ConnectionManager::State::kAwaitingConnected);
  msg::DhtPeerHello hello;
  hello.peer_id = self_.node_id;
  hello.metadata = self_.metadata;
  auth_.add_to_hello(link, hello);
  manager->send_handshake(std::move(hello));
}

void PeerLinks::on_frame(LinkId link, Message&& message) {
  retired_.clear();
  auto* manager = this->manager(link);
  if (manager == nullptr) {
    metrics_.dropped("unknown_link").Increment();
    return;
  }
  switch (manager->state()) {
    case ConnectionManager::State::kEstablished:
      if (message.is<msg::DhtPeerHello>() || message.is<msg::DhtPeerConnected>() ||
          message.is<msg::DhtPeerProof>()) {
        metrics_.dropped("duplicate_handshake").Increment();
        return;
      }
      if (per_direction_managers_ && message.is<msg::Ping>()) {
        // The original sent everything to a peer through its client
        // (outbound) manager, pongs included.
        ConnectionManager* answering = outbound_to(manager->peer().node_id);
        if (answering != nullptr && answering != manager) {
          env_.send(answering->link(), Message(msg::Pong{}, message.request_id));
          return;
        }
      }
      manager->handle_frame(std::move(message));
      return;
    case ConnectionManager::State::kAwaitingHello: {
      if (auth_.awaiting_proof(link)) {
        // Hello answered; the dialler must now prove its key.
        if (const std::string why = auth_.check_proof(link, message); !why.empty()) {
          refuse(*manager, why, HandshakeAuth::describe(why));
          return;
        }
        if (!admitted(*manager, manager->peer().node_id, message.get<msg::DhtPeerProof>()->chain))
          return;
        complete_handshake(*manager);
        return;
      }
      auto* hello = message.get<msg::DhtPeerHello>();
      if (hello == nullptr) {
        refuse(*manager, "not_handshake",
               "the first frame on a peer link must be dht_peer_hello, got " +
                   std::string(message_type_name(message.type())));
        return;
      }
      if (hello->peer_id.is_zero() || hello->peer_id == self_.node_id) {
        refuse(*manager, "bad_peer_id", "dht_peer_hello must carry another node's id");
        return;
      }
      if (!protocol_supported(hello->metadata.protocol_version)) {
        refuse(*manager, "version_mismatch",
               protocol_mismatch_text(hello->metadata.protocol_version));
        return;
      }
      msg::DhtPeerConnected connected;
      connected.node_id = self_.node_id;
      connected.metadata = self_.metadata;
      if (admission_.own_chain) connected.chain = admission_.own_chain();
      if (const std::string why = auth_.check_hello(link, *hello, connected); !why.empty()) {
        refuse(*manager, why, HandshakeAuth::describe(why));
        return;
      }
      manager->set_peer(PeerInfo{hello->peer_id, std::move(hello->metadata)});
      manager->send_handshake(std::move(connected));
      // With proof of identity on, the link is established on dht_peer_proof.
      if (!auth_.enabled()) complete_handshake(*manager);
      return;
    }
    case ConnectionManager::State::kAwaitingConnected: {
      const NodeId expected = manager->peer().node_id;
      auto* connected = message.get<msg::DhtPeerConnected>();
      if (connected == nullptr) {
        refuse(
            *manager, "not_handshake",
            "expected dht_peer_connected, got " + std::string(message_type_name(message.type())));
        return;
      }
      if (connected->node_id.is_zero() || connected->node_id == self_.node_id) {
        refuse(*manager, "bad_peer_id", "dht_peer_connected must carry another node's id");
        return;
      }
      if (!expected.is_zero() && connected->node_id != expected) {
        refuse(*manager, "peer_id_mismatch",
               "dialled " + expected.short_hex() + " but " + connected->node_id.short_hex() +
                   " answered");
        return;
      }
      if (!protocol_supported(connected->metadata.protocol_version)) {
        refuse(*manager, "version_mismatch",
               protocol_mismatch_text(connected->metadata.protocol_version));
        return;
      }
      msg::DhtPeerProof proof;
      if (const std::string why = auth_.check_connected(link, *connected, proof); !why.empty()) {
        refuse(*manager, why, HandshakeAuth::describe(why));
        return;
      }
      if (!admitted(*manager, connected->node_id, connected->chain)) return;
      if (admission_.own_chain) proof.chain = admission_.own_chain();
      // A dial by address (id unknown, zero) now knows who answered: its
      // record under the zero id goes, or it would outlive the link (found
      // by handshake_fuzz).
      if (auto d = dialling_.find(expected); d != dialling_.end() && d->second == link)
        dialling_.erase(d);
      manager->set_peer(PeerInfo{connected->node_id, std::move(connected->metadata)});
      // The proof goes before any frame that waited for this link.
      if (auth_.enabled()) manager->send_handshake(std::move(proof));
      complete_handshake(*manager);
      return;
    }
    case ConnectionManager::State::kDialling:
      metrics_.dropped("not_handshake").Increment();
      return;
  }
}

bool PeerLinks::admitted(ConnectionManager& manager, const NodeId& peer,
                         const CredentialChain& chain) {
  if (!admission_.check || !auth_.enabled()) return true;
  const std::string why = admission_.check(peer, chain);
  if (why.empty()) return true;
  refuse(manager, "not_a_member", "membership chain of " + peer.short_hex() + " refused: " + why);
  return false;
}

bool PeerLinks::keeps_new_link(const ConnectionManager& existing,
                               const ConnectionManager& fresh) const {
  auto dialler = [this](const ConnectionManager& m) {
    return m.direction() == Direction::kOutbound ? self_.node_id : m.peer().node_id;
  };
  const NodeId old_dialler = dialler(existing);
  const NodeId new_dialler = dialler(fresh);
  // The same side dialled twice: the newer link is a reconnect and replaces.
  if (old_dialler == new_dialler) return true;
  return new_dialler < old_dialler;
}

void PeerLinks::complete_handshake(ConnectionManager& manager) {
  // The peer proved its id (or, without identities, said it): the link is
  // off the handshake deadline and the unauthenticated caps.
  env_.link_authenticated(manager.link());
  const NodeId peer = manager.peer().node_id;
  if (auto it = dialling_.find(peer); it != dialling_.end() && it->second == manager.link())
    dialling_.erase(it);

  auto existing_it = current_.find(peer);
  if (existing_it != current_.end() && per_direction_managers_) {
    // The fault: both links stay; the newest becomes current.
    existing_it->second = manager.link();
    manager.set_state(ConnectionManager::State::kEstablished);
    manager.flush_pending();
  } else if (existing_it != current_.end()) {
    ConnectionManager& existing = *managers_.at(existing_it->second);
    if (!keeps_new_link(existing, manager)) {
      // Frames that waited for this link are dropped with it: their owner
      // hears on_link_gone and sends them again on the link we keep.
      manager.take_pending();
      close(manager.link(), "duplicate_link");
      return;
    }
    const LinkId old_link = existing_it->second;
    existing_it->second = manager.link();
    manager.set_state(ConnectionManager::State::kEstablished);
    manager.flush_pending();
    close(old_link, "duplicate_link");
  } else {
    current_[peer] = manager.link();
    manager.set_state(ConnectionManager::State::kEstablished);
    manager.flush_pending();
  }
  const LinkId link = manager.link();
  callbacks_.on_established(manager);
  // The owner's path has run: the link has its listener now or it never
  // will. Whether the peer went to the routing table, its replacement cache
  // or nowhere does not matter: a frame on a link without one is lost.
  if (ConnectionManager* established = this->manager(link); established != nullptr &&
                                                            established->established() &&
                                                            !established->dht_listener_attached()) {
    unserved_[link] = established->peer().node_id;
  } else {
    unserved_.erase(link);
  }
}

std::set<NodeId> PeerLinks::unserved() const {
  std::set<NodeId> peers;
  for (const auto& [link, peer] : unserved_) peers.insert(peer);
  return peers;
}

std::size_t PeerLinks::unserved_count() const {
  if (unserved_.empty()) return 0;  // every correct run, after every step
  return unserved().size();
}

void PeerLinks::on_link_closed(LinkId link, std::string_view reason) {
  retired_.clear();
  if (!managers_.contains(link)) return;
  // The guard's handshake deadline closes links under the role (guard.h); a
  // remote that gave up on our handshake says the same, and either way the
  // link died of a handshake that did not finish in time.
  metrics_.link_closed(reason == "handshake_timeout" ? reason : "remote_closed").Increment();
  forget(link);
}

void PeerLinks::close(LinkId link, std::string_view reason) {
  if (!managers_.contains(link)) return;
  metrics_.link_closed(reason).Increment();
  env_.log(LogLevel::kDebug, "link_closed",
           {{"link", std::to_string(link)}, {"reason", std::string(reason)}});
  env_.close(link, reason);
  forget(link);
}

void PeerLinks::forget(LinkId link) {
  auth_.forget(link);
  auto it = managers_.find(link);
  const PeerInfo& peer = it->second->peer();  // the manager lives on in retired_
  if (auto d = dialling_.find(peer.node_id); d != dialling_.end() && d->second == link)
    dialling_.erase(d);
  const auto cur = current_.find(peer.node_id);
  const bool was_current = cur != current_.end() && cur->second == link;
  if (was_current) current_.erase(cur);
  unserved_.erase(link);
  // Not destroyed yet: we may be inside one of this manager's callbacks.
  retired_.push_back(std::move(it->second));
  managers_.erase(it);
  if (callbacks_.on_link_gone) callbacks_.on_link_gone(link);
  if (was_current && callbacks_.on_peer_lost) callbacks_.on_peer_lost(peer, link);
}

void PeerLinks::close_all() {
  std::vector<LinkId> links;
  links.reserve(managers_.size());
  for (const auto& [link, manager] : managers_) links.push_back(link);
  std::sort(links.begin(), links.end());  // in link order, whatever the hash's
  for (LinkId link : links) close(link, "shutdown");
}

ConnectionManager* PeerLinks::manager(LinkId link) {
  auto it = managers_.find(link);
  return it == managers_.end() ? nullptr : it->second.get();
}

ConnectionManager* PeerLinks::current(const NodeId& peer) {
  // Never managers_[...]: a look-up must not make an entry.
  if (auto it = current_.find(peer); it != current_.end()) return manager(it->second);
  if (auto it = dialling_.find(peer); it != dialling_.end()) return manager(it->second);
  return nullptr;
}

bool PeerLinks::connected(const NodeId& peer) const { return current_.contains(peer); }

std::vector<ConnectionManager*> PeerLinks::pinged_links() {
  if (!per_direction_managers_) return established();
  // Each of the original's client managers kept its own liveness.
  // managers_ is a hash map: sort by link id so the order cannot leak.
  std::vector<ConnectionManager*> out;
  for (const auto& [link, manager] : managers_)
    if (manager->established()) out.push_back(manager.get());
  std::sort(out.begin(), out.end(), [](const ConnectionManager* a, const ConnectionManager* b) {
    return a->link() < b->link();
  });
  return out;
}

ConnectionManager* PeerLinks::outbound_to(const NodeId& peer) {
  // The oldest such link (smallest id), whatever the hash map's order.
  ConnectionManager* found = nullptr;
  for (const auto& [link, manager] : managers_)
    if (manager->established() && manager->direction() == Direction::kOutbound &&
        manager->peer().node_id == peer && (found == nullptr || link < found->link()))
      found = manager.get();
  return found;
}

std::vector<ConnectionManager*> PeerLinks::established() {
  std::vector<std::pair<NodeId, LinkId>> by_id(current_.begin(), current_.end());
  std::sort(by_id.begin(), by_id.end());  // in id order, whatever the hash's
  std::vector<ConnectionManager*> out;
  out.reserve(by_id.size());
  for (const auto& [peer, link] : by_id) out.push_back(managers_.at(link).get());
  return out;
}

std::size_t PeerLinks::inbound_count() const {
  std::size_t n = 0;
  for (const auto& [peer, link] : current_)
    if (managers_.at(link)->direction() == Direction::kInbound) ++n;
  return n;
}

std::size_t PeerLinks::outbound_count() const { return current_.size() - inbound_count(); }

}  // namespace yz::core
