// The actioncable, binance and aws-apigateway dialects: what each manager operation looks like
// on the wire, and what each server frame means, byte for byte as the servers send them.
#include <catch2/catch.hpp>

#include <string>

#include "dialect_test_support.hpp"

using namespace dialect_test;

// ---- Action Cable ----------------------------------------------------------------------------

TEST_CASE("actioncable: the client waits for welcome, and pings are housekeeping", "[actioncable]") {
    auto d = dialect_for("actioncable");
    CHECK(std::string(d->name()) == "actioncable");
    Opening opening = d->open("secret-token", "");
    CHECK(opening.frames.empty());  // the token is in the URL
    CHECK(opening.wait_for_ready);
    CHECK(one(*d, R"({"type":"welcome"})").kind == Kind::ready);
    CHECK(one(*d, R"({"type":"ping","message":1700000000})").kind == Kind::ignore);
    CHECK(d->heartbeat_interval_ms() == 0);
    CHECK(d->confirms_subscriptions());
}

TEST_CASE("actioncable: subscribe, confirm, messages, unsubscribe by identifier", "[actioncable]") {
    auto d = dialect_for("actioncable");
    std::string out;
    CHECK(encoded(d->subscribe(out, "1", "ChatChannel", R"({"room":"lobby"})"), out) ==
          R"({"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\",\"room\":\"lobby\"}"})");
    const std::string identifier = R"("{\"channel\":\"ChatChannel\",\"room\":\"lobby\"}")";

    Decoded confirmed = one(*d, R"({"identifier":)" + identifier + R"(,"type":"confirm_subscription"})");
    CHECK(confirmed.kind == Kind::subscribed);
    CHECK(confirmed.channel == "ChatChannel");
    CHECK(confirmed.wire_id.empty());

    Decoded message = one(*d, R"({"identifier":)" + identifier + R"(,"message":{"room":"lobby","message":"hi"}})");
    CHECK(message.kind == Kind::channel_message);
    CHECK(message.channel == "ChatChannel");
    CHECK(message.event.empty());
    CHECK(message.payload == R"({"room":"lobby","message":"hi"})");

    CHECK(encoded(d->publish(out, "ChatChannel", R"({"action":"speak","message":"hi"})"), out) ==
          R"({"command":"message","identifier":)" + identifier +
              R"(,"data":"{\"action\":\"speak\",\"message\":\"hi\"}"})");

    CHECK(encoded(d->unsubscribe(out, "1", "2", "ChatChannel"), out) ==
          R"({"command":"unsubscribe","identifier":)" + identifier + "}");
    // Gone: a broadcast still under way is dropped, and publishing needs a subscription again.
    CHECK(one(*d, R"({"identifier":)" + identifier + R"(,"message":{}})").kind == Kind::ignore);
    Error e = d->publish(out, "ChatChannel", R"({"action":"speak"})");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("needs a subscription"));
}

TEST_CASE("actioncable: a rejected subscription, and channels named by their identifier", "[actioncable]") {
    auto d = dialect_for("actioncable");
    std::string out;
    encoded(d->subscribe(out, "1", "ChatChannel", R"({"room":"secret"})"), out);
    Decoded rejected = one(*d, R"({"identifier":"{\"channel\":\"ChatChannel\",\"room\":\"secret\"}","type":"reject_subscription"})");
    CHECK(rejected.kind == Kind::subscribe_error);
    CHECK(rejected.channel == "ChatChannel");
    CHECK_THAT(rejected.error_message, Contains("reject_subscription"));
    CHECK(d->publish(out, "ChatChannel", "{}").status == TETHER_E_INVALID_ARGUMENT);

    // One channel class with different params: the channel is the identifier itself.
    const std::string garden = R"({"channel":"ChatChannel","room":"garden"})";
    CHECK(encoded(d->subscribe(out, "2", garden, ""), out) ==
          R"({"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\",\"room\":\"garden\"}"})");
    Decoded confirmed = one(*d, R"({"identifier":"{\"channel\":\"ChatChannel\",\"room\":\"garden\"}","type":"confirm_subscription"})");
    CHECK(confirmed.kind == Kind::subscribed);
    CHECK(confirmed.channel == garden);
    // Params join the given object.
    CHECK(encoded(d->subscribe(out, "3", R"({"channel":"Feed"})", R"({"since":5})"), out) ==
          R"({"command":"subscribe","identifier":"{\"channel\":\"Feed\",\"since\":5}"})");
    // An identifier nobody subscribed is not ours.
    CHECK(one(*d, R"({"identifier":"{\"channel\":\"Other\"}","type":"confirm_subscription"})").kind == Kind::ignore);
}

TEST_CASE("actioncable: arguments the protocol cannot carry", "[actioncable]") {
    auto d = dialect_for("actioncable");
    std::string out;
    CHECK(d->subscribe(out, "1", "ChatChannel", "[1]").status == TETHER_E_INVALID_ARGUMENT);
    CHECK(d->subscribe(out, "1", "ChatChannel", R"({"channel":"Other"})").status == TETHER_E_INVALID_ARGUMENT);
    CHECK(d->subscribe(out, "1", R"({"room":"x"})", "").status == TETHER_E_INVALID_ARGUMENT);
    CHECK(d->subscribe(out, "1", "", "").status == TETHER_E_INVALID_ARGUMENT);
    encoded(d->subscribe(out, "1", "ChatChannel", ""), out);
    CHECK(out == R"({"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\"}"})");
    Error e = d->publish(out, "ChatChannel", R"("just text")");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("JSON object"));
    CHECK(d->publish(out, "ChatChannel", "").status == TETHER_E_INVALID_ARGUMENT);
    e = d->request(out, "2", "anything", "{}");
    CHECK(e.status == TETHER_E_NOT_SUPPORTED);
    CHECK_THAT(e.message, Contains("request") && Contains("actioncable"));
}

TEST_CASE("actioncable: disconnect refuses, or ends the session with its reconnect flag", "[actioncable]") {
    auto d = dialect_for("actioncable");
    Decoded refused = one(*d, R"({"type":"disconnect","reason":"unauthorized","reconnect":false})");
    CHECK(refused.kind == Kind::refused);
    CHECK_THAT(refused.error_message, Contains("unauthorized"));

    Decoded restart = one(*d, R"({"type":"disconnect","reason":"server_restart","reconnect":true})");
    CHECK(restart.kind == Kind::server_close);
    CHECK(restart.reconnect);
    CHECK_THAT(restart.error_message, Contains("server_restart"));

    Decoded remote = one(*d, R"({"type":"disconnect","reason":"remote","reconnect":false})");
    CHECK(remote.kind == Kind::server_close);
    CHECK_FALSE(remote.reconnect);

    // Unauthorized but allowed back: not a refusal of the credentials.
    Decoded again = one(*d, R"({"type":"disconnect","reason":"unauthorized","reconnect":true})");
    CHECK(again.kind == Kind::server_close);
    CHECK(again.reconnect);
    CHECK(one(*d, R"({"type":"disconnect"})").kind == Kind::server_close);
}

// ---- Binance ---------------------------------------------------------------------------------

TEST_CASE("binance: subscribe and unsubscribe by numeric id", "[binance]") {
    auto d = dialect_for("binance");
    CHECK(std::string(d->name()) == "binance");
    Opening opening = d->open("", "");
    CHECK(opening.frames.empty());
    CHECK_FALSE(opening.wait_for_ready);
    std::string out;
    CHECK(encoded(d->subscribe(out, "7", "btcusdt@trade", R"({"ignored":true})"), out) ==
          R"({"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":7})");
    Decoded subscribed = one(*d, R"({"result":null,"id":7})");
    CHECK(subscribed.kind == Kind::subscribed);
    CHECK(subscribed.wire_id == "7");

    encoded(d->subscribe(out, "8", "BTCUSDT@trade", ""), out);
    Decoded refused = one(*d, R"({"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":8})");
    CHECK(refused.kind == Kind::subscribe_error);
    CHECK(refused.wire_id == "8");
    CHECK(refused.error_message == "Invalid request: invalid stream (code 2)");
    CHECK(refused.payload == R"({"code":2,"msg":"Invalid request: invalid stream"})");

    CHECK(encoded(d->unsubscribe(out, "7", "9", "btcusdt@trade"), out) ==
          R"({"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":9})");
    CHECK(one(*d, R"({"result":null,"id":9})").kind == Kind::ignore);
}

TEST_CASE("binance: combined-stream payloads are channel messages with data.e as the event", "[binance]") {
    auto d = dialect_for("binance");
    Decoded trade = one(*d, R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","p":"1.0"}})");
    CHECK(trade.kind == Kind::channel_message);
    CHECK(trade.channel == "btcusdt@trade");
    CHECK(trade.event == "trade");
    CHECK(trade.payload == R"({"e":"trade","E":1,"s":"BTCUSDT","p":"1.0"})");
    Decoded book = one(*d, R"({"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT"}})");
    CHECK(book.kind == Kind::channel_message);
    CHECK(book.event.empty());  // bookTicker has no event type
    Decoded all = one(*d, R"({"stream":"!miniTicker@arr","data":[{"e":"24hrMiniTicker"}]})");
    CHECK(all.kind == Kind::channel_message);
    CHECK(all.payload == R"([{"e":"24hrMiniTicker"}])");
    // Raw streams (/ws) carry no stream name: not the manager's.
    CHECK(one(*d, R"({"e":"trade","E":1,"s":"BTCUSDT"})").kind == Kind::other);
    CHECK(one(*d, R"([{"e":"24hrMiniTicker"}])").kind == Kind::other);
}

TEST_CASE("binance: requests, results and errors", "[binance]") {
    auto d = dialect_for("binance");
    std::string out;
    CHECK(encoded(d->request(out, "3", "LIST_SUBSCRIPTIONS", ""), out) ==
          R"({"method":"LIST_SUBSCRIPTIONS","params":[],"id":3})");
    CHECK(encoded(d->request(out, "4", "SET_PROPERTY", R"(["combined",true])"), out) ==
          R"({"method":"SET_PROPERTY","params":["combined",true],"id":4})");
    CHECK(encoded(d->request(out, "5", "GET_PROPERTY", R"("combined")"), out) ==
          R"({"method":"GET_PROPERTY","params":["combined"],"id":5})");
    CHECK(encoded(d->request(out, "6", "LIST_SUBSCRIPTIONS", "null"), out) ==
          R"({"method":"LIST_SUBSCRIPTIONS","params":[],"id":6})");
    CHECK(d->request(out, "6", "", "").status == TETHER_E_INVALID_ARGUMENT);

    Decoded list = one(*d, R"({"result":["btcusdt@trade"],"id":3})");
    CHECK(list.kind == Kind::response);
    CHECK(list.wire_id == "3");
    CHECK_FALSE(list.is_error);
    CHECK(list.payload == R"(["btcusdt@trade"])");
    Decoded done = one(*d, R"({"result":null,"id":4})");
    CHECK(done.kind == Kind::response);
    CHECK(done.payload == "null");
    Decoded failed = one(*d, R"({"error":{"code":0,"msg":"Unknown property"},"id":5})");
    CHECK(failed.kind == Kind::response);
    CHECK(failed.is_error);
    CHECK(failed.error_message == "Unknown property (code 0)");
    // An error that names no request (malformed JSON) cannot be matched to one.
    CHECK(one(*d, R"({"error":{"code":3,"msg":"Invalid JSON"},"id":null})").kind == Kind::other);

    Error e = d->publish(out, "btcusdt@trade", "{}");
    CHECK(e.status == TETHER_E_NOT_SUPPORTED);
    CHECK_THAT(e.message, Contains("publish") && Contains("binance"));
}

TEST_CASE("binance: a new connection forgets the last one's subscribes, and serverShutdown reconnects", "[binance]") {
    auto d = dialect_for("binance");
    std::string out;
    encoded(d->subscribe(out, "1", "btcusdt@trade", ""), out);
    d->open("", "");
    // Its answer can no longer be a subscribe's: it is handed on as a response (which the
    // manager drops, having no request 1).
    CHECK(one(*d, R"({"result":null,"id":1})").kind == Kind::response);

    Decoded shutdown = one(*d, R"({"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}})");
    CHECK(shutdown.kind == Kind::server_close);
    CHECK(shutdown.reconnect);
    CHECK_THAT(shutdown.error_message, Contains("serverShutdown"));
    CHECK(one(*d, R"({"e":"serverShutdown","E":1770123456789})").kind == Kind::server_close);
}

// ---- AWS API Gateway -------------------------------------------------------------------------

TEST_CASE("aws-apigateway: publish and request route by action", "[aws-apigateway]") {
    auto d = dialect_for("aws-apigateway");
    CHECK(std::string(d->name()) == "aws-apigateway");
    Opening opening = d->open("token", "");
    CHECK(opening.frames.empty());
    CHECK_FALSE(opening.wait_for_ready);  // $connect's authorizer decided at the upgrade
    std::string out;
    CHECK(encoded(d->publish(out, "sendmessage", R"({"channel":"news","data":"hi"})"), out) ==
          R"({"action":"sendmessage","channel":"news","data":"hi"})");
    CHECK(encoded(d->publish(out, "sendmessage", R"("hello")"), out) == R"({"action":"sendmessage","data":"hello"})");
    CHECK(encoded(d->publish(out, "sendmessage", R"([1,2])"), out) == R"({"action":"sendmessage","data":[1,2]})");
    CHECK(encoded(d->publish(out, "sendmessage", ""), out) == R"({"action":"sendmessage"})");
    // The channel argument is the action: the payload cannot override it.
    CHECK(encoded(d->publish(out, "sendmessage", R"({"action":"other","x":1})"), out) ==
          R"({"action":"sendmessage","x":1})");
    CHECK(d->publish(out, "", "{}").status == TETHER_E_INVALID_ARGUMENT);

    CHECK(encoded(d->request(out, "12", "echo", R"({"a":1,"requestId":"mine"})"), out) ==
          R"({"action":"echo","a":1,"requestId":"12"})");
    CHECK(encoded(d->request(out, "13", "add", "5"), out) == R"({"action":"add","data":5,"requestId":"13"})");

    Decoded answer = one(*d, R"({"requestId":"12","data":{"a":1}})");
    CHECK(answer.kind == Kind::response);
    CHECK(answer.wire_id == "12");
    CHECK(answer.payload == R"({"a":1})");
    Decoded whole = one(*d, R"({"requestId":13,"sum":5})");
    CHECK(whole.kind == Kind::response);
    CHECK(whole.wire_id == "13");
    CHECK(whole.payload == R"({"requestId":13,"sum":5})");
    Decoded failed = one(*d, R"({"requestId":"14","error":{"message":"failed on purpose","code":400}})");
    CHECK(failed.kind == Kind::response);
    CHECK(failed.is_error);
    CHECK(failed.error_message == "failed on purpose");
    CHECK(failed.payload == R"({"message":"failed on purpose","code":400})");
    CHECK(one(*d, R"({"requestId":"15","error":"nope"})").error_message == "nope");
    // API Gateway's own frames carry its requestId, never one of ours.
    CHECK(one(*d, R"({"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", "requestId":"XDmGEE2RoE0FRdQ="})")
              .kind == Kind::other);
}

TEST_CASE("aws-apigateway: subscribe by requestId, channel messages, unsubscribe", "[aws-apigateway]") {
    auto d = dialect_for("aws-apigateway");
    std::string out;
    CHECK(encoded(d->subscribe(out, "3", "news", ""), out) ==
          R"({"action":"subscribe","channel":"news","requestId":"3"})");
    CHECK(encoded(d->subscribe(out, "4", "sport", R"({"since":10,"channel":"x"})"), out) ==
          R"({"action":"subscribe","since":10,"channel":"sport","requestId":"4"})");
    CHECK(d->subscribe(out, "5", "news", "[1]").status == TETHER_E_INVALID_ARGUMENT);
    CHECK(d->subscribe(out, "5", "", "").status == TETHER_E_INVALID_ARGUMENT);

    Decoded confirmed = one(*d, R"({"requestId":"3","data":{"channel":"news"}})");
    CHECK(confirmed.kind == Kind::subscribed);
    CHECK(confirmed.wire_id == "3");
    Decoded refused = one(*d, R"({"requestId":"4","error":{"message":"not allowed"}})");
    CHECK(refused.kind == Kind::subscribe_error);
    CHECK(refused.wire_id == "4");
    CHECK(refused.error_message == "not allowed");

    Decoded message = one(*d, R"({"channel":"news","data":{"headline":"x"},"event":"breaking"})");
    CHECK(message.kind == Kind::channel_message);
    CHECK(message.channel == "news");
    CHECK(message.event == "breaking");
    CHECK(message.payload == R"({"headline":"x"})");
    CHECK(one(*d, R"({"channel":"news","data":1})").event.empty());

    CHECK(encoded(d->unsubscribe(out, "3", "6", "news"), out) == R"({"action":"unsubscribe","channel":"news"})");
}

TEST_CASE("aws-apigateway: the heartbeat beats the 10-minute idle timeout", "[aws-apigateway]") {
    auto d = dialect_for("aws-apigateway");
    CHECK(d->heartbeat_interval_ms() == 540000);
    CHECK(d->heartbeat("1") == R"({"action":"ping"})");
    // A keep-alive the application asked for more often paces it; the default pingInterval
    // (30 s, not chosen) does not.
    CHECK(dialect_for("aws-apigateway", {{"pingInterval", "20000"}})->heartbeat_interval_ms() == 20000);
    CHECK(dialect_for("aws-apigateway", {{"pingInterval", "0"}})->heartbeat_interval_ms() == 540000);
    CHECK(dialect_for("aws-apigateway", {{"pingInterval", "900000"}})->heartbeat_interval_ms() == 540000);
    CHECK(d->on_close(1001, "Going away").decision == ClosePolicy::Decision::table);
}

TEST_CASE("cable, binance and aws dialects never throw on garbage", "[actioncable][binance][aws-apigateway]") {
    const char *frames[] = {"", "{", "null", "[]", "42", "\"x\"", "{\"type\":5}", "{\"identifier\":1,\"message\":2}",
                            "{\"type\":\"confirm_subscription\",\"identifier\":[1]}", "{\"type\":\"disconnect\",\"reconnect\":\"no\"}",
                            "{\"id\":1.5,\"result\":1}", "{\"id\":{},\"error\":[]}", "{\"stream\":1,\"data\":2}",
                            "{\"requestId\":[],\"data\":1}", "{\"requestId\":\"-1\"}", "{\"channel\":{},\"data\":1}",
                            "\xff\xfe", "{\"error\":null,\"id\":1}", "{\"id\":18446744073709551615,\"result\":null}"};
    for (const char *protocol : {"actioncable", "binance", "aws-apigateway"}) {
        auto d = dialect_for(protocol);
        for (const char *frame : frames) {
            INFO(protocol << ": " << frame);
            CHECK_NOTHROW(d->decode(frame, false));
            CHECK_NOTHROW(d->decode(frame, true));
        }
    }
}

TEST_CASE("cable, binance and aws dialects survive mutated server frames", "[actioncable][binance][aws-apigateway]") {
    const std::string seeds[] = {
        R"({"type":"welcome"})",
        R"({"identifier":"{\"channel\":\"ChatChannel\",\"room\":\"lobby\"}","type":"confirm_subscription"})",
        R"({"identifier":"{\"channel\":\"ChatChannel\",\"room\":\"lobby\"}","message":{"a":[1,2,{"b":null}]}})",
        R"({"type":"disconnect","reason":"unauthorized","reconnect":false})",
        R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT"}})",
        R"({"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":1})",
        R"({"result":["btcusdt@trade"],"id":2})",
        R"({"requestId":"1","data":{"channel":"news"}})",
        R"({"channel":"news","data":{"x":1},"event":"e"})",
        R"({"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", "requestId":"XDmGEE2RoE0FRdQ="})",
    };
    uint32_t state = 12345;  // a fixed LCG: the same mutations every run
    auto next = [&] { return state = state * 1664525u + 1013904223u; };
    for (const char *protocol : {"actioncable", "binance", "aws-apigateway"}) {
        auto d = dialect_for(protocol);
        std::string out;
        (void)d->subscribe(out, "1", "ChatChannel", R"({"room":"lobby"})");
        (void)d->subscribe(out, "2", "btcusdt@trade", "");
        for (int round = 0; round < 3000; ++round) {
            std::string frame = seeds[next() % (sizeof seeds / sizeof seeds[0])];
            for (uint32_t edits = next() % 4 + 1; edits > 0 && !frame.empty(); --edits) {
                const size_t at = next() % frame.size();
                switch (next() % 3) {
                case 0: frame[at] = static_cast<char>(next()); break;
                case 1: frame.erase(at, next() % 8 + 1); break;
                default: frame.insert(at, 1, "{}[]\":,\\0"[next() % 10]); break;
                }
            }
            INFO(protocol << ": " << frame);
            REQUIRE_NOTHROW(d->decode(frame, false));
            REQUIRE_NOTHROW(d->subscribe(out, "3", frame, ""));
            REQUIRE_NOTHROW(d->request(out, "4", frame, frame));
        }
    }
}
