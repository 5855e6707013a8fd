// The socketio dialect's frames and its reading of the server's packets (Engine.IO 4 over
// WebSocket carrying Socket.IO 5), with no network: byte for byte what a socket.io 4.x server
// sends, and what the C ABI tests check end to end against the real one.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "dialect_test_support.hpp"

using namespace dialect_test;

namespace {

const char *const kOpenPacket =
    R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})";

// A dialect of the namespace `nsp`.
std::unique_ptr<Dialect> make(const char *nsp = "/") { return dialect_for("socketio", {{"namespace", nsp}}); }

// The server's open packet and the CONNECT it calls for.
std::string connect_reply(Dialect &d) {
    Incoming in = d.decode(kOpenPacket, false);
    REQUIRE(in.messages.size() == 1);
    CHECK(in.messages[0].kind == Kind::ignore);
    REQUIRE(in.replies.size() == 1);
    return in.replies[0];
}

// A dialect whose namespace is connected.
std::unique_ptr<Dialect> ready(const char *nsp = "/") {
    auto d = make(nsp);
    const Opening opening = d->open("", "");
    CHECK(opening.frames.empty());
    CHECK(opening.wait_for_ready);
    connect_reply(*d);
    const std::string prefix = std::string(nsp) == "/" ? "" : std::string(nsp) + ",";
    CHECK(one(*d, "40" + prefix + R"({"sid":"Y1z3bVsZ5m9nYfNqAAAD"})").kind == Kind::ready);
    return d;
}

}  // namespace

TEST_CASE("socketio: the handshake joins the namespace with the token as auth", "[socketio]") {
    auto d = make();
    CHECK(std::string(d->name()) == "socketio");
    const Opening opening = d->open("s3cr\"t", "");
    CHECK(opening.frames.empty());  // nothing until the server's open packet
    CHECK(opening.wait_for_ready);
    CHECK(connect_reply(*d) == R"(40{"token":"s3cr\"t"})");
    // A second open packet on the same connection does not join twice.
    CHECK(d->decode(kOpenPacket, false).replies.empty());
    CHECK(one(*d, R"(40{"sid":"Y1z3bVsZ5m9nYfNqAAAD"})").kind == Kind::ready);

    // A new connection joins again, without a token when there is none.
    d->open("", "");
    CHECK(connect_reply(*d) == "40");
}

TEST_CASE("socketio: another namespace is named in every packet", "[socketio]") {
    auto d = make("/admin");
    d->open("tok", "");
    CHECK(connect_reply(*d) == R"(40/admin,{"token":"tok"})");
    d->open("", "");
    CHECK(connect_reply(*d) == "40/admin,");
    // The main namespace's ack is not ours.
    CHECK(one(*d, R"(40{"sid":"a"})").kind == Kind::other);
    CHECK(one(*d, R"(40/admin,{"sid":"b"})").kind == Kind::ready);

    std::string out;
    CHECK(encoded(d->publish(out, "chat", R"({"a":1})"), out) == R"(42/admin,["chat",{"a":1}])");
    CHECK(encoded(d->request(out, "7", "add", "[1,2]"), out) == R"(42/admin,7["add",1,2])");
    REQUIRE_FALSE(d->subscribe(out, "8", "news", ""));
    Decoded ev = one(*d, R"(42/admin,["news","hi"])");
    CHECK(ev.kind == Kind::channel_message);
    CHECK(ev.payload == R"("hi")");
    CHECK(one(*d, R"(42["news","hi"])").kind == Kind::other);  // the main namespace's
    Decoded ack = one(*d, R"(43/admin,7[3])");
    CHECK(ack.kind == Kind::response);
    CHECK(ack.wire_id == "7");
    CHECK(ack.payload == "3");
    Decoded bye = one(*d, "41/admin,");
    CHECK(bye.kind == Kind::server_close);
    CHECK_FALSE(bye.reconnect);
    CHECK(one(*d, "41").kind == Kind::other);
}

TEST_CASE("socketio: the auth message goes out right after the namespace's ack", "[socketio]") {
    auto d = make();
    d->open("tok", R"(42["auth",{"token":"tok"}])");
    CHECK(connect_reply(*d) == R"(40{"token":"tok"})");
    Incoming in = d->decode(R"(40{"sid":"x"})", false);
    REQUIRE(in.messages.size() == 1);
    CHECK(in.messages[0].kind == Kind::ready);
    REQUIRE(in.replies.size() == 1);
    CHECK(in.replies[0] == R"(42["auth",{"token":"tok"}])");
    CHECK(d->decode(R"(40{"sid":"x"})", false).replies.empty());  // once per connection
}

TEST_CASE("socketio: connect_error refuses the connection with the server's reason", "[socketio]") {
    auto d = make();
    d->open("bad", "");
    connect_reply(*d);
    Decoded refused = one(*d, R"(44{"message":"invalid token","data":{"code":401}})");
    CHECK(refused.kind == Kind::refused);
    CHECK(refused.error_message == "invalid token");
    // Socket.IO 4's protocol sent the reason as a bare string.
    CHECK(one(*d, R"(44"Not authorized")").error_message == "Not authorized");
    CHECK(one(*d, "44").kind == Kind::refused);
    CHECK(one(*d, R"(44/nope,{"message":"Invalid namespace"})").kind == Kind::other);

    auto other = make("/nope");
    other->open("", "");
    Decoded invalid = one(*other, R"(44/nope,{"message":"Invalid namespace"})");
    CHECK(invalid.kind == Kind::refused);
    CHECK(invalid.error_message == "Invalid namespace");
}

TEST_CASE("socketio: Engine.IO pings are answered, close reconnects, disconnect does not", "[socketio]") {
    auto d = ready();
    Incoming ping = d->decode("2", false);
    REQUIRE(ping.messages.size() == 1);
    CHECK(ping.messages[0].kind == Kind::ignore);
    REQUIRE(ping.replies.size() == 1);
    CHECK(ping.replies[0] == "3");
    CHECK(d->decode("2probe", false).replies.at(0) == "3probe");
    CHECK(one(*d, "3").kind == Kind::ignore);
    CHECK(one(*d, "6").kind == Kind::ignore);
    CHECK(d->heartbeat_interval_ms() == 0);  // the server pings; tether only answers

    Decoded close = one(*d, "1");
    CHECK(close.kind == Kind::server_close);
    CHECK(close.reconnect);
    Decoded disconnect = one(*d, "41");
    CHECK(disconnect.kind == Kind::server_close);
    CHECK_FALSE(disconnect.reconnect);
    CHECK(disconnect.error_message == "io server disconnect");
    // Close codes keep the general table's meaning.
    CHECK(d->on_close(1005, "").decision == ClosePolicy::Decision::table);
}

TEST_CASE("socketio: subscribed events become channel messages, others stay plain", "[socketio]") {
    auto d = ready();
    std::string out = "stale";
    REQUIRE_FALSE(d->subscribe(out, "1", "chat", ""));
    CHECK(out.empty());  // only listened for
    CHECK_FALSE(d->confirms_subscriptions());

    Decoded one_arg = one(*d, R"(42["chat",{"text":"hello"}])");
    CHECK(one_arg.kind == Kind::channel_message);
    CHECK(one_arg.channel == "chat");
    CHECK(one_arg.event == "chat");
    CHECK(one_arg.wire_id.empty());
    CHECK(one_arg.payload == R"({"text":"hello"})");
    CHECK(one(*d, R"(42["chat","alice",{"text":"hi"},3])").payload == R"(["alice",{"text":"hi"},3])");
    CHECK(one(*d, R"(42["chat"])").payload == "null");
    CHECK(one(*d, R"(42["chat",[1,2]])").payload == "[1,2]");
    // An event that asks for an ack is still delivered (its ack cannot be sent).
    CHECK(one(*d, R"(42 12["chat",1])").kind == Kind::other);  // malformed: a space
    CHECK(one(*d, R"(4212["chat",1])").kind == Kind::channel_message);

    CHECK(one(*d, R"(42["other",1])").kind == Kind::other);
    REQUIRE_FALSE(d->unsubscribe(out, "1", "2", "chat"));
    CHECK(out.empty());
    CHECK(one(*d, R"(42["chat",1])").kind == Kind::other);

    // After a reconnect, the manager registers its live channels again when the namespace's
    // ack makes it ready; what it no longer has (unsubscribed offline) is forgotten.
    REQUIRE_FALSE(d->subscribe(out, "3", "news", ""));
    REQUIRE_FALSE(d->subscribe(out, "4", "gone", ""));
    d->open("", "");
    connect_reply(*d);
    CHECK(one(*d, R"(40{"sid":"z"})").kind == Kind::ready);
    REQUIRE_FALSE(d->subscribe(out, "5", "news", ""));
    CHECK(one(*d, R"(42["news",1])").kind == Kind::channel_message);
    CHECK(one(*d, R"(42["gone",1])").kind == Kind::other);
    // A repeated ack forgets nothing.
    CHECK(one(*d, R"(40{"sid":"z"})").kind == Kind::ready);
    CHECK(one(*d, R"(42["news",1])").kind == Kind::channel_message);
}

TEST_CASE("socketio: publish spreads an array payload as the event's arguments", "[socketio]") {
    auto d = ready();
    std::string out;
    CHECK(encoded(d->publish(out, "chat", R"({"text":"hi"})"), out) == R"(42["chat",{"text":"hi"}])");
    CHECK(encoded(d->publish(out, "chat", R"(["alice", 2, {"x":null}])"), out) == R"(42["chat","alice",2,{"x":null}])");
    CHECK(encoded(d->publish(out, "chat", "[]"), out) == R"(42["chat"])");
    CHECK(encoded(d->publish(out, "chat", ""), out) == R"(42["chat"])");
    CHECK(encoded(d->publish(out, "chat", "null"), out) == R"(42["chat",null])");
    CHECK(encoded(d->publish(out, "say \"hi\"\n", "1"), out) == R"(42["say \"hi\"\n",1])");
}

TEST_CASE("socketio: requests carry the wire id as the ack id, acks answer them", "[socketio]") {
    auto d = ready();
    std::string out;
    CHECK(encoded(d->request(out, "17", "add", "[2,40]"), out) == R"(4217["add",2,40])");
    CHECK(encoded(d->request(out, "18", "whoami", ""), out) == R"(4218["whoami"])");
    CHECK(encoded(d->request(out, "19", "echo", R"({"a":[1]})"), out) == R"(4219["echo",{"a":[1]}])");

    Decoded sum = one(*d, "4317[42]");
    CHECK(sum.kind == Kind::response);
    CHECK(sum.wire_id == "17");
    CHECK_FALSE(sum.is_error);
    CHECK(sum.payload == "42");
    CHECK(one(*d, "4318[]").payload == "null");
    // Several arguments, an error-first callback included: still a result.
    Decoded pair = one(*d, R"(4319[{"error":"nope"},null])");
    CHECK(pair.kind == Kind::response);
    CHECK_FALSE(pair.is_error);
    CHECK(pair.payload == R"([{"error":"nope"},null])");
    CHECK(one(*d, "43[1]").kind == Kind::other);    // an ack without an id
    CHECK(one(*d, "4320{}").kind == Kind::other);   // args that are not an array
}

TEST_CASE("socketio: arguments the protocol cannot carry fail at the call", "[socketio]") {
    auto d = ready();
    std::string out;
    Error e = d->subscribe(out, "1", "chat", R"({"since":0})");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("params"));
    CHECK(d->subscribe(out, "1", "", "").status == TETHER_E_INVALID_ARGUMENT);
    e = d->publish(out, "", "1");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("channel"));
    e = d->publish(out, "disconnect", "1");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("reserved"));
    e = d->request(out, "2", "connect", "");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("method"));
}

TEST_CASE("socketio: binary, foreign and malformed frames are plain messages", "[socketio]") {
    auto d = ready();
    std::string out;
    REQUIRE_FALSE(d->subscribe(out, "1", "chat", ""));
    CHECK(d->decode("\x04\x01\x02", true).messages.at(0).kind == Kind::other);
    CHECK(one(*d, R"(451-["chat",{"_placeholder":true,"num":0}])").kind == Kind::other);
    CHECK(one(*d, R"(461-12[{"_placeholder":true,"num":0}])").kind == Kind::other);
    for (const char *frame : {"", "4", "7", "x", "42", "42[", "42{}", "42[1]", "42[]", "49", "4/", "42/chat",
                              "hello", R"(42["chat",)"}) {
        INFO(frame);
        CHECK(one(*d, frame).kind == Kind::other);
    }
}

TEST_CASE("socketio: decode survives random bytes", "[socketio]") {
    auto d = ready("/a");
    std::string out;
    REQUIRE_FALSE(d->subscribe(out, "1", "e", ""));
    std::mt19937 rng(20240601);
    const std::string alphabet = "0123456789/,[]{}\"e:a- \\";
    int decoded = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string frame;
        const int length = static_cast<int>(rng() % 24);
        for (int j = 0; j < length; ++j) {
            frame += (i % 2) ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
        }
        decoded += d->decode(frame, i % 7 == 0).messages.size() == 1;
    }
    CHECK(decoded == 20000);
}
