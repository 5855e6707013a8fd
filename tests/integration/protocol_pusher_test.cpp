// The connection manager over the pusher protocol (Pusher Channels protocol 7), through the C
// ABI, against tests/peers/pusher.js: a Pusher server written from the protocol reference. The
// tests drive the server through client events on a private channel (its header lists them).
#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using harness::contains;
using harness::events_named;
using harness::publish;
using harness::Recorded;
using harness::subscribe;
using harness::wait_events_named;
using harness::wait_state;
using tether_test::Peer;

namespace {

constexpr const char *kControl = "private-control";  // the tests' channel for the peer's hooks
constexpr const char *kGoodAuth = R"({"auth":"good"})";

std::string app_url(const Peer &peer, const std::string &query = "") { return peer.ws_url("/app/app-key" + query); }

void client_event(Client &c, const char *channel, const std::string &event, const std::string &data) {
    publish(c, channel, R"({"event":")" + event + R"(","data":)" + data + "}");
}

// Asks the server to send `event` with `data` to every subscriber of `channel`.
void trigger(Client &c, const std::string &channel, const std::string &event, const std::string &data) {
    client_event(c, kControl, "client-trigger",
                 R"({"channel":")" + channel + R"(","event":")" + event + R"(","data":)" + data + "}");
}

// Connects with the pusher preset and the tests' private channel subscribed.
void connect_with_control(Client &c) {
    subscribe(c, kControl, kGoodAuth);
    c.connect();
    REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
}

int number_in(const std::string &json, const std::string &key) {
    std::smatch m;
    const std::regex pattern("\"" + key + "\":([0-9]+)");
    return std::regex_search(json, m, pattern) ? std::stoi(m[1]) : -1;
}

}  // namespace

TEST_CASE("pusher: ready on connection_established, then subscribe, server events, unsubscribe", "[pusher]") {
    // The server sends connection_established 300 ms after the upgrade: the client waits for it.
    Peer peer = Peer::node("pusher.js");
    Client c({{"url", app_url(peer, "?established_delay_ms=300")}, {"provider", "pusher"}});
    const uint64_t news = subscribe(c, "news");  // public: no auth
    connect_with_control(c);
    REQUIRE(c.wait_open());
    CHECK(c.recorder.states() == std::vector<int32_t>{TETHER_STATE_CONNECTING, TETHER_STATE_CONNECTED,
                                                      TETHER_STATE_AUTHENTICATING, TETHER_STATE_AUTHENTICATED});
    REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));

    trigger(c, "news", "headline", R"({"title":"tether ships"})");
    REQUIRE(wait_events_named(c, "headline", 1));
    const Recorded headline = events_named(c, "headline").at(0);
    CHECK(headline.id == news);
    CHECK(headline.channel == "news");
    CHECK(headline.data == R"({"title":"tether ships"})");  // data was the JSON-encoded string
    // Data that is a plain string, not JSON, arrives as a JSON string.
    client_event(c, kControl, "client-trigger", R"({"channel":"news","event":"plain","raw":"just text"})");
    REQUIRE(wait_events_named(c, "plain", 1));
    CHECK(events_named(c, "plain").at(0).data == R"("just text")");
    CHECK(c.recorder.of_type(TETHER_EVENT_MESSAGE).empty());

    REQUIRE(tether_client_unsubscribe(c.get(), news) == TETHER_OK);
    trigger(c, "news", "headline", R"({"title":"missed"})");
    client_event(c, kControl, "client-stats", "{}");  // answered after the trigger, in order
    REQUIRE(wait_events_named(c, "stats", 1));
    CHECK(contains(events_named(c, "stats").at(0).data, R"("subscriptions":["private-control"])"));
    CHECK(events_named(c, "headline").size() == 1);
}

TEST_CASE("pusher: the handshake must complete within authTimeout", "[pusher]") {
    Peer peer = Peer::node("pusher.js");
    Client c({{"url", app_url(peer, "?established_delay_ms=60000")}, {"provider", "pusher"}, {"authTimeout", "300"},
              {"autoReconnect", "false"}});
    c.connect();
    REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_ERROR));
    CHECK(c.recorder.of_type(TETHER_EVENT_ERROR).at(0).status == TETHER_E_TIMEOUT);
    CHECK(c.recorder.of_type(TETHER_EVENT_OPEN).empty());
}

TEST_CASE("pusher: publish sends client events to the channel's other subscribers", "[pusher]") {
    Peer peer = Peer::node("pusher.js");
    Client alice({{"url", app_url(peer)}, {"provider", "pusher"}});
    Client bob({{"url", app_url(peer)}, {"provider", "pusher"}});
    subscribe(alice, "private-chat", kGoodAuth);
    const uint64_t bobs = subscribe(bob, "private-chat", kGoodAuth);
    subscribe(alice, "news");
    alice.connect();
    bob.connect();
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    REQUIRE(bob.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));

    client_event(alice, "private-chat", "client-typing", R"({"who":"alice"})");
    REQUIRE(wait_events_named(bob, "client-typing", 1));
    const Recorded typing = events_named(bob, "client-typing").at(0);
    CHECK(typing.id == bobs);
    CHECK(typing.channel == "private-chat");
    CHECK(typing.data == R"({"who":"alice"})");

    // Only client- events may come from a client: refused at the call.
    CHECK(tether_client_publish(alice.get(), "private-chat", R"({"event":"typing","data":{}})", 0) ==
          TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(tether_last_error_message(), "client-"));
    CHECK(tether_client_publish(alice.get(), "private-chat", R"({"who":"alice"})", 0) == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(tether_last_error_message(), R"({"event": "client-<name>", "data": <any>})"));
    // A public channel takes no client events: the server's pusher:error (no code: the
    // connection stays) reaches the application as a MESSAGE.
    client_event(alice, "news", "client-x", "{}");
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
    CHECK(contains(alice.recorder.messages().at(0), "Client event rejected"));
    CHECK(events_named(alice, "client-typing").empty());  // not echoed to the sender
    CHECK(alice.recorder.of_type(TETHER_EVENT_CLOSE).empty());
}

TEST_CASE("pusher: a private channel without a valid auth is SUBSCRIBE_FAILED", "[pusher]") {
    Peer peer = Peer::node("pusher.js");
    Client c({{"url", app_url(peer)}, {"provider", "pusher"}});
    c.connect();
    REQUIRE(c.wait_open());
    const uint64_t none = subscribe(c, "private-room");
    const uint64_t wrong = subscribe(c, "presence-room", R"({"auth":"app-key:forged","channel_data":"{\"user_id\":\"1\"}"})");
    REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBE_FAILED, 2));
    for (auto &e : c.recorder.of_type(TETHER_EVENT_SUBSCRIBE_FAILED)) {
        CHECK((e.id == none || e.id == wrong));
        CHECK(e.status == TETHER_E_REMOTE);
        CHECK(contains(e.text, "Invalid signature for " + e.channel));
        CHECK(contains(e.data, R"("type":"AuthError")"));
    }
    CHECK(tether_client_unsubscribe(c.get(), none) == TETHER_E_INVALID_ARGUMENT);
    uint64_t id = 0;
    CHECK(tether_client_subscribe(&id, c.get(), "private-room", R"("good")") == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(tether_last_error_message(), "JSON object"));
}

TEST_CASE("pusher: request is not part of the protocol", "[pusher]") {
    Peer peer = Peer::node("pusher.js");
    Client c({{"url", app_url(peer)}, {"provider", "pusher"}});
    CHECK(tether_client_request(c.get(), "anything", "{}", 0, 1) == TETHER_E_NOT_SUPPORTED);
    CHECK(contains(tether_last_error_message(), "request is not supported by protocol pusher"));
}

TEST_CASE("pusher: pusher:ping and pusher:pong both ways keep the connection past the activity timeout",
          "[pusher][keepalive]") {
    Peer peer = Peer::node("pusher.js");
    // activity_timeout 1 s: the client pings every second. The server pings after 300 ms without
    // a message and closes with 4201 when no pong follows within 500 ms; it reports each ping
    // and pong it receives as a "keepalive" event.
    const std::string query = "?activity_timeout=1&server_ping_ms=300&pong_timeout_ms=500&report_keepalive=private-control";
    SECTION("the client answers the server's pings and sends its own") {
        // Three answered server pings and one of the client's own: at least 0.9 s, past the
        // 0.8 s after which an unanswered ping ends the connection.
        Client c({{"url", app_url(peer, query)}, {"provider", "pusher"}});
        connect_with_control(c);
        REQUIRE(c.recorder.wait_until([&](const std::vector<Recorded> &evs) {
            for (auto &e : evs) {
                if (e.type == TETHER_EVENT_CHANNEL_MESSAGE && e.text == "keepalive" && number_in(e.data, "pings") >= 1 &&
                    number_in(e.data, "pongs") >= 3) {
                    return true;
                }
            }
            return false;
        }));
        CHECK(c.recorder.of_type(TETHER_EVENT_CLOSE).empty());
        CHECK(c.recorder.of_type(TETHER_EVENT_MESSAGE).empty());  // pings and pongs stay inside
    }
    SECTION("a client that does not speak the protocol is closed with 4201") {
        Client raw({{"url", app_url(peer, query + "&protocol=7")}, {"autoReconnect", "false"}});
        raw.connect();
        REQUIRE(raw.recorder.wait_for_type(TETHER_EVENT_CLOSE));
        CHECK(raw.recorder.of_type(TETHER_EVENT_CLOSE).at(0).code == 4201);
    }
}

TEST_CASE("pusher: 4200 reconnects at once and 4100 after 1 s, re-subscribing with the same auth",
          "[pusher][reconnect]") {
    Peer peer = Peer::node("pusher.js");
    Client c({{"url", app_url(peer)}, {"provider", "pusher"}});
    const uint64_t news = subscribe(c, "news");
    connect_with_control(c);
    REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));

    client_event(c, kControl, "client-close", R"({"code":4200})");
    REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    CHECK(c.recorder.of_type(TETHER_EVENT_RECONNECT).at(0).delay_ms == 0);
    // Both channels again, the private one with its auth (the server would refuse it without).
    REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 4));
    trigger(c, "news", "headline", R"({"after":"4200"})");
    REQUIRE(wait_events_named(c, "headline", 1));
    CHECK(events_named(c, "headline").at(0).id == news);

    client_event(c, kControl, "client-close", R"({"code":4100})");
    REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_RECONNECT, 2));
    CHECK(c.recorder.of_type(TETHER_EVENT_RECONNECT).at(1).delay_ms == 1000);
    REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 6));
    trigger(c, "news", "headline", R"({"after":"4100"})");
    REQUIRE(wait_events_named(c, "headline", 2));
    CHECK(c.recorder.of_type(TETHER_EVENT_ERROR).empty());
    for (auto &e : c.recorder.of_type(TETHER_EVENT_CLOSE)) CHECK(contains(e.text, e.code == 4200 ? "reconnect" : "capacity"));
}

TEST_CASE("pusher: 4000-4099 closes stop the client, the credentials ones with TETHER_E_AUTH", "[pusher][auth]") {
    Peer peer = Peer::node("pusher.js");
    SECTION("4009 connection is unauthorized") {
        Client c({{"url", app_url(peer)}, {"provider", "pusher"}});
        connect_with_control(c);
        client_event(c, kControl, "client-close", R"({"code":4009})");
        REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_ERROR));
        const Recorded error = c.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(error.status == TETHER_E_AUTH);
        CHECK(contains(error.text, "4009"));
        CHECK(contains(error.text, "Connection is unauthorized"));
        REQUIRE(wait_state(c, TETHER_STATE_ERROR));
        CHECK(c.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
    SECTION("an unknown app key: 4001") {
        Client c({{"url", peer.ws_url("/app/no-such-key")}, {"provider", "pusher"}});
        c.connect();
        REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_ERROR));
        const Recorded error = c.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(error.status == TETHER_E_AUTH);
        CHECK(contains(error.text, "App key no-such-key does not exist"));
        REQUIRE(wait_state(c, TETHER_STATE_ERROR));
        CHECK(c.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
        CHECK(c.recorder.of_type(TETHER_EVENT_OPEN).empty());  // never past the handshake
    }
    SECTION("other 40xx: over quota (4004), an unsupported protocol version (4007)") {
        Client quota({{"url", app_url(peer)}, {"provider", "pusher"}});
        connect_with_control(quota);
        client_event(quota, kControl, "client-close", R"({"code":4004})");
        // The application's own query parameter wins over the preset's protocol=7.
        Client old({{"url", app_url(peer, "?protocol=6")}, {"provider", "pusher"}});
        old.connect();
        for (Client *c : {&quota, &old}) {
            REQUIRE(c->recorder.wait_for_type(TETHER_EVENT_ERROR));
            CHECK(c->recorder.of_type(TETHER_EVENT_ERROR).at(0).status == TETHER_E_CLOSED);
            REQUIRE(wait_state(*c, TETHER_STATE_ERROR));
            CHECK(c->recorder.of_type(TETHER_EVENT_RECONNECT).empty());
        }
        CHECK(contains(quota.recorder.of_type(TETHER_EVENT_ERROR).at(0).text, "over connection quota"));
        CHECK(contains(old.recorder.of_type(TETHER_EVENT_ERROR).at(0).text, "4007"));
    }
}

TEST_CASE("pusher: the auth message (pusher:signin) goes out after connection_established", "[pusher][auth]") {
    Peer peer = Peer::node("pusher.js");
    const std::string signin = R"({"event":"pusher:signin","data":{"auth":"{{token}}","user_data":"{\"id\":\"u1\"}"}})";
    SECTION("accepted") {
        Client c({{"url", app_url(peer)}, {"provider", "pusher"}, {"authToken", "good"}, {"authMessageTemplate", signin}});
        c.connect();
        REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_MESSAGE));  // not a channel's: a plain MESSAGE
        CHECK(contains(c.recorder.messages().at(0), "pusher:signin_success"));
        CHECK(c.state() == TETHER_STATE_AUTHENTICATED);
    }
    SECTION("refused: 4009, TETHER_E_AUTH, no reconnect, the token in no text") {
        Client c({{"url", app_url(peer)}, {"provider", "pusher"}, {"authToken", "s3cr3t-token"},
                  {"authMessageTemplate", signin}});
        c.connect();
        REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_ERROR));
        CHECK(c.recorder.of_type(TETHER_EVENT_ERROR).at(0).status == TETHER_E_AUTH);
        REQUIRE(wait_state(c, TETHER_STATE_ERROR));
        CHECK(c.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
        CHECK(!contains(harness::all_visible_text(c.recorder), "s3cr3t-token"));
    }
}
