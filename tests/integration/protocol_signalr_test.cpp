// The connection manager over the signalr protocol, through the C ABI, against a real ASP.NET
// Core SignalR hub (tests/peers/signalr, the framework's own server code: Kestrel, the JSON hub
// protocol, WebSockets without negotiation). See tests/peers/signalr/Program.cs for its hubs
// and methods.
#include <string>
#include <thread>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using harness::contains;
using harness::events_where;
using harness::publish;
using harness::Recorded;
using harness::request;
using harness::response;
using harness::subscribe;
using harness::wait_events_where;
using harness::wait_state;
using harness::with_id;
using tether_test::Peer;

namespace {

// The CHANNEL_MESSAGE events of `channel` (the client method the hub invoked).
std::vector<Recorded> channel_messages(Client &c, const std::string &channel) {
    return events_where(
        c, [&](const Recorded &e) { return e.type == TETHER_EVENT_CHANNEL_MESSAGE && e.channel == channel; });
}

bool wait_channel_messages(Client &c, const std::string &channel, size_t count) {
    return wait_events_where(
        c, [&](const Recorded &e) { return e.type == TETHER_EVENT_CHANNEL_MESSAGE && e.channel == channel; }, count);
}

// A number of the client's stats.
uint64_t stat(Client &c, const std::string &name) {
    const std::string stats = c.stats();
    const size_t at = stats.find("\"" + name + "\":");
    REQUIRE(at != std::string::npos);
    return std::stoull(stats.substr(at + name.size() + 3));
}

}  // namespace

// A client of the peer's hub at `path` with the signalr preset and the good token.
#define SIGNALR_CLIENT(name, peer, path) \
    Client name({{"url", (peer).ws_url(path)}, {"provider", "signalr"}, {"authToken", "good"}})

TEST_CASE("signalr: the preset connects with access_token and the client is ready after the handshake",
          "[signalr]") {
    Peer peer = Peer::signalr();
    SIGNALR_CLIENT(client, peer, "/hub");
    // Made offline: a listener and an invocation, both held until the hub's handshake is done
    // (the hub ignores anything that arrives before it).
    const uint64_t news = subscribe(client, "news");
    publish(client, "Publish", R"(["news",{"early":true}])");
    client.connect();
    REQUIRE(client.wait_open());
    const std::vector<int32_t> expected = {TETHER_STATE_CONNECTING, TETHER_STATE_CONNECTED,
                                           TETHER_STATE_AUTHENTICATING, TETHER_STATE_AUTHENTICATED};
    CHECK(client.recorder.states() == expected);
    REQUIRE(wait_channel_messages(client, "news", 1));
    auto m = channel_messages(client, "news").at(0);
    CHECK(m.id == news);
    CHECK(m.data == R"({"early":true})");
    const std::string stats = client.stats();
    CHECK(contains(stats, "\"protocol\":\"signalr\""));
    CHECK(contains(stats, "/hub?access_token="));
    CHECK(!contains(stats, "good"));                         // the token is redacted
    CHECK(!contains(harness::all_visible_text(client.recorder), "good"));
}

TEST_CASE("signalr: listening for a client method, publishing through the hub, unsubscribing", "[signalr]") {
    Peer peer = Peer::signalr();
    SIGNALR_CLIENT(alice, peer, "/hub");
    SIGNALR_CLIENT(bob, peer, "/hub");
    const uint64_t news = subscribe(alice, "news");
    const uint64_t done = subscribe(alice, "done");
    alice.connect();
    bob.connect();
    REQUIRE(alice.wait_open());
    REQUIRE(bob.wait_open());
    // Nothing to ask the server: a listener is confirmed once the client is ready.
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    for (auto &e : alice.recorder.of_type(TETHER_EVENT_SUBSCRIBED)) CHECK(e.id == (e.channel == "news" ? news : done));

    // bob invokes the hub's Publish(channel, payload), which invokes `news` on every client.
    publish(bob, "Publish", R"(["news",{"text":"Hello!"}])");
    REQUIRE(wait_channel_messages(alice, "news", 1));
    auto m = channel_messages(alice, "news").at(0);
    CHECK(m.id == news);
    CHECK(m.text == "news");  // the event: the invoked client method
    CHECK(m.data == R"({"text":"Hello!"})");
    // Several arguments arrive as their array.
    publish(bob, "Publish2", R"(["news",1,"two"])");
    REQUIRE(wait_channel_messages(alice, "news", 2));
    CHECK(channel_messages(alice, "news").at(1).data == R"([1,"two"])");
    // bob listens for nothing: the invocations he got too are the manager's, not plain messages.
    CHECK(bob.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
    CHECK(alice.recorder.of_type(TETHER_EVENT_MESSAGE).empty());

    REQUIRE(tether_client_unsubscribe(alice.get(), news) == TETHER_OK);
    CHECK(contains(alice.stats(), "\"activeSubscriptions\":1"));
    // Published (and answered: the hub has sent it to everyone) before `done` is.
    request(bob, "Publish", R"(["news",{"text":"too late"}])", 1);
    CHECK(response(bob, 1).status == TETHER_OK);
    publish(bob, "Publish", R"(["done",true])");
    REQUIRE(wait_channel_messages(alice, "done", 1));
    CHECK(channel_messages(alice, "done").at(0).id == done);
    CHECK(channel_messages(alice, "news").size() == 2);
    CHECK(alice.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
}

TEST_CASE("signalr: requests get the hub's result, its errors, or time out", "[signalr]") {
    Peer peer = Peer::signalr();
    SIGNALR_CLIENT(client, peer, "/hub");
    client.connect();
    REQUIRE(client.wait_open());
    request(client, "Add", "[2,40]", 1);
    request(client, "Echo", R"({"a":[1,"x"]})", 2);          // not an array: the only argument
    request(client, "Echo", R"([[1,2]])", 3);                // an array as the only argument
    request(client, "Publish", R"(["nobody",0])", 4);        // a method without a result
    request(client, "Fail", nullptr, 5);                     // throws HubException
    request(client, "Nope", nullptr, 6);                     // no such method
    request(client, "Counter", "[3]", 7);                    // a streaming method
    request(client, "Sleep", "[300]", 8, 100);               // answers after the timeout
    request(client, "Sleep", "[900]", 9);

    auto sum = response(client, 1);
    CHECK(sum.status == TETHER_OK);
    CHECK(sum.data == "42");
    CHECK(response(client, 2).data == R"({"a":[1,"x"]})");
    CHECK(response(client, 3).data == "[1,2]");
    auto none = response(client, 4);
    CHECK(none.status == TETHER_OK);
    CHECK(none.data == "null");
    auto fail = response(client, 5);
    CHECK(fail.status == TETHER_E_REMOTE);
    CHECK(contains(fail.text, "HubException: failed on purpose"));
    CHECK(contains(fail.data, "failed on purpose"));
    auto nope = response(client, 6);
    CHECK(nope.status == TETHER_E_REMOTE);
    CHECK(contains(nope.text, "Method does not exist"));
    // tether sends no StreamInvocation: the hub refuses a plain Invocation of a stream.
    auto stream = response(client, 7);
    CHECK(stream.status == TETHER_E_REMOTE);
    CHECK(contains(stream.text, "non-streaming invocation"));
    auto timeout = response(client, 8);
    CHECK(timeout.status == TETHER_E_TIMEOUT);
    // The late Completion of 8 arrived before 9's and was dropped: 8 was answered only once.
    CHECK(response(client, 9).data == "900");
    CHECK(with_id(client, TETHER_EVENT_RESPONSE, 8).size() == 1);
    CHECK(contains(client.stats(), "\"pendingRequests\":0"));
    CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
    CHECK(client.state() == TETHER_STATE_AUTHENTICATED);
}

TEST_CASE("signalr: a hub asking the client for a result is told there is none, the listener hears it",
          "[signalr]") {
    Peer peer = Peer::signalr();
    SIGNALR_CLIENT(client, peer, "/hub");
    const uint64_t question = subscribe(client, "question");
    client.connect();
    REQUIRE(client.wait_open());
    // Ask invokes `question` on the caller with an invocationId and waits for its Completion.
    request(client, "Ask", R"(["question"])", 1);
    auto answer = response(client, 1);
    CHECK(answer.status == TETHER_OK);
    CHECK(answer.data == R"("the client refused: Client didn't provide a result.")");
    REQUIRE(wait_channel_messages(client, "question", 1));
    auto m = channel_messages(client, "question").at(0);
    CHECK(m.id == question);
    CHECK(m.data == R"("what is your answer?")");
}

TEST_CASE("signalr: keep-alive: the hub's Ping records are ignored and the connection stays", "[signalr]") {
    Peer peer = Peer::signalr();
    // /hub-pings: the server sends a Ping whenever it has been silent for 200 ms (in practice
    // once per second, its heartbeat tick).
    SIGNALR_CLIENT(client, peer, "/hub-pings");
    client.connect();
    REQUIRE(client.wait_open());
    auto received = [&] { return stat(client, "messagesReceived"); };
    // The handshake response, then at least three Pings.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
    while (received() < 4 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(received() >= 4);
    CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).empty());
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    CHECK(client.state() == TETHER_STATE_AUTHENTICATED);
    request(client, "Add", "[1,2]", 1);
    CHECK(response(client, 1).data == "3");
}

// Slow (about 19 s), so hidden: run with "[signalr-slow]". /hub-slow closes a client that has
// been silent for 16 s (ClientTimeoutInterval), but only once that client has sent a Ping. The
// test sends one Ping itself as raw text to arm that timeout at once; after that only the
// dialect's 15 s heartbeat keeps the hub from sending Close (allowReconnect) at about 17 s.
TEST_CASE("signalr: the client's 15 s Ping keeps the hub's client timeout satisfied", "[.][signalr-slow]") {
    Peer peer = Peer::signalr();
    SIGNALR_CLIENT(client, peer, "/hub-slow");
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(client.send_text(std::string(R"({"type":6})") + "\x1e") == TETHER_OK);
    // Waits for a close that must not come.
    CHECK_FALSE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 19000));
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    // The handshake, the test's Ping and the dialect's heartbeat.
    CHECK(stat(client, "messagesSent") >= 3);
    request(client, "Add", "[1,2]", 1);
    CHECK(response(client, 1).data == "3");
}

TEST_CASE("signalr: after the hub drops the transport tether reconnects and the listener hears again",
          "[signalr][reconnect]") {
    Peer peer = Peer::signalr();
    SIGNALR_CLIENT(listener, peer, "/hub");
    SIGNALR_CLIENT(bob, peer, "/hub");
    const uint64_t news = subscribe(listener, "news");
    listener.connect();
    bob.connect();
    REQUIRE(listener.wait_open());
    REQUIRE(bob.wait_open());
    REQUIRE(listener.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    publish(listener, "Drop", "[]");  // the hub aborts the TCP connection: no Close record
    REQUIRE(listener.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    REQUIRE(listener.recorder.wait_for_type(TETHER_EVENT_OPEN, 2));
    // Re-subscribed by tether, not by the test: listening again needs nothing on the wire.
    REQUIRE(listener.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    for (auto &e : listener.recorder.of_type(TETHER_EVENT_SUBSCRIBED)) CHECK(e.id == news);
    publish(bob, "Publish", R"(["news",{"after":"reconnect"}])");
    REQUIRE(wait_channel_messages(listener, "news", 1));
    auto m = channel_messages(listener, "news").at(0);
    CHECK(m.id == news);
    CHECK(m.data == R"({"after":"reconnect"})");
    CHECK(contains(listener.stats(), "\"reconnects\":1"));
}

TEST_CASE("signalr: a Close record with allowReconnect brings tether back", "[signalr][reconnect]") {
    Peer peer = Peer::signalr();
    SIGNALR_CLIENT(client, peer, "/hub");
    const uint64_t news = subscribe(client, "news");
    client.connect();
    REQUIRE(client.wait_open());
    // Restart asks the framework to close the connection as on a graceful server shutdown:
    // {"type":7,"allowReconnect":true}.
    publish(client, "Restart", "[]");
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_OPEN, 2));
    CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).empty());
    publish(client, "Publish", R"(["news","back"])");
    REQUIRE(wait_channel_messages(client, "news", 1));
    CHECK(channel_messages(client, "news").at(0).id == news);
    CHECK(channel_messages(client, "news").at(0).data == R"("back")");
}

TEST_CASE("signalr: a Close record without allowReconnect ends the session for good", "[signalr][close]") {
    Peer peer = Peer::signalr();
    SECTION("the hub aborts the connection (Context.Abort): {\"type\":7}") {
        SIGNALR_CLIENT(client, peer, "/hub");
        client.connect();
        REQUIRE(client.wait_open());
        request(client, "Sleep", "[5000]", 1, 0);  // lost with the connection
        publish(client, "Kick", "[]");
        REQUIRE(wait_state(client, TETHER_STATE_DISCONNECTED));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
        CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).empty());
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE));
        CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).code == 1000);
        CHECK(response(client, 1).status == TETHER_E_CLOSED);
    }
    SECTION("OnConnectedAsync throws: the Close record carries the error") {
        SIGNALR_CLIENT(client, peer, "/hub?room=closed");
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE));
        auto close = client.recorder.of_type(TETHER_EVENT_CLOSE).at(0);
        CHECK(contains(close.text, "Connection closed with an error. HubException: the room is closed"));
        REQUIRE(wait_state(client, TETHER_STATE_DISCONNECTED));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
        CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).size() == 1);  // the handshake had succeeded
    }
}

TEST_CASE("signalr: credentials: a bad or missing access_token is refused at the upgrade, no reconnect",
          "[signalr][auth]") {
    Peer peer = Peer::signalr();
    SECTION("a bad token") {
        Client client({{"url", peer.ws_url("/hub")}, {"provider", "signalr"}, {"authToken", "not-the-token"}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR));
        auto error = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(error.status == TETHER_E_AUTH);
        CHECK(contains(error.text, "HTTP 401"));
        CHECK(!contains(harness::all_visible_text(client.recorder), "not-the-token"));
        REQUIRE(wait_state(client, TETHER_STATE_ERROR));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
        CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).empty());
    }
    SECTION("no token at all") {
        Client client({{"url", peer.ws_url("/hub")}, {"protocol", "signalr"}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR));
        CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).at(0).status == TETHER_E_AUTH);
        REQUIRE(wait_state(client, TETHER_STATE_ERROR));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
}

TEST_CASE("signalr: a refused handshake stops the client in AUTHENTICATING with TETHER_E_AUTH", "[signalr][auth]") {
    Peer peer = Peer::signalr();
    SIGNALR_CLIENT(client, peer, "/hub-msgpack");  // the hub speaks messagepack only
    client.connect();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR));
    auto error = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
    CHECK(error.status == TETHER_E_AUTH);
    CHECK(contains(error.text, "The protocol 'json' is not supported."));
    REQUIRE(wait_state(client, TETHER_STATE_ERROR));
    const std::vector<int32_t> expected = {TETHER_STATE_CONNECTING, TETHER_STATE_CONNECTED,
                                           TETHER_STATE_AUTHENTICATING, TETHER_STATE_ERROR};
    CHECK(client.recorder.states() == expected);
    CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).empty());
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
}

TEST_CASE("signalr: what the protocol cannot do fails at the call", "[signalr][errors]") {
    Peer peer = Peer::signalr();
    SIGNALR_CLIENT(client, peer, "/hub");
    uint64_t id = 0;
    // A listener with arguments would be a server-to-client stream (StreamInvocation).
    CHECK(tether_client_subscribe(&id, client.get(), "Counter", "[3]") == TETHER_E_NOT_SUPPORTED);
    CHECK(contains(tether_last_error_message(), "signalr"));
    CHECK(contains(tether_last_error_message(), "StreamInvocation"));
    CHECK(contains(client.stats(), "\"activeSubscriptions\":0"));
    CHECK(tether_client_request(client.get(), "Add", "[1,", 0, 1) == TETHER_E_INVALID_JSON);
}
