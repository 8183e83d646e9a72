#pragma once

#include <string>
#include <string_view>

#include "roles/metrics/registry.h"

namespace yz::metrics {

// The Content-Type to serve SerializeText's output with.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Runs the registry's collect callbacks, then renders every family in the
// Prometheus text exposition format 0.0.4. Families are sorted by name and
// metrics by label set, so equal registries give byte-identical pages (which
// is what lets tests and diffs compare them). Families with no metrics still
// get their HELP and TYPE lines.
std::string SerializeText(Registry& registry);

}  // namespace yz::metrics
