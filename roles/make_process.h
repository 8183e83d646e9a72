#pragma once

#include <memory>

#include "roles/core/env.h"
#include "roles/core/process.h"

namespace yz::roles {

// The role instance for config.role, acting through `env`. Both drivers (the
// runtime and the simulator) build processes here, so they run the same code.
std::unique_ptr<core::Process> make_process(core::Env& env, const core::ProcessConfig& config);

}  // namespace yz::roles
