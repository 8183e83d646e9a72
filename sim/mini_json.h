#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace yz::sim::json {

// A small JSON reader for what yzsim itself writes (RUN.json, Perfetto
// traces in tests). Numbers keep their text, so 64-bit integers survive.
struct Value {
  enum class Kind : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // a string's value, a number's digits
  std::vector<Value> array;
  std::map<std::string, Value> object;
  // Where the value lies in the parsed text: [begin, end).
  std::size_t begin = 0;
  std::size_t end = 0;

  bool is_object() const { return kind == Kind::kObject; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_number() const { return kind == Kind::kNumber; }
  // The member `key`, or null when this is not an object or has no such key.
  const Value* find(const std::string& key) const;
  std::uint64_t as_u64() const;
  std::int64_t as_i64() const;
  double as_double() const;
};

// Parses one JSON document. On failure, returns nothing and sets `error`
// to what went wrong and where (a byte offset).
std::optional<Value> parse(const std::string& text, std::string& error);

// `s` as a JSON string literal, quotes included.
std::string quote(const std::string& s);

}  // namespace yz::sim::json
