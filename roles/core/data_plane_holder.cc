// The holder's side of the data plane: store_value and find_value answered
// for peers, expiry, and republishing what it holds.
#include <algorithm>
#include <utility>

#include "roles/core/connection_manager.h"
#include "roles/core/core_metrics.h"
#include "roles/core/data_plane.h"
#include "roles/core/dht.h"
#include "roles/core/process.h"
#include "roles/core/routing_table.h"

namespace yz::core {
namespace {

// A republish round goes out in slices, so a holder of thousands of values
// does not send them to a peer in one burst, over the peer's frame limit
// (Limits::frames_burst) and its memory: at most this many values, and
// this many bytes of them, per slice, a slice per second.
constexpr std::size_t kRepublishSliceValues = 100;
constexpr std::size_t kRepublishSliceBytes = std::size_t{1} << 20;
constexpr Duration kRepublishSpacing = kSecond;

// Values in one find_value answer: a frame is at most 1 MiB on the wire,
// and the answer carries up to k peers besides. At least one value always
// goes, whatever its size (at most Limits::max_value_bytes).
constexpr std::size_t kAnswerValueBytes = std::size_t{512} << 10;

}  // namespace

void DataPlane::on_request(ConnectionManager& from, Message&& message) {
  if (shut_down_) return;
  if (auto* store = message.get<msg::StoreValue>()) {
    answer_store(from, message, *store);
  } else if (const auto* find = message.get<msg::FindValue>()) {
    answer_find_value(from, message, *find);
  }
}

void DataPlane::answer_store(ConnectionManager& from, const Message& message,
                             msg::StoreValue& store) {
  msg::StoreValueResponse reply;
  if (!holder_) {
    reply.refusal = "not_a_holder";
  } else {
    reply.refusal = check_value(
        store.value, now_ms(), config_.timing.limits.max_value_bytes,
        [this](auto key, auto text, auto signature) { return verify(key, text, signature); });
    if (reply.refusal.empty()) reply.refusal = keep(std::move(store.value));
  }
  reply.stored = reply.refusal.empty();
  if (!reply.stored) {
    refused(reply.refusal);
    env_.log(LogLevel::kDebug, "store_refused_from",
             {{"peer", from.peer().node_id.short_hex()}, {"reason", reply.refusal}});
  }
  dht_.respond(from, Message(std::move(reply), message.request_id));
}

std::string DataPlane::keep(SignedValue value) {
  // A publisher's clock may run ahead, or lie: no value outlives value_ttl
  // (and the skew) from the moment this holder first took it.
  const std::int64_t cap = now_ms() + config_.timing.value_ttl / kMillisecond + kValueClockSkewMs;
  const std::int64_t drop_at = std::min(value.expires_at_ms, cap);
  std::string refusal = store_.put(std::move(value), drop_at);
  if (refusal.empty()) arm_republish();
  return refusal;
}

void DataPlane::answer_find_value(ConnectionManager& from, const Message& message,
                                  const msg::FindValue& find) {
  const NodeId requester = from.peer().node_id;
  if (!find_value_limit_.allow(requester, env_.now())) {
    limited_.hit({{"peer", requester.short_hex()}});  // dropped: the asker slows down
    return;
  }
  if (!value_name_problem(find.key).empty()) {
    dht_.respond(from, ErrorMessage("bad_key", value_name_problem(find.key), message.request_id));
    return;
  }
  const NodeId key = value_key_id(find.key);
  msg::FindValueResponse reply;
  reply.nodes = routing_table_.closest(key, config_.timing.k, [&](const PeerInfo& peer) {
    return peer.node_id == requester || Dht::is_passive(peer);
  });
  if (holder_) {
    std::size_t bytes = 0;
    for (SignedValue& value : store_.get(key, now_ms())) {
      bytes += value_size(value);
      if (!reply.values.empty() && bytes > kAnswerValueBytes) break;
      reply.values.push_back(std::move(value));
    }
  }
  dht_.respond(from, Message(std::move(reply), message.request_id));
}

void DataPlane::arm_republish() {
  if (republish_timer_ != 0 || shut_down_ || store_.empty()) return;
  republish_timer_ = env_.start_timer(config_.timing.republish_interval, [this] {
    republish_timer_ = 0;
    store_.expire(now_ms());
    republish_slice(std::nullopt);
  });
}

void DataPlane::republish_slice(std::optional<ValueStore::Slot> after) {
  const std::vector<SignedValue> slice = store_.values_after(after, kRepublishSliceValues);
  std::size_t bytes = 0;
  std::optional<ValueStore::Slot> last;
  for (const SignedValue& value : slice) {
    bytes += value_size(value);
    if (last && bytes > kRepublishSliceBytes) break;
    last = ValueStore::slot_of(value);
    // To the k closest this holder knows: a peer that already holds the
    // value answers stored (nothing changes); one that lost it in a
    // restart, or newly became one of the k closest, takes it.
    for (const PeerInfo& peer :
         routing_table_.closest(value.key, config_.timing.k, Dht::is_passive)) {
      dht_.request(peer, msg::StoreValue{value}, dht_.find_node_timeout(peer.node_id),
                   [](Message*) {});
    }
    metrics_.values_republished.Increment();
  }
  if (!last) {  // the round is over
    arm_republish();
    return;
  }
  republish_timer_ = env_.start_timer(kRepublishSpacing, [this, last] {
    republish_timer_ = 0;
    republish_slice(last);
  });
}

void DataPlane::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (republish_timer_ != 0) env_.cancel_timer(republish_timer_);
  republish_timer_ = 0;
  // Taken out first: a caller's callback may call put or get again, which
  // now refuses at once ("stopped").
  auto puts = std::move(puts_);
  auto gets = std::move(gets_);
  puts_.clear();
  gets_.clear();
  for (auto& [id, state] : puts) {
    if (state->budget_timer != 0) env_.cancel_timer(state->budget_timer);
    state->budget_timer = 0;
    finish_put(*state, "stopped");
  }
  for (auto& [id, state] : gets) {
    if (state->budget_timer != 0) env_.cancel_timer(state->budget_timer);
    state->budget_timer = 0;
    GetOutcome outcome;
    outcome.error = "stopped";
    gets_.emplace(id, std::move(state));
    finish_get(id, std::move(outcome));
  }
}

}  // namespace yz::core
