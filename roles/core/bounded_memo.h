#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <unordered_map>
#include <utility>

namespace yz::core {

// A map that remembers at most `capacity` entries and forgets the oldest
// first. Only looked up, never iterated, so neither the hash order nor the
// eviction can leak into what a process does: a memo of answers that are
// the same whether remembered or computed again (signature checks) only
// changes what they cost.
template <class Key, class Value, class Hash = std::hash<Key>>
class BoundedMemo {
 public:
  explicit BoundedMemo(std::size_t capacity) : capacity_(capacity > 0 ? capacity : 1) {}

  const Value* find(const Key& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }
  bool contains(const Key& key) const { return entries_.contains(key); }

  // A key already present keeps its age and takes the new value.
  void insert(const Key& key, Value value) {
    if (auto it = entries_.find(key); it != entries_.end()) {
      it->second = std::move(value);
      return;
    }
    if (entries_.size() >= capacity_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    entries_.emplace(key, std::move(value));
    order_.push_back(key);
  }

  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  std::size_t capacity_;
  std::unordered_map<Key, Value, Hash> entries_;
  std::deque<Key> order_;  // insertion order: front is the oldest
};

}  // namespace yz::core
