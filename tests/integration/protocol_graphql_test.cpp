// The connection manager over GraphQL, through the C ABI, against real servers: the graphql-ws
// library (protocol graphql-transport-ws, tests/peers/graphql-transport-ws.js) and Apollo's
// subscriptions-transport-ws (protocol graphql-ws, tests/peers/graphql-ws-legacy.js), both
// serving the same schema. Every scenario runs against both unless the protocols differ.
#include <atomic>
#include <chrono>

#include "harness.hpp"
#include "test_server.hpp"

using harness::ask;
using harness::Client;
using harness::contains;
using harness::Recorded;
using harness::result;
using harness::subscribe;
using harness::wait_event;
using harness::wait_state;
using harness::with_id;
using tether_test::Peer;

namespace {

struct Protocol {
    const char *name;      // the protocol option and the dialect's name
    const char *provider;  // its preset
    const char *peer;      // tests/peers script
};
const Protocol transport_ws{"graphql-transport-ws", "graphql", "graphql-transport-ws.js"};
const Protocol legacy_ws{"graphql-ws", "apollo", "graphql-ws-legacy.js"};

const char *const room_subscription = R"(subscription { messages(channel: "room") { channel text } })";

// ---- the scenarios, each run for both protocols --------------------------------------------

void handshake(const Protocol &p) {
    Peer peer = Peer::node(p.peer);
    // Declared before the client, whose callback (the hook) writes them until it is destroyed.
    std::atomic<int64_t> authenticating_at{0}, open_at{0};
    auto now_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    };
    // The server acknowledges connection_init 300 ms late; until then the client must wait.
    Client client({{"url", peer.ws_url("/?ack_delay=300")}, {"provider", p.provider}, {"authToken", "good"}});
    client.recorder.hook = [&](const Recorded &e) {
        if (e.type == TETHER_EVENT_STATE && e.state == TETHER_STATE_AUTHENTICATING) authenticating_at = now_ms();
        if (e.type == TETHER_EVENT_OPEN) open_at = now_ms();
    };
    // Made before the connection: queued, and sent only after the acknowledgement (the
    // graphql-ws server closes with 4401 on an operation before it).
    REQUIRE(tether_client_request(client.get(), "{ hello }", nullptr, 5000, 1) == TETHER_OK);
    client.connect();
    REQUIRE(client.wait_open());
    CHECK(client.recorder.states() == std::vector<int32_t>{TETHER_STATE_CONNECTING, TETHER_STATE_CONNECTED,
                                                           TETHER_STATE_AUTHENTICATING,
                                                           TETHER_STATE_AUTHENTICATED});
    CHECK(open_at - authenticating_at >= 250);
    CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).at(0).text == p.name);  // the subprotocol
    REQUIRE(wait_event(client, TETHER_EVENT_RESPONSE, 1));
    auto hello = with_id(client, TETHER_EVENT_RESPONSE, 1).at(0);
    CHECK(hello.status == TETHER_OK);
    CHECK(hello.data == R"({"data":{"hello":"world"}})");
    CHECK(contains(client.stats(), std::string("\"protocol\":\"") + p.name + "\""));

    // No connection_ack within authTimeout: the attempt fails with TETHER_E_TIMEOUT and is retried.
    Client late({{"url", peer.ws_url("/?ack_delay=3000")}, {"provider", p.provider}, {"authTimeout", "300"}});
    late.connect();
    REQUIRE(late.recorder.wait_for_type(TETHER_EVENT_ERROR));
    CHECK(late.recorder.of_type(TETHER_EVENT_ERROR).at(0).status == TETHER_E_TIMEOUT);
    CHECK(contains(late.recorder.of_type(TETHER_EVENT_ERROR).at(0).text, "handshake"));
    REQUIRE(late.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    CHECK(late.recorder.of_type(TETHER_EVENT_OPEN).empty());
}

void channels(const Protocol &p) {
    Peer peer = Peer::node(p.peer);
    Client alice({{"url", peer.ws_url("/")}, {"provider", p.provider}});
    Client bob({{"url", peer.ws_url("/")}, {"provider", p.provider}});
    const uint64_t room = subscribe(alice, room_subscription);  // offline: sent once ready
    alice.connect();
    bob.connect();
    REQUIRE(alice.wait_open());
    REQUIRE(bob.wait_open());
    REQUIRE(wait_event(alice, TETHER_EVENT_SUBSCRIBED, room));
    CHECK(alice.recorder.of_type(TETHER_EVENT_SUBSCRIBED).at(0).channel == room_subscription);
    // The server runs the subscription; a mutation from another client reaches it.
    CHECK(result(bob, R"({ subscribers(channel: "room", atLeast: 1) })", nullptr, 1) ==
          R"({"data":{"subscribers":1}})");
    CHECK(result(bob, "mutation Post($channel: String!, $text: String!) { post(channel: $channel, text: $text) }",
                 R"({"channel":"room","text":"Hello!"})", 2) == R"({"data":{"post":1}})");
    REQUIRE(wait_event(alice, TETHER_EVENT_CHANNEL_MESSAGE, room));
    const Recorded message = alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0);
    CHECK(message.channel == room_subscription);
    CHECK(message.data == R"({"data":{"messages":{"channel":"room","text":"Hello!"}}})");
    CHECK(message.text.empty());  // GraphQL results have no event name
    CHECK(contains(alice.stats(), "\"activeSubscriptions\":1"));

    // Unsubscribed: the server stops the operation, and a later post reaches no one.
    REQUIRE(tether_client_unsubscribe(alice.get(), room) == TETHER_OK);
    CHECK(result(bob, R"({ subscribers(channel: "room", atMost: 0) })", nullptr, 3) == R"({"data":{"subscribers":0}})");
    CHECK(result(bob, R"(mutation { post(channel: "room", text: "gone") })", nullptr, 4) == R"({"data":{"post":0}})");
    CHECK(result(alice, "{ hello }", nullptr, 5) == R"({"data":{"hello":"world"}})");  // after anything in flight
    CHECK(alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).size() == 1);
    CHECK(alice.recorder.of_type(TETHER_EVENT_MESSAGE).empty());  // every frame was the protocol's

    // GraphQL has no publish: mutations are requests.
    CHECK(tether_client_publish(alice.get(), "room", R"({"text":"hi"})", 0) == TETHER_E_NOT_SUPPORTED);
    CHECK(contains(tether_last_error_message(), p.name));
    CHECK(contains(tether_last_error_message(), "mutation"));
    // Variables must be an object.
    uint64_t id = 0;
    CHECK(tether_client_subscribe(&id, alice.get(), room_subscription, "[1]") == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_request(alice.get(), "{ hello }", "\"x\"", 0, 9) == TETHER_E_INVALID_ARGUMENT);
}

void requests(const Protocol &p) {
    Peer peer = Peer::node(p.peer);
    Client client({{"url", peer.ws_url("/")}, {"provider", p.provider}});
    client.connect();
    REQUIRE(client.wait_open());
    CHECK(result(client, "query Add($a: Int!, $b: Int!) { add(a: $a, b: $b) }", R"({"a":2,"b":40})", 1) ==
          R"({"data":{"add":42}})");
    // An operation object: its own query, variables and operationName.
    CHECK(result(client, "ignored",
                 R"({"query":"query A { hello } query B($n: Int!) { add(a: $n, b: 1) }","operationName":"B","variables":{"n":9}})",
                 2) ==
          R"({"data":{"add":10}})");
    // A resolver's error: TETHER_E_REMOTE with the whole result, partial data included.
    const Recorded fail = ask(client, "{ hello fail }", nullptr, 3);
    CHECK(fail.status == TETHER_E_REMOTE);
    CHECK(contains(fail.text, "failed on purpose"));
    CHECK(contains(fail.data, R"("data":{"hello":"world","fail":null})"));
    // A document that does not validate.
    const Recorded invalid = ask(client, "{ nope }", nullptr, 4);
    CHECK(invalid.status == TETHER_E_REMOTE);
    CHECK(contains(invalid.text, "Cannot query field"));
    // No answer in time.
    const Recorded slow = ask(client, "{ sleep(ms: 3000) }", nullptr, 5, 200);
    CHECK(slow.status == TETHER_E_TIMEOUT);
    // Mutations are requests too.
    CHECK(result(client, R"(mutation { post(channel: "nobody", text: "x") })", nullptr, 6) == R"({"data":{"post":0}})");
    // Each answered once, and nothing left pending.
    CHECK(client.recorder.of_type(TETHER_EVENT_RESPONSE).size() == 6);
    CHECK(contains(client.stats(), "\"pendingRequests\":0"));
    CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
}

void subscription_errors(const Protocol &p) {
    Peer peer = Peer::node(p.peer);
    Client client({{"url", peer.ws_url("/")}, {"provider", p.provider}});
    client.connect();
    REQUIRE(client.wait_open());
    // The server refuses to start it: an error message for its id.
    const uint64_t refused = subscribe(client, "subscription S($channel: String!) { messages(channel: $channel) { text } }",
                                       R"({"channel":"forbidden"})");
    REQUIRE(wait_event(client, TETHER_EVENT_SUBSCRIBE_FAILED, refused));
    const Recorded failed = with_id(client, TETHER_EVENT_SUBSCRIBE_FAILED, refused).at(0);
    CHECK(failed.status == TETHER_E_REMOTE);
    CHECK(contains(failed.text, "subscription to forbidden refused"));
    CHECK(tether_client_unsubscribe(client.get(), refused) == TETHER_E_INVALID_ARGUMENT);  // removed
    // A document that does not validate fails the same way.
    const uint64_t invalid = subscribe(client, "subscription { nope }");
    REQUIRE(wait_event(client, TETHER_EVENT_SUBSCRIBE_FAILED, invalid));
    CHECK(with_id(client, TETHER_EVENT_SUBSCRIBE_FAILED, invalid).at(0).status == TETHER_E_REMOTE);

    // The server completes a running subscription: it ends, without error.
    const uint64_t ended = subscribe(client, R"(subscription { messages(channel: "short") { text } })");
    CHECK(result(client, R"({ subscribers(channel: "short", atLeast: 1) })", nullptr, 1) ==
          R"({"data":{"subscribers":1}})");
    CHECK(result(client, R"(mutation { end(channel: "short") })", nullptr, 2) == R"({"data":{"end":1}})");
    REQUIRE(wait_event(client, TETHER_EVENT_SUBSCRIBE_FAILED, ended));
    const Recorded end = with_id(client, TETHER_EVENT_SUBSCRIBE_FAILED, ended).at(0);
    CHECK(end.status == TETHER_E_CLOSED);
    CHECK(contains(end.text, "ended"));
    CHECK(contains(client.stats(), "\"activeSubscriptions\":0"));
    CHECK(client.recorder.of_type(TETHER_EVENT_RESPONSE).size() == 2);  // no stray responses
}

void reconnect(const Protocol &p) {
    Peer peer = Peer::node(p.peer);
    Client client({{"url", peer.ws_url("/")}, {"provider", p.provider}, {"authToken", "good"}});
    const uint64_t room = subscribe(client, room_subscription);
    client.connect();
    REQUIRE(client.wait_open());
    CHECK(result(client, R"({ subscribers(channel: "room", atLeast: 1) })", nullptr, 1) ==
          R"({"data":{"subscribers":1}})");
    // The server terminates the socket right after answering.
    CHECK(result(client, "mutation { drop }", nullptr, 2) == R"({"data":{"drop":true}})");
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_OPEN, 2));
    // Re-subscribed by the client, with the same subscription id, without the test asking.
    CHECK(result(client, R"({ subscribers(channel: "room", atLeast: 1) })", nullptr, 3) ==
          R"({"data":{"subscribers":1}})");
    CHECK(result(client, R"(mutation { post(channel: "room", text: "after reconnect") })", nullptr, 4) ==
          R"({"data":{"post":1}})");
    REQUIRE(wait_event(client, TETHER_EVENT_CHANNEL_MESSAGE, room));
    CHECK(client.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0).data ==
          R"({"data":{"messages":{"channel":"room","text":"after reconnect"}}})");
    REQUIRE(wait_event(client, TETHER_EVENT_SUBSCRIBED, room, 2));
    CHECK(with_id(client, TETHER_EVENT_SUBSCRIBE_FAILED, room).empty());
    // The drop itself is the one ERROR: a connection lost without a close frame.
    const auto errors = client.recorder.of_type(TETHER_EVENT_ERROR);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].status == TETHER_E_IO);
}

void auth(const Protocol &p) {
    Peer peer = Peer::node(p.peer);
    {
        Client good({{"url", peer.ws_url("/")}, {"provider", p.provider}, {"authToken", "good"}});
        good.connect();
        REQUIRE(good.wait_open());
    }
    {
        // authMessageTemplate: the whole connection_init, the server reads payload.token.
        Client with_template({{"url", peer.ws_url("/")},
                              {"provider", p.provider},
                              {"authToken", "good"},
                              {"authMessageTemplate", R"({"type":"connection_init","payload":{"token":"{{token}}"}})"}});
        with_template.connect();
        REQUIRE(with_template.wait_open());
    }
    const char *const templated = R"({"type":"connection_init","payload":{"token":"{{token}}"}})";
    Client bad({{"url", peer.ws_url("/")}, {"provider", p.provider}, {"authToken", "wrong-s3cret"}});
    Client bad_templated({{"url", peer.ws_url("/")}, {"provider", p.provider}, {"authToken", "wrong-s3cret"},
                          {"authMessageTemplate", templated}});
    for (Client *c : {&bad, &bad_templated}) {
        c->connect();
        REQUIRE(c->recorder.wait_for_type(TETHER_EVENT_ERROR));
        const Recorded error = c->recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(error.status == TETHER_E_AUTH);
        INFO(error.text);
        CHECK((contains(error.text, "invalid token") || contains(error.text, "4403")));
        REQUIRE(wait_state(*c, TETHER_STATE_ERROR));
        CHECK(c->recorder.of_type(TETHER_EVENT_RECONNECT).empty());
        CHECK(c->recorder.of_type(TETHER_EVENT_OPEN).empty());
        CHECK_FALSE(contains(harness::all_visible_text(c->recorder), "s3cret"));
    }
}

}  // namespace

TEST_CASE("graphql-transport-ws: the client is ready only after connection_ack", "[graphql-transport-ws]") {
    handshake(transport_ws);
}
TEST_CASE("graphql-ws: the client is ready only after connection_ack", "[graphql-ws]") { handshake(legacy_ws); }

TEST_CASE("graphql-transport-ws: subscriptions receive mutations, unsubscribe stops them, no publish",
          "[graphql-transport-ws]") {
    channels(transport_ws);
}
TEST_CASE("graphql-ws: subscriptions receive mutations, unsubscribe stops them, no publish", "[graphql-ws]") {
    channels(legacy_ws);
}

TEST_CASE("graphql-transport-ws: queries and mutations as requests: results, errors, timeouts",
          "[graphql-transport-ws]") {
    requests(transport_ws);
}
TEST_CASE("graphql-ws: queries and mutations as requests: results, errors, timeouts", "[graphql-ws]") {
    requests(legacy_ws);
}

TEST_CASE("graphql-transport-ws: subscriptions refused or completed by the server", "[graphql-transport-ws]") {
    subscription_errors(transport_ws);
}
TEST_CASE("graphql-ws: subscriptions refused or completed by the server", "[graphql-ws]") {
    subscription_errors(legacy_ws);
}

TEST_CASE("graphql-transport-ws: after a dropped connection the subscription is renewed", "[graphql-transport-ws][reconnect]") {
    reconnect(transport_ws);
}
TEST_CASE("graphql-ws: after a dropped connection the subscription is renewed", "[graphql-ws][reconnect]") {
    reconnect(legacy_ws);
}

TEST_CASE("graphql-transport-ws: credentials travel in connection_init and refused ones stop the client", "[graphql-transport-ws][auth]") {
    auth(transport_ws);
}
TEST_CASE("graphql-ws: credentials travel in connection_init and refused ones stop the client", "[graphql-ws][auth]") {
    auth(legacy_ws);
}

namespace {

// The connection stays up while the server's keep-alive runs, and its frames stay the protocol's.
// `until` long-polls the peer until enough keep-alive rounds have passed.
void keep_alive(const Protocol &p, const char *path, const char *until, const char *expected) {
    Peer peer = Peer::node(p.peer);
    Client client({{"url", peer.ws_url(path)}, {"provider", p.provider}});
    client.connect();
    REQUIRE(client.wait_open());
    CHECK(result(client, until, nullptr, 1) == expected);
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).empty());
    CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
    CHECK(client.state() == TETHER_STATE_AUTHENTICATED);
}

}  // namespace

TEST_CASE("graphql-transport-ws: the server's pings are answered with pongs and the connection lives on",
          "[graphql-transport-ws][keepalive]") {
    // The peer sends {"type":"ping"} every 200 ms and terminates the socket when the previous
    // one is still unanswered; the graphql-ws library sends WebSocket pings every 400 ms and
    // terminates a socket that does not answer within 400 ms. Answered once the peer has
    // counted 5 pongs: a second and more, five times its patience.
    keep_alive(transport_ws, "/?protocol_ping=200", "{ pongs(atLeast: 5) }", R"({"data":{"pongs":5}})");
}

TEST_CASE("graphql-ws: the server's ka keep-alives are consumed and the connection lives on", "[graphql-ws][keepalive]") {
    // subscriptions-transport-ws sends {"type":"ka"} every 200 ms (the protocol has no client
    // keep-alive); the peer also sends WebSocket pings every 400 ms and terminates a socket
    // that leaves one unanswered.
    keep_alive(legacy_ws, "/", "{ keepAlives(atLeast: 5) }", R"({"data":{"keepAlives":5}})");
}

namespace {

struct CloseCase {
    int code;
    bool reconnects;
    tether_status status;  // of the ERROR event when it does not reconnect (OK: no ERROR)
};

// The peer closes the socket with `code` right after answering; the client reconnects or stops.
void check_close(const Protocol &p, const Peer &peer, const CloseCase &c) {
    INFO("close code " << c.code);
    Client client({{"url", peer.ws_url("/")}, {"provider", p.provider}});
    client.connect();
    REQUIRE(client.wait_open());
    const std::string mutation = "mutation { close(code: " + std::to_string(c.code) + ", reason: \"on purpose\") }";
    CHECK(result(client, mutation.c_str(), nullptr, 1) == R"({"data":{"close":true}})");
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE));
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).code == c.code);
    if (c.reconnects) {
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_OPEN, 2));
        CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).empty());
        return;
    }
    REQUIRE(wait_state(client, TETHER_STATE_ERROR));
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    const auto errors = client.recorder.of_type(TETHER_EVENT_ERROR);
    if (c.status == TETHER_OK) {
        CHECK(errors.empty());
    } else {
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].status == c.status);
        CHECK(contains(errors[0].text, std::to_string(c.code)));
    }
}

}  // namespace

TEST_CASE("graphql-transport-ws: close codes: 4500 and the 44xx errors stop, 4408 and 1012 reconnect",
          "[graphql-transport-ws][close]") {
    Peer peer = Peer::node(transport_ws.peer);
    for (const CloseCase &c : {CloseCase{4500, false, TETHER_E_REMOTE}, CloseCase{4400, false, TETHER_E_PROTOCOL},
                               CloseCase{4409, false, TETHER_E_PROTOCOL}, CloseCase{4403, false, TETHER_E_AUTH},
                               CloseCase{4408, true, TETHER_OK}, CloseCase{1012, true, TETHER_OK}}) {
        check_close(transport_ws, peer, c);
    }
    {
        // A syntax error is fatal to graphql-ws: it closes with 4500. The request fails with
        // the connection, which does not come back.
        Client client({{"url", peer.ws_url("/")}, {"provider", transport_ws.provider}});
        client.connect();
        REQUIRE(client.wait_open());
        CHECK(ask(client, "{ hel", nullptr, 1).status == TETHER_E_CLOSED);
        REQUIRE(wait_state(client, TETHER_STATE_ERROR));
        const Recorded error = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(error.status == TETHER_E_REMOTE);
        CHECK(contains(error.text, "4500"));
        CHECK(contains(error.text, "Syntax Error"));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
    {
        // Without the subprotocol (protocol set, no preset) the server refuses the session.
        Client client({{"url", peer.ws_url("/")}, {"protocol", transport_ws.name}});
        client.connect();
        REQUIRE(wait_state(client, TETHER_STATE_ERROR));
        const Recorded error = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(error.status == TETHER_E_PROTOCOL);
        CHECK(contains(error.text, "4406"));
        CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).empty());
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
}

TEST_CASE("graphql-ws: close codes follow the general table and errors end only their operation",
          "[graphql-ws][close]") {
    Peer peer = Peer::node(legacy_ws.peer);
    for (const CloseCase &c : {CloseCase{1011, true, TETHER_OK}, CloseCase{4403, true, TETHER_OK},
                               CloseCase{1008, false, TETHER_OK}}) {
        check_close(legacy_ws, peer, c);
    }
    {
        // A syntax error is the request's error message; the connection stays.
        Client client({{"url", peer.ws_url("/")}, {"provider", legacy_ws.provider}});
        client.connect();
        REQUIRE(client.wait_open());
        const Recorded syntax = ask(client, "{ hel", nullptr, 1);
        CHECK(syntax.status == TETHER_E_REMOTE);
        CHECK(contains(syntax.text, "Syntax Error"));
        CHECK(result(client, "{ hello }", nullptr, 2) == R"({"data":{"hello":"world"}})");
        CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).empty());
    }
    {
        // Without the subprotocol the server closes with 1002 at once: no reconnect.
        Client client({{"url", peer.ws_url("/")}, {"protocol", legacy_ws.name}});
        client.connect();
        REQUIRE(wait_state(client, TETHER_STATE_ERROR));
        CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).code == 1002);
        CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).empty());
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
}
