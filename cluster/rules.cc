#include "cluster/rules.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cluster/process_control.h"
#include "roles/runtime/data_dir.h"

namespace yz::cluster {
namespace {

struct Unit {
  std::string_view name;
  long long ms;
};
// Longest names first, so "ms" is not read as "m" followed by "s".
constexpr Unit kUnits[] = {{"ms", 1},       {"y", 365LL * 86400000}, {"w", 7LL * 86400000},
                           {"d", 86400000}, {"h", 3600000},          {"m", 60000},
                           {"s", 1000}};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

}  // namespace

std::string default_rules_dir() {
  const std::filesystem::path bin = std::filesystem::path(self_exe()).parent_path();
  return (bin.parent_path() / "share" / "yz" / "prometheus" / "rules").string();
}

std::optional<long long> parse_prometheus_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long long total = 0;
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 12) return std::nullopt;
    const long long value = std::stoll(std::string(text.substr(0, digits)));
    text.remove_prefix(digits);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;
    text.remove_prefix(unit->name.size());
    total += value * unit->ms;
  }
  return total;
}

std::string format_prometheus_duration(long long ms) {
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  long long s = ms / 1000;
  std::string out;
  for (const auto& [unit, size] : {std::pair{"h", 3600LL}, std::pair{"m", 60LL}}) {
    if (s >= size) {
      out += std::to_string(s / size) + unit;
      s %= size;
    }
  }
  if (s > 0 || out.empty()) out += std::to_string(s) + "s";
  return out;
}

std::string scale_for_durations(std::string_view yaml, double scale, std::string* error) {
  std::string out;
  std::size_t line_no = 0;
  while (!yaml.empty()) {
    const std::size_t end = yaml.find('\n');
    std::string_view line = yaml.substr(0, end);
    yaml.remove_prefix(end == std::string_view::npos ? yaml.size() : end + 1);
    ++line_no;
    const std::string_view body = trim(line);
    // `for:` is a key of its own in a rule; a value of another key that
    // happens to contain the word is not touched.
    if (scale != 1.0 && body.substr(0, 4) == "for:") {
      std::string_view value = trim(body.substr(4));
      std::string_view comment;
      if (const std::size_t hash = value.find(" #"); hash != std::string_view::npos) {
        comment = value.substr(hash);
        value = trim(value.substr(0, hash));
      }
      if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
          value.back() == value.front())
        value = value.substr(1, value.size() - 2);
      const auto ms = parse_prometheus_duration(value);
      if (!ms) {
        if (error != nullptr)
          *error = "line " + std::to_string(line_no) + ": `for:` value '" + std::string(value) +
                   "' is not a Prometheus duration";
        return {};
      }
      const auto scaled = std::max<long long>(
          1000, static_cast<long long>(std::llround(static_cast<double>(*ms) / scale)));
      const std::size_t indent = line.find("for:");
      out += std::string(line.substr(0, indent)) + "for: " + format_prometheus_duration(scaled) +
             std::string(comment) + "  # " + std::string(value) + " / time scale\n";
    } else {
      out += std::string(line) + "\n";
    }
  }
  return out;
}

RulesInstall install_rules(const std::string& source_dir, const std::string& dest_dir,
                           double scale) {
  RulesInstall result;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir, ec)) {
    if (entry.path().extension() == ".yml" && entry.is_regular_file())
      files.push_back(entry.path());
  }
  if (ec) {
    result.error = "cannot read the rules in " + source_dir + ": " + ec.message();
    return result;
  }
  std::sort(files.begin(), files.end());
  std::filesystem::create_directories(dest_dir, ec);
  if (ec) {
    result.error = "cannot make " + dest_dir + ": " + ec.message();
    return result;
  }
  for (const auto& path : files) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      result.error = "cannot read " + path.string();
      return result;
    }
    std::string why;
    const std::string scaled = scale_for_durations(text.str(), scale, &why);
    if (!why.empty()) {
      result.error = path.string() + " " + why;
      return result;
    }
    const std::string dest = dest_dir + "/" + path.filename().string();
    if (std::string error = runtime::write_file_atomically(dest, scaled, 0644); !error.empty()) {
      result.error = "cannot write " + dest + ": " + error;
      return result;
    }
    ++result.files;
  }
  return result;
}

}  // namespace yz::cluster
