// The connection manager over an Amazon API Gateway WebSocket API (provider "aws-apigateway"),
// through the C ABI, against tests/peers/aws-apigateway.js: the stage /production with a
// $connect authorizer on the Authorization query parameter, routes subscribe / unsubscribe /
// sendmessage / ping / echo / fail / never / crash and no $default route, the idle timeout and
// the maximum connection duration (settable in ms by query parameters), the 128 KB limit.
#include <algorithm>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using harness::contains;
using harness::publish;
using harness::Recorded;
using harness::response;
using harness::subscribe;
using harness::wait_final_state;
using tether_test::Peer;

TEST_CASE("aws-apigateway: the $connect authorizer admits good tokens and refuses bad ones", "[aws-apigateway][auth]") {
    Peer peer = Peer::node("aws-apigateway.js");
    SECTION("a good token: open at the upgrade") {
        Client client({{"url", peer.ws_url("/production")}, {"provider", "aws-apigateway"}, {"authToken", "good"}});
        client.connect();
        REQUIRE(client.wait_open());
        const std::vector<int32_t> states = client.recorder.states();
        CHECK(std::find(states.begin(), states.end(), TETHER_STATE_AUTHENTICATING) == states.end());
    }
    SECTION("the authorizer says Unauthorized (401) or denies (403): no reconnect") {
        const char *token = GENERATE("bad", "denied");
        Client client({{"url", peer.ws_url("/production")}, {"provider", "aws-apigateway"}, {"authToken", token}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR));
        auto error = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(error.status == TETHER_E_AUTH);
        CHECK(contains(error.text, std::string(token) == "bad" ? "401" : "403"));
        REQUIRE(wait_final_state(client, TETHER_STATE_ERROR));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
        CHECK(!contains(harness::all_visible_text(client.recorder), "Authorization=" + std::string(token)));
    }
}

TEST_CASE("aws-apigateway: subscribe, messages another client publishes, unsubscribe", "[aws-apigateway]") {
    Peer peer = Peer::node("aws-apigateway.js");
    Client alice({{"url", peer.ws_url("/production")}, {"provider", "aws-apigateway"}, {"authToken", "alice"}});
    Client bob({{"url", peer.ws_url("/production")}, {"provider", "aws-apigateway"}, {"authToken", "bob"}});
    const uint64_t news = subscribe(alice, "news");
    alice.connect();
    bob.connect();
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    auto subscribed = alice.recorder.of_type(TETHER_EVENT_SUBSCRIBED).at(0);
    CHECK(subscribed.id == news);
    CHECK(subscribed.channel == "news");

    REQUIRE(bob.wait_open());
    publish(bob, "sendmessage", R"({"channel":"news","data":{"headline":"tether ships"},"event":"breaking"})");
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE));
    auto message = alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0);
    CHECK(message.id == news);
    CHECK(message.channel == "news");
    CHECK(message.text == "breaking");
    CHECK(message.data == R"({"headline":"tether ships"})");

    // A refused subscription.
    const uint64_t secret = subscribe(alice, "private-board");
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBE_FAILED));
    auto failed = alice.recorder.of_type(TETHER_EVENT_SUBSCRIBE_FAILED).at(0);
    CHECK(failed.id == secret);
    CHECK(failed.status == TETHER_E_REMOTE);
    CHECK(contains(failed.text, "not allowed"));

    REQUIRE(tether_client_unsubscribe(alice.get(), news) == TETHER_OK);
    // Alice's own request follows her unsubscribe on the wire: nobody is left on the channel.
    REQUIRE(tether_client_request(alice.get(), "sendmessage", R"({"channel":"news","data":"anyone?"})", 5000, 1) ==
            TETHER_OK);
    auto delivered = response(alice, 1);
    CHECK(delivered.status == TETHER_OK);
    CHECK(delivered.data == R"({"delivered":0})");
    CHECK(alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).size() == 1);
    CHECK(alice.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
}

TEST_CASE("aws-apigateway: requests by requestId: results, errors, timeouts", "[aws-apigateway]") {
    Peer peer = Peer::node("aws-apigateway.js");
    Client client({{"url", peer.ws_url("/production")}, {"provider", "aws-apigateway"}, {"authToken", "carol"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(tether_client_request(client.get(), "echo", R"({"text":"hi","n":2})", 5000, 1) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "fail", nullptr, 5000, 2) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "never", nullptr, 200, 3) == TETHER_OK);
    CHECK(response(client, 1).data == R"({"text":"hi","n":2})");
    auto fail = response(client, 2);
    CHECK(fail.status == TETHER_E_REMOTE);
    CHECK(contains(fail.text, "failed on purpose"));
    CHECK(fail.data == R"({"message":"failed on purpose","code":400})");
    CHECK(response(client, 3).status == TETHER_E_TIMEOUT);

    // An action without a route: API Gateway answers with its own frame, which names no
    // request of ours. It reaches the application as a plain message; the request times out.
    REQUIRE(tether_client_request(client.get(), "nope", nullptr, 300, 4) == TETHER_OK);
    CHECK(response(client, 4).status == TETHER_E_TIMEOUT);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
    CHECK(contains(client.recorder.messages().at(0), R"({"message": "Forbidden", "connectionId":")"));
    publish(client, "crash", "{}");  // a failing integration
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE, 2));
    CHECK(contains(client.recorder.messages().at(1), R"("message": "Internal server error")"));
}

TEST_CASE("aws-apigateway: the heartbeat keeps an idle connection open where WebSocket pings do not",
          "[aws-apigateway][keepalive]") {
    Peer peer = Peer::node("aws-apigateway.js");
    const std::string url = peer.ws_url("/production?idle_ms=400");
    // Without the protocol, pings every 100 ms: API Gateway does not count them as activity.
    Client raw({{"url", url}, {"authMethod", "query-param"}, {"tokenParamName", "Authorization"},
                {"authToken", "dave"}, {"pingInterval", "100"}, {"autoReconnect", "false"}});
    // With it, and the same keep-alive interval: {"action":"ping"} every 100 ms.
    Client client({{"url", url}, {"provider", "aws-apigateway"}, {"authToken", "erin"}, {"pingInterval", "100"}});
    raw.connect();
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(raw.recorder.wait_for_type(TETHER_EVENT_CLOSE));
    auto closed = raw.recorder.of_type(TETHER_EVENT_CLOSE).at(0);
    CHECK(closed.code == 1001);
    CHECK(closed.text == "Going away");
    // Three idle timeouts later the protocol client is on its first connection still.
    CHECK_FALSE(client.recorder.wait_until(
        [](const std::vector<Recorded> &evs) { return harness::Recorder::count_in(evs, TETHER_EVENT_CLOSE) > 0; }, 1200));
    REQUIRE(tether_client_request(client.get(), "echo", R"({"still":"here"})", 5000, 1) == TETHER_OK);
    CHECK(response(client, 1).data == R"({"still":"here"})");
    CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());  // the ping route answers nothing
}

TEST_CASE("aws-apigateway: the 2-hour limit closes with 1001, then tether reconnects and re-subscribes",
          "[aws-apigateway][reconnect]") {
    Peer peer = Peer::node("aws-apigateway.js");
    Client alice({{"url", peer.ws_url("/production?max_ms=1000")}, {"provider", "aws-apigateway"}, {"authToken", "alice"}});
    Client bob({{"url", peer.ws_url("/production")}, {"provider", "aws-apigateway"}, {"authToken", "bob"}});
    const uint64_t news = subscribe(alice, "news");
    alice.connect();
    bob.connect();
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    auto closed = alice.recorder.of_type(TETHER_EVENT_CLOSE).at(0);
    CHECK(closed.code == 1001);
    CHECK(closed.text == "Going away");
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    for (auto &e : alice.recorder.of_type(TETHER_EVENT_SUBSCRIBED)) CHECK(e.id == news);
    REQUIRE(bob.wait_open());
    publish(bob, "sendmessage", R"({"channel":"news","data":"after the reconnect"})");
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE));
    CHECK(alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0).data == R"("after the reconnect")");
}

TEST_CASE("aws-apigateway: a message over 128 KB is closed with 1009 and not retried", "[aws-apigateway][close]") {
    Peer peer = Peer::node("aws-apigateway.js");
    Client client({{"url", peer.ws_url("/production")}, {"provider", "aws-apigateway"}, {"authToken", "frank"}});
    client.connect();
    REQUIRE(client.wait_open());
    publish(client, "sendmessage", R"({"channel":"news","data":")" + std::string(130 * 1024, 'x') + R"("})");
    REQUIRE(wait_final_state(client, TETHER_STATE_ERROR));
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).code == 1009);
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
}
