#include "roles/runtime/logger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace yz::runtime {
namespace {

using ::testing::HasSubstr;
using Format = RuntimeFlags::LogFormat;

// 2026-11-24T12:00:00.123Z
std::chrono::system_clock::time_point FixedTime() {
  return std::chrono::system_clock::from_time_t(1795521600) + std::chrono::milliseconds(123);
}

class LoggerTest : public ::testing::Test {
 protected:
  // A logger writing to `out_` at a pinned time.
  std::unique_ptr<Logger> Make(Format format, core::LogLevel min_level = core::LogLevel::kDebug,
                               std::string name = "dht-node-3",
                               core::Role role = core::Role::kNode) {
    auto logger = std::make_unique<Logger>(std::move(name), role, min_level, format, out_);
    logger->set_clock(FixedTime);
    return logger;
  }

  std::ostringstream out_;
};

TEST_F(LoggerTest, TextLine) {
  Make(Format::kText)
      ->log(core::LogLevel::kWarn, "onboarding_failed",
            {{"error", "Onboarding failed: findNode timeout"}});
  EXPECT_EQ(out_.str(),
            "ts=2026-11-24T12:00:00.123Z level=warn name=dht-node-3 role=node "
            "event=onboarding_failed error=\"Onboarding failed: findNode timeout\"\n");
}

TEST_F(LoggerTest, TextLineWithSeveralFields) {
  Make(Format::kText, core::LogLevel::kDebug, "bridge-1", core::Role::kBridge)
      ->log(core::LogLevel::kInfo, "peer_connected", {{"peer", "0123abcd"}, {"peers", "4"}});
  EXPECT_EQ(out_.str(),
            "ts=2026-11-24T12:00:00.123Z level=info name=bridge-1 role=bridge "
            "event=peer_connected peer=0123abcd peers=4\n");
}

TEST_F(LoggerTest, TextQuotesAndEscapesValues) {
  Make(Format::kText)
      ->log(core::LogLevel::kError, "e",
            {{"quote", "say \"hi\""},
             {"eq", "a=b"},
             {"backslash", "a\\b"},
             {"newline", "line1\nline2"},
             {"tab", "a\tb"},
             {"ctrl", std::string("a\x01") + "b"},
             {"empty", ""},
             {"utf8", "caf\xc3\xa9"},
             {"invalid", "a\xff"}});
  EXPECT_EQ(out_.str(),
            "ts=2026-11-24T12:00:00.123Z level=error name=dht-node-3 role=node event=e "
            "quote=\"say \\\"hi\\\"\" eq=\"a=b\" backslash=\"a\\\\b\" "
            "newline=\"line1\\nline2\" tab=\"a\\tb\" ctrl=\"a\\u0001b\" empty=\"\" "
            "utf8=caf\xc3\xa9 invalid=\"a\\xff\"\n");
}

TEST_F(LoggerTest, TextQuotesANameWithSpaces) {
  Make(Format::kText, core::LogLevel::kDebug, "my node")->log(core::LogLevel::kWarn, "x", {});
  EXPECT_THAT(out_.str(), HasSubstr(" name=\"my node\" "));
}

TEST_F(LoggerTest, JsonLine) {
  Make(Format::kJson)
      ->log(core::LogLevel::kWarn, "onboarding_failed",
            {{"error", "Onboarding failed: findNode timeout"}});
  EXPECT_EQ(out_.str(),
            "{\"ts\":\"2026-11-24T12:00:00.123Z\",\"level\":\"warn\",\"name\":\"dht-node-3\","
            "\"role\":\"node\",\"event\":\"onboarding_failed\","
            "\"error\":\"Onboarding failed: findNode timeout\"}\n");
}

TEST_F(LoggerTest, JsonEscapes) {
  Make(Format::kJson)
      ->log(core::LogLevel::kWarn, "e",
            {{"s", "q\"b\\n\nt\tc\x01"}, {"utf8", "caf\xc3\xa9"}, {"invalid", "a\xff\xc3"}});
  EXPECT_EQ(out_.str(),
            "{\"ts\":\"2026-11-24T12:00:00.123Z\",\"level\":\"warn\",\"name\":\"dht-node-3\","
            "\"role\":\"node\",\"event\":\"e\",\"s\":\"q\\\"b\\\\n\\nt\\tc\\u0001\","
            "\"utf8\":\"caf\xc3\xa9\",\"invalid\":\"a\\ufffd\\ufffd\"}\n");
}

TEST_F(LoggerTest, FieldsCannotShadowOrBreakTheLine) {
  Make(Format::kText)->log(core::LogLevel::kWarn, "e", {{"name", "peer-9"}, {"bad key=", "v"}});
  EXPECT_THAT(out_.str(), HasSubstr(" name=dht-node-3 "));
  EXPECT_THAT(out_.str(), HasSubstr(" _name=peer-9 bad_key_=v\n"));

  out_.str("");
  Make(Format::kJson)->log(core::LogLevel::kWarn, "e", {{"level", "x"}});
  EXPECT_THAT(out_.str(), HasSubstr("\"level\":\"warn\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"_level\":\"x\""));
}

TEST_F(LoggerTest, BelowMinimumLevelWritesNothing) {
  auto logger = Make(Format::kText, core::LogLevel::kWarn);
  logger->log(core::LogLevel::kDebug, "debug_event", {});
  logger->log(core::LogLevel::kInfo, "info_event", {});
  EXPECT_EQ(out_.str(), "");
  EXPECT_FALSE(logger->enabled(core::LogLevel::kInfo));
  EXPECT_TRUE(logger->enabled(core::LogLevel::kWarn));
  logger->log(core::LogLevel::kWarn, "warn_event", {});
  logger->log(core::LogLevel::kError, "error_event", {});
  EXPECT_THAT(out_.str(), HasSubstr("event=warn_event"));
  EXPECT_THAT(out_.str(), HasSubstr("event=error_event"));
  const std::string written = out_.str();
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 2);

  out_.str("");
  auto errors_only = Make(Format::kJson, core::LogLevel::kError);
  errors_only->log(core::LogLevel::kWarn, "w", {});
  EXPECT_EQ(out_.str(), "");
}

TEST_F(LoggerTest, WallClockTimestampHasTheRightShape) {
  Logger logger("n", core::Role::kGenesis, core::LogLevel::kDebug, Format::kText, out_);
  logger.log(core::LogLevel::kInfo, "started", {});
  EXPECT_TRUE(std::regex_match(
      out_.str(), std::regex(R"(ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info name=n )"
                             R"(role=genesis event=started\n)")))
      << out_.str();
}

TEST_F(LoggerTest, ConcurrentLinesDoNotInterleave) {
  auto logger = Make(Format::kText);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&logger, t] {
      for (int i = 0; i < 200; ++i) {
        logger->log(core::LogLevel::kInfo, "tick",
                    {{"thread", std::to_string(t)}, {"i", std::to_string(i)}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::istringstream lines(out_.str());
  std::string line;
  int count = 0;
  const std::regex shape(
      R"(ts=2026-11-24T12:00:00\.123Z level=info name=dht-node-3 role=node event=tick )"
      R"(thread=\d i=\d+)");
  while (std::getline(lines, line)) {
    EXPECT_TRUE(std::regex_match(line, shape)) << line;
    ++count;
  }
  EXPECT_EQ(count, 800);
}

TEST(LogFormatTest, Timestamps) {
  using std::chrono::milliseconds;
  using std::chrono::system_clock;
  EXPECT_EQ(format_timestamp(system_clock::from_time_t(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(FixedTime()), "2026-11-24T12:00:00.123Z");
  // Before the epoch the milliseconds count up from the earlier second.
  EXPECT_EQ(format_timestamp(system_clock::from_time_t(0) - milliseconds(1)),
            "1969-12-31T23:59:59.999Z");
  // Sub-millisecond precision is cut, not rounded.
  EXPECT_EQ(format_timestamp(FixedTime() + std::chrono::microseconds(999)),
            "2026-11-24T12:00:00.123Z");
}

TEST(LogFormatTest, LevelNames) {
  for (const auto level : {core::LogLevel::kDebug, core::LogLevel::kInfo, core::LogLevel::kWarn,
                           core::LogLevel::kError}) {
    EXPECT_EQ(parse_log_level(log_level_name(level)), level);
  }
  EXPECT_EQ(log_level_name(core::LogLevel::kWarn), "warn");
  EXPECT_EQ(parse_log_level("WARN"), std::nullopt);
  EXPECT_EQ(parse_log_level("warning"), std::nullopt);
}

TEST(LogFormatTest, LogfmtValue) {
  EXPECT_EQ(logfmt_value("plain"), "plain");
  EXPECT_EQ(logfmt_value("127.0.0.1:4000"), "127.0.0.1:4000");
  EXPECT_EQ(logfmt_value("two words"), "\"two words\"");
  EXPECT_EQ(logfmt_value(""), "\"\"");
  // JSON's string escapes (\b was \u0008 before logfmt borrowed them from
  // roles/json), and \xNN for a byte that is not valid UTF-8.
  EXPECT_EQ(logfmt_value("\b\x7f\xc0\xaf\xc3\xa9"), "\"\\b\\u007f\\xc0\\xaf\xc3\xa9\"");
}

// JSON lines quote with the shared escaper (tests/unit/json_test.cc). It
// writes \b and \f by their short names, where the logger's own escaper
// used to write \u0008 and \u000c; DEL stays \u007f and invalid UTF-8
// (here an overlong '/' and a lone surrogate) one \ufffd per byte.
TEST_F(LoggerTest, JsonLinesUseTheSharedEscaper) {
  Make(Format::kJson)
      ->log(core::LogLevel::kWarn, "e",
            {{"c", std::string("\b\f\x7f\0", 4)},
             {"bad", "\xc0\xaf\xed\xa0\x80"},
             {"ok", "\xf0\x9f\x98\x80"}});
  EXPECT_THAT(out_.str(), HasSubstr(",\"c\":\"\\b\\f\\u007f\\u0000\","));
  EXPECT_THAT(out_.str(), HasSubstr(",\"bad\":\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\","));
  EXPECT_THAT(out_.str(), HasSubstr(",\"ok\":\"\xf0\x9f\x98\x80\"}\n"));
}

}  // namespace
}  // namespace yz::runtime
