#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace yz::cluster {

// Where yzctl finds the Prometheus rules (deploy/prometheus/rules/*.yml)
// when --rules is not given: CMake copies them to share/yz/prometheus/rules
// beside bin/, so build/bin/yzctl reads build/share/yz/prometheus/rules.
std::string default_rules_dir();

// A Prometheus duration ("1m", "30s", "1h30m", "500ms") in milliseconds, or
// nullopt when it is not one.
std::optional<long long> parse_prometheus_duration(std::string_view text);
// The shortest Prometheus duration for `ms`: "6s", "1m30s", "8571ms".
std::string format_prometheus_duration(long long ms);

// The rule file `yaml` with every `for:` divided by `scale`, at least 1 s,
// so that a cluster whose timings run `scale` times faster alerts on its own
// clock. Everything else (range windows included) is left as written.
// `error` is set when a `for:` value is not a duration.
std::string scale_for_durations(std::string_view yaml, double scale, std::string* error);

struct RulesInstall {
  int files = 0;      // *.yml files copied
  std::string error;  // one line, when they could not be read or written
};
// Copies every *.yml of `source_dir` into `dest_dir` (made if missing),
// scaled by `scale` (1 copies them unchanged).
RulesInstall install_rules(const std::string& source_dir, const std::string& dest_dir,
                           double scale);

}  // namespace yz::cluster
