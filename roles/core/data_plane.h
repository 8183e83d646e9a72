#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "roles/core/env.h"
#include "roles/core/identity.h"
#include "roles/core/lookup.h"
#include "roles/core/message.h"
#include "roles/core/rate_limit.h"
#include "roles/core/value.h"
#include "roles/core/value_store.h"

namespace yz::core {

class ConnectionManager;
class CoreMetrics;
class Dht;
class RoutingTable;
struct ProcessConfig;

struct PutOutcome {
  bool ok = false;
  // "" | quorum_not_reached | no_peers | too_large | bad_key | timeout |
  // not_member | stopped
  std::string error;
  std::vector<PeerInfo> holders;  // stored it (self included when it stored locally)
  std::size_t asked = 0;          // stores sent (and the local one)
  Duration took = 0;
  std::uint64_t seq = 0;
};

struct GetOutcome {
  bool found = false;
  // "" | not_found | no_peers (nobody to ask) | timeout | bad_key |
  // not_member | stopped
  std::string error;
  std::vector<SignedValue> values;  // verified, newest per publisher, by publisher id
  std::vector<PeerInfo> sources;    // the peers that answered with a value (self for a local hit)
  std::size_t asked = 0;            // find_value queries sent
  Duration took = 0;
};

// The data plane of one DHT member (issue 17): puts and gets for its
// clients, the holder's side of store_value and find_value, expiry and
// republishing. Nothing runs, no timer is armed and no random number is
// drawn until a put, a get or a store reaches it, so a network where nobody
// puts runs exactly as without it.
//
// put signs a value (seq: the publisher's counter, never below the shared
// clock in microseconds, so a restarted publisher's seq keeps growing),
// looks up the k closest nodes to its key (Dht::find_node), and stores it on
// each (itself too when it is among them and holds values); it is
// acknowledged once Timing::put_write_quorum (W; k when W is above k) of
// them stored it, never on fewer: a lookup that found fewer ends
// quorum_not_reached with the holders it did reach. Stores go on after the
// acknowledgement, best effort. get answers from the local store when it
// holds the key, else runs an iterative find_value, which ends at the first
// answer with a sound value. Bridges are clients only: they never hold a
// value and are never asked to.
//
// `done` runs exactly once, on the core's thread; for a call refused at
// once (bad_key, too_large, not_member, stopped) before put or get returns.
class DataPlane {
 public:
  DataPlane(Env& env, CoreMetrics& metrics, const ProcessConfig& config, const PeerInfo& self,
            Dht& dht, RoutingTable& routing_table, std::function<bool()> is_member);
  ~DataPlane();
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  // A budget of 0 or less: Timing::put_timeout / get_timeout.
  void put(std::string name, std::string data, Duration budget,
           std::function<void(PutOutcome)> done);
  void get(std::string name, Duration budget, std::function<void(GetOutcome)> done);

  std::size_t values_held() const { return store_.size(); }
  std::size_t bytes_held() const { return store_.bytes(); }
  // Nodes and genesis hold values; bridges do not.
  bool holds_values() const { return holder_; }
  // What this member holds, for observers (the simulator's checks, tests).
  const ValueStore& store() const { return store_; }

  // A store_value or find_value request from a peer (Dht dispatches them).
  void on_request(ConnectionManager& from, Message&& message);

  // The process stops: pending puts and gets end with "stopped", timers
  // are cancelled, and nothing is sent from now on.
  void shutdown();

 private:
  struct PutState {
    SignedValue value;
    TimePoint started_at = 0;
    TimePoint deadline = 0;
    TimerId budget_timer = 0;
    std::function<void(PutOutcome)> done;  // empty once called
    PutOutcome outcome;
    bool looked_up = false;
    std::size_t quorum = 0;
    std::size_t targets = 0;
    std::size_t outstanding = 0;  // stores sent and not answered yet
  };
  struct GetState {
    std::string name;
    std::unique_ptr<Lookup> lookup;  // none for a local hit
    TimePoint started_at = 0;
    TimePoint deadline = 0;
    TimerId budget_timer = 0;
    std::function<void(GetOutcome)> done;
  };

  std::int64_t now_ms() const { return env_.shared_clock_ms(); }
  std::uint64_t next_seq();
  bool verify(std::string_view public_key, std::string_view message, std::string_view signature);
  void refused(const std::string& reason);

  void store_on_targets(std::uint64_t id, const std::vector<PeerInfo>& answered);
  void on_store_answer(std::uint64_t id, const PeerInfo& peer, Message* response);
  void finish_put(PutState& state, std::string error);
  void settle_put(std::uint64_t id);

  void advance_get(std::uint64_t id);
  void on_find_value_answer(std::uint64_t id, const PeerInfo& peer, Message* response);
  void finish_get(std::uint64_t id, GetOutcome outcome);

  void answer_store(ConnectionManager& from, const Message& message, msg::StoreValue& store);
  void answer_find_value(ConnectionManager& from, const Message& message,
                         const msg::FindValue& find);

  // Holds a value until its expiry, capped at value_ttl (plus skew) from now.
  std::string keep(SignedValue value);
  void arm_republish();
  void republish_slice(std::optional<ValueStore::Slot> after);

  Env& env_;
  CoreMetrics& metrics_;
  const ProcessConfig& config_;
  const PeerInfo& self_;
  Dht& dht_;
  RoutingTable& routing_table_;
  std::function<bool()> is_member_;
  bool holder_;
  std::shared_ptr<SignatureVerifier> verifier_;  // made on first use
  ValueStore store_;
  std::uint64_t last_seq_ = 0;
  std::map<std::uint64_t, std::unique_ptr<PutState>> puts_;
  std::map<std::uint64_t, std::unique_ptr<GetState>> gets_;
  std::uint64_t next_id_ = 1;
  TimerId republish_timer_ = 0;
  bool shut_down_ = false;
  // find_value answered per peer, at find_node's rate (Limits::lookups_*).
  KeyedLimiter<NodeId> find_value_limit_;
  LimitHits limited_{env_, "lookups"};
};

}  // namespace yz::core
