#pragma once

#include <string>
#include <vector>

namespace yz::cluster {

// `yzctl up --role-flag NAME=VALUE`: a role flag every process of the
// cluster is started with (e.g. k=4, republish-interval=5s), checked the
// way the roles will parse it. Appends "--NAME", "VALUE" to `argv` and
// returns "", or returns the error naming the problem. Flags yzctl sets
// itself (addresses, folders, secrets, TLS, faults, delay rules) are
// refused: they have their own yzctl flags or are per process.
std::string add_role_flag(const std::string& spec, std::vector<std::string>* argv);

}  // namespace yz::cluster
