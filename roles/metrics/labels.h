#pragma once

#include <map>
#include <string>

namespace yz::metrics {

// An ordered map so that a label set is its own canonical form: equal sets
// compare equal and serialize in the same order.
using Labels = std::map<std::string, std::string>;

}  // namespace yz::metrics
