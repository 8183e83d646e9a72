#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace yz::cluster {

// One flag a yzctl command accepts: "--nodes" takes a value, "--json" does
// not. `repeatable` flags (--fault) keep every value.
struct FlagSpec {
  std::string name;
  bool takes_value = true;
  bool repeatable = false;
};

// A command's arguments: flags as `--flag value` or `--flag=value`, and
// positional words. `error` is one line when they do not fit the spec.
struct Args {
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;
  std::string error;

  bool has(const std::string& name) const { return values.contains(name); }
  // The last value given, or `fallback`.
  std::string get(const std::string& name, const std::string& fallback = {}) const;
  std::vector<std::string> all(const std::string& name) const;
};

// `command` names the subcommand in errors ("unknown flag --x for yzctl up").
Args parse_args(const std::vector<std::string>& args, const std::vector<FlagSpec>& spec,
                const std::string& command);

// An integer in [min, max], or nullopt.
std::optional<long> parse_int(const std::string& text, long min, long max);
// A positive finite decimal ("10", "2.5"), or nullopt.
std::optional<double> parse_positive_double(const std::string& text);
// A duration with a unit ("60s", "500ms", "2m"); bare numbers are refused
// because the roles read them as milliseconds and people read them as seconds.
std::optional<std::chrono::milliseconds> parse_timeout(const std::string& text);

}  // namespace yz::cluster
