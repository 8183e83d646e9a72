#include "roles/make_process.h"

#include <stdexcept>

#include "roles/bootstrap/bootstrap.h"
#include "roles/bridge/bridge.h"
#include "roles/genesis/genesis.h"
#include "roles/node/node.h"

namespace yz::roles {

std::unique_ptr<core::Process> make_process(core::Env& env, const core::ProcessConfig& config) {
  switch (config.role) {
    case core::Role::kBootstrap:
      return std::make_unique<Bootstrap>(env, config);
    case core::Role::kGenesis:
      return std::make_unique<Genesis>(env, config);
    case core::Role::kBridge:
      return std::make_unique<Bridge>(env, config);
    case core::Role::kNode:
      return std::make_unique<Node>(env, config);
    case core::Role::kUnspecified:
      break;
  }
  throw std::invalid_argument("process " + config.name + " has no role");
}

}  // namespace yz::roles
