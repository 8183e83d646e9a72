// The client side of the data plane: put and get. The holder's side
// (store_value, find_value, republishing) is in data_plane_holder.cc.
#include "roles/core/data_plane.h"

#include <algorithm>
#include <utility>

#include "roles/core/core_metrics.h"
#include "roles/core/dht.h"
#include "roles/core/process.h"
#include "roles/core/routing_table.h"

namespace yz::core {

DataPlane::DataPlane(Env& env, CoreMetrics& metrics, const ProcessConfig& config,
                     const PeerInfo& self, Dht& dht, RoutingTable& routing_table,
                     std::function<bool()> is_member)
    : env_(env),
      metrics_(metrics),
      config_(config),
      self_(self),
      dht_(dht),
      routing_table_(routing_table),
      is_member_(std::move(is_member)),
      holder_(config.role == Role::kNode || config.role == Role::kGenesis),
      store_(config.timing.limits),
      find_value_limit_(config.timing.limits.lookups_per_second,
                        config.timing.limits.lookups_burst) {}

DataPlane::~DataPlane() = default;

std::uint64_t DataPlane::next_seq() {
  // Microseconds of the shared clock: a publisher restarted with a fresh
  // counter still numbers its next put above its last one, unless it made
  // more than a thousand puts per millisecond before.
  const auto floor = static_cast<std::uint64_t>(std::max<std::int64_t>(now_ms(), 0)) * 1000;
  last_seq_ = std::max(last_seq_ + 1, floor);
  return last_seq_;
}

bool DataPlane::verify(std::string_view public_key, std::string_view message,
                       std::string_view signature) {
  if (!verifier_) {
    verifier_ = config_.shared_verifier
                    ? config_.shared_verifier
                    : std::make_shared<SignatureVerifier>(4096, config_.identity);
  }
  return verifier_->verify(public_key, message, signature);
}

void DataPlane::refused(const std::string& reason) {
  metrics_.value_refused(reason).Increment();
  env_.log(LogLevel::kDebug, "value_refused", {{"reason", reason}});
}

// ---- put ----

void DataPlane::put(std::string name, std::string data, Duration budget,
                    std::function<void(PutOutcome)> done) {
  PutOutcome refusal;
  if (shut_down_) {
    refusal.error = "stopped";
  } else if (!value_name_problem(name).empty()) {
    refusal.error = "bad_key";
  } else if (data.size() > config_.timing.limits.max_value_bytes) {
    refusal.error = "too_large";
  } else if (!config_.identity || !is_member_()) {
    refusal.error = "not_member";  // nothing to sign with, or nobody to store with
  }
  if (!refusal.error.empty()) {
    metrics_.put("error").Increment();
    if (done) done(std::move(refusal));
    return;
  }
  if (budget <= 0) budget = config_.timing.put_timeout;
  const std::uint64_t id = next_id_++;
  auto state = std::make_unique<PutState>();
  state->started_at = env_.now();
  state->deadline = state->started_at + budget;
  state->done = std::move(done);
  const std::uint64_t seq = next_seq();
  state->value = sign_value(*config_.identity, std::move(name), std::move(data), seq,
                            now_ms() + config_.timing.value_ttl / kMillisecond);
  state->outcome.seq = seq;
  const NodeId key = state->value.key;
  state->budget_timer = env_.start_timer(budget, [this, id] {
    auto it = puts_.find(id);
    if (it == puts_.end()) return;
    it->second->budget_timer = 0;
    finish_put(*it->second, "timeout");
    // A lookup still running is abandoned; stores in flight still count.
    // (Looked up again: the caller's callback may have put or stopped.)
    it = puts_.find(id);
    if (it != puts_.end() && (!it->second->looked_up || it->second->outstanding == 0))
      puts_.erase(it);
  });
  puts_.emplace(id, std::move(state));
  // Half the budget for the lookup, so the stores have the rest.
  dht_.find_node(
      key, [this, id](const LookupResult& result) { store_on_targets(id, result.closest); }, {},
      std::max<Duration>(budget / 2, 1));
}

void DataPlane::store_on_targets(std::uint64_t id, const std::vector<PeerInfo>& answered) {
  auto it = puts_.find(id);
  if (it == puts_.end()) return;
  PutState& state = *it->second;
  state.looked_up = true;
  const NodeId& key = state.value.key;
  // The k closest of those that answered, and this process when it holds
  // values and is among them.
  std::vector<PeerInfo> targets;
  for (const PeerInfo& peer : answered)
    if (!Dht::is_passive(peer) && peer.node_id != self_.node_id) targets.push_back(peer);
  if (holder_) targets.push_back(self_);
  std::sort(targets.begin(), targets.end(), [&key](const PeerInfo& a, const PeerInfo& b) {
    return closer_to(key, a.node_id, b.node_id);
  });
  if (targets.size() > config_.timing.k) targets.resize(config_.timing.k);
  state.targets = targets.size();
  // W holders, never fewer because the lookup found fewer: a put stored on
  // its publisher alone (a lookup that heard from nobody) is gone with its
  // publisher, and acknowledging it would promise what the network cannot
  // keep. Below W the value still goes where it can, and the put answers
  // quorum_not_reached with those holders. (W above k means k.)
  state.quorum = std::min(config_.timing.put_write_quorum, config_.timing.k);
  if (targets.empty()) {
    finish_put(state, "no_peers");
    settle_put(id);
    return;
  }
  for (const PeerInfo& peer : targets) {
    ++state.outcome.asked;
    if (peer.node_id == self_.node_id) {
      const std::string refusal = keep(state.value);
      if (refusal.empty()) {
        state.outcome.holders.push_back(self_);
      } else {
        refused(refusal);
      }
      continue;
    }
    ++state.outstanding;
    const Duration left = std::max<Duration>(state.deadline - env_.now(), kMillisecond);
    const PeerInfo asked = peer;
    dht_.request(peer, msg::StoreValue{state.value},
                 std::min(left, dht_.find_node_timeout(peer.node_id)),
                 [this, id, asked](Message* response) { on_store_answer(id, asked, response); });
  }
  if (state.done && state.outcome.holders.size() >= state.quorum) finish_put(state, "");
  settle_put(id);
}

void DataPlane::on_store_answer(std::uint64_t id, const PeerInfo& peer, Message* response) {
  auto it = puts_.find(id);
  if (it == puts_.end()) return;
  PutState& state = *it->second;
  --state.outstanding;
  const auto* answer = response != nullptr ? response->get<msg::StoreValueResponse>() : nullptr;
  if (answer != nullptr && answer->stored) {
    state.outcome.holders.push_back(peer);
  } else if (answer != nullptr) {
    env_.log(LogLevel::kDebug, "store_refused",
             {{"peer", peer.node_id.short_hex()}, {"reason", answer->refusal}});
  }
  if (state.done && state.outcome.holders.size() >= state.quorum) finish_put(state, "");
  settle_put(id);
}

void DataPlane::finish_put(PutState& state, std::string error) {
  if (!state.done) return;
  if (error.empty() && state.outcome.holders.size() < state.quorum) error = "quorum_not_reached";
  state.outcome.ok = error.empty();
  state.outcome.error = std::move(error);
  state.outcome.took = env_.now() - state.started_at;
  metrics_
      .put(state.outcome.ok                              ? "ok"
           : state.outcome.error == "quorum_not_reached" ? "quorum_not_reached"
                                                         : "error")
      .Increment();
  metrics_.put_duration.Observe(static_cast<double>(state.outcome.took) / kSecond);
  env_.log(LogLevel::kDebug, "put_done",
           {{"key", state.value.key.short_hex()},
            {"result", state.outcome.ok ? "ok" : state.outcome.error},
            {"holders", std::to_string(state.outcome.holders.size())},
            {"asked", std::to_string(state.outcome.asked)}});
  auto done = std::move(state.done);
  state.done = nullptr;
  done(state.outcome);
}

// Once every store has answered: the put ends, its shortfall counted.
void DataPlane::settle_put(std::uint64_t id) {
  auto it = puts_.find(id);
  if (it == puts_.end() || it->second->outstanding > 0) return;
  PutState& state = *it->second;
  if (state.done) finish_put(state, "");  // every store answered, below the quorum
  if (state.targets > state.outcome.holders.size())
    metrics_.put_replicas_missing.Increment(
        static_cast<double>(state.targets - state.outcome.holders.size()));
  if (state.budget_timer != 0) env_.cancel_timer(state.budget_timer);
  puts_.erase(it);
}

// ---- get ----

void DataPlane::get(std::string name, Duration budget, std::function<void(GetOutcome)> done) {
  GetOutcome refusal;
  if (shut_down_) {
    refusal.error = "stopped";
  } else if (!value_name_problem(name).empty()) {
    refusal.error = "bad_key";
  } else if (!is_member_()) {
    refusal.error = "not_member";
  }
  if (!refusal.error.empty()) {
    metrics_.get("error").Increment();
    if (done) done(std::move(refusal));
    return;
  }
  if (budget <= 0) budget = config_.timing.get_timeout;
  const NodeId key = value_key_id(name);
  const std::uint64_t id = next_id_++;
  auto state = std::make_unique<GetState>();
  state->name = std::move(name);
  state->started_at = env_.now();
  state->deadline = state->started_at + budget;
  state->done = std::move(done);
  if (holder_) {
    GetOutcome local;
    local.values = store_.get(key, now_ms());
    if (!local.values.empty()) {
      local.found = true;
      local.sources.push_back(self_);
      gets_.emplace(id, std::move(state));
      finish_get(id, std::move(local));
      return;
    }
  }
  state->lookup =
      std::make_unique<Lookup>(self_.node_id, key, config_.timing.k, config_.timing.alpha);
  state->lookup->add_candidates(routing_table_.closest(key, config_.timing.k, Dht::is_passive));
  state->budget_timer = env_.start_timer(budget, [this, id] {
    auto it = gets_.find(id);
    if (it == gets_.end()) return;
    it->second->budget_timer = 0;
    GetOutcome outcome;
    outcome.error = "timeout";
    finish_get(id, std::move(outcome));
  });
  gets_.emplace(id, std::move(state));
  advance_get(id);
}

void DataPlane::advance_get(std::uint64_t id) {
  auto it = gets_.find(id);
  if (it == gets_.end()) return;
  GetState& state = *it->second;
  Lookup& lookup = *state.lookup;
  if (lookup.done()) {
    GetOutcome outcome;
    // Nobody to ask (no routing entries, every candidate unreachable) says
    // nothing about what the network holds: the getter is cut off.
    outcome.error = lookup.result().queried == 0 ? "no_peers" : "not_found";
    finish_get(id, std::move(outcome));
    return;
  }
  for (const PeerInfo& peer : lookup.next_queries()) {
    const Duration left = std::max<Duration>(state.deadline - env_.now(), kMillisecond);
    const PeerInfo asked = peer;
    dht_.request(
        peer, msg::FindValue{state.name}, std::min(left, dht_.find_node_timeout(peer.node_id)),
        [this, id, asked](Message* response) { on_find_value_answer(id, asked, response); });
  }
}

void DataPlane::on_find_value_answer(std::uint64_t id, const PeerInfo& peer, Message* response) {
  auto it = gets_.find(id);
  if (it == gets_.end()) return;
  Lookup& lookup = *it->second->lookup;
  auto* answer = response != nullptr ? response->get<msg::FindValueResponse>() : nullptr;
  if (answer == nullptr) {
    lookup.on_failure(peer.node_id);
    advance_get(id);
    return;
  }
  // Every value is checked as a holder checks it; one for another key is a
  // holder's mistake or a lie, and counts as wrong_key.
  std::map<NodeId, SignedValue> newest;  // by publisher
  for (SignedValue& value : answer->values) {
    std::string problem = value.key != lookup.target()
                              ? "wrong_key"
                              : check_value(value, now_ms(), config_.timing.limits.max_value_bytes,
                                            [this](auto key, auto message, auto signature) {
                                              return verify(key, message, signature);
                                            });
    if (!problem.empty()) {
      refused(problem);
      continue;
    }
    auto [at, added] = newest.try_emplace(value.publisher, value);
    if (!added && value.seq > at->second.seq) at->second = std::move(value);
  }
  if (newest.empty()) {
    std::vector<PeerInfo> nodes;
    for (PeerInfo& node : answer->nodes)
      if (!Dht::is_passive(node)) nodes.push_back(std::move(node));
    lookup.on_answer(peer.node_id, nodes);
    advance_get(id);
    return;
  }
  GetOutcome outcome;
  outcome.found = true;
  for (auto& [publisher, value] : newest) outcome.values.push_back(std::move(value));
  outcome.sources.push_back(peer);
  finish_get(id, std::move(outcome));
}

void DataPlane::finish_get(std::uint64_t id, GetOutcome outcome) {
  auto it = gets_.find(id);
  if (it == gets_.end()) return;
  std::unique_ptr<GetState> state = std::move(it->second);
  gets_.erase(it);
  if (state->budget_timer != 0) env_.cancel_timer(state->budget_timer);
  outcome.asked = state->lookup ? state->lookup->result().queried : 0;
  outcome.took = env_.now() - state->started_at;
  metrics_.get(outcome.found                  ? "found"
               : outcome.error == "not_found" ? "not_found"
                                              : "error")
      .Increment();
  metrics_.get_duration.Observe(static_cast<double>(outcome.took) / kSecond);
  env_.log(LogLevel::kDebug, "get_done",
           {{"key", value_key_id(state->name).short_hex()},
            {"result", outcome.found ? "found" : outcome.error},
            {"asked", std::to_string(outcome.asked)}});
  if (state->done) state->done(std::move(outcome));
}

}  // namespace yz::core
