#pragma once

#include <concepts>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "roles/metrics/histogram.h"
#include "roles/metrics/labels.h"
#include "roles/metrics/names.h"

namespace yz::metrics {

// All metrics sharing one name, type and help text, told apart by labels.
// Families are created by a Registry (normally through BuildCounter() and
// friends) and live as long as it does.
//
// Not thread-safe, on purpose: see Counter.
template <typename T>
class Family {
 public:
  using MetricType = T;
  using Metrics = std::map<Labels, std::unique_ptr<T>>;

  // Constant labels are attached to every metric of the family. The caller
  // (Registry) has already validated the name and constant labels.
  Family(std::string name, std::string help, Labels constant_labels)
      : name_(std::move(name)),
        help_(std::move(help)),
        constant_labels_(std::move(constant_labels)) {}

  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const Labels& constant_labels() const { return constant_labels_; }

  // Returns the metric with these labels, creating it on first use. The
  // reference stays valid until Remove() or the registry dies, so hot paths
  // can look a metric up once and keep it. Throws std::invalid_argument on a
  // bad label name or one that repeats a constant label.
  T& Add(const Labels& labels) requires std::default_initializable<T> {
    return AddWith(labels, [] { return std::make_unique<T>(); });
  }

  // As above for histograms. If the metric exists, its original boundaries
  // are kept and these are ignored, matching prometheus-cpp.
  T& Add(const Labels& labels,
         Histogram::BucketBoundaries boundaries) requires std::same_as<T, Histogram> {
    return AddWith(labels, [&] { return std::make_unique<T>(std::move(boundaries)); });
  }

  bool Has(const Labels& labels) const { return metrics_.contains(labels); }

  // Drops a metric, e.g. one labelled with a peer that has gone away, so the
  // page does not grow without bound. References to it become dangling.
  void Remove(const T* metric) {
    for (auto it = metrics_.begin(); it != metrics_.end(); ++it) {
      if (it->second.get() == metric) {
        metrics_.erase(it);
        return;
      }
    }
  }

  // Ordered by label set, which is what makes the exposition deterministic.
  const Metrics& metrics() const { return metrics_; }

 private:
  template <typename Make>
  T& AddWith(const Labels& labels, Make make) {
    if (auto it = metrics_.find(labels); it != metrics_.end()) return *it->second;
    // Validated only on insertion so repeated lookups on hot paths stay cheap.
    ValidateLabelNames(name_, labels);
    for (const auto& [label, value] : labels) {
      if (constant_labels_.contains(label)) {
        throw std::invalid_argument("label \"" + label + "\" of metric \"" + name_ +
                                    "\" repeats a constant label");
      }
    }
    return *metrics_.emplace(labels, make()).first->second;
  }

  std::string name_;
  std::string help_;
  Labels constant_labels_;
  Metrics metrics_;
};

}  // namespace yz::metrics
