#include "roles/metrics/text_serializer.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace yz::metrics {
namespace {

// prometheus-cpp 1.0.1 writes HELP text as it is, but the format wants
// backslash and newline escaped there: a help with either makes the whole page
// unparsable (promtool: "invalid escape sequence").
std::string EscapeHelp(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string SerializeText(Registry& registry) {
  registry.RunCollectCallbacks();
  std::vector<prometheus::MetricFamily> families = registry.Collect();
  std::sort(families.begin(), families.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& family : families) {
    if (family.help.find_first_of("\\\n") != std::string::npos)
      family.help = EscapeHelp(family.help);
    std::sort(family.metric.begin(), family.metric.end(),
              [](const auto& a, const auto& b) { return a.label < b.label; });
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

}  // namespace yz::metrics
