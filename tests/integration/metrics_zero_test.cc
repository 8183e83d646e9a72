// The /metrics page of real processes right after they start, before
// onboarding traffic: every labelled counter whose label values are known is
// on the page at 0 (so Prometheus has a series for rate() and the alert
// rules from the first scrape), and the page passes `promtool check
// metrics`. The processes are started one at a time and each is scraped
// before the next one can talk to it: the bootstrap alone, then a node
// (which cannot onboard: there is no genesis yet), then genesis, then a
// bridge.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "roles/bootstrap/bootstrap.h"
#include "roles/core/core_metrics.h"
#include "roles/core/credentials.h"
#include "roles/core/faults.h"
#include "roles/core/frame.h"
#include "roles/core/handshake_auth.h"
#include "roles/core/join_state.h"
#include "tests/integration/local_cluster.h"

namespace yz::integration {
namespace {

std::string Series(std::string_view name, std::string_view label, std::string_view value) {
  return std::string(name) + "{" + std::string(label) + "=\"" + std::string(value) + "\"}";
}

class MetricsAtStart : public ::testing::Test {
 protected:
  // One bridge and one node are enough: every role once.
  static ClusterOptions Options() {
    ClusterOptions options;
    options.nodes = 1;
    options.bridges = 1;
    return options;
  }
  MetricsAtStart() : cluster_(Options()) {}

  // Starts `name` alone (no LocalCluster::start, which starts everyone) and
  // returns its first /metrics page.
  std::string StartAndScrape(const std::string& name) {
    LocalCluster::Member& m = cluster_.member(name);
    EXPECT_EQ(m.name, name);
    if (m.role != "bootstrap") {
      const auto bootstrap = port_of(cluster_.member("bootstrap").data_dir, "listen");
      EXPECT_TRUE(bootstrap.has_value());
      m.argv = {binary("yz-" + m.role),
                "--name",
                m.name,
                "--data-dir",
                m.data_dir,
                "--listen",
                "127.0.0.1:0",
                "--http",
                "127.0.0.1:0",
                "--bootstrap",
                bootstrap.value_or("")};
    }
    const std::string error = cluster_.restart(m);  // the first start, here
    EXPECT_EQ(error, "");
    const HttpReply reply = http_get(cluster_.http_address(m), "/metrics");
    EXPECT_EQ(reply.status, 200) << name;
    return reply.body;
  }

  void ExpectZero(const std::string& page, const std::string& who, const std::string& series) {
    EXPECT_EQ(metric_value(page, series), 0.0) << who << ": " << series << " missing or not 0";
  }

  template <typename List>
  void ExpectAllZero(const std::string& page, const std::string& who, std::string_view name,
                     std::string_view label, const List& values) {
    for (std::string_view value : values) ExpectZero(page, who, Series(name, label, value));
  }

  void ExpectPromtoolClean(const std::string& page, const std::string& who) {
    const std::string path = cluster_.dir() + "/" + who + ".first.metrics";
    std::ofstream(path) << page;
    const std::string command =
        "/usr/bin/promtool check metrics < " + path + " > " + path + ".promtool 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << who << ": " << read_file(path + ".promtool");
  }

  // What every process exports, whatever its role.
  void ExpectCommon(const std::string& page, const std::string& who) {
    ExpectPromtoolClean(page, who);
    std::vector<std::string_view> faults;
    for (const core::FaultInfo& info : core::all_faults()) faults.push_back(info.name);
    ExpectAllZero(page, who, "yz_fault_enabled", "fault", faults);
    for (const char* limit : {"frames", "lookups", "registrations", "links", "unauthenticated"})
      ExpectZero(page, who, Series("yz_limited_total", "limit", limit));
    ExpectZero(page, who, Series("yz_handshake_rejected_total", "reason", "handshake_timeout"));
    ExpectAllZero(page, who, "yz_credential_rejected_total", "reason", core::kCredentialRejections);
    // Chains may have been checked already (verified or cached); none refused.
    ExpectZero(page, who, Series("yz_chain_verifications_total", "result", "refused"));
    // The transport's own refusals (roles/runtime/transport.h).
    for (const char* reason : {"malformed", "oversized", "bad_peer_id"})
      ExpectZero(page, who, Series("yz_dht_messages_dropped_total", "reason", reason));
    for (const char* result : {"success", "failure"})
      ExpectZero(page, who, Series("yz_onboarding_duration_seconds_count", "result", result));
    double states = 0;
    for (std::string_view state : core::kJoinStateNames)
      states += metric_value(page, Series("yz_state", "state", state)).value_or(-10);
    EXPECT_EQ(states, 1.0) << who << ": all four yz_state series, exactly one at 1";
  }

  // A DHT member's counters that no healthy start moves.
  void ExpectMember(const std::string& page, const std::string& who) {
    ExpectCommon(page, who);
    for (int type = 0; type < core::kMessageTypeCount; ++type) {
      const std::string series =
          Series("yz_dht_messages_received_total", "type",
                 core::message_type_name(static_cast<core::MessageType>(type)));
      EXPECT_TRUE(metric_value(page, series).has_value()) << who << ": " << series;
    }
    ExpectAllZero(page, who, "yz_dht_messages_dropped_total", "reason", core::kDropReasons);
    ExpectAllZero(page, who, "yz_handshake_rejected_total", "reason", core::kPeerLinkRefusals);
    ExpectAllZero(page, who, "yz_handshake_rejected_total", "reason", core::kHandshakeAuthReasons);
    ExpectAllZero(page, who, "yz_links_closed_total", "reason", core::kLinkCloseReasons);
    ExpectAllZero(page, who, "yz_invitations_total", "result", core::kInvitationResults);
    // The first health check is 30 s away: no emergency yet.
    ExpectAllZero(page, who, "yz_emergency_discovery_total", "trigger", core::kEmergencyTriggers);
    for (const char* name : {"yz_find_node_timeouts_total", "yz_health_consecutive_failures",
                             "yz_peers_missing_handler", "yz_onboarding_failures_total",
                             "yz_health_check_failures_total", "yz_ping_rtt_seconds_count"})
      ExpectZero(page, who, name);
    EXPECT_TRUE(metric_value(page, "yz_find_node_queries_total").has_value()) << who;
    EXPECT_TRUE(metric_value(page, "yz_bootstrap_connected").has_value()) << who;
  }

  LocalCluster cluster_;
};

TEST_F(MetricsAtStart, EveryRolesFirstPageHasEveryKnownSeriesAtZero) {
  const std::string bootstrap = StartAndScrape("bootstrap");
  ExpectCommon(bootstrap, "bootstrap");
  ExpectAllZero(bootstrap, "bootstrap", "yz_bootstrap_refused_total", "reason",
                roles::kBootstrapRefusals);
  ExpectAllZero(bootstrap, "bootstrap", "yz_onboarding_total", "result",
                roles::kOnboardingOutcomes);
  ExpectAllZero(bootstrap, "bootstrap", "yz_handshake_rejected_total", "reason",
                core::kHandshakeAuthReasons);
  ExpectZero(bootstrap, "bootstrap", "yz_bootstrap_members");
  ExpectZero(bootstrap, "bootstrap", "yz_bootstrap_bridges");
  EXPECT_EQ(metric_value(bootstrap, R"(yz_state{state="joined"})"), 1.0);

  // A node with no genesis to join through: it registers, and waits.
  const std::string node = StartAndScrape("dht-node-1");
  ExpectMember(node, "dht-node-1");
  EXPECT_EQ(metric_value(node, R"(yz_state{state="joining"})"), 1.0);  // 60 s grace

  const std::string genesis = StartAndScrape("genesis");
  ExpectMember(genesis, "genesis");

  const std::string bridge = StartAndScrape("bridge-node-1");
  ExpectMember(bridge, "bridge-node-1");
}

}  // namespace
}  // namespace yz::integration
