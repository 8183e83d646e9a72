#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/choice.h"
#include "sim/prng.h"

namespace yz::sim {

// How explore (and run) draw the choice points of a run.
enum class Strategy : std::uint8_t {
  kFifo,        // ties in scheduling order, latencies drawn from the seed
  kRandom,      // everything drawn from the seed
  kPct,         // probabilistic concurrency testing, depth d
  kExhaustive,  // every delay-bounded ordering, enumerated
  kSwarm,       // random, plus scenario knobs drawn per run
};

std::string_view strategy_name(Strategy strategy);
std::optional<Strategy> strategy_from_name(std::string_view name);

// Seeded uniform choices; with fifo_order, order keys are 0 (FIFO).
class RandomChooser : public Chooser {
 public:
  RandomChooser(std::uint64_t seed, bool fifo_order) : rng_(seed), fifo_order_(fifo_order) {}
  std::uint64_t choose(ChoiceKind kind, std::uint64_t limit, int target) override;

 private:
  Xoshiro256 rng_;
  bool fifo_order_;
};

// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010) on a timed
// network. Each process gets a random distinct priority above d; an event
// for a higher-priority process gets a shorter latency and wins ties, so the
// highest-priority process runs first, as PCT's scheduler would have it. At
// d-1 change points, drawn uniformly over the run's first `expected_points`
// latency choices, the priority of the process that choice is for drops to
// i (below every initial one). A bug of depth d is found with probability at
// least 1/(n * k^(d-1)) per run.
class PctChooser : public Chooser {
 public:
  PctChooser(std::uint64_t seed, std::size_t processes, std::uint32_t depth,
             std::uint64_t expected_points);
  std::uint64_t choose(ChoiceKind kind, std::uint64_t limit, int target) override;

 private:
  std::uint64_t rank(int target) const;
  Xoshiro256 rng_;
  std::vector<std::uint64_t> priority_;
  std::set<std::uint64_t> change_points_;  // latency choice indices
  std::uint64_t next_change_priority_ = 1;
  std::uint64_t latency_points_ = 0;
  std::uint64_t top_priority_ = 0;
};

// Exhaustive, delay-bounded (Emmi, Qadeer, Rakamaric, POPL 2011): every
// latency choice is either the fastest (0) or the slowest (limit); the run
// takes the slow branch exactly at the `delayed` latency choice indices, and
// all else is the default (fastest latency, FIFO ties, no start jitter).
class ExhaustiveChooser : public Chooser {
 public:
  explicit ExhaustiveChooser(std::vector<std::uint64_t> delayed) : delayed_(std::move(delayed)) {}
  std::uint64_t choose(ChoiceKind kind, std::uint64_t limit, int target) override;
  std::uint64_t latency_points() const { return latency_points_; }

 private:
  std::vector<std::uint64_t> delayed_;  // ascending
  std::size_t next_ = 0;
  std::uint64_t latency_points_ = 0;
};

// Answers from a recorded log. Strict: a choice of another kind than was
// recorded, or past the log's end, is a divergence (noted, then answered
// with the default). Lenient (for shrinking, where the run is meant to
// change): the same situations quietly answer the default.
class ReplayChooser : public Chooser {
 public:
  explicit ReplayChooser(const ChoiceLog& log) : log_(log) {}
  std::uint64_t choose(ChoiceKind kind, std::uint64_t limit, int target) override;
  // Index of the first choice that did not match the log, if any.
  std::optional<std::uint64_t> divergence() const { return divergence_; }
  std::uint64_t consumed() const { return next_; }

 private:
  const ChoiceLog& log_;
  std::uint64_t next_ = 0;
  std::optional<std::uint64_t> divergence_;
};

}  // namespace yz::sim
