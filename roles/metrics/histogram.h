#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace yz::metrics {

// Counts observations into buckets with fixed upper bounds, such as lookup
// durations. The +Inf bucket is implicit.
//
// Not thread-safe, on purpose: see Counter.
class Histogram {
 public:
  // The keyword of the "# TYPE" line in the exposition format.
  static constexpr std::string_view kTypeName = "histogram";

  using BucketBoundaries = std::vector<double>;

  // Boundaries must be strictly ascending and not NaN, else
  // std::invalid_argument: unsorted bounds would make the cumulative buckets
  // lie. A trailing +Inf is accepted and dropped, since it is always there.
  explicit Histogram(BucketBoundaries boundaries);

  void Observe(double v);

  const BucketBoundaries& boundaries() const { return boundaries_; }
  // One entry per boundary plus the +Inf bucket; entry i counts observations
  // <= boundaries()[i], as Prometheus "le" buckets do. The last equals count().
  std::vector<std::uint64_t> CumulativeCounts() const;
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  BucketBoundaries boundaries_;
  // Per-bucket, not cumulative, so Observe touches one slot.
  std::vector<std::uint64_t> bucket_counts_;
  double sum_ = 0.0;
  std::uint64_t count_ = 0;
};

}  // namespace yz::metrics
