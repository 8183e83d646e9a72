#pragma once

#include <string_view>

namespace yz::metrics {

// A monotonically increasing value, such as requests served.
//
// Not thread-safe, on purpose: every metric is owned by a core that runs on a
// single thread, and the HTTP exposition is posted onto that thread, so locks
// or atomics would cost on every hot-path increment and buy nothing.
class Counter {
 public:
  // The keyword of the "# TYPE" line in the exposition format.
  static constexpr std::string_view kTypeName = "counter";

  // Negative (and NaN) increments are ignored rather than thrown on: a counter
  // that went down would read as a process restart to rate().
  void Increment(double v = 1.0);
  double Value() const { return value_; }

 private:
  double value_ = 0.0;
};

}  // namespace yz::metrics
