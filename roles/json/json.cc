#include "roles/json/json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>
#include <charconv>
#include <cmath>
#include <system_error>

namespace yz::json {

namespace {

namespace bj = boost::json;

std::string_view view(bj::string_view s) { return {s.data(), s.size()}; }

}  // namespace

// Boost.JSON's tokenizer (basic_parser) reads the text: grammar, escapes,
// surrogate pairs, UTF-8 validation and the depth bound are the library's.
// This handler only builds yz's Value from its events, because Value keeps
// what Boost.JSON's own DOM drops: each number's literal text (exact 64-bit
// integers, out-of-range integer literals told from doubles) and every
// member of an object in order, repeated keys included.
class Builder {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  Value take() { return std::move(root_); }

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }
  bool on_array_begin(bj::error_code&) { return open(Value::Type::kArray); }
  bool on_array_end(std::size_t, bj::error_code&) { return close(); }
  bool on_object_begin(bj::error_code&) { return open(Value::Type::kObject); }
  bool on_object_end(std::size_t, bj::error_code&) { return close(); }
  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    part_.append(view(s));
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code&) {
    return scalar(Value::Type::kString, s);
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    part_.append(view(s));
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    part_.append(view(s));
    keys_.push_back(std::move(part_));
    part_.clear();
    return true;
  }
  bool on_number_part(bj::string_view s, bj::error_code&) {
    part_.append(view(s));
    return true;
  }
  bool on_int64(std::int64_t, bj::string_view s, bj::error_code&) { return number(s); }
  bool on_uint64(std::uint64_t, bj::string_view s, bj::error_code&) { return number(s); }
  bool on_double(double, bj::string_view s, bj::error_code&) { return number(s); }
  bool on_bool(bool b, bj::error_code&) {
    Value v;
    v.type_ = Value::Type::kBool;
    v.bool_ = b;
    return add(std::move(v));
  }
  bool on_null(bj::error_code&) { return add(Value{}); }
  // Comments are off in the parse options; Boost.JSON still wants these.
  bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
  bool on_comment(bj::string_view, bj::error_code&) { return true; }

 private:
  bool open(Value::Type type) {
    open_.emplace_back();
    open_.back().type_ = type;
    return true;
  }
  bool close() {
    Value done = std::move(open_.back());
    open_.pop_back();
    return add(std::move(done));
  }
  // The literal as written ("-2.5e3"): Value's typed reads parse it.
  bool number(bj::string_view s) { return scalar(Value::Type::kNumber, s); }
  bool scalar(Value::Type type, bj::string_view last_part) {
    Value v;
    v.type_ = type;
    v.text_ = std::move(part_);
    v.text_.append(view(last_part));
    part_.clear();
    return add(std::move(v));
  }
  bool add(Value v) {
    if (open_.empty()) {
      root_ = std::move(v);
    } else if (open_.back().type_ == Value::Type::kArray) {
      open_.back().items_.push_back(std::move(v));
    } else {
      open_.back().members_.emplace_back(std::move(keys_.back()), std::move(v));
      keys_.pop_back();
    }
    return true;
  }

  Value root_;
  std::vector<Value> open_;        // arrays and objects being read, innermost last
  std::vector<std::string> keys_;  // member names waiting for their values
  std::string part_;               // a string, key or number split across buffers
};

const Value* Value::find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

bool Value::as_bool(bool fallback) const { return type_ == Type::kBool ? bool_ : fallback; }

double Value::as_double(double fallback) const {
  if (type_ != Type::kNumber) return fallback;
  double value = 0;
  const auto result = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  return result.ec == std::errc() ? value : fallback;
}

std::int64_t Value::as_int(std::int64_t fallback) const {
  if (type_ != Type::kNumber) return fallback;
  std::int64_t value = 0;
  const auto result = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  if (result.ec == std::errc() && result.ptr == text_.data() + text_.size()) return value;
  // An integer literal that from_chars refused is out of range.
  if (text_.find_first_of(".eE") == std::string::npos) return fallback;
  const double d = std::trunc(as_double(std::nan("")));
  // [-2^63, 2^63): both bounds are exact doubles.
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return fallback;
  return static_cast<std::int64_t>(d);
}

std::uint64_t Value::as_uint(std::uint64_t fallback) const {
  if (type_ != Type::kNumber) return fallback;
  std::uint64_t value = 0;
  const auto result = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  if (result.ec == std::errc() && result.ptr == text_.data() + text_.size()) return value;
  return fallback;
}

std::string Value::as_string(std::string fallback) const {
  return type_ == Type::kString ? text_ : fallback;
}

bool Value::bool_at(std::string_view key, bool fallback) const {
  const Value* v = find(key);
  return v != nullptr ? v->as_bool(fallback) : fallback;
}

double Value::double_at(std::string_view key, double fallback) const {
  const Value* v = find(key);
  return v != nullptr ? v->as_double(fallback) : fallback;
}

std::int64_t Value::int_at(std::string_view key, std::int64_t fallback) const {
  const Value* v = find(key);
  return v != nullptr ? v->as_int(fallback) : fallback;
}

std::uint64_t Value::uint_at(std::string_view key, std::uint64_t fallback) const {
  const Value* v = find(key);
  return v != nullptr ? v->as_uint(fallback) : fallback;
}

std::string Value::string_at(std::string_view key, std::string fallback) const {
  const Value* v = find(key);
  return v != nullptr ? v->as_string(std::move(fallback)) : fallback;
}

std::vector<std::string> Value::strings_at(std::string_view key) const {
  std::vector<std::string> out;
  if (const Value* v = find(key); v != nullptr) {
    for (const Value& item : v->items()) {
      if (item.is_string()) out.push_back(item.text());
    }
  }
  return out;
}

std::string Value::compact() const {
  switch (type_) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return bool_ ? "true" : "false";
    case Type::kNumber:
      return text_;
    case Type::kString:
      return quote(text_);
    case Type::kArray: {
      std::string out = "[";
      for (const Value& item : items_) out += (out.size() > 1 ? "," : "") + item.compact();
      return out + "]";
    }
    case Type::kObject: {
      std::string out = "{";
      for (const auto& [key, value] : members_)
        out += (out.size() > 1 ? "," : "") + quote(key) + ":" + value.compact();
      return out + "}";
    }
  }
  return "null";
}

std::optional<Value> parse(std::string_view text, std::string* error) {
  bj::parse_options options;  // strict RFC 8259: no comments, no trailing commas
  options.max_depth = kMaxDepth;
  bj::basic_parser<Builder> parser(options);
  bj::error_code ec;
  // more=true stops at the end of the first value, so trailing text is seen;
  // the second call ends a top-level number or reports a truncation.
  const std::size_t used = parser.write_some(true, text.data(), text.size(), ec);
  if (!ec && !parser.done()) parser.write_some(false, nullptr, 0, ec);
  std::string problem;
  if (ec == bj::error::incomplete) {
    problem = "unexpected end of text";
  } else if (ec == bj::error::too_deep) {
    problem = "nested deeper than " + std::to_string(kMaxDepth) + " levels";
  } else if (ec) {
    problem = ec.message();
  } else if (used != text.size()) {
    problem = "unexpected text after the value";
  } else {
    return parser.handler().take();
  }
  if (error != nullptr) *error = problem + " at byte " + std::to_string(used);
  return std::nullopt;
}

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  // The second byte's range depends on the lead (this is what excludes
  // overlong forms, surrogates and code points above U+10FFFF); the later
  // bytes are plain continuation bytes.
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

void append_escaped(std::string& out, std::string_view text, Quoting quoting) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool script = quoting == Quoting::kHtmlScript;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(text, i);
      if (length == 0) {
        out += "\\ufffd";
        ++i;
      } else if (script && length == 3 && c == 0xE2 &&
                 static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(text[i + 2]) == 0xA8 ||
                  static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
        out += static_cast<unsigned char>(text[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
        i += length;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F || (script && (c == '<' || c == '>' || c == '&'))) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

void append_quoted(std::string& out, std::string_view text, Quoting quoting) {
  out += '"';
  append_escaped(out, text, quoting);
  out += '"';
}

std::string quote(std::string_view text, Quoting quoting) {
  std::string out;
  out.reserve(text.size() + 2);
  append_quoted(out, text, quoting);
  return out;
}

std::string number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace yz::json
