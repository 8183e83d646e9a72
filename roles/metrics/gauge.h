#pragma once

#include <string_view>

namespace yz::metrics {

// A value that can go up and down, such as connected peers.
//
// Not thread-safe, on purpose: see Counter.
class Gauge {
 public:
  // The keyword of the "# TYPE" line in the exposition format.
  static constexpr std::string_view kTypeName = "gauge";

  void Set(double v) { value_ = v; }
  void Increment(double v = 1.0) { value_ += v; }
  void Decrement(double v = 1.0) { value_ -= v; }
  double Value() const { return value_; }

 private:
  double value_ = 0.0;
};

}  // namespace yz::metrics
