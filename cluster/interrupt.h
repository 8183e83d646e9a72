#pragma once

namespace yz::cluster {

// SIGINT and SIGTERM set a flag instead of killing yzctl, so that a command
// in the middle of starting processes can stop what it started and say so
// rather than leave a half-started cluster behind.
void catch_interrupts();
bool interrupted();

}  // namespace yz::cluster
