#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "roles/core/env.h"
#include "roles/core/message.h"
#include "roles/core/peer_pool.h"

namespace yz::core {

class CoreMetrics;

enum class Direction : std::uint8_t { kInbound, kOutbound };

// Owns one peer link: the handshake state, liveness (it answers ping with
// pong itself, so a link looks alive even when nothing above it listens) and
// the hand-off of every other frame to the DHT listener attached to it. A
// frame that arrives with no listener attached is dropped and counted: that
// is exactly how the incident lost its messages.
class ConnectionManager {
 public:
  using DhtListener = std::function<void(ConnectionManager& from, Message&& message)>;

  enum class State : std::uint8_t { kDialling, kAwaitingHello, kAwaitingConnected, kEstablished };

  ConnectionManager(Env& env, CoreMetrics& metrics, LinkId link, Direction direction);

  LinkId link() const { return link_; }
  Direction direction() const { return direction_; }
  State state() const { return state_; }
  bool established() const { return state_ == State::kEstablished; }

  // The remote peer: known from the start for an outbound link (who we
  // dialled), from its hello for an inbound one.
  // Shared with every other holder of the same peer (peer_pool.h).
  const PeerInfo& peer() const { return peer_ ? *peer_ : kNoPeer; }
  const SharedPeer& shared_peer() const { return peer_; }
  void set_peer(const PeerInfo& peer) { peer_ = intern_peer(peer); }

  void set_state(State state) { state_ = state; }

  // Sends now when established; frames sent earlier wait in order and go out
  // when the handshake completes (the handshake frames themselves go out
  // through send_handshake).
  void send(Message message);
  void send_handshake(Message message);
  // Sends what waited for the handshake. Called once established.
  void flush_pending();
  std::size_t pending_frames() const { return pending_.size(); }
  // Hands over what waited, for a link that will never be established.
  std::vector<Message> take_pending() { return std::exchange(pending_, {}); }

  // Attaches the DHT listener unless one is attached already. The guard makes
  // get_or_create_peer_node idempotent. Returns true when this call attached.
  bool attach_dht_listener(DhtListener listener);
  bool dht_listener_attached() const { return static_cast<bool>(listener_); }

  // An established link's frame: answers ping, records pong, hands the rest
  // to the listener or drops it.
  enum class Delivery : std::uint8_t { kAnsweredPing, kPong, kDelivered, kDroppedNoHandler };
  Delivery handle_frame(Message&& message);

  void send_ping();
  // Round trip of the last answered ping, or -1.
  Duration last_rtt() const { return last_rtt_; }
  TimePoint last_pong_at() const { return last_pong_at_; }
  std::uint64_t dropped_no_handler() const { return dropped_no_handler_; }
  // Pings sent since the last one answered: a link that stops answering is
  // closed as dead once this reaches Timing's dead_link_pings.
  std::uint32_t unanswered_pings() const { return unanswered_pings_; }

 private:
  // An inbound link's peer before its hello.
  static const PeerInfo kNoPeer;

  // One of these per link end, hundreds per process: the peer is a shared
  // pointer, not a copy (peer_pool.h), and the fields are ordered to pack.
  Env& env_;
  CoreMetrics& metrics_;
  LinkId link_;
  Direction direction_;
  State state_;
  std::uint32_t unanswered_pings_ = 0;  // here, where it packs beside the enums
  SharedPeer peer_;
  DhtListener listener_;
  std::vector<Message> pending_;
  // Ping id -> sent at, oldest first (ids grow); at most 8.
  std::vector<std::pair<std::uint64_t, TimePoint>> pings_in_flight_;
  std::uint64_t next_ping_id_ = 1;
  Duration last_rtt_ = -1;
  TimePoint last_pong_at_ = -1;
  std::uint64_t dropped_no_handler_ = 0;
};

}  // namespace yz::core
