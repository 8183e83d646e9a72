#pragma once

#include <prometheus/registry.h>

#include <functional>
#include <vector>

#include "roles/metrics/types.h"

namespace yz::metrics {

// prometheus-cpp's registry plus what it lacks: callbacks run before every
// serialisation, so gauges computed from other state (process CPU time, open
// file descriptors) are refreshed just before they are read instead of on
// every change. One per process, and one per simulated process.
//
// Families are registered with the builders (BuildCounter().Name(...)
// .Register(registry)); a second registration of the same name, type and
// constant labels returns the first family (prometheus-cpp's Merge).
class Registry : public prometheus::Registry {
 public:
  Registry() = default;

  // A callback may add metrics but must not add callbacks.
  void AddCollectCallback(std::function<void()> callback) {
    collect_callbacks_.push_back(std::move(callback));
  }
  void RunCollectCallbacks() {
    for (const auto& callback : collect_callbacks_) callback();
  }

 private:
  std::vector<std::function<void()>> collect_callbacks_;
};

}  // namespace yz::metrics
