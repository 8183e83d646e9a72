// The one JSON reader and string writer (roles/json). The reader tests come
// from yzctl's (cluster/json) and yzsim's (sim/mini_json) former readers.
#include "roles/json/json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace yz::json {
namespace {

TEST(JsonRead, ParsesTheShapesYzctlReads) {
  std::string error;
  const auto j =
      parse(R"( {"healthy":true,"uptime":1.25,"connectedPeers":17,"nodeId":"ab\"c\u00e9",)"
            R"("list":["a","b",3],"nested":{"x":null},"big":18446744073709551615,"neg":-2e3} )",
            &error);
  ASSERT_TRUE(j) << error;
  EXPECT_TRUE(j->bool_at("healthy"));
  EXPECT_DOUBLE_EQ(j->double_at("uptime"), 1.25);
  EXPECT_EQ(j->int_at("connectedPeers"), 17);
  EXPECT_EQ(j->string_at("nodeId"), "ab\"c\xc3\xa9");
  EXPECT_EQ(j->strings_at("list"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(j->find("nested")->find("x")->is_null());
  EXPECT_EQ(j->uint_at("big"), 18446744073709551615ull);
  EXPECT_EQ(j->int_at("neg"), -2000);
  EXPECT_EQ(j->int_at("missing", 7), 7);
  EXPECT_EQ(j->string_at("connectedPeers", "fallback"), "fallback");
}

TEST(JsonRead, ReadsWhatJsonAllows) {
  std::string error;
  const auto v = parse(
      R"( {"a": [1, -2.5e3, true, false, null], "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00",
           "big": 18446744073709551615, "o": {}} )",
      &error);
  ASSERT_TRUE(v) << error;
  ASSERT_EQ(v->find("a")->items().size(), 5u);
  EXPECT_EQ(v->find("a")->items()[1].as_double(), -2500.0);
  EXPECT_TRUE(v->find("a")->items()[2].as_bool());
  EXPECT_TRUE(v->find("a")->items()[4].is_null());
  EXPECT_EQ(v->find("s")->text(), "q\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v->find("big")->as_uint(), 18446744073709551615ULL);
  EXPECT_TRUE(v->find("o")->is_object());
  EXPECT_EQ(v->find("missing"), nullptr);
}

TEST(JsonRead, LastDuplicateKeyWinsAndOrderIsKept) {
  const auto v = parse(R"({"b":1,"a":2,"b":3})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->int_at("b"), 3);
  ASSERT_EQ(v->members().size(), 3u);
  EXPECT_EQ(v->members()[1].first, "a");
}

TEST(JsonRead, WritesAValueBackCompactly) {
  const std::string text =
      R"({"result": {"x": [1, -2.5e3, 18446744073709551616], "s": "\u00e9\n", "n": null,)"
      R"( "t": true, "f": false, "e": {}, "a": []} , "y": "z"})";
  const auto v = parse(text);
  ASSERT_TRUE(v);
  // Numbers keep their literal, strings come back as quote() writes them.
  EXPECT_EQ(v->find("result")->compact(),
            "{\"x\":[1,-2.5e3,18446744073709551616],\"s\":\"\xc3\xa9\\n\",\"n\":null,"
            "\"t\":true,\"f\":false,\"e\":{},\"a\":[]}");
  // What yz writes compactly reads back to the same text.
  const std::string compact = v->compact();
  EXPECT_EQ(parse(compact)->compact(), compact);
}

TEST(JsonRead, IntegersAreExactOver64Bits) {
  const auto v =
      parse(R"({"max":9223372036854775807,"min":-9223372036854775808,"umax":18446744073709551615,)"
            R"("odd":9007199254740993,"over":18446744073709551616,"under":-9223372036854775809,)"
            R"("frac":2.9,"exp":1e3,"huge":1e300,"neg":-1})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->int_at("max"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(v->int_at("min"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(v->uint_at("umax"), std::numeric_limits<std::uint64_t>::max());
  // 2^53 + 1: a double would read 9007199254740992.
  EXPECT_EQ(v->int_at("odd"), 9007199254740993);
  EXPECT_EQ(v->uint_at("odd"), 9007199254740993u);
  EXPECT_EQ(v->find("odd")->text(), "9007199254740993");
  // Out of range: the fallback, never a wrapped or saturated value.
  EXPECT_EQ(v->uint_at("over", 7), 7u);
  EXPECT_EQ(v->int_at("umax", 7), 7);
  EXPECT_EQ(v->int_at("huge", 7), 7);
  EXPECT_EQ(v->uint_at("neg", 7), 7u);
  EXPECT_EQ(v->int_at("under", 7), 7);
  // Not an integer literal: as_int truncates through a double, as_uint refuses.
  EXPECT_EQ(v->int_at("frac"), 2);
  EXPECT_EQ(v->int_at("exp"), 1000);
  EXPECT_EQ(v->uint_at("frac", 7), 7u);
}

TEST(JsonRead, RejectsMalformedTextSayingWhere) {
  for (const char* bad : {"",
                          "{",
                          "{\"a\":}",
                          "[1,]",
                          "{\"a\" 1}",
                          "\"open",
                          "tru",
                          "\"\\x\"",
                          "-",
                          "01",
                          "-01",
                          "1.",
                          "1e",
                          ".5",
                          "+1",
                          "\"\\ud800\"",
                          "\"\\udc00\"",
                          "{\"a\":tru}",
                          "\"tab\there\"",
                          "{\"a\":1,}",
                          "[1 2]",
                          "{1:2}",
                          "\"\\u12\""}) {
    std::string error;
    EXPECT_FALSE(parse(bad, &error)) << bad;
    EXPECT_NE(error.find("at byte"), std::string::npos) << bad;
  }
}

TEST(JsonRead, RefusesTrailingGarbage) {
  std::string error;
  for (const char* bad : {"{\"a\":1} x", "[1] 2", "01x", "{} {}", "null,", "\"a\"\"b\""}) {
    EXPECT_FALSE(parse(bad, &error)) << bad;
  }
  EXPECT_FALSE(parse("{\"a\":1} x", &error));
  EXPECT_EQ(error, "unexpected text after the value at byte 8");
  EXPECT_TRUE(parse(" \t\r\n{\"a\":1} \n"));
}

TEST(JsonRead, RefusesEveryTruncation) {
  const std::string whole =
      R"({"a":[1,-2.5e3,true,false,null],"s":"x\u00e9\ud83d\ude00\n","o":{"k":"v"}})";
  ASSERT_TRUE(parse(whole));
  for (std::size_t n = 0; n < whole.size(); ++n) {
    std::string error;
    EXPECT_FALSE(parse(whole.substr(0, n), &error)) << n;
    EXPECT_NE(error.find("at byte"), std::string::npos) << n;
  }
  std::string error;
  EXPECT_FALSE(parse("{\"a\":[1,", &error));
  EXPECT_EQ(error, "unexpected end of text at byte 8");
}

TEST(JsonRead, BoundsNestingDepth) {
  const auto nested = [](int levels) {
    return std::string(static_cast<std::size_t>(levels), '[') +
           std::string(static_cast<std::size_t>(levels), ']');
  };
  EXPECT_TRUE(parse(nested(kMaxDepth)));
  std::string error;
  EXPECT_FALSE(parse(nested(kMaxDepth + 1), &error));
  EXPECT_EQ(error, "nested deeper than 256 levels at byte 256");
  // Hostile input far deeper than the stack would take refused the same way.
  EXPECT_FALSE(parse(std::string(1000000, '['), &error));
  EXPECT_NE(error.find("nested deeper than 256 levels"), std::string::npos);
  std::string objects;
  for (int i = 0; i <= kMaxDepth; ++i) objects += "{\"a\":";
  EXPECT_FALSE(parse(objects + "1" + std::string(kMaxDepth + 1, '}'), &error));
  EXPECT_NE(error.find("nested deeper"), std::string::npos);
}

TEST(JsonQuote, EscapesWhatJsonRequires) {
  EXPECT_EQ(quote(""), "\"\"");
  EXPECT_EQ(quote("plain"), "\"plain\"");
  EXPECT_EQ(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quote("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(quote(std::string("\x01\x1f\0", 3)), "\"\\u0001\\u001f\\u0000\"");
  // '/' is left alone; DEL is escaped (terminal safety; see json.h).
  EXPECT_EQ(quote("/\x7f"), "\"/\\u007f\"");
}

TEST(JsonQuote, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(quote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(quote("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(quote("a\xc3"), "\"a\\ufffd\"");                                 // truncated
  EXPECT_EQ(quote("\xe2\x82"), "\"\\ufffd\\ufffd\"");                        // truncated, 2 bytes
  EXPECT_EQ(quote("\x80z"), "\"\\ufffdz\"");                                 // stray continuation
  EXPECT_EQ(quote("\xc0\xaf"), "\"\\ufffd\\ufffd\"");                        // overlong '/'
  EXPECT_EQ(quote("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");             // surrogate
  EXPECT_EQ(quote("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
}

TEST(JsonQuote, EveryByteStringReadsBackAsValidJson) {
  // Each single byte, and each byte pair: the output always parses, and
  // reads back as the input when the input was valid UTF-8.
  for (int a = 0; a < 256; ++a) {
    for (int b = -1; b < 256; ++b) {
      std::string s(1, static_cast<char>(a));
      if (b >= 0) s += static_cast<char>(b);
      std::string error;
      const auto back = parse(quote(s), &error);
      ASSERT_TRUE(back) << a << " " << b << ": " << error;
      bool valid = true;
      for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
          valid = false;
          break;
        }
        i += n;
      }
      if (valid) {
        EXPECT_EQ(back->text(), s) << a << " " << b;
      }
    }
  }
}

TEST(JsonQuote, HtmlScriptQuotingHidesMarkup) {
  const std::string s =
      quote("</script><!-- & \"\\ \xe2\x80\xa8\xe2\x80\xa9\n", Quoting::kHtmlScript);
  EXPECT_EQ(s, "\"\\u003c/script\\u003e\\u003c!-- \\u0026 \\\"\\\\ \\u2028\\u2029\\n\"");
  const auto back = parse(s);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->text(), "</script><!-- & \"\\ \xe2\x80\xa8\xe2\x80\xa9\n");
  EXPECT_EQ(quote("<&>"), "\"<&>\"");
}

TEST(JsonNumber, ShortestRoundTrip) {
  EXPECT_EQ(number(10), "10");
  EXPECT_EQ(number(2.5), "2.5");
  EXPECT_EQ(number(0.1), "0.1");
  EXPECT_EQ(number(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(number(std::numeric_limits<double>::quiet_NaN()), "null");
}

}  // namespace
}  // namespace yz::json
