#pragma once

#include <string>
#include <string_view>

#include "roles/metrics/registry.h"

namespace yz::metrics {

// The Content-Type to serve SerializeText's output with.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Runs the registry's collect callbacks, then renders it with prometheus-cpp's
// TextSerializer (exposition format 0.0.4). Families are sorted by name and
// series by label set first: prometheus-cpp keeps families in registration
// order and series in a hash map, and a page that does not depend on either
// is what lets tests and diffs compare pages. Families with no series yet are
// left out (prometheus-cpp's rule), which is why yz creates every known series
// up front.
std::string SerializeText(Registry& registry);

}  // namespace yz::metrics
