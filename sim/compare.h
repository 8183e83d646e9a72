#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/timeline.h"

namespace yz::sim {

// yzsim compare SIM.json REAL.json: holds a simulated run against a run of
// real processes of the same scenario (or any two run records). Real
// processes on localhost have no simulated latency and are sampled, not
// observed after every step, so counts are shown side by side and only what
// should survive that difference is judged: which anchors are healthy,
// whether every DHT node joined, on which kind of node links lack a DHT
// listener, and, within stated tolerances, how many DHT nodes did not join
// and when processes joined.
struct CompareTolerances {
  // How many more or fewer DHT nodes may end not joined. Unset: the default,
  // max(2, ceil(20% of the first record's DHT nodes)) (see compare.cc).
  std::optional<std::uint64_t> isolated;
  // How far apart, in scenario time, a process's join may be when it joined
  // in both runs, once the median offset is taken off. Unset: the default,
  // 5 s (see compare.cc).
  std::optional<std::int64_t> join_time_ns;
};

// One process in one record, as the comparison reads it.
struct CompareSide {
  bool present = false;
  std::string role;
  bool healthy = false;
  std::string state;  // the join state; "healthy"/"unhealthy" for records without one
  bool joined = false;
  std::uint64_t connected_peers = 0;
  std::uint64_t routing_table_size = 0;
  std::uint64_t peers_missing_handler = 0;
  std::uint64_t dropped_no_handler = 0;
  // The first health sample in which it was a member with a peer and a
  // routing entry (core/join_state.h's "joined", less the handler check).
  std::optional<std::int64_t> joined_at_ns;
};

struct CompareRow {
  std::string name;
  CompareSide sim;
  CompareSide real;
  // Same final health and join state and, when it ended joined in both,
  // join times within the tolerance. Shown per row; the verdict judges only the checks.
  bool agree = false;
  std::vector<std::string> differences;  // "healthy", "state", "join_time", "missing"
};

// A link end that lacks a DHT listener at the end of the run.
struct ListenerlessLink {
  std::string owner;
  std::string owner_role;  // the kind of node whose end lacks the listener
  std::string peer;        // empty when the record does not know the peer
};

struct CompareRecordSummary {
  std::string scenario;
  std::uint64_t seed = 0;
  std::vector<std::string> faults;
  std::uint64_t dht_nodes = 0;
  std::uint64_t dht_nodes_joined = 0;
  std::map<std::string, std::uint64_t> unjoined_states;  // of DHT nodes: isolated, degraded, ...
  std::vector<std::string> healthy_anchors;              // bootstrap, genesis, bridges: by name
  std::vector<ListenerlessLink> listenerless_links;
  std::map<std::string, std::uint64_t> listenerless_by_kind;  // owner role -> links
  // True when the record has no link events, and the kinds were read from
  // the processes' peers_missing_handler instead.
  bool kinds_from_counters = false;
};

struct CompareCheck {
  std::string name;  // processes, healthy_anchors, all_nodes_joined, ...
  std::string rule;  // the tolerance, written out
  std::string why;   // why it is that strict
  bool applies = true;
  bool passed = true;
  std::string detail;  // what each side had
};

struct Comparison {
  CompareRecordSummary sim;
  CompareRecordSummary real;
  std::uint64_t isolated_tolerance = 0;
  std::int64_t join_time_tolerance_ns = 0;
  // The median of (real - sim) join times, taken off before they are
  // compared: the real processes' start-up cost and sampling delay.
  std::int64_t join_time_offset_ns = 0;
  std::vector<CompareRow> rows;
  std::vector<CompareCheck> checks;
  bool agree = false;
};

// Why two records cannot be compared at all (exit 2), or nullopt: they
// name different scenarios.
std::optional<std::string> incomparable(const RunRecord& sim, const RunRecord& real);

// The comparison; pure, and the same for the same two records.
Comparison compare_runs(const RunRecord& sim, const RunRecord& real,
                        const CompareTolerances& tolerances = {});

// compare_print.cc: the side-by-side table with the verdict, and --json.
std::string compare_table(const Comparison& comparison, const std::string& sim_path,
                          const std::string& real_path);
std::string to_json(const Comparison& comparison);

}  // namespace yz::sim
