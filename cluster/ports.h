#pragma once

namespace yz::cluster {

// A TCP port on 127.0.0.1 the kernel considers free right now (0 if none).
// Whoever binds it a moment later may find it taken by another process in
// between; start-up then fails loudly rather than silently moving.
int free_loopback_port();

}  // namespace yz::cluster
