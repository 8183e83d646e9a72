#include "roles/runtime/build_info.h"

#ifndef YZ_BUILD_ID
#define YZ_BUILD_ID "dev"
#endif

namespace yz::runtime {

std::string_view build_id() { return YZ_BUILD_ID; }

}  // namespace yz::runtime
