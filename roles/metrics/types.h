#pragma once

// The metric types yz uses, which are prometheus-cpp's own. Aliased so call
// sites name them once (metrics::Counter, metrics::BuildCounter()) and do not
// spell out which library provides them.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/labels.h>

namespace yz::metrics {

using Counter = prometheus::Counter;
using Gauge = prometheus::Gauge;
using Histogram = prometheus::Histogram;
using Labels = prometheus::Labels;
template <typename T>
using Family = prometheus::Family<T>;

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

}  // namespace yz::metrics
