#include "roles/metrics/names.h"

#include <stdexcept>
#include <string>

namespace yz::metrics {
namespace {

// Not std::isalpha: the grammar is ASCII and must not depend on the locale.
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAsciiLetter(c) || c == '_' || c == ':' || (i > 0 && IsAsciiDigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAsciiLetter(c) || c == '_' || (i > 0 && IsAsciiDigit(c));
    if (!ok) return false;
  }
  return true;
}

void ValidateMetricName(std::string_view name) {
  if (!IsValidMetricName(name)) {
    throw std::invalid_argument("invalid metric name \"" + std::string(name) + "\"");
  }
}

void ValidateLabelNames(std::string_view metric, const Labels& labels) {
  for (const auto& [name, value] : labels) {
    if (!IsValidLabelName(name)) {
      throw std::invalid_argument("invalid label name \"" + name + "\" for metric \"" +
                                  std::string(metric) + "\"");
    }
    if (name == "le" || name == "quantile") {
      throw std::invalid_argument("reserved label name \"" + name + "\" for metric \"" +
                                  std::string(metric) + "\"");
    }
  }
}

}  // namespace yz::metrics
