#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "roles/core/env.h"

namespace yz::runtime {

// Parses "1500us", "250ms", "30s", "2m", "1h" (and "ns") with
// absl::ParseDuration; a plain integer is
// milliseconds, the unit the original system's configuration used. No sign,
// no fraction, no spaces: a flag that half-parses is worse than one that
// fails. Returns nullopt for empty, negative, malformed or overflowing input.
std::optional<core::Duration> parse_duration(std::string_view text);

// The shortest exact form in the largest unit that divides the value
// ("30s", "2m", "1500us", "0s"), so parse_duration(format_duration(d)) == d.
std::string format_duration(core::Duration duration);

}  // namespace yz::runtime
