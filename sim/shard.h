#pragma once

// Exploration beyond one machine: what one shard of an exploration writes
// (yzsim explore --shard I/N --out FILE) and how yzsim merge combines the
// shards into the result the whole exploration gives on one machine.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/explore.h"
#include "sim/report.h"

namespace yz::sim {

// Everything that makes two explorations the same: shards of different ones
// must not merge. Threads, the process cap and where output goes do not
// change a run, so they are not here.
struct Exploration {
  std::string scenario;             // its name
  std::uint64_t scenario_hash = 0;  // content_hash of the scenario file's text
  std::string strategy;
  std::uint64_t first_seed = 0;
  std::uint64_t runs = 0;
  std::uint32_t depth = 0;          // pct
  std::vector<std::string> faults;  // --fault, in FaultSet order
  bool no_scenario_faults = false;
  bool fast_signatures = false;
  bool operator==(const Exploration&) const = default;
};

// The first failing run of one kind within a shard's slice.
struct ShardFailure {
  std::uint64_t run_index = 0;  // in the whole exploration
  std::uint64_t seed = 0;
  std::uint64_t step = 0;
  // With --save: the KIND.trace the shard wrote, relative to the directory
  // of the shard file (so the results may be moved together), and its
  // content_hash; empty when the shard saved no traces.
  std::string trace;
  std::uint64_t trace_hash = 0;
};

struct ShardResult {
  Exploration exploration;
  std::uint64_t index = 0;  // shard `index` of `count`, from 0
  std::uint64_t count = 1;
  std::uint64_t run_begin = 0;  // the slice: runs [run_begin, run_end)
  std::uint64_t run_end = 0;
  // Wall clock (seconds since the epoch) around the shard's runs; merge
  // reports the time from the first start to the last end. Never decides
  // anything.
  double started_unix = 0;
  double finished_unix = 0;
  // The slice's summary: its counts, histogram, failing seeds, faults and
  // replay command (distinct counts and first failures are below).
  ExploreResult summary;
  std::map<std::string, ShardFailure> first_failure;  // by failure kind
  // Sorted, without repeats: 16 bytes a run, so that a merge of 10^7 runs
  // fits in a few hundred MB.
  std::vector<std::uint64_t> trace_hashes;
  std::vector<std::uint64_t> orderings;
};

// FNV-1a over bytes: names a scenario file's or a saved trace's content.
std::uint64_t content_hash(std::string_view text);

// The shard file: one JSON object (format "yzsim_shard": 1).
std::string to_json(const ShardResult& shard);
// Refuses (nullopt, `error` says what) anything but a complete shard file.
std::optional<ShardResult> shard_from_json(std::string_view text, std::string& error);

struct ShardInput {
  std::string path;  // named in errors
  ShardResult shard;
};

struct Merged {
  ExploreResult summary;  // what the single run prints, wall time aside
  // Per failure kind: the first failing run over all shards (in run order,
  // not in the order the shards are given or finished) and the index in
  // the inputs of the shard that ran it.
  std::map<std::string, ShardFailure> first_failure;
  std::map<std::string, std::size_t> from_input;
};

struct MergeOutcome {
  std::optional<Merged> merged;
  std::string error;  // one line: which files, and what is wrong
};

// Combines shards into the whole exploration's result. Refuses shards of
// different explorations, shards whose runs overlap, and a set that leaves
// runs out (a missing shard), naming the files.
MergeOutcome merge_shards(const std::vector<ShardInput>& inputs);

}  // namespace yz::sim
