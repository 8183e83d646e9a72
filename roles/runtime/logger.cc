#include "roles/runtime/logger.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <utility>

#include "roles/json/json.h"

namespace yz::runtime {
namespace {

// Keys the logger writes itself; an event field with one of these names is
// renamed so that a line never carries the same key twice.
constexpr std::array<std::string_view, 5> kReservedKeys = {"ts", "level", "name", "role", "event"};

void append_hex_escape(std::string& out, const char* format, unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, format, value);
  out += buf;
}

// A logfmt value's escapes: JSON's string escapes, and \xNN for a byte that
// is not part of valid UTF-8 (logfmt has no rule for those; \xNN keeps the
// byte's value for whoever reads the log, where JSON writes U+FFFD).
void append_logfmt_escaped(std::string& out, std::string_view text) {
  std::size_t valid_from = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (const std::size_t len = json::utf8_sequence_length(text, i); len > 0) {
      i += len;
      continue;
    }
    json::append_escaped(out, text.substr(valid_from, i - valid_from));
    append_hex_escape(out, "\\x%02x", static_cast<unsigned char>(text[i]));
    valid_from = ++i;
  }
  json::append_escaped(out, text.substr(valid_from));
}

bool needs_quotes(std::string_view text) {
  if (text.empty()) return true;
  for (std::size_t i = 0; i < text.size();) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u <= 0x20 || u == 0x7f || u == '"' || u == '=' || u == '\\') return true;
    const std::size_t len = json::utf8_sequence_length(text, i);
    if (len == 0) return true;
    i += len;
  }
  return false;
}

// Keys come from code, but a stray space or '=' would make the whole line
// unparseable, so they are reduced to a safe alphabet.
std::string field_key(std::string_view key) {
  std::string out;
  for (const std::string_view reserved : kReservedKeys) {
    if (key == reserved) out = "_";
  }
  for (const char c : key) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
    out += safe ? c : '_';
  }
  return out.empty() ? "_" : out;
}

}  // namespace

std::string_view log_level_name(core::LogLevel level) {
  switch (level) {
    case core::LogLevel::kDebug:
      return "debug";
    case core::LogLevel::kInfo:
      return "info";
    case core::LogLevel::kWarn:
      return "warn";
    case core::LogLevel::kError:
      return "error";
  }
  return "unknown";
}

std::optional<core::LogLevel> parse_log_level(std::string_view text) {
  for (const auto level : {core::LogLevel::kDebug, core::LogLevel::kInfo, core::LogLevel::kWarn,
                           core::LogLevel::kError}) {
    if (log_level_name(level) == text) return level;
  }
  return std::nullopt;
}

std::string format_timestamp(std::chrono::system_clock::time_point time) {
  // floor, not duration_cast: a time before the epoch must not round up
  // into the next second.
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time - seconds).count();
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // room for any int in each field, as the compiler checks
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

std::string logfmt_value(std::string_view text) {
  if (!needs_quotes(text)) return std::string(text);
  std::string out = "\"";
  append_logfmt_escaped(out, text);
  return out + "\"";
}

Logger::Logger(std::string name, core::Role role, core::LogLevel min_level,
               RuntimeFlags::LogFormat format, std::ostream& out)
    : name_(std::move(name)),
      role_(role),
      min_level_(min_level),
      format_(format),
      out_(out),
      clock_([] { return std::chrono::system_clock::now(); }) {}

void Logger::log(core::LogLevel level, std::string_view event,
                 std::initializer_list<core::LogField> fields) {
  if (!enabled(level)) return;
  const std::string line = format_line(level, event, fields);
  std::lock_guard<std::mutex> lock(mu_);
  out_ << line;
  // A crash right after an error is when the line matters most.
  out_.flush();
}

std::string Logger::format_line(core::LogLevel level, std::string_view event,
                                std::initializer_list<core::LogField> fields) const {
  const std::string ts = format_timestamp(clock_());
  const std::string_view level_name = log_level_name(level);
  const std::string_view role = core::role_name(role_);
  std::string line;
  if (format_ == RuntimeFlags::LogFormat::kJson) {
    line = "{\"ts\":" + json::quote(ts) + ",\"level\":" + json::quote(level_name) +
           ",\"name\":" + json::quote(name_) + ",\"role\":" + json::quote(role) +
           ",\"event\":" + json::quote(event);
    for (const core::LogField& field : fields) {
      line += "," + json::quote(field_key(field.key)) + ":" + json::quote(field.value);
    }
    line += "}\n";
  } else {
    line = "ts=" + ts + " level=" + std::string(level_name) + " name=" + logfmt_value(name_) +
           " role=" + std::string(role) + " event=" + logfmt_value(event);
    for (const core::LogField& field : fields) {
      line += " " + field_key(field.key) + "=" + logfmt_value(field.value);
    }
    line += "\n";
  }
  return line;
}

}  // namespace yz::runtime
