#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "impl/common/message.hpp"

using namespace tether;
using Catch::Matchers::Contains;

namespace {

boost::json::value parse_json(const std::string &text) {
    boost::json::error_code ec;
    boost::json::parse_options deep;
    deep.max_depth = 1000;
    boost::json::value v = boost::json::parse(text, ec, {}, deep);
    INFO(text);
    REQUIRE_FALSE(ec);
    return v;
}

std::string parsed(const std::string &data) {
    std::string out;
    const Error e = parse_message(out, data);
    INFO(data << " -> " << e.message);
    REQUIRE(e.status == TETHER_OK);
    // Always exactly the four envelope fields, in order.
    const boost::json::value v = parse_json(out);
    REQUIRE(v.is_object());
    CHECK(v.as_object().size() == 4);
    return out;
}

}  // namespace

TEST_CASE("create_message builds the spec's envelope", "[message]") {
    std::string out;
    REQUIRE(create_message(out, "chat", R"({"text":"Hi!"})", "msg-123", 1700000000000).status ==
            TETHER_OK);
    CHECK(out == R"({"type":"chat","payload":{"text":"Hi!"},"id":"msg-123","timestamp":1700000000000})");

    REQUIRE(create_message(out, "ping", nullptr, nullptr, 5).status == TETHER_OK);
    CHECK(out == R"({"type":"ping","payload":null,"timestamp":5})");

    REQUIRE(create_message(out, "t", "[1, 2 ,\n 3]", "", -1).status == TETHER_OK);
    CHECK(out == R"({"type":"t","payload":[1,2,3],"id":"","timestamp":-1})");
}

TEST_CASE("create_message keeps payload numbers and strings exactly", "[message]") {
    std::string out;
    REQUIRE(create_message(out, "t", R"( { "price" : 1.10, "big": 123456789012345678901234567890,
                                           "s": "a  b\n\"c\"" } )",
                           nullptr, 0)
                .status == TETHER_OK);
    CHECK(out == R"({"type":"t","payload":{"price":1.10,"big":123456789012345678901234567890,"s":"a  b\n\"c\""},"timestamp":0})");
}

TEST_CASE("create_message escapes type and id", "[message]") {
    std::string out;
    REQUIRE(create_message(out, "a\"b\\c\n", nullptr, "id\"1\x01", 1).status == TETHER_OK);
    const boost::json::value v = parse_json(out);
    CHECK(v.at("type").as_string() == "a\"b\\c\n");
    CHECK(v.at("id").as_string() == "id\"1\x01");
    CHECK(v.at("payload").is_null());
    CHECK(v.at("timestamp").as_int64() == 1);
}

TEST_CASE("create_message rejects bad input and leaves out unchanged", "[message]") {
    std::string out = "unchanged";
    Error e = create_message(out, "t", "{not json", nullptr, 0);
    CHECK(e.status == TETHER_E_INVALID_JSON);
    CHECK_THAT(e.message, Contains("payload"));
    CHECK_THAT(e.message, Contains("offset 1"));
    CHECK(create_message(out, "t", "", nullptr, 0).status == TETHER_E_INVALID_JSON);
    CHECK(create_message(out, "t", "{} {}", nullptr, 0).status == TETHER_E_INVALID_JSON);
    CHECK(create_message(out, "", nullptr, nullptr, 0).status == TETHER_E_INVALID_ARGUMENT);
    CHECK(create_message(out, "\xFF", nullptr, nullptr, 0).status == TETHER_E_INVALID_UTF8);
    CHECK(create_message(out, "t", "\"\xC0\x80\"", nullptr, 0).status == TETHER_E_INVALID_UTF8);
    CHECK(create_message(out, "t", nullptr, "\xED\xA0\x80", 0).status == TETHER_E_INVALID_UTF8);
    CHECK(out == "unchanged");
}

TEST_CASE("parse_message keeps an envelope's fields", "[message]") {
    CHECK(parsed(R"({"type":"chat","payload":{"text":"hi"},"id":"1","timestamp":5})") ==
          R"({"type":"chat","payload":{"text":"hi"},"id":"1","timestamp":5})");
    CHECK(parsed(R"({"timestamp":5,"id":42,"payload":[1,2],"type":"x","extra":true})") ==
          R"({"type":"x","payload":[1,2],"id":42,"timestamp":5})");
    CHECK(parsed(R"({"type":"x","payload":null})") ==
          R"({"type":"x","payload":null,"id":null,"timestamp":null})");
}

TEST_CASE("parse_message: an object without payload is the payload", "[message]") {
    CHECK(parsed(R"({"type":"ticker","price":"1.5"})") ==
          R"({"type":"ticker","payload":{"type":"ticker","price":"1.5"},"id":null,"timestamp":null})");
    CHECK(parsed(R"({"a":1})") == R"({"type":null,"payload":{"a":1},"id":null,"timestamp":null})");
    CHECK(parsed("{}") == R"({"type":null,"payload":{},"id":null,"timestamp":null})");
    CHECK(parsed(" {\n  \"e\" : \"trade\",\n  \"p\" : 0.00012300\n} ") ==
          R"({"type":null,"payload":{"e":"trade","p":0.00012300},"id":null,"timestamp":null})");
}

TEST_CASE("parse_message: other JSON values become the payload", "[message]") {
    CHECK(parsed("[1, 2]") == R"({"type":null,"payload":[1,2],"id":null,"timestamp":null})");
    CHECK(parsed("3.140") == R"({"type":null,"payload":3.140,"id":null,"timestamp":null})");
    CHECK(parsed("\"hello\"") == R"({"type":null,"payload":"hello","id":null,"timestamp":null})");
    CHECK(parsed("null") == R"({"type":null,"payload":null,"id":null,"timestamp":null})");
    CHECK(parsed(" true ") == R"({"type":null,"payload":true,"id":null,"timestamp":null})");
    CHECK(parsed("123456789012345678901234567890") ==
          R"({"type":null,"payload":123456789012345678901234567890,"id":null,"timestamp":null})");
}

TEST_CASE("parse_message: text that is not JSON becomes a string payload", "[message]") {
    CHECK(parsed("hello world") ==
          R"({"type":null,"payload":"hello world","id":null,"timestamp":null})");
    CHECK(parsed("") == R"({"type":null,"payload":"","id":null,"timestamp":null})");
    CHECK(parsed("  ") == R"({"type":null,"payload":"  ","id":null,"timestamp":null})");
    CHECK(parsed("{} {}") == R"({"type":null,"payload":"{} {}","id":null,"timestamp":null})");
    CHECK(parsed("42[\"auth\",{}]") ==
          R"({"type":null,"payload":"42[\"auth\",{}]","id":null,"timestamp":null})");
    const std::string text = std::string("say \"hi\"\\\r\n\t\x01 \xE2\x82\xAC ") + '\0' + "end";
    const boost::json::value v = parse_json(parsed(text));
    CHECK(v.at("payload").as_string() == text);
    CHECK(v.at("type").is_null());
}

TEST_CASE("parse_message: nested and escaped keys", "[message]") {
    CHECK(parsed(R"({"payload":{"type":"inner","id":7},"type":"outer"})") ==
          R"({"type":"outer","payload":{"type":"inner","id":7},"id":null,"timestamp":null})");
    CHECK(parsed(R"({"\u0074ype":"x","pay\u006coad":1})") ==
          R"({"type":"x","payload":1,"id":null,"timestamp":null})");
    CHECK(parsed(R"({"payload":"a}\"{b ]","type":"t"})") ==
          R"({"type":"t","payload":"a}\"{b ]","id":null,"timestamp":null})");
    CHECK(parsed(R"({"type":{"k":[1,{"x":"]"}]},"payload":[[],{}]})") ==
          R"({"type":{"k":[1,{"x":"]"}]},"payload":[[],{}],"id":null,"timestamp":null})");
    CHECK(parsed(R"({"type":"a","type":"b"})") ==
          R"({"type":"b","payload":{"type":"a","type":"b"},"id":null,"timestamp":null})");
    const std::string deep = std::string(100, '[') + std::string(100, ']');
    CHECK(parsed(R"({"payload":)" + deep + "}") ==
          R"({"type":null,"payload":)" + deep + R"(,"id":null,"timestamp":null})");
}

TEST_CASE("parse_message rejects text that is not UTF-8", "[message]") {
    std::string out = "unchanged";
    const Error e = parse_message(out, "{\"type\":\"\xFF\"}");
    CHECK(e.status == TETHER_E_INVALID_UTF8);
    CHECK(parse_message(out, "\xC3").status == TETHER_E_INVALID_UTF8);
    CHECK(out == "unchanged");
}

TEST_CASE("create_message output parses back to the same fields", "[message]") {
    std::string created, back;
    REQUIRE(create_message(created, "chat", R"({"text":"Hi!"})", "m1", 99).status == TETHER_OK);
    REQUIRE(parse_message(back, created).status == TETHER_OK);
    CHECK(back == R"({"type":"chat","payload":{"text":"Hi!"},"id":"m1","timestamp":99})");
}

TEST_CASE("close_code_str follows the spec's table", "[message]") {
    const std::vector<std::pair<int, std::string>> table = {
        {1000, "Normal closure"},
        {1001, "Going away"},
        {1002, "Protocol error"},
        {1003, "Unsupported data"},
        {1005, "No status received"},
        {1006, "Abnormal closure (no close frame)"},
        {1007, "Invalid frame payload data"},
        {1008, "Policy violation"},
        {1009, "Message too big"},
        {1010, "Mandatory extension"},
        {1011, "Server error"},
        {1012, "Service restart"},
        {1013, "Try again later"},
        {1014, "Bad gateway"},
        {1015, "TLS handshake failure"},
        {3000, "Registered (library/framework)"},
        {3500, "Registered (library/framework)"},
        {3999, "Registered (library/framework)"},
        {4000, "Application-defined"},
        {4999, "Application-defined"},
    };
    for (const auto &[code, text] : table) {
        CAPTURE(code);
        CHECK(std::string(close_code_str(code)) == text);
    }
    for (int code : {0, -1, 999, 1004, 1016, 2999, 5000, 65535, INT32_MIN, INT32_MAX}) {
        CAPTURE(code);
        CHECK(std::string(close_code_str(code)) == "Unknown close code");
    }
}

TEST_CASE("now_ms is the wall clock in milliseconds", "[message]") {
    using namespace std::chrono;
    const auto before = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    const std::int64_t now = now_ms();
    const auto after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    CHECK(now >= before);
    CHECK(now <= after);
    CHECK(now > 1600000000000);
}
