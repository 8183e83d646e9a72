#include "roles/runtime/duration.h"

#include <absl/time/time.h>

#include <array>
#include <cstdint>
#include <limits>

namespace yz::runtime {
namespace {

struct Unit {
  std::string_view suffix;
  core::Duration nanos;
};

// Largest first, so format_duration picks the coarsest exact unit. The
// suffixes are those absl::ParseDuration knows.
constexpr std::array<Unit, 6> kUnits = {{
    {"h", 3600 * core::kSecond},
    {"m", 60 * core::kSecond},
    {"s", core::kSecond},
    {"ms", core::kMillisecond},
    {"us", 1'000},
    {"ns", 1},
}};

// absl::ParseDuration also takes signs, fractions, "1m30s" and "inf"; a
// flag's period is one whole number and one unit, so anything else is
// refused before absl reads it.
bool is_one_whole_unit(std::string_view text) {
  const std::size_t digits = text.find_first_not_of("0123456789");
  if (digits == 0 || text.empty()) return false;
  if (digits == std::string_view::npos) return true;
  const std::string_view suffix = text.substr(digits);
  for (const Unit& u : kUnits) {
    if (u.suffix == suffix) return true;
  }
  return false;
}

}  // namespace

std::optional<core::Duration> parse_duration(std::string_view text) {
  if (!is_one_whole_unit(text)) return std::nullopt;
  std::string spelled(text);
  // A bare number is milliseconds, the unit of the original configuration.
  if (spelled.find_first_not_of("0123456789") == std::string::npos) spelled += "ms";
  absl::Duration parsed;
  if (!absl::ParseDuration(spelled, &parsed)) return std::nullopt;
  // absl's range is about 292 billion years, core::Duration's (int64
  // nanoseconds) 292 years: the rest is overflow, not saturation.
  if (parsed > absl::Nanoseconds(std::numeric_limits<core::Duration>::max())) return std::nullopt;
  return absl::ToInt64Nanoseconds(parsed);
}

// Not absl::FormatDuration: it writes 90s as "1m30s", 1500us as "1.5ms" and
// zero as "0", none of which parse_duration accepts, and the printed
// defaults (--help, cluster.json) use the one-unit form.
std::string format_duration(core::Duration duration) {
  if (duration == 0) return "0s";
  // Work in unsigned so the most negative value has a magnitude too.
  const bool negative = duration < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(duration) : static_cast<std::uint64_t>(duration);
  for (const Unit& u : kUnits) {
    const auto nanos = static_cast<std::uint64_t>(u.nanos);
    if (magnitude % nanos == 0) {
      return (negative ? "-" : "") + std::to_string(magnitude / nanos) + std::string(u.suffix);
    }
  }
  return {};  // unreachable: every value is a whole number of nanoseconds
}

}  // namespace yz::runtime
