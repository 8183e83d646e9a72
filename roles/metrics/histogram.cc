#include "roles/metrics/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace yz::metrics {

Histogram::Histogram(BucketBoundaries boundaries) : boundaries_(std::move(boundaries)) {
  if (!boundaries_.empty() && std::isinf(boundaries_.back()) && boundaries_.back() > 0) {
    boundaries_.pop_back();
  }
  for (std::size_t i = 0; i < boundaries_.size(); ++i) {
    if (std::isnan(boundaries_[i]) || (i > 0 && !(boundaries_[i - 1] < boundaries_[i]))) {
      throw std::invalid_argument("histogram bucket boundaries must be strictly ascending");
    }
  }
  bucket_counts_.assign(boundaries_.size() + 1, 0);
}

void Histogram::Observe(double v) {
  // NaN compares false with every bound, which would put it in the first
  // bucket; it belongs in +Inf only, as in the Go client.
  const std::size_t bucket =
      std::isnan(v)
          ? boundaries_.size()
          : static_cast<std::size_t>(std::lower_bound(boundaries_.begin(), boundaries_.end(), v) -
                                     boundaries_.begin());
  ++bucket_counts_[bucket];
  sum_ += v;
  ++count_;
}

std::vector<std::uint64_t> Histogram::CumulativeCounts() const {
  std::vector<std::uint64_t> cumulative(bucket_counts_.size());
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < bucket_counts_.size(); ++i) {
    running += bucket_counts_[i];
    cumulative[i] = running;
  }
  return cumulative;
}

}  // namespace yz::metrics
