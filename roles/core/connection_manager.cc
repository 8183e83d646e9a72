#include "roles/core/connection_manager.h"

#include <algorithm>
#include <utility>

#include "roles/core/core_metrics.h"

namespace yz::core {

const PeerInfo ConnectionManager::kNoPeer;

ConnectionManager::ConnectionManager(Env& env, CoreMetrics& metrics, LinkId link,
                                     Direction direction)
    : env_(env),
      metrics_(metrics),
      link_(link),
      direction_(direction),
      state_(direction == Direction::kOutbound ? State::kDialling : State::kAwaitingHello) {}

void ConnectionManager::send(Message message) {
  if (established()) {
    env_.send(link_, std::move(message));
  } else {
    pending_.push_back(std::move(message));
  }
}

void ConnectionManager::send_handshake(Message message) {
  env_.send_handshake(link_, std::move(message));
}

void ConnectionManager::flush_pending() {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& message : pending) env_.send(link_, std::move(message));
}

bool ConnectionManager::attach_dht_listener(DhtListener listener) {
  if (listener_) return false;
  listener_ = std::move(listener);
  return true;
}

ConnectionManager::Delivery ConnectionManager::handle_frame(Message&& message) {
  metrics_.received(message.type()).Increment();
  switch (message.type()) {
    case MessageType::kPing:
      env_.send(link_, Message(msg::Pong{}, message.request_id));
      return Delivery::kAnsweredPing;
    case MessageType::kPong: {
      auto it = std::find_if(pings_in_flight_.begin(), pings_in_flight_.end(),
                             [&](const auto& ping) { return ping.first == message.request_id; });
      if (it != pings_in_flight_.end()) {
        last_rtt_ = env_.now() - it->second;
        metrics_.ping_rtt.Observe(static_cast<double>(last_rtt_) / kSecond);
        last_pong_at_ = env_.now();
        pings_in_flight_.erase(it);
        unanswered_pings_ = 0;
      } else {
        env_.log(
            LogLevel::kDebug, "pong_unmatched",
            {{"peer", peer().node_id.short_hex()}, {"ping", std::to_string(message.request_id)}});
      }
      return Delivery::kPong;
    }
    default:
      break;
  }
  if (!listener_) {
    ++dropped_no_handler_;
    metrics_.dropped("no_handler").Increment();
    env_.log(LogLevel::kDebug, "dropped_no_handler",
             {{"peer", peer().node_id.short_hex()},
              {"type", std::string(message_type_name(message.type()))}});
    return Delivery::kDroppedNoHandler;
  }
  listener_(*this, std::move(message));
  return Delivery::kDelivered;
}

void ConnectionManager::send_ping() {
  if (!established()) return;
  // A peer that never answers must not grow this map without bound.
  if (pings_in_flight_.size() >= 8) pings_in_flight_.erase(pings_in_flight_.begin());
  const std::uint64_t id = next_ping_id_++;
  pings_in_flight_.emplace_back(id, env_.now());
  ++unanswered_pings_;
  env_.send(link_, Message(msg::Ping{}, id));
}

}  // namespace yz::core
