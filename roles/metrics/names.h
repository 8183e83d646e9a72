#pragma once

#include <string_view>

#include "roles/metrics/labels.h"

namespace yz::metrics {

// Names are checked when a family or metric is created so that a bad name
// fails loudly in the code that chose it, not later as an unscrapable page.

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);

// [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__" (reserved for Prometheus).
bool IsValidLabelName(std::string_view name);

// Throws std::invalid_argument naming the metric.
void ValidateMetricName(std::string_view name);

// Throws std::invalid_argument naming the first bad label and the metric. Also
// rejects "le" and "quantile": the serializer adds "le" to histogram buckets
// and promtool reserves "quantile" for summaries.
void ValidateLabelNames(std::string_view metric, const Labels& labels);

}  // namespace yz::metrics
