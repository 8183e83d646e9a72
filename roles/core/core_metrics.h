#pragma once

#include <array>
#include <string_view>

#include "roles/core/frame.h"
#include "roles/metrics/known_series.h"
#include "roles/metrics/registry.h"
#include "roles/metrics/types.h"

namespace yz::core {

// Closed label lists of the counters below: each value's series exists at 0
// from the first scrape, and counting goes through the same list. A reason
// added to the code belongs in its list here.

// yz_dht_messages_dropped_total{reason} as the core counts it (the runtime
// adds the transport's own, see runtime/transport.h).
inline constexpr std::array<std::string_view, 7> kDropReasons = {
    "no_handler",          "unexpected_open", "unknown_link",
    "duplicate_handshake", "not_handshake",   "unexpected_bootstrap_message",
    "late_response"};
// yz_handshake_rejected_total{reason} of PeerLinks' own checks (the proof of
// identity adds kHandshakeAuthReasons, see handshake_auth.h).
inline constexpr std::array<std::string_view, 6> kPeerLinkRefusals = {
    "handshake_timeout", "not_handshake",    "bad_peer_id",
    "version_mismatch",  "peer_id_mismatch", "not_a_member"};
// yz_links_closed_total{reason}: why this process closed a peer link, or
// remote_closed when the other side (or the network) did.
// (Links the guard refuses are counted by yz_limited_total{limit="links"}.)
inline constexpr std::array<std::string_view, 13> kLinkCloseReasons = {
    "remote_closed", "shutdown",        "dead_link",        "duplicate_link",   "handshake_timeout",
    "not_handshake", "bad_peer_id",     "version_mismatch", "peer_id_mismatch", "not_a_member",
    "missing_proof", "id_key_mismatch", "bad_signature"};
// yz_invitations_total{result}: created (helper), brokered / no_helper (bridge).
inline constexpr std::array<std::string_view, 3> kInvitationResults = {"created", "brokered",
                                                                       "no_helper"};
// yz_emergency_discovery_total{trigger}, indexed by Health::Emergency - 1.
inline constexpr std::array<std::string_view, 2> kEmergencyTriggers = {"zero_connections",
                                                                       "few_connections"};
// yz_onboarding_duration_seconds{result}.
inline constexpr std::array<std::string_view, 2> kOnboardingResults = {"success", "failure"};

// The data plane (issue 17): yz_puts_total{result}, yz_gets_total{result}
// and yz_values_refused_total{reason}, the reasons a holder refuses a store
// or a reader a value it got back (roles/core/value.h, value_store.h);
// not_a_holder: a store sent to a bridge, which holds nothing.
inline constexpr std::array<std::string_view, 3> kPutResults = {"ok", "quorum_not_reached",
                                                                "error"};
inline constexpr std::array<std::string_view, 3> kGetResults = {"found", "not_found", "error"};
inline constexpr std::array<std::string_view, 8> kValueRefusals = {
    "bad_signature", "wrong_key",      "expired", "too_large",
    "node_full",     "publisher_full", "stale",   "not_a_holder"};

// Onboarding takes from milliseconds (one bridge answers) to minutes (every
// bridge times out in turn).
inline const metrics::Histogram::BucketBoundaries& onboarding_duration_buckets() {
  static const metrics::Histogram::BucketBoundaries buckets{0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                            2.5,  5,    10,  30,   60,  120};
  return buckets;
}

// yz_onboarding_duration_seconds, shared by the bootstrap and the newcomers.
metrics::Family<metrics::Histogram>& onboarding_duration_family(metrics::Registry& registry);

// The metrics every DHT member exports, registered once per process. Names
// and labels are a contract with dashboards and alerts: see DESIGN.md and
// docs/operations.md. Every series here is looked up once and kept, so the
// simulator's hot paths never build a label map.
class CoreMetrics {
 public:
  explicit CoreMetrics(metrics::Registry& registry);

  metrics::Counter& received(MessageType type) {
    return *received_by_type_[static_cast<std::size_t>(type)];
  }
  metrics::Counter& dropped(std::string_view reason) { return dropped_[reason]; }
  metrics::Counter& handshake_rejected(std::string_view reason) {
    return handshake_rejected_[reason];
  }
  metrics::Counter& link_closed(std::string_view reason) { return links_closed_[reason]; }
  metrics::Counter& invitation(std::string_view result) { return invitations_[result]; }
  metrics::Counter& put(std::string_view result) { return puts_[result]; }
  metrics::Counter& get(std::string_view result) { return gets_[result]; }
  metrics::Counter& value_refused(std::string_view reason) { return values_refused_[reason]; }

  metrics::Counter& find_node_timeouts;
  metrics::Counter& find_node_queries;
  metrics::Counter& late_answers;
  metrics::Histogram& find_node_duration;
  metrics::Counter& health_check_failures;
  metrics::Gauge& health_consecutive_failures;
  metrics::Counter& onboarding_failures;
  metrics::Histogram& onboarding_success_duration;
  metrics::Histogram& onboarding_failure_duration;
  metrics::Counter& emergency_zero_connections;
  metrics::Counter& emergency_few_connections;
  metrics::Histogram& ping_rtt;
  metrics::Gauge& bootstrap_connected;
  metrics::Gauge& healthy;
  metrics::Gauge& connected_peers;
  metrics::Gauge& routing_table_size;
  metrics::Gauge& peers_missing_handler;
  metrics::Gauge& links_inbound;
  metrics::Gauge& links_outbound;
  metrics::Histogram& put_duration;
  metrics::Histogram& get_duration;
  metrics::Gauge& values_held;
  metrics::Gauge& value_bytes_held;
  metrics::Counter& put_replicas_missing;
  metrics::Counter& values_republished;

 private:
  std::array<metrics::Counter*, kMessageTypeCount> received_by_type_{};
  metrics::KnownSeries dropped_;
  metrics::KnownSeries handshake_rejected_;
  metrics::KnownSeries links_closed_;
  metrics::KnownSeries invitations_;
  metrics::KnownSeries puts_;
  metrics::KnownSeries gets_;
  metrics::KnownSeries values_refused_;
};

}  // namespace yz::core
