// Rate-limited refusal logs (roles/core/refusal_log.h): a flood of identical
// refusals writes a bounded number of lines, the last of which says how many
// were left out, while the counters still count every one.
#include "roles/core/refusal_log.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "roles/make_process.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/peer_frames.h"

namespace yz::core {
namespace {

using testing::FakeEnv;
using testing::Sample;

void Refuse(RefusalLog& log, std::string_view reason) {
  log.log(LogLevel::kWarn, "handshake_refused", reason, {{"reason", std::string(reason)}});
}

std::vector<FakeEnv::LogEvent> Lines(const FakeEnv& env, std::string_view event) {
  std::vector<FakeEnv::LogEvent> out;
  for (const auto& e : env.logs)
    if (e.event == event) out.push_back(e);
  return out;
}

std::uint64_t Suppressed(const FakeEnv::LogEvent& e) {
  auto it = e.fields.find("suppressed");
  return it == e.fields.end() ? 0 : std::stoull(it->second);
}

TEST(RefusalLogTest, AFloodWritesOneLineAndOneSummary) {
  FakeEnv env;
  RefusalLog log(env);
  for (int i = 0; i < 2000; ++i) {
    Refuse(log, "not_handshake");
    env.advance(1 * kMillisecond);  // 2,000 in 2 s: all in one window
  }
  ASSERT_EQ(Lines(env, "handshake_refused").size(), 1u);
  EXPECT_EQ(Suppressed(Lines(env, "handshake_refused")[0]), 0u);
  env.advance(8 * kSecond - 1);  // the window ends 10 s after its first line
  EXPECT_EQ(Lines(env, "handshake_refused").size(), 1u);
  env.advance(1);
  const auto lines = Lines(env, "handshake_refused");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Suppressed(lines[1]), 1999u);
  EXPECT_EQ(lines[1].fields.at("reason"), "not_handshake");
  EXPECT_EQ(lines[1].fields.at("message"), "... and 1999 more like it in the last 10 s");
  EXPECT_EQ(env.pending_timers(), 0u);
}

TEST(RefusalLogTest, ALongFloodWritesTwoLinesPerWindowAndLosesNoCount) {
  FakeEnv env;
  RefusalLog log(env);
  for (int i = 0; i < 2000; ++i) {
    Refuse(log, "bad_signature");
    env.advance(25 * kMillisecond);  // 50 s in all: five windows
  }
  env.advance(RefusalLog::kWindow);
  const auto lines = Lines(env, "handshake_refused");
  EXPECT_LE(lines.size(), 10u);
  std::uint64_t written = 0, suppressed = 0;
  for (const auto& line : lines) {
    if (line.fields.contains("suppressed"))
      suppressed += Suppressed(line);
    else
      ++written;
  }
  EXPECT_EQ(written + suppressed, 2000u);
  EXPECT_EQ(written, 5u);
}

TEST(RefusalLogTest, EachEventAndReasonHasItsOwnWindow) {
  FakeEnv env;
  RefusalLog log(env);
  Refuse(log, "not_handshake");
  Refuse(log, "bad_signature");
  Refuse(log, "not_handshake");
  log.log(LogLevel::kWarn, "refused", "not_handshake", {{"code", "not_handshake"}});
  EXPECT_EQ(env.logs.size(), 3u);
  env.advance(RefusalLog::kWindow);
  ASSERT_EQ(env.logs.size(), 4u);  // one summary: only not_handshake left one out
  EXPECT_EQ(env.logs[3].event, "handshake_refused");
  EXPECT_EQ(Suppressed(env.logs[3]), 1u);
}

TEST(RefusalLogTest, AQuietWindowEndsWithoutASummaryOrATimer) {
  FakeEnv env;
  RefusalLog log(env);
  Refuse(log, "not_handshake");
  EXPECT_EQ(env.pending_timers(), 0u);  // nothing left out: nothing to say later
  env.advance(RefusalLog::kWindow);
  Refuse(log, "not_handshake");  // a new window: written
  EXPECT_EQ(Lines(env, "handshake_refused").size(), 2u);
}

TEST(RefusalLogTest, DestroyedWithASummaryPendingCancelsItsTimer) {
  FakeEnv env;
  {
    RefusalLog log(env);
    Refuse(log, "not_handshake");
    Refuse(log, "not_handshake");
    EXPECT_EQ(env.pending_timers(), 1u);
  }
  EXPECT_EQ(env.pending_timers(), 0u);
}

// At a role: 2,000 streams whose first frame is not a hello, all refused,
// all counted, and the log holds two lines, not 2,000.
TEST(RefusalLogTest, BootstrapFloodIsCountedInFullAndLoggedInBrief) {
  FakeEnv env;
  ProcessConfig config;
  config.name = "bootstrap";
  config.role = Role::kBootstrap;
  config.node_id = *NodeId::from_hex("3333333333333333333333333333333333333333");
  config.listen_address = "bootstrap:7000";
  auto bootstrap = roles::make_process(env, config);
  bootstrap->start();
  for (int i = 0; i < 2000; ++i) {
    const LinkId link = env.new_link();
    bootstrap->on_link_accepted(link);
    bootstrap->on_frame(link, msg::Ping{});
  }
  EXPECT_EQ(env.closed.size(), 2000u);
  EXPECT_EQ(Sample(env.metrics(), R"(yz_bootstrap_refused_total{reason="not_handshake"})"), 2000);
  EXPECT_EQ(env.log_count("refused"), 1u);
  env.advance(RefusalLog::kWindow);
  ASSERT_EQ(env.log_count("refused"), 2u);
  EXPECT_EQ(Suppressed(Lines(env, "refused")[1]), 1999u);
}

}  // namespace
}  // namespace yz::core
