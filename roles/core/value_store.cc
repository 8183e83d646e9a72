#include "roles/core/value_store.h"

namespace yz::core {

std::string ValueStore::put(SignedValue value, std::int64_t drop_at_ms) {
  const std::size_t size = value_size(value);
  if (value.data.size() > limits_.max_value_bytes) return "too_large";
  const Slot slot = slot_of(value);
  auto held = entries_.find(slot);
  std::size_t replaced_bytes = 0;
  if (held != entries_.end()) {
    const SignedValue& old = held->second.value;
    if (value.seq < old.seq) return "stale";
    if (value.seq == old.seq) return old.signature == value.signature ? "" : "stale";
    replaced_bytes = value_size(old);
  }
  const std::size_t replaced_count = held != entries_.end() ? 1 : 0;
  Usage usage;
  if (auto it = by_publisher_.find(value.publisher); it != by_publisher_.end()) usage = it->second;
  if (entries_.size() - replaced_count + 1 > limits_.max_values_per_node ||
      bytes_ - replaced_bytes + size > limits_.max_value_bytes_per_node)
    return "node_full";
  if (usage.count - replaced_count + 1 > limits_.max_values_per_publisher ||
      usage.bytes - replaced_bytes + size > limits_.max_value_bytes_per_publisher)
    return "publisher_full";
  if (held != entries_.end()) erase(held);
  Usage& counted = by_publisher_[value.publisher];
  ++counted.count;
  counted.bytes += size;
  bytes_ += size;
  entries_.emplace(slot, Entry{std::move(value), drop_at_ms});
  return {};
}

void ValueStore::erase(std::map<Slot, Entry>::iterator it) {
  const std::size_t size = value_size(it->second.value);
  auto usage = by_publisher_.find(it->first.second);
  if (usage != by_publisher_.end()) {
    --usage->second.count;
    usage->second.bytes -= size;
    if (usage->second.count == 0) by_publisher_.erase(usage);
  }
  bytes_ -= size;
  entries_.erase(it);
}

std::vector<SignedValue> ValueStore::get(const NodeId& key, std::int64_t now_ms) {
  std::vector<SignedValue> out;
  auto it = entries_.lower_bound(Slot{key, NodeId{}});
  while (it != entries_.end() && it->first.first == key) {
    if (it->second.drop_at_ms <= now_ms) {
      auto due = it++;
      erase(due);
      continue;
    }
    out.push_back(it->second.value);
    ++it;
  }
  return out;
}

std::size_t ValueStore::expire(std::int64_t now_ms) {
  std::size_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.drop_at_ms > now_ms) {
      ++it;
      continue;
    }
    auto due = it++;
    erase(due);
    ++dropped;
  }
  return dropped;
}

std::vector<SignedValue> ValueStore::values_after(const std::optional<Slot>& after,
                                                  std::size_t count) const {
  std::vector<SignedValue> out;
  auto it = after ? entries_.upper_bound(*after) : entries_.begin();
  for (; it != entries_.end() && out.size() < count; ++it) out.push_back(it->second.value);
  return out;
}

}  // namespace yz::core
