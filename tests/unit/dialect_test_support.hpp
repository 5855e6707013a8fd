// What the dialect unit tests share: a dialect made from option values, the meaning of one
// received frame, the frame an operation writes, and JSON text compared as a value (which
// test_text.cpp uses too).
#pragma once

#include <catch2/catch.hpp>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "impl/config/options.hpp"
#include "impl/protocol/dialect.hpp"

// A test file says `using namespace dialect_test;` and names what a dialect test names.
namespace dialect_test {

using namespace tether;
using namespace tether::protocol;
using Catch::Matchers::Contains;
using Kind = Decoded::Kind;

// The dialect of `protocol`, with more options set by their names.
inline std::unique_ptr<Dialect> dialect_for(
    const char *protocol, std::initializer_list<std::pair<const char *, const char *>> more = {}) {
    config::Options o;
    REQUIRE_FALSE(config::set_option(o, "protocol", protocol));
    for (const auto &[key, value] : more) REQUIRE_FALSE(config::set_option(o, key, value));
    auto d = make_dialect(o);
    REQUIRE(d != nullptr);
    return d;
}

// The one message decoded from a frame.
inline Decoded only(const Incoming &in) {
    REQUIRE(in.messages.size() == 1);
    return in.messages[0];
}

// The one message of a text frame that calls for no reply.
inline Decoded one(Dialect &d, std::string_view frame) {
    const Incoming in = d.decode(frame, false);
    CHECK(in.replies.empty());
    return only(in);
}

// The frame an operation wrote to `out`; the operation must have succeeded.
inline std::string encoded(const Error &e, const std::string &out) {
    INFO(e.message);
    REQUIRE_FALSE(e);
    return out;
}

// JSON text as a value, so that frames compare regardless of spacing and member order.
inline boost::json::value parse_json(const std::string &text) {
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    INFO(text);
    REQUIRE_FALSE(ec);
    return v;
}

}  // namespace dialect_test
