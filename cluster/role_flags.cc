#include "cluster/role_flags.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "roles/core/frame.h"
#include "roles/runtime/flags.h"

namespace yz::cluster {
namespace {

// Per process, or set by other yzctl flags.
constexpr std::array<std::string_view, 16> kManaged = {"name",
                                                       "data-dir",
                                                       "listen",
                                                       "http",
                                                       "bootstrap",
                                                       "advertise",
                                                       "bridge-auth-file",
                                                       "genesis-auth-file",
                                                       "tls-cert",
                                                       "tls-key",
                                                       "tls-ca",
                                                       "fault",
                                                       "delay-rules",
                                                       "delay-rules-time-scale",
                                                       "help",
                                                       "version"};

}  // namespace

std::string add_role_flag(const std::string& spec, std::vector<std::string>* argv) {
  const std::size_t equals = spec.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == spec.size()) {
    return "invalid --role-flag '" + spec + "': expected NAME=VALUE, such as k=4";
  }
  std::string name = spec.substr(0, equals);
  if (name.rfind("--", 0) == 0) name.erase(0, 2);
  const std::string value = spec.substr(equals + 1);
  if (std::find(kManaged.begin(), kManaged.end(), name) != kManaged.end()) {
    return "invalid --role-flag '" + spec + "': yzctl sets --" + name + " itself";
  }
  // Parsed as a node would parse it (every role shares the table), with
  // the one flag a node requires, and no environment.
  const runtime::FlagsParse parsed =
      runtime::parse_flags(core::Role::kNode, {"--bootstrap", "127.0.0.1:1", "--" + name, value},
                           [](const char*) -> const char* { return nullptr; });
  if (!parsed.flags) {
    return "invalid --role-flag '" + spec +
           "': " + (parsed.error.empty() ? std::string("not a value flag") : parsed.error);
  }
  argv->push_back("--" + name);
  argv->push_back(value);
  return {};
}

}  // namespace yz::cluster
