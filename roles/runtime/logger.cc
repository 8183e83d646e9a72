#include "roles/runtime/logger.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <utility>

namespace yz::runtime {
namespace {

// Keys the logger writes itself; an event field with one of these names is
// renamed so that a line never carries the same key twice.
constexpr std::array<std::string_view, 5> kReservedKeys = {"ts", "level", "name", "role", "event"};

// Length of the valid UTF-8 sequence starting at `i`, or 0 when the bytes
// there are not one (overlong forms and surrogates included).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  // Lead byte: sequence length, its payload bits, and the least code point
  // that needs that length (anything smaller is an overlong form).
  std::size_t len = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void append_hex_escape(std::string& out, const char* format, unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, format, value);
  out += buf;
}

// Escapes shared by both formats; `invalid_byte` handles a byte that is not
// part of valid UTF-8.
template <typename InvalidByte>
void append_escaped(std::string& out, std::string_view text, InvalidByte invalid_byte) {
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    const std::size_t len = utf8_length(text, i);
    if (len == 0) {
      invalid_byte(out, u);
      ++i;
      continue;
    }
    if (len > 1) {
      out.append(text, i, len);
      i += len;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          append_hex_escape(out, "\\u%04x", u);
        } else {
          out += c;
        }
    }
    ++i;
  }
}

bool needs_quotes(std::string_view text) {
  if (text.empty()) return true;
  for (std::size_t i = 0; i < text.size();) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u <= 0x20 || u == 0x7f || u == '"' || u == '=' || u == '\\') return true;
    const std::size_t len = utf8_length(text, i);
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

std::string json_string(std::string_view text) {
  std::string out = "\"";
  append_escaped(out, text, [](std::string& o, unsigned char) { o += "\\ufffd"; });
  return out + "\"";
}

std::string logfmt_value(std::string_view text) {
  if (!needs_quotes(text)) return std::string(text);
  std::string out = "\"";
  append_escaped(out, text,
                 [](std::string& o, unsigned char byte) { append_hex_escape(o, "\\x%02x", byte); });
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
    line = "{\"ts\":" + json_string(ts) + ",\"level\":" + json_string(level_name) +
           ",\"name\":" + json_string(name_) + ",\"role\":" + json_string(role) +
           ",\"event\":" + json_string(event);
    for (const core::LogField& field : fields) {
      line += "," + json_string(field_key(field.key)) + ":" + json_string(field.value);
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
