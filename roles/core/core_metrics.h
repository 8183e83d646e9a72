#pragma once

#include <array>

#include "roles/core/frame.h"
#include "roles/metrics/types.h"
#include "roles/metrics/registry.h"

namespace yz::core {

// The metrics every DHT member exports, registered once per process. Names
// and labels are a contract with dashboards and alerts: see DESIGN.md.
class CoreMetrics {
 public:
  explicit CoreMetrics(metrics::Registry& registry);

  metrics::Counter& received(MessageType type);
  metrics::Counter& dropped(std::string_view reason);
  metrics::Counter& handshake_rejected(std::string_view reason);

  metrics::Counter& find_node_timeouts;
  metrics::Histogram& find_node_duration;
  metrics::Counter& health_check_failures;
  metrics::Counter& onboarding_failures;
  metrics::Gauge& healthy;
  metrics::Gauge& connected_peers;
  metrics::Gauge& routing_table_size;
  metrics::Gauge& peers_missing_handler;
  metrics::Gauge& links_inbound;
  metrics::Gauge& links_outbound;
  metrics::Family<metrics::Counter>& invitations;

 private:
  metrics::Family<metrics::Counter>& received_family_;
  metrics::Family<metrics::Counter>& dropped_family_;
  metrics::Family<metrics::Counter>& handshake_rejected_family_;
  std::array<metrics::Counter*, kMessageTypeCount> received_by_type_{};
  metrics::Counter* dropped_no_handler_ = nullptr;
};

}  // namespace yz::core
