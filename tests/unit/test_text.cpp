#include <catch2/catch.hpp>

#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "dialect_test_support.hpp"
#include "impl/common/text.hpp"

using namespace tether;
using Catch::Matchers::Contains;
using dialect_test::parse_json;

namespace {

// Parses a JSON string literal's contents back, to prove json_escape's output is valid.
std::string unescape(const std::string &contents) {
    boost::json::error_code ec;
    const boost::json::value v = boost::json::parse("\"" + contents + "\"", ec);
    INFO(contents);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_string());
    return std::string(v.get_string());
}

}  // namespace

TEST_CASE("is_valid_utf8 accepts well-formed text", "[text][utf8]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ASCII ~"));
    CHECK(is_valid_utf8(std::string("a\0b", 3)));
    CHECK(is_valid_utf8("\xC3\xA9"));                   // é
    CHECK(is_valid_utf8("\xC2\x80"));                   // U+0080, smallest 2-byte
    CHECK(is_valid_utf8("\xDF\xBF"));                   // U+07FF
    CHECK(is_valid_utf8("\xE0\xA0\x80"));               // U+0800, smallest 3-byte
    CHECK(is_valid_utf8("\xE2\x82\xAC"));               // €
    CHECK(is_valid_utf8("\xED\x9F\xBF"));               // U+D7FF, just below the surrogates
    CHECK(is_valid_utf8("\xEE\x80\x80"));               // U+E000, just above them
    CHECK(is_valid_utf8("\xEF\xBF\xBF"));               // U+FFFF
    CHECK(is_valid_utf8("\xF0\x90\x80\x80"));           // U+10000, smallest 4-byte
    CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));           // 😀
    CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));           // U+10FFFF
}

TEST_CASE("is_valid_utf8 rejects malformed text", "[text][utf8]") {
    for (const char *bad : {
             "\x80",              // stray continuation byte
             "a\xBF",             // stray continuation byte
             "\xC3",              // truncated 2-byte
             "\xE2\x82",          // truncated 3-byte
             "\xF0\x9F\x98",      // truncated 4-byte
             "\xC3\x28",          // bad continuation
             "\xE2\x28\xA1",      // bad continuation
             "\xC0\x80",          // overlong NUL
             "\xC1\xBF",          // overlong
             "\xE0\x80\x80",      // overlong 3-byte
             "\xE0\x9F\xBF",      // overlong 3-byte (U+07FF)
             "\xF0\x80\x80\x80",  // overlong 4-byte
             "\xF0\x8F\xBF\xBF",  // overlong 4-byte (U+FFFF)
             "\xED\xA0\x80",      // U+D800 surrogate
             "\xED\xBF\xBF",      // U+DFFF surrogate
             "\xF4\x90\x80\x80",  // U+110000
             "\xF5\x80\x80\x80",  // lead byte above F4
             "\xF8\x88\x80\x80\x80",
             "\xFE",
             "\xFF",
         }) {
        CAPTURE(bad);
        CHECK_FALSE(is_valid_utf8(bad));
        CHECK_FALSE(is_valid_utf8(std::string("ok ") + bad + " ok"));
    }
}

TEST_CASE("validate_json accepts exactly one JSON value", "[text][json]") {
    for (const char *good : {"{}", "[]", "\"x\"", "1", "-1.5e3", "null", "true",
                             " {\"a\":[1,2,{\"b\":null}]} \n", "\"\\u00e9\\ud83d\\ude00\""}) {
        CAPTURE(good);
        CHECK(validate_json(good).status == TETHER_OK);
    }
    std::string deep = std::string(200, '[') + std::string(200, ']');
    CHECK(validate_json(deep).status == TETHER_OK);
}

TEST_CASE("validate_json reports the reason and the offset", "[text][json]") {
    struct Case {
        std::string text;
        std::string expected;
    };
    for (const Case &c : {
             Case{"", "offset 0"},
             Case{"   ", "offset 3"},
             Case{"{", "offset 1"},
             Case{"[1,2,x]", "offset 5"},
             Case{"{} {}", "offset 3"},
             Case{"{\"a\":1,}", "offset 7"},
             Case{"[1 2]", "offset 3"},
             Case{"// c\n{}", "offset 0"},
             Case{"NaN", "offset 0"},
             Case{"'single'", "offset 0"},
             Case{"{\"a\":\"\xFF\"}", "invalid JSON"},
             Case{"\"unterminated", "invalid JSON"},
             Case{std::string(1000, '[') + std::string(1000, ']'), "invalid JSON"},
         }) {
        CAPTURE(c.text);
        const Error e = validate_json(c.text);
        CHECK(e.status == TETHER_E_INVALID_JSON);
        CHECK_THAT(e.message, Contains(c.expected));
        CHECK_THAT(e.message, Contains("invalid JSON at offset"));
    }
}

TEST_CASE("json_escape", "[text][json]") {
    CHECK(json_escape("plain") == "plain");
    CHECK(json_escape("") == "");
    CHECK(json_escape("a\"b\\c") == "a\\\"b\\\\c");
    CHECK(json_escape("\n\r\t\b\f") == "\\n\\r\\t\\b\\f");
    CHECK(json_escape("\x01\x1f") == "\\u0001\\u001f");
    CHECK(json_escape(std::string("a\0b", 3)) == "a\\u0000b");
    CHECK(json_escape("/") == "/");
    CHECK(json_escape("\x7f") == "\x7f");
    CHECK(json_escape("\xC3\xA9\xF0\x9F\x98\x80") == "\xC3\xA9\xF0\x9F\x98\x80");
    CHECK(json_escape("a\xFFz") == "a\xEF\xBF\xBDz");
    CHECK(json_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");

    std::string every_ascii;
    for (int c = 0; c < 128; ++c) every_ascii += static_cast<char>(c);
    CHECK(unescape(json_escape(every_ascii)) == every_ascii);
    const std::string tricky = "He said \"hi\\there\"\r\n\t\x02 \xE2\x82\xAC";
    CHECK(unescape(json_escape(tricky)) == tricky);
}

TEST_CASE("render_auth_template: the default template", "[text][auth]") {
    CHECK(render_auth_template("", "authenticate", "your-token") ==
          R"({"type":"authenticate","token":"your-token"})");
    CHECK(render_auth_template("", "auth", "") == R"({"type":"auth","token":""})");
}

TEST_CASE("render_auth_template: the spec's templates", "[text][auth]") {
    CHECK(render_auth_template(R"({"type": "{{type}}", "token": "{{token}}"})", "authenticate",
                               "your-token") == R"({"type": "authenticate", "token": "your-token"})");
    CHECK(render_auth_template(
              R"({"type": "connection_init", "payload": {"authorization": "Bearer {{token}}"}})",
              "authenticate", "jwt.a.b") ==
          R"({"type": "connection_init", "payload": {"authorization": "Bearer jwt.a.b"}})");
    CHECK(render_auth_template(R"(42["auth",{"token":"{{token}}"}])", "x", "t") ==
          R"(42["auth",{"token":"t"}])");
}

TEST_CASE("render_auth_template escapes quotes, backslashes and control characters",
          "[text][auth]") {
    const std::string token = "a\"b\\c\nd\x01" "e}}{{token}}";
    const std::string type = "ty\"pe\t";
    const std::string out = render_auth_template("", type, token);
    const boost::json::value v = parse_json(out);
    CHECK(v.at("token").as_string() == token);
    CHECK(v.at("type").as_string() == type);

    const std::string custom =
        render_auth_template(R"({"t":"{{type}}","a":["{{token}}","{{ token }}"]})", type, token);
    const boost::json::value w = parse_json(custom);
    CHECK(w.at("t").as_string() == type);
    CHECK(w.at("a").as_array().at(0).as_string() == token);
    CHECK(w.at("a").as_array().at(1).as_string() == token);
}

TEST_CASE("render_auth_template: replacements are not scanned again and other braces stay",
          "[text][auth]") {
    CHECK(render_auth_template("{{token}}-{{token}}", "t", "{{type}}") == "{{type}}-{{type}}");
    CHECK(render_auth_template("{{other}} {{tok {{type", "t", "x") == "{{other}} {{tok {{type");
    CHECK(render_auth_template("{{{token}}}", "t", "x") == "{x}");
    CHECK(render_auth_template("{{  type  }}/{{token }}", "T", "K") == "T/K");
    CHECK(render_auth_template("{{Token}}", "T", "K") == "{{Token}}");
    CHECK(render_auth_template("no placeholders", "T", "K") == "no placeholders");
}

TEST_CASE("is_http_token", "[text]") {
    CHECK(is_http_token("graphql-transport-ws"));
    CHECK(is_http_token("X-Api-Key"));
    CHECK(is_http_token("a!#$%&'*+-.^_`|~9"));
    CHECK_FALSE(is_http_token(""));
    CHECK_FALSE(is_http_token("a b"));
    CHECK_FALSE(is_http_token("a,b"));
    CHECK_FALSE(is_http_token("a:b"));
    CHECK_FALSE(is_http_token("a\"b"));
    CHECK_FALSE(is_http_token("a/b"));
    CHECK_FALSE(is_http_token("\xC3\xA9"));
    CHECK_FALSE(is_http_token("a\nb"));
}

TEST_CASE("printable_excerpt", "[text]") {
    CHECK(printable_excerpt("plain text") == "plain text");
    CHECK(printable_excerpt("a\r\nb\x7f") == "a\\x0d\\x0ab\\x7f");
    CHECK(printable_excerpt("\xC3\xA9\xFF") == "\xC3\xA9\\xff");
    CHECK(printable_excerpt(std::string(500, 'a'), 10) == std::string(10, 'a') + "...");
    CHECK(printable_excerpt(std::string(10, 'a'), 10) == std::string(10, 'a'));
}
