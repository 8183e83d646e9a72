#include "roles/make_process.h"

#include <stdexcept>
#include <vector>

#include "roles/bootstrap/bootstrap.h"
#include "roles/bridge/bridge.h"
#include "roles/core/delaying_process.h"
#include "roles/core/guard.h"
#include "roles/genesis/genesis.h"
#include "roles/node/node.h"

namespace yz::roles {

namespace {

std::unique_ptr<core::Process> make_role(core::Env& env, const core::ProcessConfig& config) {
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

}  // namespace

std::unique_ptr<core::Process> make_process(core::Env& env, const core::ProcessConfig& config) {
  // Every role behind the same per-link limits (roles/core/guard.h).
  const std::uint32_t max_links = config.role == core::Role::kBootstrap
                                      ? config.timing.limits.max_bootstrap_links
                                      : config.timing.limits.max_inbound_links;
  auto guarded = std::make_unique<core::GuardedProcess>(
      env, config.timing.limits, max_links, config.timing.handshake_timeout,
      [&config](core::Env& role_env) { return make_role(role_env, config); });
  std::vector<core::HoldRule> own_rules;
  if (config.delay_rules)
    for (const core::HoldRule& rule : config.delay_rules->rules)
      if (rule.process == config.name) own_rules.push_back(rule);
  if (own_rules.empty()) return guarded;
  // Outermost: a held frame has not reached this process yet, limits included.
  return std::make_unique<core::DelayingProcess>(env, std::move(own_rules), std::move(guarded));
}

}  // namespace yz::roles
