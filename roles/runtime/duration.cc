#include "roles/runtime/duration.h"

#include <array>
#include <cstdint>
#include <limits>

namespace yz::runtime {
namespace {

struct Unit {
  std::string_view suffix;
  core::Duration nanos;
};

// Largest first, so format_duration picks the coarsest exact unit.
constexpr std::array<Unit, 6> kUnits = {{
    {"h", 3600 * core::kSecond},
    {"m", 60 * core::kSecond},
    {"s", core::kSecond},
    {"ms", core::kMillisecond},
    {"us", 1'000},
    {"ns", 1},
}};

}  // namespace

std::optional<core::Duration> parse_duration(std::string_view text) {
  constexpr auto kMax = std::numeric_limits<core::Duration>::max();
  std::size_t i = 0;
  core::Duration value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const int digit = text[i] - '0';
    if (value > (kMax - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    ++i;
  }
  // No leading digit also covers "-5" and "+5": a negative period is never meant.
  if (i == 0) return std::nullopt;

  const std::string_view suffix = text.substr(i);
  core::Duration unit = 0;
  if (suffix.empty()) {
    unit = core::kMillisecond;
  } else {
    for (const Unit& u : kUnits) {
      if (u.suffix == suffix) unit = u.nanos;
    }
    if (unit == 0) return std::nullopt;
  }
  if (value > kMax / unit) return std::nullopt;
  return value * unit;
}

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
