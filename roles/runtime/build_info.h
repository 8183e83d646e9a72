#pragma once

#include <string_view>

namespace yz::runtime {

// "<version>+<commit>", fixed when the build was configured. Every process
// sends it in `register`, and the bootstrap refuses another build's.
std::string_view build_id();

}  // namespace yz::runtime
