// Issue 16 item 4: an ordering the simulator found, forced on real
// processes. race-5's processes (bootstrap, genesis, bridge-node-1,
// dht-node-1, dht-node-2) run with the delay rules `yzsim shrink` printed for
// race-5's missing-handler story: at dht-node-1, bridge-node-1's dial (its
// dht_peer_hello) waits until dht-node-1's lookup has had an answer. With
// fault early_return_race the link from the bridge then lacks its DHT
// listener in every run; without the fault, in none.
#include <gtest/gtest.h>

#include <fstream>

#include "roles/json/json.h"
#include "tests/integration/local_cluster.h"

namespace yz::integration {
namespace {

// What `yzsim shrink` printed for race-5's peers_missing_handler trace
// (explore --strategy exhaustive --fault early_return_race --save).
constexpr char kRace5Rules[] = R"(# proto-file: proto/yz/v1/delay_rules.proto
# proto-message: yz.v1.DelayRules
rule {
  name: "bridge-node-1-dial-after-dht-node-1-lookup"
  process: "dht-node-1"
  frame { type: "dht_peer_hello" from_name: "bridge-node-1" }
  for_ms: 2500
  until { received: "find_node_response" }
}
)";

// race-5's timings, ten times faster (its file's durations are divided the
// same way by --delay-rules-time-scale).
const std::vector<std::string> kScaledTimings = {
    "--find-node-timeout-connected", "1s", "--find-node-timeout",  "300ms",
    "--onboarding-bridge-timeout",   "1s", "--invitation-timeout", "1s",
    "--health-check-interval",       "3s", "--startup-grace",      "6s",
    "--delay-rules-time-scale",      "10"};

struct BridgeLink {
  bool seen = false;  // dht-node-1 has the bridge's inbound link, handshake done
  bool dht_listener = false;
  long peers_missing_handler = -1;
};

BridgeLink bridge_link_at(LocalCluster& cluster, const std::string& node) {
  BridgeLink out;
  const HttpReply status = http_get(cluster.http_address(cluster.member(node)), "/status");
  const auto doc = json::parse(status.body);
  if (!doc) return out;
  if (const json::Value* missing = doc->find("peersMissingHandler"))
    out.peers_missing_handler = missing->as_int(-1);
  const json::Value* links = doc->find("links");
  if (links == nullptr) return out;
  for (const json::Value& link : links->items()) {
    const json::Value* name = link.find("name");
    const json::Value* direction = link.find("direction");
    if (name == nullptr || direction == nullptr || name->as_string() != "bridge-node-1" ||
        direction->as_string() != "inbound")
      continue;
    out.seen = true;
    if (const json::Value* listener = link.find("dhtListener"))
      out.dht_listener = listener->as_bool();
  }
  return out;
}

double metric_at(LocalCluster& cluster, const std::string& name, const std::string& series) {
  const HttpReply metrics = http_get(cluster.http_address(cluster.member(name)), "/metrics");
  return metric_value(metrics.body, series).value_or(-1);
}

struct Outcome {
  bool settled = false;  // the hold ended and the bridge's link finished its handshake
  bool missing_handler = false;
  std::string detail;
};

Outcome run_race5(const std::string& rules_file, bool fault) {
  ClusterOptions options;
  options.nodes = 2;
  options.bridges = 1;
  options.common_flags = kScaledTimings;
  options.common_flags.push_back("--delay-rules");
  options.common_flags.push_back(rules_file);
  if (fault) options.dht_flags = {"--fault", "early_return_race"};
  options.one_join_at_a_time = true;
  LocalCluster* self = nullptr;
  // race-5 starts dht-node-1 well after the bridge: by then the bridge has
  // dialled genesis, so genesis's lookup answers name the bridge.
  options.before_start = [&self](const std::string& name) {
    if (name != "dht-node-1" || self == nullptr) return;
    eventually(
        [&] {
          const HttpReply status =
              http_get(self->http_address(self->member("bridge-node-1")), "/status");
          return json_number(status.body, "connectedPeers", 0) >= 1;
        },
        std::chrono::seconds(10));
  };
  LocalCluster cluster(options);
  self = &cluster;
  Outcome out;
  if (std::string error = cluster.start(); !error.empty()) {
    out.detail = error;
    return out;
  }
  const std::string rule = "rule=\"bridge-node-1-dial-after-dht-node-1-lookup\"";
  BridgeLink link;
  out.settled = eventually(
      [&] {
        link = bridge_link_at(cluster, "dht-node-1");
        return link.seen &&
               metric_at(cluster, "dht-node-1",
                         "yz_delay_rule_frames_total{result=\"released\"," + rule + "}") == 1;
      },
      std::chrono::seconds(10));
  out.missing_handler = link.seen && !link.dht_listener && link.peers_missing_handler > 0;
  out.detail =
      "link seen " + std::to_string(link.seen) + ", dhtListener " +
      std::to_string(link.dht_listener) + ", peersMissingHandler " +
      std::to_string(link.peers_missing_handler) + ", holds " +
      std::to_string(metric_at(cluster, "dht-node-1", "yz_delay_rule_holds_total{" + rule + "}"));
  return out;
}

class DelayRulesRace5 : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("yz-delay-rules");
    rules_file_ = dir_ + "/race-5.delay-rules.textproto";
    std::ofstream(rules_file_) << kRace5Rules;
  }
  std::string dir_;
  std::string rules_file_;
};

constexpr int kRuns = 10;

TEST_F(DelayRulesRace5, WithTheFaultTheBridgeLinkLacksItsListenerEveryRun) {
  int reproduced = 0;
  for (int run = 0; run < kRuns; ++run) {
    const Outcome outcome = run_race5(rules_file_, true);
    EXPECT_TRUE(outcome.settled) << "run " << run << ": " << outcome.detail;
    reproduced += outcome.settled && outcome.missing_handler;
    if (!outcome.missing_handler) ADD_FAILURE() << "run " << run << ": " << outcome.detail;
  }
  std::cout << "race-5 forced, early_return_race: missing-handler link in " << reproduced << " of "
            << kRuns << " runs\n";
  EXPECT_EQ(reproduced, kRuns);
}

TEST_F(DelayRulesRace5, WithoutTheFaultTheBridgeLinkIsServedEveryRun) {
  int reproduced = 0;
  for (int run = 0; run < kRuns; ++run) {
    const Outcome outcome = run_race5(rules_file_, false);
    EXPECT_TRUE(outcome.settled) << "run " << run << ": " << outcome.detail;
    reproduced += outcome.missing_handler;
  }
  std::cout << "race-5 forced, no fault: missing-handler link in " << reproduced << " of " << kRuns
            << " runs\n";
  EXPECT_EQ(reproduced, 0);
}

}  // namespace
}  // namespace yz::integration
