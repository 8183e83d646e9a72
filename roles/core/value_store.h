#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roles/core/node_id.h"
#include "roles/core/rate_limit.h"
#include "roles/core/value.h"

namespace yz::core {

// The values one holder keeps: one per (key, publisher), each until its
// drop time, within the caps of Limits. Ordered containers only, so the
// order values are answered and republished in is the same on every run.
// It checks caps and freshness, not signatures: the caller checks those
// (check_value) before it stores.
class ValueStore {
 public:
  // Where a value sits: its key, then its publisher.
  using Slot = std::pair<NodeId, NodeId>;

  explicit ValueStore(const Limits& limits) : limits_(limits) {}

  // Keeps `value` until `drop_at_ms` (shared clock). Returns "" when it is
  // stored, or already held exactly so (a holder's republish of what this
  // one has is no refusal); else why not: too_large, stale (this holder has
  // the publisher's value at an equal or later seq), node_full or
  // publisher_full. A later seq replaces the publisher's earlier value, the
  // caps counted without the one it replaces.
  std::string put(SignedValue value, std::int64_t drop_at_ms);

  // The values under `key`, by publisher id, after dropping those due at
  // `now_ms`.
  std::vector<SignedValue> get(const NodeId& key, std::int64_t now_ms);

  // Drops every value due at `now_ms`; returns how many.
  std::size_t expire(std::int64_t now_ms);

  // Up to `count` values after `after` (from the first when empty), in slot
  // order: how a holder republishes in slices.
  std::vector<SignedValue> values_after(const std::optional<Slot>& after, std::size_t count) const;
  static Slot slot_of(const SignedValue& value) { return {value.key, value.publisher}; }

  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    SignedValue value;
    std::int64_t drop_at_ms = 0;
  };
  struct Usage {
    std::size_t count = 0;
    std::size_t bytes = 0;
  };

  void erase(std::map<Slot, Entry>::iterator it);

  const Limits& limits_;
  std::map<Slot, Entry> entries_;
  std::map<NodeId, Usage> by_publisher_;
  std::size_t bytes_ = 0;
};

}  // namespace yz::core
