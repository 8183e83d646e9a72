#pragma once

#include "roles/core/frame.h"

namespace yz::runtime {

// The whole life of one role process: flags, data dir, node id, gRPC server
// and HTTP endpoints, the core behind one lock (CoreGate: the io thread, or
// a gRPC thread delivering a frame), a clean stop on SIGTERM or
// SIGINT. Returns the exit status (0, or 2 for bad configuration).
int run_role_process(core::Role role, int argc, char** argv);

}  // namespace yz::runtime
