#pragma once

#include <cstddef>
#include <map>
#include <vector>

#include "roles/core/env.h"
#include "roles/core/frame.h"
#include "roles/core/node_id.h"

namespace yz::core {

struct LookupResult {
  NodeId target;
  std::vector<PeerInfo> closest;  // up to k peers that answered, closest first
  std::size_t queried = 0;
  std::size_t answered = 0;
  std::size_t failed = 0;
  Duration duration = 0;
  // Nobody answered: the original reports this as "findNode timeout".
  bool timed_out() const { return queried > 0 && answered == 0; }
};

// The state of one iterative Kademlia find_node: which candidates are known,
// which are being asked, which answered. No I/O: the DHT asks the peers this
// returns from next_queries() and reports back. The lookup ends when none of
// the k closest candidates still waits to be asked and nothing is in flight.
class Lookup {
 public:
  Lookup(NodeId self, NodeId target, std::size_t k, std::size_t alpha);

  // Learns candidates; ignores self and those already known.
  void add_candidates(const std::vector<PeerInfo>& peers);

  // Candidates to ask now (up to alpha in flight in total), marked in flight.
  std::vector<PeerInfo> next_queries();

  void on_answer(const NodeId& peer, const std::vector<PeerInfo>& nodes);
  void on_failure(const NodeId& peer);

  bool done() const;
  LookupResult result() const;
  const NodeId& target() const { return target_; }

 private:
  enum class State { kFresh, kInFlight, kAnswered, kFailed };
  struct Candidate {
    PeerInfo peer;
    State state = State::kFresh;
  };
  Candidate* find(const NodeId& peer);

  NodeId self_;
  NodeId target_;
  std::size_t k_;
  std::size_t alpha_;
  // Keyed by XOR distance to the target, so iteration is closest first.
  std::map<NodeId, Candidate> candidates_;
  std::size_t in_flight_ = 0;
  std::size_t queried_ = 0;
  std::size_t answered_ = 0;
  std::size_t failed_ = 0;
};

}  // namespace yz::core
