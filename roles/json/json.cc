#include "roles/json/json.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace yz::json {

// Recursive descent over the text. Depth is bounded (kMaxDepth) so hostile
// input cannot exhaust the stack; every failure names the first problem and
// the byte where it was found.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<Value> document(std::string* error) {
    Value value;
    skip_space();
    if (!parse_value(value, 0)) return fail(error);
    skip_space();
    if (pos_ != text_.size()) {
      problem_ = "unexpected text after the value";
      return fail(error);
    }
    return value;
  }

 private:
  std::optional<Value> fail(std::string* error) const {
    if (error != nullptr) *error = problem_ + " at byte " + std::to_string(pos_);
    return std::nullopt;
  }

  bool bad(const char* why) {
    if (problem_.empty()) problem_ = why;
    return false;
  }

  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return bad("invalid literal");
    pos_ += word.size();
    return true;
  }

  // `depth` is the number of arrays and objects around the value.
  bool parse_value(Value& out, int depth) {
    if (pos_ >= text_.size()) return bad("unexpected end of text");
    out.begin_ = pos_;
    const bool ok = parse_one(out, depth);
    out.end_ = pos_;
    return ok;
  }

  bool parse_one(Value& out, int depth) {
    const char c = text_[pos_];
    switch (c) {
      case '{':
      case '[':
        if (depth >= kMaxDepth) return bad("nested deeper than 256 levels");
        return c == '{' ? parse_object(out, depth + 1) : parse_array(out, depth + 1);
      case '"':
        out.type_ = Value::Type::kString;
        return parse_string(out.text_);
      case 't':
        out.type_ = Value::Type::kBool;
        out.bool_ = true;
        return literal("true");
      case 'f':
        out.type_ = Value::Type::kBool;
        return literal("false");
      case 'n':
        return literal("null");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
        return bad("unexpected character");
    }
  }

  bool parse_object(Value& out, int depth) {
    out.type_ = Value::Type::kObject;
    ++pos_;  // '{'
    skip_space();
    if (at('}')) {
      ++pos_;
      return true;
    }
    while (true) {
      skip_space();
      if (pos_ >= text_.size()) return bad("unexpected end of text");
      if (text_[pos_] != '"') return bad("expected a member name");
      std::string key;
      if (!parse_string(key)) return false;
      skip_space();
      if (pos_ >= text_.size()) return bad("unexpected end of text");
      if (text_[pos_] != ':') return bad("expected ':'");
      ++pos_;
      skip_space();
      Value value;
      if (!parse_value(value, depth)) return false;
      out.members_.emplace_back(std::move(key), std::move(value));
      skip_space();
      if (at(',')) {
        ++pos_;
        continue;
      }
      if (at('}')) {
        ++pos_;
        return true;
      }
      return bad(pos_ >= text_.size() ? "unexpected end of text" : "expected ',' or '}'");
    }
  }

  bool parse_array(Value& out, int depth) {
    out.type_ = Value::Type::kArray;
    ++pos_;  // '['
    skip_space();
    if (at(']')) {
      ++pos_;
      return true;
    }
    while (true) {
      skip_space();
      Value value;
      if (!parse_value(value, depth)) return false;
      out.items_.push_back(std::move(value));
      skip_space();
      if (at(',')) {
        ++pos_;
        continue;
      }
      if (at(']')) {
        ++pos_;
        return true;
      }
      return bad(pos_ >= text_.size() ? "unexpected end of text" : "expected ',' or ']'");
    }
  }

  // RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool parse_number(Value& out) {
    const std::size_t start = pos_;
    const auto digit = [this] {
      return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9';
    };
    const auto digits = [&] {
      const std::size_t from = pos_;
      while (digit()) ++pos_;
      return pos_ > from;
    };
    if (at('-')) ++pos_;
    if (at('0')) {
      ++pos_;
      if (digit()) return bad("invalid number (leading zero)");
    } else if (!digits()) {
      return bad("invalid number");
    }
    if (at('.')) {
      ++pos_;
      if (!digits()) return bad("invalid number");
    }
    if (at('e') || at('E')) {
      ++pos_;
      if (at('+') || at('-')) ++pos_;
      if (!digits()) return bad("invalid number");
    }
    out.type_ = Value::Type::kNumber;
    out.text_ = std::string(text_.substr(start, pos_ - start));
    return true;
  }

  bool hex4(unsigned* value) {
    if (pos_ + 4 > text_.size()) return bad("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return bad("invalid \\u escape");
      }
    }
    *value = v;
    return true;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool parse_string(std::string& out) {
    ++pos_;  // '"'
    while (true) {
      if (pos_ >= text_.size()) return bad("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return bad("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) return bad("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate must be followed by its low half.
            unsigned low = 0;
            if (text_.substr(pos_, 2) != "\\u") return bad("unpaired surrogate");
            pos_ += 2;
            if (!hex4(&low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return bad("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return bad("unpaired surrogate");
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return bad("invalid escape");
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string problem_;
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

std::optional<Value> parse(std::string_view text, std::string* error) {
  return Parser(text).document(error);
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
