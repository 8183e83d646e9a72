#include "roles/core/health.h"

#include <gtest/gtest.h>

namespace yz::core {
namespace {

using Emergency = Health::Emergency;
using Observation = Health::Observation;

constexpr Observation kAlone{0, 0};
constexpr Observation kOnePeer{1, 1};
constexpr Observation kWellConnected{5, 5};

class HealthTest : public ::testing::Test {
 protected:
  Timing timing_;
  Health health_{timing_};
};

TEST_F(HealthTest, NotHealthyBeforeStartOrAfterStop) {
  EXPECT_FALSE(health_.healthy(0, 5));
  health_.start(0);
  EXPECT_TRUE(health_.healthy(0, 5));
  health_.stop();
  EXPECT_FALSE(health_.healthy(0, 5));
}

TEST_F(HealthTest, FailuresCountOnlyWithoutPeers) {
  health_.start(0);
  health_.check(30 * kSecond, kOnePeer);
  EXPECT_EQ(health_.consecutive_failures(), 0u);
  EXPECT_EQ(health_.total_failures(), 0u);

  health_.check(60 * kSecond, kAlone);
  health_.check(90 * kSecond, kAlone);
  EXPECT_EQ(health_.consecutive_failures(), 2u);
  EXPECT_EQ(health_.total_failures(), 2u);

  // Routing entries without a connected peer do not count as peers.
  health_.check(120 * kSecond, Observation{0, 7});
  EXPECT_EQ(health_.consecutive_failures(), 3u);
}

TEST_F(HealthTest, SuccessResetsConsecutiveButNotTotal) {
  health_.start(0);
  health_.check(30 * kSecond, kAlone);
  health_.check(60 * kSecond, kAlone);
  health_.check(90 * kSecond, kOnePeer);
  EXPECT_EQ(health_.consecutive_failures(), 0u);
  EXPECT_EQ(health_.total_failures(), 2u);
}

TEST_F(HealthTest, HealthyWithoutPeersOnlyDuringStartupGrace) {
  const TimePoint start = 5 * kSecond;
  health_.start(start);
  EXPECT_EQ(health_.started_at(), start);
  EXPECT_TRUE(health_.healthy(start, 0));
  EXPECT_TRUE(health_.healthy(start + timing_.startup_grace - 1, 0));
  EXPECT_FALSE(health_.healthy(start + timing_.startup_grace, 0));
  EXPECT_TRUE(health_.healthy(start + timing_.startup_grace, 1));
}

TEST_F(HealthTest, UnhealthyAtFailureLimitEvenWithPeersOrInGrace) {
  health_.start(0);
  // Checks far more often than the 30 s period, so all of them land inside
  // the grace period: the failure limit alone must decide.
  for (std::uint32_t i = 1; i < timing_.health_failure_limit; ++i)
    health_.check(i * kMillisecond, kAlone);
  const TimePoint now = timing_.health_failure_limit * kMillisecond;
  EXPECT_TRUE(health_.healthy(now, 0));
  health_.check(now, kAlone);
  EXPECT_EQ(health_.consecutive_failures(), timing_.health_failure_limit);
  EXPECT_FALSE(health_.healthy(now, 0));
  // Peers that showed up since are not enough until a check sees them.
  EXPECT_FALSE(health_.healthy(now, 3));
  health_.check(now + kMillisecond, kOnePeer);
  EXPECT_TRUE(health_.healthy(now + kMillisecond, 3));
}

TEST_F(HealthTest, EmergencyAtZeroConnectionsThrottledThirtySeconds) {
  health_.start(0);
  EXPECT_EQ(health_.check(0, kAlone), Emergency::kZeroConnections);
  EXPECT_TRUE(health_.in_emergency());
  EXPECT_EQ(health_.check(timing_.emergency_throttle - 1, kAlone), Emergency::kNone);
  // Still in emergency, only not acting on it yet.
  EXPECT_TRUE(health_.in_emergency());
  EXPECT_EQ(health_.check(timing_.emergency_throttle, kAlone), Emergency::kZeroConnections);
  EXPECT_EQ(timing_.emergency_throttle, 30 * kSecond);
}

TEST_F(HealthTest, EmergencyWithFewConnectionsThrottled120Seconds) {
  health_.start(0);
  const Observation few{2, 3};
  EXPECT_EQ(health_.check(0, few), Emergency::kFewConnections);
  EXPECT_EQ(health_.check(30 * kSecond, few), Emergency::kNone);
  EXPECT_EQ(health_.check(120 * kSecond - 1, few), Emergency::kNone);
  EXPECT_EQ(health_.check(120 * kSecond, few), Emergency::kFewConnections);
  EXPECT_EQ(timing_.emergency_throttle_connected, 120 * kSecond);
}

// The throttle that applies is the one for the current state, measured from
// the last emergency of either kind.
TEST_F(HealthTest, ZeroConnectionsUsesShortThrottleAfterFewConnectionsEmergency) {
  health_.start(0);
  EXPECT_EQ(health_.check(0, Observation{1, 1}), Emergency::kFewConnections);
  EXPECT_EQ(health_.check(29 * kSecond, kAlone), Emergency::kNone);
  EXPECT_EQ(health_.check(30 * kSecond, kAlone), Emergency::kZeroConnections);
}

TEST_F(HealthTest, NoEmergencyWithThreeConnectionsOrFourRoutingEntries) {
  health_.start(0);
  EXPECT_EQ(health_.check(0, Observation{3, 0}), Emergency::kNone);
  EXPECT_FALSE(health_.in_emergency());
  EXPECT_EQ(health_.check(kSecond, Observation{0, 4}), Emergency::kNone);
  EXPECT_FALSE(health_.in_emergency());
  EXPECT_EQ(health_.check(2 * kSecond, kWellConnected), Emergency::kNone);
  EXPECT_FALSE(health_.in_emergency());
  // Just under both limits: emergency.
  EXPECT_EQ(health_.check(3 * kSecond, Observation{2, 3}), Emergency::kFewConnections);
  EXPECT_TRUE(health_.in_emergency());
}

TEST_F(HealthTest, LimitsComeFromTiming) {
  timing_.emergency_min_connections = 1;
  timing_.emergency_min_routing_entries = 1;
  timing_.health_failure_limit = 2;
  health_.start(0);
  EXPECT_EQ(health_.check(0, Observation{1, 0}), Emergency::kNone);
  health_.check(1, kAlone);
  EXPECT_TRUE(health_.healthy(1, 0));
  health_.check(2, kAlone);
  EXPECT_FALSE(health_.healthy(2, 0));
}

}  // namespace
}  // namespace yz::core
