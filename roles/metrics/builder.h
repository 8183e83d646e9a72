#pragma once

#include <string>

#include "roles/metrics/labels.h"

namespace yz::metrics {

class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;

// Collects a family's name, help and constant labels, then registers it.
// Mirrors prometheus-cpp so call sites read the same:
//   auto& family = BuildCounter().Name("x_total").Help("...").Register(registry);
template <typename T>
class Builder {
 public:
  Builder& Name(const std::string& name) {
    name_ = name;
    return *this;
  }
  Builder& Help(const std::string& help) {
    help_ = help;
    return *this;
  }
  // Constant labels, attached to every metric of the family. Qualified because
  // inside this class "Labels" names this function.
  Builder& Labels(const metrics::Labels& labels) {
    labels_ = labels;
    return *this;
  }

  // Same contract as Registry::Add: returns the existing family when the name
  // is already registered with this type, throws std::invalid_argument on a
  // bad name or a clash.
  Family<T>& Register(Registry& registry) const;

 private:
  std::string name_;
  std::string help_;
  metrics::Labels labels_;
};

// Register() is defined in builder.cc for these three types only.
extern template class Builder<Counter>;
extern template class Builder<Gauge>;
extern template class Builder<Histogram>;

Builder<Counter> BuildCounter();
Builder<Gauge> BuildGauge();
Builder<Histogram> BuildHistogram();

}  // namespace yz::metrics
