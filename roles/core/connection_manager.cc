#include "roles/core/connection_manager.h"

#include <algorithm>
#include <utility>

#include "roles/core/core_metrics.h"

namespace yz::core {

ConnectionManager::ConnectionManager(Env& env, CoreMetrics& metrics, LinkId link,
                                     Direction direction)
    : env_(env),
      metrics_(metrics),
      link_(link),
      direction_(direction),
      state_(direction == Direction::kOutbound ? State::kDialling : State::kAwaitingHello) {}

void ConnectionManager::send(Frame frame) {
  if (established()) {
    env_.send(link_, std::move(frame));
  } else {
    pending_.push_back(std::move(frame));
  }
}

void ConnectionManager::send_handshake(Frame frame) {
  env_.send_handshake(link_, std::move(frame));
}

void ConnectionManager::flush_pending() {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& frame : pending) env_.send(link_, std::move(frame));
}

bool ConnectionManager::attach_dht_listener(DhtListener listener) {
  if (listener_) return false;
  listener_ = std::move(listener);
  return true;
}

ConnectionManager::Delivery ConnectionManager::handle_frame(Frame&& frame) {
  metrics_.received(frame.type).Increment();
  switch (frame.type) {
    case MessageType::kPing:
      env_.send(link_, Frame::Of(MessageType::kPong, frame.request_id));
      return Delivery::kAnsweredPing;
    case MessageType::kPong: {
      auto it = std::find_if(pings_in_flight_.begin(), pings_in_flight_.end(),
                             [&](const auto& ping) { return ping.first == frame.request_id; });
      if (it != pings_in_flight_.end()) {
        last_rtt_ = env_.now() - it->second;
        metrics_.ping_rtt.Observe(static_cast<double>(last_rtt_) / kSecond);
        last_pong_at_ = env_.now();
        pings_in_flight_.erase(it);
        unanswered_pings_ = 0;
      } else {
        env_.log(LogLevel::kDebug, "pong_unmatched",
                 {{"peer", peer_.node_id.short_hex()}, {"ping", std::to_string(frame.request_id)}});
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
             {{"peer", peer_.node_id.short_hex()},
              {"type", std::string(message_type_name(frame.type))}});
    return Delivery::kDroppedNoHandler;
  }
  listener_(*this, std::move(frame));
  return Delivery::kDelivered;
}

void ConnectionManager::send_ping() {
  if (!established()) return;
  // A peer that never answers must not grow this map without bound.
  if (pings_in_flight_.size() >= 8) pings_in_flight_.erase(pings_in_flight_.begin());
  const std::uint64_t id = next_ping_id_++;
  pings_in_flight_.emplace_back(id, env_.now());
  ++unanswered_pings_;
  env_.send(link_, Frame::Of(MessageType::kPing, id));
}

}  // namespace yz::core
