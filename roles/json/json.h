#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The one JSON reader and the one JSON string writer of yz (the reader is
// Boost.JSON's parser behind this facade): yzsim reads its
// RUN.json and Perfetto traces with it, yzctl its cluster.json, ports.json
// and the role processes' /health and /status answers, and every producer of
// JSON (the logger, the HTTP endpoints, ports.json, RUN.json, cluster.json)
// quotes its strings with quote().
namespace yz::json {

// A parsed JSON value. Numbers keep their literal text, so 64-bit integers
// are read exactly (never through a double).
class Value {
 public:
  enum class Type : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // The member `key` of an object, or nullptr (also when this is no object).
  // When a key repeats, the last one wins, as in most JSON readers.
  const Value* find(std::string_view key) const;

  // Typed reads that fall back when the value is of another type.
  bool as_bool(bool fallback = false) const;
  double as_double(double fallback = 0) const;
  // An integer literal is read exactly; any other number (2.5, -2e3) through
  // a double, truncated, and `fallback` when it does not fit.
  std::int64_t as_int(std::int64_t fallback = 0) const;
  // Exact integer literals in [0, 2^64) only; anything else is `fallback`.
  std::uint64_t as_uint(std::uint64_t fallback = 0) const;
  std::string as_string(std::string fallback = {}) const;
  // A string's value or a number's literal text; empty for other types.
  const std::string& text() const { return text_; }
  const std::vector<Value>& items() const { return items_; }  // array elements
  const std::vector<std::pair<std::string, Value>>& members() const { return members_; }

  // Shorthands for find(key) followed by a typed read.
  bool bool_at(std::string_view key, bool fallback = false) const;
  double double_at(std::string_view key, double fallback = 0) const;
  std::int64_t int_at(std::string_view key, std::int64_t fallback = 0) const;
  std::uint64_t uint_at(std::string_view key, std::uint64_t fallback = 0) const;
  std::string string_at(std::string_view key, std::string fallback = {}) const;
  // The string elements of the array `key` (others skipped).
  std::vector<std::string> strings_at(std::string_view key) const;

  // The value as compact JSON: numbers as their literal text, strings by
  // quote(), members in order. Text yz wrote itself reads back unchanged.
  std::string compact() const;

 private:
  friend class Builder;

  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<Value> items_;
  std::vector<std::pair<std::string, Value>> members_;
};

// Arrays and objects nested deeper than this are refused, so that hostile
// input cannot exhaust memory through the reader's stack of open values.
inline constexpr int kMaxDepth = 256;

// Parses one JSON document (RFC 8259, strictly; surrounding whitespace
// allowed) with Boost.JSON's parser. On failure returns nullopt and, when
// `error` is non-null, sets one line saying what is wrong and at which byte.
std::optional<Value> parse(std::string_view text, std::string* error = nullptr);

// How quote() writes a string.
enum class Quoting : std::uint8_t {
  kPlain,
  // Also safe inside an HTML <script> element: '<', '>' and '&' and
  // U+2028/U+2029 (line terminators to old JavaScript) become \u escapes.
  kHtmlScript,
};

// `text` as a JSON string literal, quotes included. The output is always
// valid JSON and always valid UTF-8, whatever the bytes:
//  - '"' and '\' are escaped; so is every control character, because JSON
//    forbids raw bytes < 0x20 in strings: \b \f \n \r \t by their short
//    names, the others as \u00XX. DEL (0x7f) is legal JSON but is escaped
//    as \u007f too, so that a log line or a status answer printed on a
//    terminal cannot carry terminal controls.
//  - Well-formed UTF-8 is copied as it is (readable, and no larger).
//  - Every byte that is not part of a well-formed UTF-8 sequence (stray
//    continuation bytes, truncated sequences, overlong forms, surrogates,
//    code points above U+10FFFF) becomes \ufffd, one per byte. Such bytes
//    come from peers (names, addresses) or from corrupted files; copying
//    them would make the whole document unparseable for strict readers,
//    and dropping them would hide that something was there.
//  - '/' is not escaped: JSON does not require it.
// Boost.JSON's serializer is not used for this: it copies DEL and bytes that
// are not UTF-8 through unchanged, and writes doubles as "2.5E0".
std::string quote(std::string_view text, Quoting quoting = Quoting::kPlain);
void append_quoted(std::string& out, std::string_view text, Quoting quoting = Quoting::kPlain);
// What quote() writes between the quotes (for formats that borrow JSON's
// string escapes, like the logger's logfmt values).
void append_escaped(std::string& out, std::string_view text, Quoting quoting = Quoting::kPlain);

// Length of the well-formed UTF-8 sequence starting at text[i] (1 for
// ASCII), or 0 when the bytes there are not one. Follows the table of
// well-formed byte sequences in Unicode 15, section 3.9.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// Shortest text that reads back as the same double ("10", "2.5"); "null"
// for infinities and NaN, which JSON cannot write.
std::string number(double value);

}  // namespace yz::json
