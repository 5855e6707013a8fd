// The connection manager over the socketio protocol, through the C ABI, against a real Socket.IO
// server (tests/peers/socketio.js: the `socket.io` package, Engine.IO pings every 300 ms).
// Clients use the `socketio` provider preset and WebSocket pings off, so only the protocol's own
// ping/pong keeps them connected.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using harness::contains;
using harness::publish;
using harness::Recorded;
using harness::response;
using harness::result;
using harness::subscribe;
using harness::wait_state;
using tether_test::Peer;

namespace {

std::string socketio_url(const Peer &peer) { return peer.ws_url("/socket.io/"); }

bool wait_channel_messages(Client &c, size_t count, int timeout_ms = 5000) {
    return c.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE, count, timeout_ms);
}

bool wait_message_containing(Client &c, const std::string &needle) {
    return c.recorder.wait_until([&](const std::vector<Recorded> &evs) {
        return std::any_of(evs.begin(), evs.end(), [&](const Recorded &e) {
            return e.type == TETHER_EVENT_MESSAGE && contains(e.data, needle);
        });
    });
}

}  // namespace

TEST_CASE("socketio: ready only once the server acknowledges the namespace's CONNECT", "[socketio]") {
    Peer peer = Peer::node("socketio.js");
    Client client({{"provider", "socketio"}, {"url", socketio_url(peer)}, {"authToken", "slow"}});
    // The peer holds a "slow" token's CONNECT ack back for 400 ms: the client must wait for it.
    std::mutex mutex;
    std::chrono::steady_clock::time_point authenticating, authenticated;
    client.recorder.hook = [&](const Recorded &e) {
        if (e.type != TETHER_EVENT_STATE) return;
        std::lock_guard<std::mutex> lock(mutex);
        if (e.state == TETHER_STATE_AUTHENTICATING) authenticating = std::chrono::steady_clock::now();
        if (e.state == TETHER_STATE_AUTHENTICATED) authenticated = std::chrono::steady_clock::now();
    };
    client.connect();
    REQUIRE(client.wait_open());
    CHECK(client.recorder.states() == std::vector<int32_t>{TETHER_STATE_CONNECTING, TETHER_STATE_CONNECTED,
                                                           TETHER_STATE_AUTHENTICATING, TETHER_STATE_AUTHENTICATED});
    {
        std::lock_guard<std::mutex> lock(mutex);
        CHECK(authenticated - authenticating >= std::chrono::milliseconds(350));
    }
    // The server saw the token in the CONNECT packet's auth (socket.handshake.auth.token).
    const std::string me = result(client, "whoami", nullptr, 1);
    CHECK(contains(me, R"("nsp":"/")"));
    CHECK(contains(me, R"("token":"slow")"));
    CHECK(contains(client.stats(), R"("protocol":"socketio")"));
    // The handshake is the dialect's own: no Engine.IO or Socket.IO packet reached the application.
    CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
}

TEST_CASE("socketio: subscribe, receive what another client emits, unsubscribe", "[socketio]") {
    Peer peer = Peer::node("socketio.js");
    Client alice({{"provider", "socketio"}, {"url", socketio_url(peer)}});
    Client bob({{"provider", "socketio"}, {"url", socketio_url(peer)}});
    const uint64_t chat = subscribe(alice, "chat");  // made offline: listened for once ready
    alice.connect();
    bob.connect();
    REQUIRE(alice.wait_open());
    REQUIRE(bob.wait_open());
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    CHECK(alice.recorder.of_type(TETHER_EVENT_SUBSCRIBED).at(0).id == chat);

    // The server re-broadcasts chat to every socket: one argument, then several.
    publish(bob, "chat", R"({"text":"Hello!"})");
    publish(bob, "chat", R"(["bob",{"text":"hi"},3])");
    REQUIRE(wait_channel_messages(alice, 2));
    auto messages = alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE);
    for (auto &m : messages) {
        CHECK(m.id == chat);
        CHECK(m.channel == "chat");
        CHECK(m.text == "chat");  // the event's name
    }
    CHECK(messages[0].data == R"({"text":"Hello!"})");
    CHECK(messages[1].data == R"(["bob",{"text":"hi"},3])");
    CHECK(alice.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
    // bob listens for nothing: the broadcast reaches him as the plain packet.
    REQUIRE(wait_message_containing(bob, R"(42["chat",{"text":"Hello!"}])"));

    REQUIRE(tether_client_unsubscribe(alice.get(), chat) == TETHER_OK);
    publish(bob, "chat", R"({"text":"after"})");
    REQUIRE(wait_message_containing(alice, R"(42["chat",{"text":"after"}])"));
    CHECK(alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).size() == 2);
    CHECK(contains(alice.stats(), R"("activeSubscriptions":0)"));
}

TEST_CASE("socketio: server events with no, one and several arguments", "[socketio]") {
    Peer peer = Peer::node("socketio.js");
    Client client({{"provider", "socketio"}, {"url", socketio_url(peer)}});
    client.connect();
    REQUIRE(client.wait_open());
    subscribe(client, "news");
    publish(client, "push", R"({"event":"news","args":[]})");
    publish(client, "push", R"({"event":"news","args":[{"headline":"one"}]})");
    publish(client, "push", R"({"event":"news","args":["two",2,null]})");
    publish(client, "push", R"({"event":"weather","args":["sunny"]})");
    REQUIRE(wait_channel_messages(client, 3));
    auto news = client.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE);
    CHECK(news[0].data == "null");
    CHECK(news[1].data == R"({"headline":"one"})");
    CHECK(news[2].data == R"(["two",2,null])");
    REQUIRE(wait_message_containing(client, R"(42["weather","sunny"])"));  // not subscribed
}

TEST_CASE("socketio: requests are answered by the server's acks, or time out", "[socketio]") {
    Peer peer = Peer::node("socketio.js");
    Client client({{"provider", "socketio"}, {"url", socketio_url(peer)}});
    client.connect();
    REQUIRE(client.wait_open());
    // An array of params is the argument list: add(2, 40, ack) computes on the server.
    CHECK(result(client, "add", "[2,40]", 1) == "42");
    CHECK(result(client, "echo", R"(["x",{"y":1}])", 2) == R"(["x",{"y":1}])");
    CHECK(result(client, "echo", R"({"only":1})", 3) == R"({"only":1})");
    CHECK(result(client, "echo", nullptr, 4) == "null");
    // Socket.IO acks have no error flag: a server's error is part of the result.
    CHECK(result(client, "fail", nullptr, 5) == R"({"error":{"message":"failed on purpose"}})");
    REQUIRE(tether_client_request(client.get(), "never", nullptr, 300, 6) == TETHER_OK);
    CHECK(response(client, 6).status == TETHER_E_TIMEOUT);
    CHECK(contains(client.stats(), R"("pendingRequests":0)"));
}

TEST_CASE("socketio: answering Engine.IO pings keeps the connection past the server's timeout",
          "[socketio][keepalive]") {
    Peer peer = Peer::node("socketio.js");
    // The peer pings every 300 ms and drops a client whose pong is 600 ms late; WebSocket pings
    // are off (the harness's pingInterval 0).
    Client client({{"provider", "socketio"}, {"url", socketio_url(peer)}});
    client.connect();
    REQUIRE(client.wait_open());
    // Waits until the server has counted six pongs on this connection (about 1.8 s).
    REQUIRE(tether_client_request(client.get(), "pongs", "6", 8000, 1) == TETHER_OK);
    Recorded pongs = response(client, 1, 8000);
    CHECK(pongs.status == TETHER_OK);
    CHECK(std::stoi(pongs.data) >= 6);
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).empty());
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    CHECK(client.state() == TETHER_STATE_AUTHENTICATED);
    CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());  // pings never reach the app

    // The control: a raw WebSocket client on the same URL does not answer, and is dropped.
    Client mute({{"url", socketio_url(peer) + "?EIO=4&transport=websocket"}, {"autoReconnect", "false"}});
    mute.connect();
    REQUIRE(mute.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 5000));
    CHECK(wait_message_containing(mute, R"("pingTimeout":600)"));
}

TEST_CASE("socketio: after the server drops the connection the client comes back, still subscribed",
          "[socketio][reconnect]") {
    Peer peer = Peer::node("socketio.js");
    std::string how;
    SECTION("the WebSocket closes under the session (socket.conn.close())") { how = "drop"; }
    SECTION("an Engine.IO close packet") { how = "engine_close"; }
    Client alice({{"provider", "socketio"}, {"url", socketio_url(peer)}, {"authToken", "alice"}});
    Client bob({{"provider", "socketio"}, {"url", socketio_url(peer)}});
    const uint64_t chat = subscribe(alice, "chat");
    alice.connect();
    bob.connect();
    REQUIRE(alice.wait_open());
    REQUIRE(bob.wait_open());
    const std::string first = result(alice, "whoami", nullptr, 1);

    publish(alice, how.c_str(), "[]");  // the event with no arguments
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_OPEN, 2));
    CHECK(alice.recorder.of_type(TETHER_EVENT_ERROR).empty());
    // A new Socket.IO session, joined with the token again, and the subscription kept.
    const std::string second = result(alice, "whoami", nullptr, 2);
    CHECK(second != first);
    CHECK(contains(second, R"("token":"alice")"));
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    for (auto &e : alice.recorder.of_type(TETHER_EVENT_SUBSCRIBED)) CHECK(e.id == chat);
    publish(bob, "chat", R"({"after":"reconnect"})");
    REQUIRE(wait_channel_messages(alice, 1));
    auto message = alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0);
    CHECK(message.id == chat);
    CHECK(message.data == R"({"after":"reconnect"})");
}

TEST_CASE("socketio: the server's socket.disconnect() ends the session for good", "[socketio][close]") {
    Peer peer = Peer::node("socketio.js");
    Client client({{"provider", "socketio"}, {"url", socketio_url(peer)}});
    client.connect();
    REQUIRE(client.wait_open());
    publish(client, "kick", "[]");
    REQUIRE(wait_state(client, TETHER_STATE_DISCONNECTED));
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).empty());
    auto close = client.recorder.of_type(TETHER_EVENT_CLOSE);
    REQUIRE(close.size() == 1);
    CHECK(contains(close[0].text, "io server disconnect"));
    CHECK(client.state() == TETHER_STATE_DISCONNECTED);
}

TEST_CASE("socketio: credentials in the CONNECT packet and an auth message", "[socketio][auth]") {
    Peer peer = Peer::node("socketio.js");
    SECTION("a token the middleware refuses: ERROR TETHER_E_AUTH, no reconnect") {
        Client client({{"provider", "socketio"}, {"url", socketio_url(peer)}, {"authToken", "bad"}});
        client.connect();
        REQUIRE(wait_state(client, TETHER_STATE_ERROR));
        auto errors = client.recorder.of_type(TETHER_EVENT_ERROR);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].status == TETHER_E_AUTH);
        CHECK(contains(errors[0].text, "invalid token"));
        CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).empty());
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
    SECTION("a good token, and the auth message rendered from the template after the ack") {
        Client client({{"provider", "socketio"},
                       {"url", socketio_url(peer)},
                       {"authToken", "good"},
                       {"authMessageTemplate", R"(42["auth",{"token":"{{token}}"}])"}});
        client.connect();
        REQUIRE(client.wait_open());
        // The auth message goes out before anything the application sends.
        const std::string me = result(client, "whoami", nullptr, 1);
        CHECK(contains(me, R"("token":"good")"));
        CHECK(contains(me, R"("authMessage":"good")"));
        CHECK(!contains(harness::all_visible_text(client.recorder), "good"));
    }
}

TEST_CASE("socketio: a namespace other than the main one", "[socketio][namespace]") {
    Peer peer = Peer::node("socketio.js");
    SECTION("/admin: events, acks and broadcasts stay in it") {
        Client admin({{"provider", "socketio"}, {"url", socketio_url(peer)}, {"namespace", "/admin"}});
        Client other_admin({{"provider", "socketio"}, {"url", socketio_url(peer)}, {"namespace", "/admin"}});
        Client everyone({{"provider", "socketio"}, {"url", socketio_url(peer)}});
        // The server greets each /admin socket right after the CONNECT ack: a listener made
        // before connecting hears it.
        subscribe(admin, "welcome");
        subscribe(other_admin, "chat");
        subscribe(everyone, "chat");
        admin.connect();
        other_admin.connect();
        everyone.connect();
        REQUIRE(admin.wait_open());
        REQUIRE(other_admin.wait_open());
        REQUIRE(everyone.wait_open());
        REQUIRE(wait_channel_messages(admin, 1));
        auto welcome = admin.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0);
        CHECK(welcome.text == "welcome");
        CHECK(contains(welcome.data, R"("nsp":"/admin")"));
        CHECK(contains(result(admin, "whoami", nullptr, 1), R"("nsp":"/admin")"));
        CHECK(result(admin, "add", "[1,2]", 2) == "3");

        publish(admin, "chat", R"("admins only")");
        REQUIRE(wait_channel_messages(other_admin, 1));
        CHECK(other_admin.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0).data == R"("admins only")");
        // The /admin broadcast went out before this one; the main namespace hears only its own.
        publish(everyone, "chat", R"("everyone")");
        REQUIRE(wait_channel_messages(everyone, 1));
        auto heard = everyone.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE);
        CHECK(heard.at(0).data == R"("everyone")");
        CHECK(everyone.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
    }
    SECTION("a namespace the server does not have is refused") {
        Client client({{"provider", "socketio"}, {"url", socketio_url(peer)}, {"namespace", "/nope"}});
        client.connect();
        REQUIRE(wait_state(client, TETHER_STATE_ERROR));
        auto errors = client.recorder.of_type(TETHER_EVENT_ERROR);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].status == TETHER_E_AUTH);
        CHECK(contains(errors[0].text, "Invalid namespace"));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
}

TEST_CASE("socketio: what the protocol cannot carry fails at the call", "[socketio][errors]") {
    Peer peer = Peer::node("socketio.js");
    Client client({{"provider", "socketio"}, {"url", socketio_url(peer)}});
    uint64_t id = 0;
    // Every manager operation exists in Socket.IO; only arguments it has no place for fail.
    CHECK(tether_client_subscribe(&id, client.get(), "chat", R"({"since":0})") == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(tether_last_error_message(), "params"));
    CHECK(tether_client_subscribe(&id, client.get(), "", nullptr) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_publish(client.get(), "disconnect", "1", 0) == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(tether_last_error_message(), "reserved"));
    CHECK(tether_client_request(client.get(), "connect", nullptr, 0, 1) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_publish(client.get(), "chat", "{oops", 0) == TETHER_E_INVALID_JSON);
}
