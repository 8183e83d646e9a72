#include "roles/core/core_metrics.h"

#include <string>

namespace yz::core {
namespace {

metrics::Family<metrics::Gauge>& links_family(metrics::Registry& registry) {
  return metrics::BuildGauge()
      .Name("yz_links")
      .Help("Open peer links by direction (inbound: accepted, outbound: dialled)")
      .Register(registry);
}

}  // namespace

CoreMetrics::CoreMetrics(metrics::Registry& registry)
    : find_node_timeouts(metrics::BuildCounter()
                             .Name("yz_find_node_timeouts_total")
                             .Help("find_node queries that got no answer in time")
                             .Register(registry)
                             .Add({})),
      find_node_duration(
          metrics::BuildHistogram()
              .Name("yz_find_node_duration_seconds")
              .Help("Duration of complete iterative find_node lookups")
              .Register(registry)
              .Add({}, metrics::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                            0.5, 1, 2.5, 5, 10, 30})),
      health_check_failures(metrics::BuildCounter()
                                .Name("yz_health_check_failures_total")
                                .Help("Health checks that found no connected peer")
                                .Register(registry)
                                .Add({})),
      onboarding_failures(metrics::BuildCounter()
                              .Name("yz_onboarding_failures_total")
                              .Help("Times this process failed to join the network")
                              .Register(registry)
                              .Add({})),
      healthy(metrics::BuildGauge()
                  .Name("yz_healthy")
                  .Help("1 when the process passes its health rules, else 0")
                  .Register(registry)
                  .Add({})),
      connected_peers(metrics::BuildGauge()
                          .Name("yz_connected_peers")
                          .Help("Peers with an established link")
                          .Register(registry)
                          .Add({})),
      routing_table_size(metrics::BuildGauge()
                             .Name("yz_routing_table_size")
                             .Help("Entries in the k-buckets (not counting replacement caches)")
                             .Register(registry)
                             .Add({})),
      peers_missing_handler(metrics::BuildGauge()
                                .Name("yz_peers_missing_handler")
                                .Help("Connected routing-table peers whose link has no DHT "
                                      "listener; 0 in a correct system")
                                .Register(registry)
                                .Add({})),
      links_inbound(links_family(registry).Add({{"direction", "inbound"}})),
      links_outbound(links_family(registry).Add({{"direction", "outbound"}})),
      invitations(metrics::BuildCounter()
                      .Name("yz_invitations_total")
                      .Help("Invitations created (helper) or brokered (bridge), by result")
                      .Register(registry)),
      received_family_(metrics::BuildCounter()
                           .Name("yz_dht_messages_received_total")
                           .Help("Frames received on peer links, by message type")
                           .Register(registry)),
      dropped_family_(metrics::BuildCounter()
                          .Name("yz_dht_messages_dropped_total")
                          .Help("Frames dropped, by reason (no_handler: no DHT listener on the "
                                "link)")
                          .Register(registry)),
      handshake_rejected_family_(metrics::BuildCounter()
                                     .Name("yz_handshake_rejected_total")
                                     .Help("Links closed before or at the handshake, by reason")
                                     .Register(registry)) {}

metrics::Counter& CoreMetrics::received(MessageType type) {
  auto& slot = received_by_type_[static_cast<std::size_t>(type)];
  if (slot == nullptr)
    slot = &received_family_.Add({{"type", std::string(message_type_name(type))}});
  return *slot;
}

metrics::Counter& CoreMetrics::handshake_rejected(std::string_view reason) {
  return handshake_rejected_family_.Add({{"reason", std::string(reason)}});
}

metrics::Counter& CoreMetrics::dropped(std::string_view reason) {
  // no_handler is the hot one; the others are rare enough to look up.
  if (reason == "no_handler") {
    if (dropped_no_handler_ == nullptr)
      dropped_no_handler_ = &dropped_family_.Add({{"reason", "no_handler"}});
    return *dropped_no_handler_;
  }
  return dropped_family_.Add({{"reason", std::string(reason)}});
}

}  // namespace yz::core
