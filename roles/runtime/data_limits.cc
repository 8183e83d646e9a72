#include "roles/runtime/data_limits.h"

#include "roles/json/json.h"

namespace yz::runtime {

std::string key_problem(std::string_view key) {
  if (key.empty()) return "key is empty";
  if (key.size() > kMaxKeyBytes)
    return "key is " + std::to_string(key.size()) + " bytes; the limit is " +
           std::to_string(kMaxKeyBytes);
  for (std::size_t i = 0; i < key.size();) {
    const std::size_t length = json::utf8_sequence_length(key, i);
    if (length == 0) return "key is not valid UTF-8 (at byte " + std::to_string(i) + ")";
    i += length;
  }
  return {};
}

std::string value_problem(std::string_view value, std::size_t limit) {
  if (value.size() > limit)
    return "value is " + std::to_string(value.size()) + " bytes; the limit is " +
           std::to_string(limit);
  return {};
}

}  // namespace yz::runtime
