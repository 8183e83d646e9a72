#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "roles/core/env.h"
#include "roles/core/frame.h"
#include "roles/runtime/flags.h"

namespace yz::runtime {

// "debug", "info", "warn", "error".
std::string_view log_level_name(core::LogLevel level);
std::optional<core::LogLevel> parse_log_level(std::string_view text);

// RFC 3339 UTC with milliseconds: "2026-11-24T12:00:00.123Z".
std::string format_timestamp(std::chrono::system_clock::time_point time);

// A logfmt value: bare when it is a plain token, else quoted and escaped.
std::string logfmt_value(std::string_view text);

// Structured, line-oriented logging for a role process: one line per event,
// logfmt or JSON, carrying ts, level, name, role and event before the
// event's own fields. Lines are written whole under a lock, so the threads
// of the runtime (Asio, gRPC) never interleave within a line.
class Logger {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  Logger(std::string name, core::Role role, core::LogLevel min_level,
         RuntimeFlags::LogFormat format, std::ostream& out = std::cerr);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void log(core::LogLevel level, std::string_view event,
           std::initializer_list<core::LogField> fields);

  // Lets callers skip building fields that would be thrown away.
  bool enabled(core::LogLevel level) const { return level >= min_level_; }

  // Replaces the wall clock, so tests can pin the timestamp.
  void set_clock(Clock clock) { clock_ = std::move(clock); }

 private:
  std::string format_line(core::LogLevel level, std::string_view event,
                          std::initializer_list<core::LogField> fields) const;

  const std::string name_;
  const core::Role role_;
  const core::LogLevel min_level_;
  const RuntimeFlags::LogFormat format_;
  std::ostream& out_;
  Clock clock_;
  std::mutex mu_;
};

}  // namespace yz::runtime
