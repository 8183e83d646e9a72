#include "roles/metrics/text_serializer.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <variant>

namespace yz::metrics {
namespace {

// Counters and gauges mostly hold whole numbers, which read best without an
// exponent ("1000000", where shortest-form printing would give "1e+06");
// anything else gets the shortest text that parses back to the same double.
std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  std::to_chars_result result;
  // Below 2^63 the cast to int64 is exact for every integral double.
  if (v == std::trunc(v) && std::fabs(v) < 0x1p63) {
    result = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<std::int64_t>(v));
  } else {
    result = std::to_chars(buffer, buffer + sizeof(buffer), v);
  }
  return std::string(buffer, result.ptr);
}

std::string FormatNumber(std::uint64_t v) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), v);
  return std::string(buffer, result.ptr);
}

// HELP text escapes backslash and newline; label values also escape the
// double quote that would otherwise end them.
void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// Writes one sample line. `le`, when given, goes last as in other clients.
void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  const Labels& labels, std::string_view le, const std::string& value) {
  out += name;
  out += suffix;
  if (!labels.empty() || !le.empty()) {
    char separator = '{';
    auto append_label = [&](std::string_view label, std::string_view label_value) {
      out += separator;
      separator = ',';
      out += label;
      out += "=\"";
      AppendEscaped(out, label_value, /*escape_quote=*/true);
      out += '"';
    };
    for (const auto& [label, label_value] : labels) append_label(label, label_value);
    if (!le.empty()) append_label("le", le);
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

void AppendMetric(std::string& out, const std::string& name, const Labels& labels,
                  const Counter& counter) {
  AppendSample(out, name, "", labels, "", FormatNumber(counter.Value()));
}

void AppendMetric(std::string& out, const std::string& name, const Labels& labels,
                  const Gauge& gauge) {
  AppendSample(out, name, "", labels, "", FormatNumber(gauge.Value()));
}

void AppendMetric(std::string& out, const std::string& name, const Labels& labels,
                  const Histogram& histogram) {
  const auto& boundaries = histogram.boundaries();
  const auto cumulative = histogram.CumulativeCounts();
  for (std::size_t i = 0; i < boundaries.size(); ++i) {
    AppendSample(out, name, "_bucket", labels, FormatNumber(boundaries[i]),
                 FormatNumber(cumulative[i]));
  }
  AppendSample(out, name, "_bucket", labels, "+Inf", FormatNumber(cumulative.back()));
  AppendSample(out, name, "_sum", labels, "", FormatNumber(histogram.sum()));
  AppendSample(out, name, "_count", labels, "", FormatNumber(histogram.count()));
}

template <typename T>
void AppendFamily(std::string& out, const Family<T>& family) {
  out += "# HELP ";
  out += family.name();
  out += ' ';
  AppendEscaped(out, family.help(), /*escape_quote=*/false);
  out += "\n# TYPE ";
  out += family.name();
  out += ' ';
  out += T::kTypeName;
  out += '\n';
  for (const auto& [labels, metric] : family.metrics()) {
    // Family::Add guarantees metric labels and constant labels are disjoint.
    Labels all = family.constant_labels();
    all.insert(labels.begin(), labels.end());
    AppendMetric(out, family.name(), all, *metric);
  }
}

}  // namespace

std::string SerializeText(Registry& registry) {
  registry.RunCollectCallbacks();
  std::string out;
  for (const auto& [name, family] : registry.families()) {
    std::visit([&out](const auto& f) { AppendFamily(out, *f); }, family);
  }
  return out;
}

}  // namespace yz::metrics
