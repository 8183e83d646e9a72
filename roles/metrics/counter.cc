#include "roles/metrics/counter.h"

namespace yz::metrics {

void Counter::Increment(double v) {
  // Written as !(v >= 0) so that NaN is rejected too.
  if (!(v >= 0.0)) return;
  value_ += v;
}

}  // namespace yz::metrics
