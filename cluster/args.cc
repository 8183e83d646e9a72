#include "cluster/args.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "roles/runtime/duration.h"

namespace yz::cluster {

std::string Args::get(const std::string& name, const std::string& fallback) const {
  const auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return fallback;
  return it->second.back();
}

std::vector<std::string> Args::all(const std::string& name) const {
  const auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

Args parse_args(const std::vector<std::string>& args, const std::vector<FlagSpec>& spec,
                const std::string& command) {
  Args out;
  const auto fail = [&out](std::string message) {
    out.error = std::move(message);
    return out;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (const std::size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    const FlagSpec* flag = nullptr;
    for (const FlagSpec& candidate : spec) {
      if (candidate.name == name) flag = &candidate;
    }
    if (flag == nullptr) {
      return fail("unknown flag " + name + " for yzctl " + command + " (see yzctl help)");
    }
    if (!flag->takes_value) {
      if (inline_value) return fail("flag " + name + " takes no value");
      out.values[name].push_back("true");
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
      value = args[++i];
    } else {
      return fail("flag " + name + " needs a value");
    }
    if (!flag->repeatable && out.values.contains(name)) {
      return fail("flag " + name + " given twice");
    }
    out.values[name].push_back(value);
  }
  return out;
}

std::optional<long> parse_int(const std::string& text, long min, long max) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const long value = std::strtol(text.c_str(), nullptr, 10);
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<double> parse_positive_double(const std::string& text) {
  if (text.empty()) return std::nullopt;
  for (const char c : text) {
    if ((c < '0' || c > '9') && c != '.') return std::nullopt;
  }
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value) || value <= 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::milliseconds> parse_timeout(const std::string& text) {
  if (text.empty() || (text.back() >= '0' && text.back() <= '9')) return std::nullopt;
  const auto parsed = runtime::parse_duration(text);
  if (!parsed || *parsed <= 0) return std::nullopt;
  return std::chrono::milliseconds(std::max<core::Duration>(1, *parsed / core::kMillisecond));
}

}  // namespace yz::cluster
