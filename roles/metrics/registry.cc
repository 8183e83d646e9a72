#include "roles/metrics/registry.h"

#include <stdexcept>
#include <type_traits>
#include <utility>

#include "roles/metrics/names.h"

namespace yz::metrics {
namespace {

std::string_view TypeNameOf(const Registry::FamilyPtr& family) {
  return std::visit(
      [](const auto& f) { return std::remove_reference_t<decltype(*f)>::MetricType::kTypeName; },
      family);
}

// The checks promtool's linter makes that a registry can make up front.
template <typename T>
void ValidateFamily(const std::string& name, const std::string& help, const Labels& labels) {
  ValidateMetricName(name);
  ValidateLabelNames(name, labels);
  if (help.empty()) {
    throw std::invalid_argument("metric \"" + name + "\" needs help text");
  }
  if constexpr (std::is_same_v<T, Counter>) {
    if (!name.ends_with("_total")) {
      throw std::invalid_argument("counter \"" + name + "\" must end in \"_total\"");
    }
  }
  // These suffixes are the series names a histogram expands into.
  if constexpr (!std::is_same_v<T, Histogram>) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (name.ends_with(suffix)) {
        throw std::invalid_argument("metric \"" + name + "\" must not end in \"" + suffix +
                                    "\" unless it is a histogram");
      }
    }
  }
}

}  // namespace

template <typename T>
Family<T>& Registry::Add(const std::string& name, const std::string& help,
                         const Labels& constant_labels) {
  ValidateFamily<T>(name, help, constant_labels);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = std::get_if<std::unique_ptr<Family<T>>>(&it->second);
    if (existing == nullptr) {
      throw std::invalid_argument("metric \"" + name + "\" is already registered as a " +
                                  std::string(TypeNameOf(it->second)));
    }
    if ((*existing)->constant_labels() != constant_labels) {
      throw std::invalid_argument("metric \"" + name +
                                  "\" is already registered with other constant labels");
    }
    return **existing;
  }
  auto family = std::make_unique<Family<T>>(name, help, constant_labels);
  Family<T>& result = *family;
  families_.emplace(name, std::move(family));
  return result;
}

template Family<Counter>& Registry::Add<Counter>(const std::string&, const std::string&,
                                                 const Labels&);
template Family<Gauge>& Registry::Add<Gauge>(const std::string&, const std::string&, const Labels&);
template Family<Histogram>& Registry::Add<Histogram>(const std::string&, const std::string&,
                                                     const Labels&);

void Registry::AddCollectCallback(std::function<void()> callback) {
  collect_callbacks_.push_back(std::move(callback));
}

void Registry::RunCollectCallbacks() {
  for (const auto& callback : collect_callbacks_) callback();
}

}  // namespace yz::metrics
