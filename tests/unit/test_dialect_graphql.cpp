// The GraphQL over WebSocket dialects' frames, without a network: graphql-transport-ws (the
// graphql-ws library's protocol) and Apollo's legacy graphql-ws.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "dialect_test_support.hpp"

using namespace dialect_test;

namespace {

// What differs between the two protocols, for the tests that run against both.
struct Flavour {
    const char *name;
    const char *start;
    const char *stop;
    const char *result;
};
const Flavour transport_ws{"graphql-transport-ws", "subscribe", "complete", "next"};
const Flavour legacy_ws{"graphql-ws", "start", "stop", "data"};

Incoming decode(Dialect &d, const std::string &text) { return d.decode(text, false); }

void check_encoding(const Flavour &f) {
    auto d = dialect_for(f.name);
    CHECK(std::string(d->name()) == f.name);
    CHECK_FALSE(d->confirms_subscriptions());
    CHECK(d->heartbeat_interval_ms() == 0);
    const std::string start = std::string(R"(,"type":")") + f.start + R"(")";
    std::string out;

    REQUIRE_FALSE(d->subscribe(out, "7", "subscription($c: String!) { messages(channel: $c) { text } }",
                               R"({"c":"room"})"));
    CHECK(parse_json(out) == parse_json(std::string(R"({"id":"7","type":")") + f.start +
                                        R"(","payload":{"query":"subscription($c: String!) { messages(channel: $c) { text } }","variables":{"c":"room"}}})"));
    // No variables, or null: only the query.
    REQUIRE_FALSE(d->subscribe(out, "8", "subscription { \"quoted\" }", ""));
    CHECK(parse_json(out).at("payload") == parse_json(R"({"query":"subscription { \"quoted\" }"})"));
    REQUIRE_FALSE(d->subscribe(out, "9", "subscription { a }", "null"));
    CHECK(parse_json(out).at("payload") == parse_json(R"({"query":"subscription { a }"})"));
    // params holding "query" is the payload as given: operationName and extensions pass through.
    const std::string operation =
        R"({"query":"subscription A { a } subscription B { b }","operationName":"B","variables":{"x":1},"extensions":{"k":true}})";
    REQUIRE_FALSE(d->subscribe(out, "10", "B", operation));
    CHECK(parse_json(out).at("payload") == parse_json(operation));
    CHECK_THAT(out, Contains(start));

    // A request is the same start, with the request's id.
    REQUIRE_FALSE(d->request(out, "11", "query Add($a: Int!, $b: Int!) { add(a: $a, b: $b) }", R"({"a":2,"b":40})"));
    CHECK(parse_json(out) == parse_json(std::string(R"({"id":"11","type":")") + f.start +
                                        R"(","payload":{"query":"query Add($a: Int!, $b: Int!) { add(a: $a, b: $b) }","variables":{"a":2,"b":40}}})"));
    REQUIRE_FALSE(d->request(out, "12", "", R"({"query":"{ hello }"})"));
    CHECK(parse_json(out).at("payload") == parse_json(R"({"query":"{ hello }"})"));

    // Unsubscribe names the subscribe's id; never sent on this connection: nothing to say.
    REQUIRE_FALSE(d->unsubscribe(out, "7", "13", "ignored"));
    CHECK(parse_json(out) == parse_json(std::string(R"({"id":"7","type":")") + f.stop + R"("})"));
    REQUIRE_FALSE(d->unsubscribe(out, "", "14", "ignored"));
    CHECK(out.empty());

    // What the protocol cannot carry fails, naming the argument.
    Error e = d->subscribe(out, "15", "subscription { a }", R"([1,2])");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("params") && Contains("variables"));
    e = d->request(out, "16", "{ a }", "42");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    e = d->subscribe(out, "17", "", "");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("channel"));
    e = d->request(out, "18", "", R"({"a":1})");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("method"));
    e = d->request(out, "19", "{ a }", R"({"query":7})");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("query"));
    CHECK(d->subscribe(out, "20", "{ a }", "{oops").status == TETHER_E_INVALID_JSON);

    // GraphQL has no publish: mutations are requests.
    e = d->publish(out, "room", R"({"text":"hi"})");
    CHECK(e.status == TETHER_E_NOT_SUPPORTED);
    CHECK_THAT(e.message, Contains(f.name) && Contains("publish") && Contains("mutation"));
}

void check_opening(const Flavour &f) {
    auto d = dialect_for(f.name);
    Opening o = d->open("", "");
    CHECK(o.wait_for_ready);
    REQUIRE(o.frames.size() == 1);
    CHECK(parse_json(o.frames[0]) == parse_json(R"({"type":"connection_init"})"));
    o = d->open("s3cr\"et", "");
    REQUIRE(o.frames.size() == 1);
    CHECK(parse_json(o.frames[0]) ==
          parse_json(R"({"type":"connection_init","payload":{"authorization":"Bearer s3cr\"et"}})"));
    // An authMessageTemplate is the whole connection_init, as rendered.
    const std::string custom = R"({"type":"connection_init","payload":{"headers":{"x-api-key":"k"}}})";
    o = d->open("s3cret", custom);
    REQUIRE(o.frames.size() == 1);
    CHECK(o.frames[0] == custom);
    CHECK(only(decode(*d, R"({"type":"connection_ack"})")).kind == Kind::ready);
    CHECK(only(decode(*d, R"({"type":"connection_ack","payload":{"server":"x"}})")).kind == Kind::ready);
}

void check_results(const Flavour &f) {
    auto d = dialect_for(f.name);
    const std::string result = std::string(R"({"type":")") + f.result + R"(","id":"5","payload":)";
    // A result: an item for whichever operation has the id, the payload as the server sent it.
    Decoded item = only(decode(*d, result + R"({"data":{"messages":{"text":"hi"}}}})"));
    CHECK(item.kind == Kind::item);
    CHECK(item.wire_id == "5");
    CHECK_FALSE(item.is_error);
    CHECK(parse_json(item.payload) == parse_json(R"({"data":{"messages":{"text":"hi"}}})"));
    // Field errors next to data: still an item (a subscription delivers it), failed for a request.
    item = only(decode(*d, result + R"({"data":{"fail":null},"errors":[{"message":"failed on purpose","path":["fail"]},{"message":"twice"}]}})"));
    CHECK(item.kind == Kind::item);
    CHECK(item.is_error);
    CHECK(item.error_message == "failed on purpose; twice");
    CHECK_THAT(item.payload, Contains("\"data\""));
    // Errors without data: the operation never ran, which ends a subscription or fails a request.
    Incoming in = decode(*d, result + R"({"errors":[{"message":"Cannot query field \"nope\""}]}})");
    REQUIRE(in.messages.size() == 2);
    CHECK(in.messages[0].kind == Kind::subscription_ended);
    CHECK(in.messages[1].kind == Kind::response);
    for (const Decoded &m : in.messages) {
        CHECK(m.wire_id == "5");
        CHECK(m.is_error);
        CHECK(m.error_message == "Cannot query field \"nope\"");
    }
    // An id sent back as a number is the same id.
    CHECK(only(decode(*d, std::string(R"({"type":")") + f.result + R"(","id":5,"payload":{"data":null}})")).wire_id == "5");

    // error: the response of a request and the end of a subscription, both with the id.
    in = decode(*d, R"({"type":"error","id":"6","payload":[{"message":"subscription to forbidden refused"}]})");
    REQUIRE(in.messages.size() == 2);
    CHECK(in.messages[0].kind == Kind::subscription_ended);
    CHECK(in.messages[1].kind == Kind::response);
    for (const Decoded &m : in.messages) {
        CHECK(m.wire_id == "6");
        CHECK(m.is_error);
        CHECK(m.error_message == "subscription to forbidden refused");
        CHECK(parse_json(m.payload) == parse_json(R"([{"message":"subscription to forbidden refused"}])"));
    }
    in = decode(*d, R"({"type":"error","id":"6","payload":{"message":"Syntax Error"}})");  // legacy's shape
    REQUIRE(in.messages.size() == 2);
    CHECK(in.messages[1].error_message == "Syntax Error");

    // complete: a subscription ends without error; a request not answered yet fails.
    in = decode(*d, R"({"type":"complete","id":"7"})");
    REQUIRE(in.messages.size() == 2);
    CHECK(in.messages[0].kind == Kind::subscription_ended);
    CHECK_FALSE(in.messages[0].is_error);
    CHECK(in.messages[0].wire_id == "7");
    CHECK(in.messages[1].kind == Kind::response);
    CHECK(in.messages[1].is_error);
    CHECK(in.messages[1].wire_id == "7");

    // Not the protocol's: plain messages.
    for (const char *text : {"", "not json", "[1,2]", "\"ka\"", R"({"type":"next"})", R"({"id":"1"})",
                             R"({"type":"complete"})", R"({"type":"error","id":""})", R"({"type":7,"id":"1"})",
                             R"({"type":"mystery","id":"1"})"}) {
        INFO(text);
        CHECK(only(decode(*d, text)).kind == Kind::other);
    }
    CHECK(only(d->decode(R"({"type":"connection_ack"})", true)).kind == Kind::other);  // binary
}

}  // namespace

TEST_CASE("graphql-transport-ws: operations as frames", "[graphql-transport-ws]") { check_encoding(transport_ws); }
TEST_CASE("graphql-ws: operations as frames", "[graphql-ws]") { check_encoding(legacy_ws); }
TEST_CASE("graphql-transport-ws: connection_init carries the credentials", "[graphql-transport-ws]") {
    check_opening(transport_ws);
}
TEST_CASE("graphql-ws: connection_init carries the credentials", "[graphql-ws]") { check_opening(legacy_ws); }
TEST_CASE("graphql-transport-ws: results, errors and completions", "[graphql-transport-ws]") {
    check_results(transport_ws);
}
TEST_CASE("graphql-ws: results, errors and completions", "[graphql-ws]") { check_results(legacy_ws); }

TEST_CASE("graphql-transport-ws: ping is answered with pong, pong ignored", "[graphql-transport-ws]") {
    auto d = dialect_for(transport_ws.name);
    Incoming in = decode(*d, R"({"type":"ping"})");
    REQUIRE(in.replies.size() == 1);
    CHECK(parse_json(in.replies[0]) == parse_json(R"({"type":"pong"})"));
    CHECK(only(in).kind == Kind::ignore);
    in = decode(*d, R"({"type":"ping","payload":{"n":3}})");
    REQUIRE(in.replies.size() == 1);
    CHECK(parse_json(in.replies[0]) == parse_json(R"({"type":"pong","payload":{"n":3}})"));
    in = decode(*d, R"({"type":"pong","payload":{"n":3}})");
    CHECK(in.replies.empty());
    CHECK(only(in).kind == Kind::ignore);
    // The legacy protocol's keep-alive and results are not this protocol's.
    CHECK(only(decode(*d, R"({"type":"ka"})")).kind == Kind::other);
    CHECK(only(decode(*d, R"({"type":"data","id":"1","payload":{}})")).kind == Kind::other);
    CHECK(only(decode(*d, R"({"type":"connection_error","payload":{"message":"no"}})")).kind == Kind::other);
}

TEST_CASE("graphql-transport-ws: close codes", "[graphql-transport-ws]") {
    auto d = dialect_for(transport_ws.name);
    using Decision = ClosePolicy::Decision;
    for (int code : {4401, 4403}) {
        const ClosePolicy p = d->on_close(code, "Forbidden");
        CHECK(p.decision == Decision::stop);
        CHECK(p.status == TETHER_E_AUTH);
        CHECK_THAT(p.why, Contains(std::to_string(code)) && Contains("Forbidden"));
    }
    for (int code : {4400, 4406, 4409, 4429, 4004, 4005}) {
        INFO(code);
        const ClosePolicy p = d->on_close(code, "");
        CHECK(p.decision == Decision::stop);
        CHECK(p.status == TETHER_E_PROTOCOL);
    }
    const ClosePolicy internal = d->on_close(4500, "Syntax Error");
    CHECK(internal.decision == Decision::stop);
    CHECK(internal.status == TETHER_E_REMOTE);
    CHECK_THAT(internal.why, Contains("Syntax Error"));
    for (int code : {4408, 4504, 4499}) {
        INFO(code);
        CHECK(d->on_close(code, "").decision == Decision::reconnect);
    }
    for (int code : {1000, 1001, 1006, 1011, 1012, 4000, 4999}) {
        INFO(code);
        CHECK(d->on_close(code, "").decision == Decision::table);
    }
}

TEST_CASE("graphql-ws: ka is ignored and connection_error refuses only before the ack", "[graphql-ws]") {
    auto d = dialect_for(legacy_ws.name);
    d->open("t", "");
    CHECK(only(decode(*d, R"({"type":"ka"})")).kind == Kind::ignore);
    Decoded refused = only(decode(*d, R"({"type":"connection_error","payload":{"message":"invalid token"}})"));
    CHECK(refused.kind == Kind::refused);
    CHECK(refused.error_message == "invalid token");
    CHECK(only(decode(*d, R"({"type":"connection_ack"})")).kind == Kind::ready);
    // Acknowledged: a connection_error says a message of ours was unreadable; the app sees it.
    CHECK(only(decode(*d, R"({"type":"connection_error","payload":{"message":"Unexpected token"}})")).kind == Kind::other);
    // A new connection starts unacknowledged again.
    d->open("t", "");
    CHECK(only(decode(*d, R"({"type":"connection_error","payload":{"message":"x"}})")).kind == Kind::refused);
    // The newer protocol's types are not this one's.
    Incoming in = decode(*d, R"({"type":"ping"})");
    CHECK(in.replies.empty());
    CHECK(only(in).kind == Kind::other);
    CHECK(only(decode(*d, R"({"type":"next","id":"1","payload":{}})")).kind == Kind::other);
    // No close codes of its own.
    for (int code : {1000, 1002, 1011, 4401, 4403, 4500}) {
        INFO(code);
        CHECK(d->on_close(code, "").decision == ClosePolicy::Decision::table);
    }
}

TEST_CASE("graphql dialects: decode survives any input", "[graphql-transport-ws][graphql-ws]") {
    std::mt19937 rng(20240611);
    const std::string seeds[] = {
        R"({"type":"next","id":"1","payload":{"data":{"a":1},"errors":[{"message":"m"}]}})",
        R"({"type":"error","id":"2","payload":[{"message":"m"},7,null,{"message":3}]})",
        R"({"type":"data","id":3,"payload":{"errors":{"message":"x"}}})",
        R"({"type":"ping","payload":[1]})",
        R"({"type":"connection_error","payload":"text"})",
        R"({"type":"complete","id":"4","payload":null})",
    };
    for (const Flavour *f : {&transport_ws, &legacy_ws}) {
        auto d = dialect_for(f->name);
        for (int i = 0; i < 4000; ++i) {
            std::string text = seeds[i % 6];
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int k = 0; k < edits && !text.empty(); ++k) {
                const size_t at = rng() % text.size();
                switch (rng() % 3) {
                case 0: text[at] = static_cast<char>(rng() % 256); break;
                case 1: text.erase(at, 1 + rng() % 5); break;
                default: text.insert(at, 1, "{}[]\":,0"[rng() % 8]); break;
                }
            }
            const Incoming in = d->decode(text, (i % 17) == 0);
            CHECK_FALSE(in.messages.empty());
        }
    }
}
