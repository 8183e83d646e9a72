#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roles/metrics/types.h"

namespace yz::metrics {

// One labelled counter family whose label values form a closed list: every
// value's series exists at 0 from the first scrape (so rate() and dashboards
// read 0, not "no data"), and counting a value never builds a label map. The
// list lives next to the code that counts (a constexpr array of names), and
// the same array both creates and counts, so a new reason added to the list
// cannot be left out of the page.
//
// A value outside the list is still counted (created on first use) rather
// than lost: reasons that come from elsewhere (a peer's error code) stay
// visible, only without their zero.
class KnownSeries {
 public:
  KnownSeries(Family<Counter>& family, std::string label, std::span<const std::string_view> known)
      : family_(family), label_(std::move(label)) {
    series_.reserve(known.size());
    for (std::string_view value : known)
      series_.emplace_back(value, &family_.Add({{label_, std::string(value)}}));
  }

  // More values of the same family from another closed list.
  void add(std::span<const std::string_view> known) {
    for (std::string_view value : known)
      series_.emplace_back(value, &family_.Add({{label_, std::string(value)}}));
  }

  Counter& operator[](std::string_view value) {
    // A linear scan over a dozen short strings beats hashing a label map.
    for (const auto& [name, counter] : series_)
      if (name == value) return *counter;
    return family_.Add({{label_, std::string(value)}});
  }

 private:
  Family<Counter>& family_;
  std::string label_;
  std::vector<std::pair<std::string_view, Counter*>> series_;
};

}  // namespace yz::metrics
