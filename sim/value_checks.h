#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "roles/core/data_plane.h"
#include "roles/core/node_id.h"
#include "sim/run_result.h"
#include "sim/scenario.h"

namespace yz::sim {

// One check of a run: the scenario's own and the generator's, expanded.
struct ValueCheck {
  ValueCheckSpec spec;
  int process = -1;  // `spec.from`'s index in the scenario
};

// The scenario's value checks for one seed, in time order (declaration
// order among equal times): the explicit ones, and the generator's (keys,
// values and members drawn from the seed, from a stream of their own so no
// other draw of the run moves). Checks naming a process not in the scenario
// (shrinking removed it) or falling at or after its end are left out.
std::vector<ValueCheck> expand_value_checks(const Scenario& scenario, std::uint64_t seed);

// Issues the checks' puts and gets through the members' data planes and
// judges the answers by the rules in proto/yz/sim/v1/scenario.proto
// (ValueCheck): an acknowledged put must stay readable. It only reads the
// simulator through Host, so it holds no simulator state of its own.
class ValueChecker {
 public:
  struct Host {
    // A running DHT member (not the bootstrap, not crashed).
    std::function<bool(int process)> running_member;
    // Its data plane's put and get; `done` runs once, later or at once.
    std::function<void(int process, const std::string& key, const std::string& value,
                       std::function<void(core::PutOutcome)> done)>
        put;
    std::function<void(int process, const std::string& key,
                       std::function<void(core::GetOutcome)> done)>
        get;
    std::function<core::NodeId(int process)> node_id;
    std::function<bool(int process)> joined;
    // A safety invariant broke earlier in the run.
    std::function<bool()> safety_broken;
    std::function<void(const std::string& invariant, int process)> violation;
    std::function<core::TimePoint()> now;
    std::ostream* trace = nullptr;
    std::uint32_t k = 20;
    // A value lives this long from its put; gets it cannot outlive are not
    // owed it (Timing::value_ttl, get_timeout).
    core::Duration value_ttl = 24 * 3600 * core::kSecond;
    core::Duration get_timeout = 10 * core::kSecond;
  };

  ValueChecker(std::vector<ValueCheck> checks, Host host);

  const std::vector<ValueCheck>& checks() const { return checks_; }
  // Issues checks()[index] now.
  void issue(std::size_t index);
  // `process` (node id `id`) is about to crash: its copies are gone and
  // what it had in flight will never be answered.
  void crashing(int process, const core::NodeId& id);
  ValueCheckResult result() const;

 private:
  // An acknowledged put, the newest of its publisher for its key.
  struct Acked {
    std::uint64_t seq = 0;
    core::TimePoint issued = 0;      // the put's, before which it cannot expire
    std::set<core::NodeId> holding;  // known to hold it now
    std::uint32_t holder_crashes = 0;
    bool lost = false;
  };
  // What a get must find: a publisher's value, and whether the invariant
  // covered it when the get was issued.
  struct Expected {
    core::NodeId publisher;
    std::uint64_t seq = 0;
    bool held = false;
  };
  struct InFlight {
    int process = -1;
    std::size_t check = 0;
    core::TimePoint issued = 0;
    std::vector<Expected> expected;  // gets only
    bool held = false;
    bool put_before = false;  // a put of its key was issued before it
  };

  void put_done(std::uint64_t op, const core::PutOutcome& outcome);
  void get_done(std::uint64_t op, const core::GetOutcome& outcome);
  void trace_line(const std::string& text);

  std::vector<ValueCheck> checks_;
  Host host_;
  ValueCheckResult result_;
  std::uint64_t next_op_ = 1;
  std::map<std::uint64_t, InFlight> in_flight_;
  // Keys some put was issued for: a get of another finds nothing, and
  // that is no failure.
  std::set<std::string> put_keys_;
  // key -> publisher -> its newest acknowledged put.
  std::map<std::string, std::map<core::NodeId, Acked>> acked_;
};

}  // namespace yz::sim
