#include "sim/strategies.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace yz::sim {

std::string_view choice_kind_name(ChoiceKind kind) {
  switch (kind) {
    case ChoiceKind::kOrder:
      return "order";
    case ChoiceKind::kLatency:
      return "latency";
    case ChoiceKind::kJitter:
      return "jitter";
  }
  return "unknown";
}

std::string_view strategy_name(Strategy strategy) {
  switch (strategy) {
    case Strategy::kFifo:
      return "fifo";
    case Strategy::kRandom:
      return "random";
    case Strategy::kPct:
      return "pct";
    case Strategy::kExhaustive:
      return "exhaustive";
    case Strategy::kSwarm:
      return "swarm";
  }
  return "unknown";
}

std::optional<Strategy> strategy_from_name(std::string_view name) {
  for (Strategy s : {Strategy::kFifo, Strategy::kRandom, Strategy::kPct, Strategy::kExhaustive,
                     Strategy::kSwarm})
    if (strategy_name(s) == name) return s;
  return std::nullopt;
}

std::uint64_t RandomChooser::choose(ChoiceKind kind, std::uint64_t limit, int /*target*/) {
  if (kind == ChoiceKind::kOrder) return fifo_order_ ? 0 : rng_.next();
  return rng_.uniform(0, limit);
}

PctChooser::PctChooser(std::uint64_t seed, std::size_t processes, std::uint32_t depth,
                       std::uint64_t expected_points)
    : rng_(seed), priority_(processes) {
  // Initial priorities d .. d+n-1 in a random order (Fisher-Yates).
  std::iota(priority_.begin(), priority_.end(), std::uint64_t{depth});
  for (std::size_t i = priority_.size(); i > 1; --i)
    std::swap(priority_[i - 1], priority_[rng_.uniform(0, i - 1)]);
  top_priority_ = depth + processes;
  const std::uint64_t points = std::max<std::uint64_t>(expected_points, 1);
  for (std::uint32_t i = 1; i < depth && change_points_.size() < points; ++i) {
    std::uint64_t p = rng_.uniform(0, points - 1);
    while (change_points_.contains(p)) p = (p + 1) % points;
    change_points_.insert(p);
  }
}

std::uint64_t PctChooser::rank(int target) const {
  if (target < 0 || static_cast<std::size_t>(target) >= priority_.size()) return top_priority_;
  return priority_[target];
}

std::uint64_t PctChooser::choose(ChoiceKind kind, std::uint64_t limit, int target) {
  switch (kind) {
    case ChoiceKind::kOrder:
      // Higher priority, smaller key: it runs first among simultaneous events.
      return top_priority_ - rank(target);
    case ChoiceKind::kJitter:
      return rng_.uniform(0, limit);
    case ChoiceKind::kLatency: {
      if (change_points_.contains(latency_points_++) && target >= 0 &&
          static_cast<std::size_t>(target) < priority_.size())
        priority_[target] = next_change_priority_++;
      // Latency falls linearly with priority: the top process gets the
      // minimum, the lowest the maximum.
      const std::uint64_t below_top = top_priority_ - rank(target);
      __extension__ using Wide = unsigned __int128;
      return static_cast<std::uint64_t>(static_cast<Wide>(limit) * below_top / top_priority_);
    }
  }
  return 0;
}

std::uint64_t ExhaustiveChooser::choose(ChoiceKind kind, std::uint64_t limit, int /*target*/) {
  if (kind != ChoiceKind::kLatency) return 0;
  const std::uint64_t index = latency_points_++;
  if (next_ < delayed_.size() && delayed_[next_] == index) {
    ++next_;
    return limit;
  }
  return 0;
}

std::uint64_t ReplayChooser::choose(ChoiceKind kind, std::uint64_t limit, int /*target*/) {
  const std::uint64_t index = next_++;
  if (index >= log_.size() || log_[index].kind != kind || log_[index].value > limit) {
    if (!divergence_) divergence_ = index;
    return 0;
  }
  return log_[index].value;
}

}  // namespace yz::sim
