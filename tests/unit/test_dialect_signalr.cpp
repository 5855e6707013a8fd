// The signalr dialect's frames and its reading of the server's records (JSON hub protocol v1),
// with no network: what the C ABI tests see end to end against a real ASP.NET Core hub, here
// record by record.
#include <catch2/catch.hpp>

#include <string>

#include "dialect_test_support.hpp"

using namespace dialect_test;

namespace {

const std::string RS = "\x1e";

// A dialect past the handshake.
std::unique_ptr<Dialect> ready() {
    auto dialect = dialect_for("signalr");
    dialect->open("", "");
    Incoming in = dialect->decode("{}" + RS, false);
    REQUIRE(in.messages.size() == 1);
    REQUIRE(in.messages[0].kind == Kind::ready);
    return dialect;
}

}  // namespace

TEST_CASE("signalr: open sends the json handshake and waits for its response", "[signalr]") {
    auto dialect = dialect_for("signalr");
    CHECK(std::string(dialect->name()) == "signalr");
    const Opening opening = dialect->open("secret-token", R"({"type":"authenticate"})");
    REQUIRE(opening.frames.size() == 1);
    CHECK(opening.frames[0] == R"({"protocol":"json","version":1})" + RS);
    CHECK(opening.wait_for_ready);
    // The token never goes in band: SignalR carries it in the URL (access_token).
    CHECK_THAT(opening.frames[0], !Contains("secret"));
}

TEST_CASE("signalr: the handshake response makes the client ready or refuses it", "[signalr]") {
    SECTION("{} is ready, and records in the same frame follow it") {
        auto dialect = dialect_for("signalr");
        dialect->open("", "");
        Incoming in = dialect->decode("{}" + RS + R"({"type":1,"target":"news","arguments":[1]})" + RS, false);
        REQUIRE(in.messages.size() == 2);
        CHECK(in.messages[0].kind == Kind::ready);
        CHECK(in.messages[1].kind == Kind::channel_message);
    }
    SECTION("{\"error\"} is a refusal with the server's text") {
        auto dialect = dialect_for("signalr");
        dialect->open("", "");
        Decoded d = one(*dialect, R"({"error":"The protocol 'json' is not supported."})" + RS);
        CHECK(d.kind == Kind::refused);
        CHECK(d.error_message == "The protocol 'json' is not supported.");
    }
    SECTION("each connection has its own handshake") {
        auto dialect = ready();
        CHECK(one(*dialect, "{}" + RS).kind == Kind::other);  // after the handshake: not a response
        dialect->open("", "");
        CHECK(one(*dialect, "{}" + RS).kind == Kind::ready);
    }
}

TEST_CASE("signalr: subscribe and unsubscribe put nothing on the wire", "[signalr]") {
    auto dialect = ready();
    CHECK_FALSE(dialect->confirms_subscriptions());
    std::string out = "x";
    CHECK(dialect->subscribe(out, "1", "news", "").status == TETHER_OK);
    CHECK(out.empty());
    out = "x";
    CHECK(dialect->unsubscribe(out, "1", "2", "news").status == TETHER_OK);
    CHECK(out.empty());

    Error e = dialect->subscribe(out, "3", "", "");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("channel"));
    e = dialect->subscribe(out, "4", "Counter", "[10]");
    CHECK(e.status == TETHER_E_NOT_SUPPORTED);
    CHECK_THAT(e.message, Contains("signalr"));
    CHECK_THAT(e.message, Contains("StreamInvocation"));
}

TEST_CASE("signalr: publish is an Invocation without invocationId", "[signalr]") {
    auto dialect = ready();
    std::string out;
    REQUIRE(dialect->publish(out, "Publish", R"(["news",{"n":1}])").status == TETHER_OK);
    CHECK(out == R"({"type":1,"target":"Publish","arguments":["news",{"n":1}]})" + RS);
    REQUIRE(dialect->publish(out, "Send", R"({"n":1})").status == TETHER_OK);
    CHECK(out == R"({"type":1,"target":"Send","arguments":[{"n":1}]})" + RS);
    REQUIRE(dialect->publish(out, "Send", "").status == TETHER_OK);
    CHECK(out == R"({"type":1,"target":"Send","arguments":[]})" + RS);
    REQUIRE(dialect->publish(out, "Send", "[[1,2]]").status == TETHER_OK);  // an array as the one argument
    CHECK(out == R"({"type":1,"target":"Send","arguments":[[1,2]]})" + RS);
    REQUIRE(dialect->publish(out, "Send \"quoted\"", "null").status == TETHER_OK);
    CHECK(out == R"({"type":1,"target":"Send \"quoted\"","arguments":[null]})" + RS);
    Error e = dialect->publish(out, "", "1");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("channel"));
}

TEST_CASE("signalr: request is an Invocation with the wire id as invocationId", "[signalr]") {
    auto dialect = ready();
    std::string out;
    REQUIRE(dialect->request(out, "17", "Add", "[2,40]").status == TETHER_OK);
    CHECK(out == R"({"type":1,"invocationId":"17","target":"Add","arguments":[2,40]})" + RS);
    REQUIRE(dialect->request(out, "18", "Echo", R"({"a":1})").status == TETHER_OK);
    CHECK(out == R"({"type":1,"invocationId":"18","target":"Echo","arguments":[{"a":1}]})" + RS);
    REQUIRE(dialect->request(out, "19", "Fail", "").status == TETHER_OK);
    CHECK(out == R"({"type":1,"invocationId":"19","target":"Fail","arguments":[]})" + RS);
    CHECK(dialect->request(out, "20", "", "").status == TETHER_E_INVALID_ARGUMENT);
}

TEST_CASE("signalr: the server's invocations are channel messages named by their target", "[signalr]") {
    auto dialect = ready();
    Decoded d = one(*dialect, R"({"type":1,"target":"news","arguments":[{"n":1}]})" + RS);
    CHECK(d.kind == Kind::channel_message);
    CHECK(d.channel == "news");
    CHECK(d.event == "news");
    CHECK(d.wire_id.empty());
    CHECK(d.payload == R"({"n":1})");
    CHECK(one(*dialect, R"({"type":1,"target":"news","arguments":[1,"two"]})" + RS).payload == R"([1,"two"])");
    CHECK(one(*dialect, R"({"type":1,"target":"news","arguments":[]})" + RS).payload == "[]");
    CHECK(one(*dialect, R"({"type":1,"target":"news"})" + RS).payload == "[]");
    CHECK(one(*dialect, R"({"type":1,"target":"news","arguments":[[1,2]]})" + RS).payload == "[1,2]");
    CHECK(one(*dialect, R"({"type":1,"arguments":[1]})" + RS).kind == Kind::other);  // no target
}

TEST_CASE("signalr: a server invocation that wants a client result is answered with an error", "[signalr]") {
    auto dialect = ready();
    Incoming in = dialect->decode(
        R"({"type":1,"invocationId":"s1","target":"question","arguments":["what is your answer?"]})" + RS, false);
    REQUIRE(in.messages.size() == 1);
    CHECK(in.messages[0].kind == Kind::channel_message);
    CHECK(in.messages[0].payload == R"("what is your answer?")");
    REQUIRE(in.replies.size() == 1);
    CHECK(in.replies[0] == R"({"type":3,"invocationId":"s1","error":"Client didn't provide a result."})" + RS);
}

TEST_CASE("signalr: completions answer requests, stream items are items", "[signalr]") {
    auto dialect = ready();
    Decoded d = one(*dialect, R"({"type":3,"invocationId":"17","result":42})" + RS);
    CHECK(d.kind == Kind::response);
    CHECK(d.wire_id == "17");
    CHECK(d.payload == "42");
    CHECK_FALSE(d.is_error);

    d = one(*dialect, R"({"type":3,"invocationId":"18"})" + RS);  // a void method
    CHECK(d.kind == Kind::response);
    CHECK(d.payload == "null");
    CHECK_FALSE(d.is_error);

    d = one(*dialect, R"({"type":3,"invocationId":"19","error":"An unexpected error occurred invoking 'Fail' on the server. HubException: failed on purpose"})" + RS);
    CHECK(d.kind == Kind::response);
    CHECK(d.is_error);
    CHECK(d.error_message == "An unexpected error occurred invoking 'Fail' on the server. HubException: failed on purpose");
    CHECK_THAT(d.payload, Contains("failed on purpose"));

    d = one(*dialect, R"({"type":2,"invocationId":"20","item":{"i":1}})" + RS);
    CHECK(d.kind == Kind::item);
    CHECK(d.wire_id == "20");
    CHECK(d.payload == R"({"i":1})");

    CHECK(one(*dialect, R"({"type":3,"result":1})" + RS).kind == Kind::other);      // no invocationId
    CHECK(one(*dialect, R"({"type":3,"invocationId":7})" + RS).kind == Kind::other);  // not a string
}

TEST_CASE("signalr: several records in one frame give one Decoded each", "[signalr]") {
    auto dialect = ready();
    Incoming in = dialect->decode(R"({"type":3,"invocationId":"1","result":42})" + RS +
                                      R"({"type":6})" + RS + R"({"type":1,"target":"news","arguments":[1]})" + RS,
                                  false);
    REQUIRE(in.messages.size() == 3);
    CHECK(in.messages[0].kind == Kind::response);
    CHECK(in.messages[1].kind == Kind::ignore);
    CHECK(in.messages[2].kind == Kind::channel_message);
    CHECK(in.replies.empty());
}

TEST_CASE("signalr: pings are ignored and the client pings every 15 s", "[signalr]") {
    auto dialect = ready();
    CHECK(one(*dialect, R"({"type":6})" + RS).kind == Kind::ignore);
    CHECK(dialect->heartbeat_interval_ms() == 15000);
    CHECK(dialect->heartbeat("5") == R"({"type":6})" + RS);
}

TEST_CASE("signalr: a Close record ends the session, allowReconnect decides the reconnect", "[signalr]") {
    auto dialect = ready();
    Decoded d = one(*dialect, R"({"type":7})" + RS);
    CHECK(d.kind == Kind::server_close);
    CHECK_FALSE(d.reconnect);
    CHECK(d.error_message.empty());

    d = one(*dialect, R"({"type":7,"error":"Connection closed with an error.","allowReconnect":true})" + RS);
    CHECK(d.kind == Kind::server_close);
    CHECK(d.reconnect);
    CHECK(d.error_message == "Connection closed with an error.");

    d = one(*dialect, R"({"type":7,"error":"Connection closed with an error. HubException: the room is closed"})" + RS);
    CHECK_FALSE(d.reconnect);
    CHECK_THAT(d.error_message, Contains("the room is closed"));
}

TEST_CASE("signalr: what is not the hub protocol is left to the application", "[signalr]") {
    auto dialect = ready();
    CHECK(one(*dialect, "not json" + RS).kind == Kind::other);
    CHECK(one(*dialect, "[1,2]" + RS).kind == Kind::other);
    CHECK(one(*dialect, R"({"type":99})" + RS).kind == Kind::other);
    CHECK(one(*dialect, R"({"type":"1","target":"x"})" + RS).kind == Kind::other);
    CHECK(dialect->decode("", false).messages.at(0).kind == Kind::other);
    CHECK(dialect->decode(RS + RS, false).messages.at(0).kind == Kind::other);
    CHECK(dialect->decode(R"({"type":6})", true).messages.at(0).kind == Kind::other);  // binary
    // A last record without its separator is still read.
    CHECK(one(*dialect, R"({"type":6})").kind == Kind::ignore);
}

TEST_CASE("signalr: decode survives any bytes", "[signalr]") {
    auto dialect = dialect_for("signalr");
    const std::string samples[] = {
        std::string("\x1e\x1e{\x1e}", 5), std::string("\0\x1e\xff", 3), "{\"type\":7,\"allowReconnect\":\"yes\"}",
        "{\"type\":18446744073709551615}", "{\"type\":-1}", "{\"type\":1.5}", "{\"error\":null}",
        "{\"type\":1,\"target\":\"t\",\"arguments\":{\"a\":1},\"invocationId\":\"\"}",
        "{\"type\":2,\"invocationId\":\"1\"}", "{\"type\":3,\"invocationId\":\"1\",\"error\":{\"code\":1}}",
    };
    for (const std::string &s : samples) {
        Incoming in = dialect->decode(s, false);
        CHECK_FALSE(in.messages.empty());
    }
    auto answered = ready();
    Decoded d = one(*answered, R"({"type":3,"invocationId":"1","error":{"code":1}})");
    CHECK(d.is_error);
    CHECK(d.error_message == R"({"code":1})");
}
