#include "cluster/json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace yz::cluster {

// Recursive descent over the text; depth is bounded so a hostile /health
// answer cannot exhaust the stack.
class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  std::optional<Json> document(std::string* error) {
    Json value;
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
  static constexpr int kMaxDepth = 64;

  std::optional<Json> fail(std::string* error) const {
    if (error != nullptr) *error = problem_ + " at byte " + std::to_string(pos_);
    return std::nullopt;
  }

  bool bad(const char* why) {
    if (problem_.empty()) problem_ = why;
    return false;
  }

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

  bool parse_value(Json& out, int depth) {
    if (depth > kMaxDepth) return bad("nested too deeply");
    if (pos_ >= text_.size()) return bad("unexpected end of text");
    const char c = text_[pos_];
    switch (c) {
      case '{':
        return parse_object(out, depth);
      case '[':
        return parse_array(out, depth);
      case '"':
        out.type_ = Json::Type::kString;
        return parse_string(out.text_);
      case 't':
        out.type_ = Json::Type::kBool;
        out.bool_ = true;
        return literal("true");
      case 'f':
        out.type_ = Json::Type::kBool;
        return literal("false");
      case 'n':
        return literal("null");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
        return bad("unexpected character");
    }
  }

  bool parse_object(Json& out, int depth) {
    out.type_ = Json::Type::kObject;
    ++pos_;  // '{'
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') return bad("expected a member name");
      std::string key;
      if (!parse_string(key)) return false;
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') return bad("expected ':'");
      ++pos_;
      skip_space();
      Json value;
      if (!parse_value(value, depth + 1)) return false;
      out.members_.emplace_back(std::move(key), std::move(value));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return bad("expected ',' or '}'");
    }
  }

  bool parse_array(Json& out, int depth) {
    out.type_ = Json::Type::kArray;
    ++pos_;  // '['
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      skip_space();
      Json value;
      if (!parse_value(value, depth + 1)) return false;
      out.items_.push_back(std::move(value));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return bad("expected ',' or ']'");
    }
  }

  bool parse_number(Json& out) {
    const std::size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    const auto digits = [this] {
      const std::size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ > from;
    };
    if (!digits()) return bad("invalid number");
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) return bad("invalid number");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) return bad("invalid number");
    }
    out.type_ = Json::Type::kNumber;
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

const Json* Json::find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  // A later duplicate wins, as in most JSON readers.
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

bool Json::as_bool(bool fallback) const { return type_ == Type::kBool ? bool_ : fallback; }

double Json::as_double(double fallback) const {
  if (type_ != Type::kNumber) return fallback;
  double value = 0;
  const auto result = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  return result.ec == std::errc() ? value : fallback;
}

std::int64_t Json::as_int(std::int64_t fallback) const {
  if (type_ != Type::kNumber) return fallback;
  std::int64_t value = 0;
  const auto result = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  if (result.ec == std::errc() && result.ptr == text_.data() + text_.size()) return value;
  const double d = as_double(static_cast<double>(fallback));
  return std::isfinite(d) ? static_cast<std::int64_t>(d) : fallback;
}

std::uint64_t Json::as_uint(std::uint64_t fallback) const {
  if (type_ != Type::kNumber) return fallback;
  std::uint64_t value = 0;
  const auto result = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  if (result.ec == std::errc() && result.ptr == text_.data() + text_.size()) return value;
  return fallback;
}

std::string Json::as_string(std::string fallback) const {
  return type_ == Type::kString ? text_ : fallback;
}

bool Json::bool_at(std::string_view key, bool fallback) const {
  const Json* v = find(key);
  return v != nullptr ? v->as_bool(fallback) : fallback;
}

double Json::double_at(std::string_view key, double fallback) const {
  const Json* v = find(key);
  return v != nullptr ? v->as_double(fallback) : fallback;
}

std::int64_t Json::int_at(std::string_view key, std::int64_t fallback) const {
  const Json* v = find(key);
  return v != nullptr ? v->as_int(fallback) : fallback;
}

std::uint64_t Json::uint_at(std::string_view key, std::uint64_t fallback) const {
  const Json* v = find(key);
  return v != nullptr ? v->as_uint(fallback) : fallback;
}

std::string Json::string_at(std::string_view key, std::string fallback) const {
  const Json* v = find(key);
  return v != nullptr ? v->as_string(std::move(fallback)) : fallback;
}

std::vector<std::string> Json::strings_at(std::string_view key) const {
  std::vector<std::string> out;
  if (const Json* v = find(key); v != nullptr) {
    for (const Json& item : v->items()) {
      if (item.type() == Type::kString) out.push_back(item.as_string());
    }
  }
  return out;
}

std::optional<Json> parse_json(std::string_view text, std::string* error) {
  return JsonParser(text).document(error);
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace yz::cluster
