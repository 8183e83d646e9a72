#include "roles/core/core_metrics.h"

#include <string>

#include "roles/core/handshake_auth.h"

namespace yz::core {
namespace {

metrics::Family<metrics::Gauge>& links_family(metrics::Registry& registry) {
  return metrics::BuildGauge()
      .Name("yz_links")
      .Help("Open peer links by direction (inbound: accepted, outbound: dialled)")
      .Register(registry);
}

metrics::Family<metrics::Counter>& emergency_family(metrics::Registry& registry) {
  return metrics::BuildCounter()
      .Name("yz_emergency_discovery_total")
      .Help("Emergency peer discovery runs, by trigger (zero_connections, few_connections)")
      .Register(registry);
}

metrics::Counter& counter(metrics::Registry& registry, const char* name, const char* help) {
  return metrics::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

metrics::Gauge& gauge(metrics::Registry& registry, const char* name, const char* help) {
  return metrics::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

// A put or get answers in milliseconds on a healthy network and within its
// budget (10 s by default) otherwise.
metrics::Histogram& data_duration(metrics::Registry& registry, const char* name, const char* help) {
  return metrics::BuildHistogram().Name(name).Help(help).Register(registry).Add(
      {}, metrics::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5, 1, 2.5, 5, 10, 30});
}

}  // namespace

metrics::Family<metrics::Histogram>& onboarding_duration_family(metrics::Registry& registry) {
  return metrics::BuildHistogram()
      .Name("yz_onboarding_duration_seconds")
      .Help(
          "Onboarding attempts by result: at the bootstrap from request to outcome, at a "
          "newcomer from asking the bootstrap to the introduction or the failure")
      .Register(registry);
}

CoreMetrics::CoreMetrics(metrics::Registry& registry)
    : find_node_timeouts(counter(registry, "yz_find_node_timeouts_total",
                                 "find_node queries that got no answer in time")),
      find_node_queries(counter(registry, "yz_find_node_queries_total",
                                "find_node queries sent to a peer (the denominator of "
                                "yz_find_node_timeouts_total)")),
      late_answers(counter(registry, "yz_late_answers_total",
                           "Answers to this process's requests that came after the request had "
                           "timed out: a slow network, not a dropped frame")),
      find_node_duration(
          metrics::BuildHistogram()
              .Name("yz_find_node_duration_seconds")
              .Help("Duration of complete iterative find_node lookups")
              .Register(registry)
              .Add({}, metrics::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                            0.5, 1, 2.5, 5, 10, 30})),
      health_check_failures(counter(registry, "yz_health_check_failures_total",
                                    "Health checks that found no connected peer")),
      health_consecutive_failures(gauge(registry, "yz_health_consecutive_failures",
                                        "Consecutive health checks that found no connected peer "
                                        "(0 after one that found a peer)")),
      onboarding_failures(counter(registry, "yz_onboarding_failures_total",
                                  "Times this process failed to join the network")),
      onboarding_success_duration(onboarding_duration_family(registry).Add(
          {{"result", std::string(kOnboardingResults[0])}}, onboarding_duration_buckets())),
      onboarding_failure_duration(onboarding_duration_family(registry).Add(
          {{"result", std::string(kOnboardingResults[1])}}, onboarding_duration_buckets())),
      emergency_zero_connections(
          emergency_family(registry).Add({{"trigger", std::string(kEmergencyTriggers[0])}})),
      emergency_few_connections(
          emergency_family(registry).Add({{"trigger", std::string(kEmergencyTriggers[1])}})),
      ping_rtt(metrics::BuildHistogram()
                   .Name("yz_ping_rtt_seconds")
                   .Help("Round trip of a ping on a peer link, to its pong")
                   .Register(registry)
                   .Add({}, metrics::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})),
      bootstrap_connected(gauge(registry, "yz_bootstrap_connected",
                                "1 while this process holds a handshaken link to the bootstrap")),
      healthy(gauge(registry, "yz_healthy", "1 when the process passes its health rules, else 0")),
      connected_peers(gauge(registry, "yz_connected_peers", "Peers with an established link")),
      routing_table_size(gauge(registry, "yz_routing_table_size",
                               "Entries in the k-buckets (not counting replacement caches)")),
      peers_missing_handler(gauge(registry, "yz_peers_missing_handler",
                                  "Peers with an established link that has no DHT listener, "
                                  "whatever table they sit in; 0 in a correct system")),
      links_inbound(links_family(registry).Add({{"direction", "inbound"}})),
      links_outbound(links_family(registry).Add({{"direction", "outbound"}})),
      put_duration(data_duration(registry, "yz_put_duration_seconds",
                                 "Puts this process made for its clients, from the call to the "
                                 "answer (acknowledged or not)")),
      get_duration(data_duration(registry, "yz_get_duration_seconds",
                                 "Gets this process made for its clients, from the call to the "
                                 "answer (found or not)")),
      values_held(gauge(registry, "yz_values_held", "Values this process holds for the DHT")),
      value_bytes_held(gauge(registry, "yz_value_bytes_held",
                             "Bytes of the values this process holds (user keys and data)")),
      put_replicas_missing(counter(registry, "yz_put_replicas_missing_total",
                                   "Stores of this process's puts that did not store: per put, "
                                   "the k closest its lookup found minus those that stored it, "
                                   "counted once every store has answered or timed out")),
      values_republished(counter(registry, "yz_values_republished_total",
                                 "Values this holder pushed again to the k closest peers it "
                                 "knows (one per value per republish round)")),
      dropped_(metrics::BuildCounter()
                   .Name("yz_dht_messages_dropped_total")
                   .Help("Frames dropped, by reason (no_handler: no DHT listener on the link)")
                   .Register(registry),
               "reason", kDropReasons),
      handshake_rejected_(metrics::BuildCounter()
                              .Name("yz_handshake_rejected_total")
                              .Help("Links closed before or at the handshake, by reason")
                              .Register(registry),
                          "reason", kPeerLinkRefusals),
      links_closed_(metrics::BuildCounter()
                        .Name("yz_links_closed_total")
                        .Help("Peer links closed, by reason (remote_closed: by the other side "
                              "or the network)")
                        .Register(registry),
                    "reason", kLinkCloseReasons),
      invitations_(metrics::BuildCounter()
                       .Name("yz_invitations_total")
                       .Help("Invitations created (helper) or brokered (bridge), by result")
                       .Register(registry),
                   "result", kInvitationResults),
      puts_(metrics::BuildCounter()
                .Name("yz_puts_total")
                .Help("Puts this process made for its clients, by result (error: refused, "
                      "timed out or no peers)")
                .Register(registry),
            "result", kPutResults),
      gets_(metrics::BuildCounter()
                .Name("yz_gets_total")
                .Help("Gets this process made for its clients, by result (error: refused or "
                      "timed out)")
                .Register(registry),
            "result", kGetResults),
      values_refused_(metrics::BuildCounter()
                          .Name("yz_values_refused_total")
                          .Help("Values refused, by reason: by this holder on store, or by this "
                                "reader in an answer")
                          .Register(registry),
                      "reason", kValueRefusals) {
  handshake_rejected_.add(kHandshakeAuthReasons);
  auto& received = metrics::BuildCounter()
                       .Name("yz_dht_messages_received_total")
                       .Help("Frames received on peer links, by message type")
                       .Register(registry);
  for (int type = 0; type < kMessageTypeCount; ++type)
    received_by_type_[static_cast<std::size_t>(type)] =
        &received.Add({{"type", std::string(message_type_name(static_cast<MessageType>(type)))}});
}

}  // namespace yz::core
