#include "roles/metrics/builder.h"

#include "roles/metrics/counter.h"
#include "roles/metrics/gauge.h"
#include "roles/metrics/histogram.h"
#include "roles/metrics/registry.h"

namespace yz::metrics {

template <typename T>
Family<T>& Builder<T>::Register(Registry& registry) const {
  return registry.Add<T>(name_, help_, labels_);
}

template class Builder<Counter>;
template class Builder<Gauge>;
template class Builder<Histogram>;

Builder<Counter> BuildCounter() { return {}; }
Builder<Gauge> BuildGauge() { return {}; }
Builder<Histogram> BuildHistogram() { return {}; }

}  // namespace yz::metrics
