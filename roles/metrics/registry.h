#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "roles/metrics/builder.h"
#include "roles/metrics/counter.h"
#include "roles/metrics/family.h"
#include "roles/metrics/gauge.h"
#include "roles/metrics/histogram.h"
#include "roles/metrics/labels.h"

namespace yz::metrics {

// Owns every metric family of a process (or of one simulated node), keyed by
// name so that exposition order does not depend on registration order.
//
// Not thread-safe, on purpose: the owning core runs on one thread and the
// HTTP exposition is posted onto it, so there is nothing to lock against.
class Registry {
 public:
  using FamilyPtr = std::variant<std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
                                 std::unique_ptr<Family<Histogram>>>;
  using Families = std::map<std::string, FamilyPtr>;

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Returns the family called `name`, creating it on first use. A second
  // registration with the same type and constant labels returns the first
  // family (and keeps its help); any other clash throws std::invalid_argument.
  //
  // Also throws on what `promtool check metrics` would reject, so mistakes
  // surface in unit tests rather than in a scrape: a malformed name or
  // constant label, empty help, a counter not ending in "_total", and a
  // non-histogram ending in "_bucket", "_sum" or "_count". Builders are the
  // usual way in; T is Counter, Gauge or Histogram.
  template <typename T>
  Family<T>& Add(const std::string& name, const std::string& help, const Labels& constant_labels);

  // Callbacks run at the start of every serialization, so gauges computed
  // from other state (routing table size, ...) can be refreshed just before
  // they are read instead of on every change. A callback may add metrics but
  // must not add callbacks.
  void AddCollectCallback(std::function<void()> callback);
  void RunCollectCallbacks();

  const Families& families() const { return families_; }

 private:
  Families families_;
  std::vector<std::function<void()>> collect_callbacks_;
};

extern template Family<Counter>& Registry::Add<Counter>(const std::string&, const std::string&,
                                                        const Labels&);
extern template Family<Gauge>& Registry::Add<Gauge>(const std::string&, const std::string&,
                                                    const Labels&);
extern template Family<Histogram>& Registry::Add<Histogram>(const std::string&, const std::string&,
                                                            const Labels&);

}  // namespace yz::metrics
