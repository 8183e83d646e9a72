#pragma once

#include <string>

#include "cluster/commands/common.h"

namespace yz::cluster::commands {

// Steps every `yzctl up` takes, with or without --scenario (up.cc).

// Every role binary in `bin_dir`, executable; returns "" or the first one
// missing.
std::string check_binaries(const std::string& bin_dir);

// A folder that already holds a cluster record: refuses when any of its
// processes still runs, else clears the stale state. Returns "" to go on,
// else the error; sets *stale_note when stale state was replaced.
std::string take_over(const ClusterDir& dir, std::string* stale_note);

}  // namespace yz::cluster::commands
