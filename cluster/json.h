#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace yz::cluster {

// A parsed JSON value: enough to read cluster.json, ports.json and the role
// processes' /health and /status answers without a third-party library.
class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }

  // The member `key` of an object, or nullptr (also when this is no object).
  const Json* find(std::string_view key) const;

  // Typed reads that fall back when the value is absent or of another type.
  bool as_bool(bool fallback = false) const;
  double as_double(double fallback = 0) const;
  // Integers are read from the number's text, so 64-bit values stay exact.
  std::int64_t as_int(std::int64_t fallback = 0) const;
  std::uint64_t as_uint(std::uint64_t fallback = 0) const;
  std::string as_string(std::string fallback = {}) const;
  const std::vector<Json>& items() const { return items_; }  // array elements

  // Shorthands for find(key) followed by a typed read.
  bool bool_at(std::string_view key, bool fallback = false) const;
  double double_at(std::string_view key, double fallback = 0) const;
  std::int64_t int_at(std::string_view key, std::int64_t fallback = 0) const;
  std::uint64_t uint_at(std::string_view key, std::uint64_t fallback = 0) const;
  std::string string_at(std::string_view key, std::string fallback = {}) const;
  std::vector<std::string> strings_at(std::string_view key) const;

 private:
  friend class JsonParser;

  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;  // a string's value, or a number's literal text
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

// Parses one JSON document (RFC 8259; surrounding whitespace allowed).
// Returns nullopt and, when `error` is non-null, sets one line saying what
// is wrong and at which byte.
std::optional<Json> parse_json(std::string_view text, std::string* error = nullptr);

// Shortest text that reads back as the same double ("10", "2.5").
std::string json_number(double value);

}  // namespace yz::cluster
