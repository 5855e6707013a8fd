// The connection manager over Rails Action Cable (provider "actioncable"), through the C ABI,
// against tests/peers/actioncable.js: a ChatChannel that streams chat_<room>, rejects room
// "secret", broadcasts "speak" actions, and has hooks to drop, restart and kick a connection.
#include <algorithm>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using harness::contains;
using harness::publish;
using harness::Recorded;
using harness::subscribe;
using harness::wait_final_state;
using tether_test::Peer;

namespace {

std::string cable_url(const Peer &peer, const std::string &query = "") {
    return peer.ws_url("/cable" + (query.empty() ? std::string() : "?" + query));
}

}  // namespace

TEST_CASE("actioncable: ready at welcome, then subscribe, broadcasts, publish, unsubscribe", "[actioncable]") {
    Peer peer = Peer::node("actioncable.js");
    Client alice({{"url", cable_url(peer)}, {"provider", "actioncable"}, {"authToken", "alice"}});
    Client bob({{"url", cable_url(peer)}, {"provider", "actioncable"}, {"authToken", "bob"}});
    const uint64_t lobby = subscribe(alice, "ChatChannel", R"({"room":"lobby"})");  // sent once ready
    alice.connect();
    bob.connect();
    REQUIRE(alice.wait_open());
    // The socket opened, then the client waited in AUTHENTICATING for the welcome.
    const std::vector<int32_t> states = alice.recorder.states();
    const std::vector<int32_t> handshake = {TETHER_STATE_CONNECTING, TETHER_STATE_CONNECTED,
                                            TETHER_STATE_AUTHENTICATING, TETHER_STATE_AUTHENTICATED};
    CHECK(states == handshake);
    CHECK(alice.recorder.of_type(TETHER_EVENT_OPEN).at(0).text == "actioncable-v1-json");

    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    auto subscribed = alice.recorder.of_type(TETHER_EVENT_SUBSCRIBED).at(0);
    CHECK(subscribed.id == lobby);
    CHECK(subscribed.channel == "ChatChannel");

    REQUIRE(bob.wait_open());
    subscribe(bob, "ChatChannel", R"({"room":"lobby"})");
    REQUIRE(bob.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    publish(bob, "ChatChannel", R"({"action":"speak","message":"Hello!"})");
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE));
    auto message = alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0);
    CHECK(message.id == lobby);
    CHECK(message.channel == "ChatChannel");
    CHECK(message.data == R"({"room":"lobby","message":"Hello!"})");
    CHECK(message.text.empty());  // Action Cable messages have no event name
    REQUIRE(bob.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE));  // the speaker hears it too

    REQUIRE(tether_client_unsubscribe(alice.get(), lobby) == TETHER_OK);
    // Without a subscription there is no identifier to route a message by.
    CHECK(tether_client_publish(alice.get(), "ChatChannel", R"({"action":"speak"})", 0) == TETHER_E_INVALID_ARGUMENT);
    publish(bob, "ChatChannel", R"({"action":"speak","message":"after"})");
    REQUIRE(bob.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE, 2));
    CHECK_FALSE(alice.recorder.wait_until(
        [](const std::vector<Recorded> &evs) { return harness::Recorder::count_in(evs, TETHER_EVENT_CHANNEL_MESSAGE) > 1; },
        300));
    // Welcome, confirmations and pings were the protocol's: nothing reached the application raw.
    CHECK(alice.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
}

TEST_CASE("actioncable: a rejected subscription, and one channel class with two identifiers", "[actioncable]") {
    Peer peer = Peer::node("actioncable.js");
    Client client({{"url", cable_url(peer)}, {"provider", "actioncable"}, {"authToken", "carol"}});
    client.connect();
    REQUIRE(client.wait_open());
    const uint64_t secret = subscribe(client, "ChatChannel", R"({"room":"secret"})");
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBE_FAILED));
    auto failed = client.recorder.of_type(TETHER_EVENT_SUBSCRIBE_FAILED).at(0);
    CHECK(failed.id == secret);
    CHECK(failed.channel == "ChatChannel");
    CHECK(failed.status == TETHER_E_REMOTE);
    CHECK(contains(failed.text, "reject_subscription"));
    CHECK(tether_client_unsubscribe(client.get(), secret) == TETHER_E_INVALID_ARGUMENT);

    // A channel given as the identifier object: two rooms of ChatChannel at once.
    const char *lobby_channel = R"({"channel":"ChatChannel","room":"lobby"})";
    const char *garden_channel = R"({"channel":"ChatChannel","room":"garden"})";
    const uint64_t lobby = subscribe(client, lobby_channel);
    const uint64_t garden = subscribe(client, garden_channel);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    publish(client, garden_channel, R"({"action":"speak","message":"roses"})");
    publish(client, lobby_channel, R"({"action":"speak","message":"hello"})");
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE, 2));
    auto messages = client.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE);
    CHECK(messages[0].id == garden);
    CHECK(messages[0].channel == garden_channel);
    CHECK(messages[0].data == R"({"room":"garden","message":"roses"})");
    CHECK(messages[1].id == lobby);
    CHECK(messages[1].data == R"({"room":"lobby","message":"hello"})");
}

TEST_CASE("actioncable: what the protocol cannot do fails at the call", "[actioncable][errors]") {
    Peer peer = Peer::node("actioncable.js");
    Client client({{"url", cable_url(peer)}, {"provider", "actioncable"}, {"authToken", "dave"}});
    CHECK(tether_client_request(client.get(), "anything", nullptr, 1000, 1) == TETHER_E_NOT_SUPPORTED);
    CHECK(contains(tether_last_error_message(), "actioncable"));
    CHECK(tether_client_publish(client.get(), "ChatChannel", R"({"action":"speak"})", 0) == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(tether_last_error_message(), "subscription"));
    uint64_t id = 0;
    CHECK(tether_client_subscribe(&id, client.get(), "ChatChannel", "[1]") == TETHER_E_INVALID_ARGUMENT);
    subscribe(client, "ChatChannel", R"({"room":"lobby"})");
    CHECK(tether_client_publish(client.get(), "ChatChannel", R"("not an object")", 0) == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(tether_last_error_message(), "JSON object"));
}

TEST_CASE("actioncable: the server's pings keep the connection and stay out of sight", "[actioncable][keepalive]") {
    Peer peer = Peer::node("actioncable.js");
    Client client({{"url", cable_url(peer, "ping_ms=50")}, {"provider", "actioncable"}, {"authToken", "erin"}});
    client.connect();
    REQUIRE(client.wait_open());
    // Twenty beats later the connection is the same one, and no ping reached the application.
    CHECK_FALSE(client.recorder.wait_until(
        [](const std::vector<Recorded> &evs) {
            return harness::Recorder::count_in(evs, TETHER_EVENT_CLOSE) + harness::Recorder::count_in(evs, TETHER_EVENT_MESSAGE) > 0;
        },
        1000));
    CHECK(client.state() == TETHER_STATE_AUTHENTICATED);
}

TEST_CASE("actioncable: a refused token is an auth error with no reconnect", "[actioncable][auth]") {
    Peer peer = Peer::node("actioncable.js");
    Client client({{"url", cable_url(peer)}, {"provider", "actioncable"}, {"authToken", "bad"}});
    client.connect();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR));
    auto error = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
    CHECK(error.status == TETHER_E_AUTH);
    CHECK(contains(error.text, "unauthorized"));
    REQUIRE(wait_final_state(client, TETHER_STATE_ERROR));
    CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).empty());
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    CHECK(!contains(harness::all_visible_text(client.recorder), "token=bad"));
}

TEST_CASE("actioncable: after a dropped connection the channel is subscribed again", "[actioncable][reconnect]") {
    Peer peer = Peer::node("actioncable.js");
    Client alice({{"url", cable_url(peer)}, {"provider", "actioncable"}, {"authToken", "alice"}});
    Client bob({{"url", cable_url(peer)}, {"provider", "actioncable"}, {"authToken", "bob"}});
    const uint64_t lobby = subscribe(alice, "ChatChannel", R"({"room":"lobby"})");
    alice.connect();
    bob.connect();
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    REQUIRE(bob.wait_open());
    subscribe(bob, "ChatChannel", R"({"room":"lobby"})");
    REQUIRE(bob.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));

    publish(alice, "ChatChannel", R"({"action":"drop"})");  // the server cuts the socket
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    for (auto &e : alice.recorder.of_type(TETHER_EVENT_SUBSCRIBED)) CHECK(e.id == lobby);
    CHECK(alice.recorder.of_type(TETHER_EVENT_CLOSE).at(0).code == 1006);

    publish(bob, "ChatChannel", R"({"action":"speak","message":"welcome back"})");
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE));
    CHECK(alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0).data ==
          R"({"room":"lobby","message":"welcome back"})");
}

TEST_CASE("actioncable: disconnect says whether to come back", "[actioncable][close]") {
    Peer peer = Peer::node("actioncable.js");
    SECTION("server_restart, reconnect true: tether comes back and re-subscribes") {
        Client client({{"url", cable_url(peer)}, {"provider", "actioncable"}, {"authToken", "frank"}});
        subscribe(client, "ChatChannel", R"({"room":"lobby"})");
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
        publish(client, "ChatChannel", R"({"action":"restart"})");
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
        CHECK(contains(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).text, "server_restart"));
        CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).empty());
    }
    SECTION("remote, reconnect false: the session ends without an error") {
        Client client({{"url", cable_url(peer)}, {"provider", "actioncable"}, {"authToken", "grace"}});
        subscribe(client, "ChatChannel", R"({"room":"lobby"})");
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
        publish(client, "ChatChannel", R"({"action":"kick"})");
        REQUIRE(wait_final_state(client, TETHER_STATE_DISCONNECTED));
        CHECK(contains(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).text, "remote"));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
        CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).empty());
    }
}
