#include "roles/core/lookup.h"

namespace yz::core {

Lookup::Lookup(NodeId self, NodeId target, std::size_t k, std::size_t alpha)
    : self_(self), target_(target), k_(k), alpha_(alpha) {}

void Lookup::add_candidates(const std::vector<PeerInfo>& peers) {
  for (const auto& peer : peers) {
    if (peer.node_id == self_) continue;
    // Known candidates are the common case: no copy of the peer for them.
    const NodeId distance = peer.node_id ^ target_;
    auto it = candidates_.lower_bound(distance);
    if (it != candidates_.end() && it->first == distance) continue;
    candidates_.emplace_hint(it, distance, Candidate{peer});
  }
}

Lookup::Candidate* Lookup::find(const NodeId& peer) {
  auto it = candidates_.find(peer ^ target_);
  return it == candidates_.end() ? nullptr : &it->second;
}

std::vector<PeerInfo> Lookup::next_queries() {
  std::vector<PeerInfo> out;
  std::size_t considered = 0;
  for (auto& [distance, candidate] : candidates_) {
    if (in_flight_ >= alpha_ || considered >= k_) break;
    if (candidate.state == State::kFailed) continue;
    ++considered;
    if (candidate.state != State::kFresh) continue;
    candidate.state = State::kInFlight;
    ++in_flight_;
    ++queried_;
    out.push_back(candidate.peer);
  }
  return out;
}

void Lookup::on_answer(const NodeId& peer, const std::vector<PeerInfo>& nodes) {
  Candidate* candidate = find(peer);
  if (candidate == nullptr || candidate->state != State::kInFlight) return;
  candidate->state = State::kAnswered;
  --in_flight_;
  ++answered_;
  add_candidates(nodes);
}

void Lookup::on_failure(const NodeId& peer) {
  Candidate* candidate = find(peer);
  if (candidate == nullptr || candidate->state != State::kInFlight) return;
  candidate->state = State::kFailed;
  --in_flight_;
  ++failed_;
}

bool Lookup::done() const {
  if (in_flight_ > 0) return false;
  std::size_t considered = 0;
  for (const auto& [distance, candidate] : candidates_) {
    if (considered >= k_) break;
    if (candidate.state == State::kFailed) continue;
    ++considered;
    if (candidate.state == State::kFresh) return false;
  }
  return true;
}

LookupResult Lookup::result() const {
  LookupResult result;
  result.target = target_;
  result.queried = queried_;
  result.answered = answered_;
  result.failed = failed_;
  for (const auto& [distance, candidate] : candidates_) {
    if (result.closest.size() >= k_) break;
    if (candidate.state == State::kAnswered) result.closest.push_back(candidate.peer);
  }
  return result;
}

}  // namespace yz::core
