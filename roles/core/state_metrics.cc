#include "roles/core/state_metrics.h"

#include <string>

namespace yz::core {

StateMetrics::StateMetrics(metrics::Registry& registry, const FaultSet& faults) {
  auto& state = metrics::BuildGauge()
                    .Name("yz_state")
                    .Help(
                        "1 for the join state this process is in (joining, joined, isolated, "
                        "degraded: a peer's link has no DHT handler), 0 for the others")
                    .Register(registry);
  for (std::size_t i = 0; i < kJoinStateNames.size(); ++i)
    state_[i] = &state.Add({{"state", std::string(kJoinStateNames[i])}});
  auto& reason = metrics::BuildGauge()
                     .Name("yz_health_reason")
                     .Help(
                         "1 for why this process is not joined (none when it is; "
                         "peers_drop_frames: requests unanswered, nothing late; network_slow: "
                         "answers arrive after their timeout), 0 for the other reasons")
                     .Register(registry);
  for (std::size_t i = 0; i < kHealthReasonNames.size(); ++i)
    reason_[i] = &reason.Add({{"reason", std::string(kHealthReasonNames[i])}});
  set_reason(HealthReason::kNone);
  auto& fault = metrics::BuildGauge()
                    .Name("yz_fault_enabled")
                    .Help("1 when this known bug of the original system is switched on here")
                    .Register(registry);
  for (const FaultInfo& info : all_faults())
    faults_.emplace_back(info.fault, &fault.Add({{"fault", std::string(info.name)}}));
  set_faults(faults);
}

void StateMetrics::set_state(JoinState state) {
  for (std::size_t i = 0; i < state_.size(); ++i)
    state_[i]->Set(i == static_cast<std::size_t>(state) ? 1 : 0);
}

void StateMetrics::set_reason(HealthReason reason) {
  for (std::size_t i = 0; i < reason_.size(); ++i)
    reason_[i]->Set(i == static_cast<std::size_t>(reason) ? 1 : 0);
}

void StateMetrics::set_faults(const FaultSet& faults) {
  for (const auto& [fault, gauge] : faults_) gauge->Set(faults.has(fault) ? 1 : 0);
}

}  // namespace yz::core
