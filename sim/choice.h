#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace yz::sim {

// Every decision the simulator leaves open is a choice point: which of the
// events ready at one virtual instant runs first (an order key), how long a
// frame or a link set-up step takes on the wire (a latency), and how late a
// process starts within its jitter window. A Chooser answers them; the
// strategies (random, pct, exhaustive, swarm) and replay are choosers, so the
// simulator itself has one code path for all of them.
enum class ChoiceKind : std::uint8_t {
  kOrder,    // a tie-break key among events at the same instant; 0 = FIFO
  kLatency,  // offset above the scenario's minimum latency; 0 = fastest
  kJitter,   // offset into a process's start window; 0 = on time
};

std::string_view choice_kind_name(ChoiceKind kind);

struct Choice {
  ChoiceKind kind;
  std::uint64_t value;
};

class Chooser {
 public:
  virtual ~Chooser() = default;
  // A value in [0, limit] (limit 0 still allows only 0; kOrder passes
  // UINT64_MAX). `target` is the process the event is for, -1 for none.
  virtual std::uint64_t choose(ChoiceKind kind, std::uint64_t limit, int target) = 0;
};

// The choices of one run, in the order they were made: enough to replay it.
using ChoiceLog = std::vector<Choice>;

}  // namespace yz::sim
