// The connection manager (channels, request/response) over the json protocol, through the C ABI,
// against tether-test-server's /json path (see tests/server/README.md).
#include <thread>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using harness::contains;
using harness::response;
using harness::subscribe;
using harness::with_id;
using tether_test::TestServer;

TEST_CASE("channels: subscribe, receive what others publish, unsubscribe", "[manager][json]") {
    TestServer server;
    Client alice({{"url", server.ws_url("/json")}, {"protocol", "json"}});
    Client bob({{"url", server.ws_url("/json")}, {"protocol", "json"}});
    const uint64_t chat = subscribe(alice, "chat");        // made offline: sent once ready
    alice.connect();
    bob.connect();
    REQUIRE(alice.wait_open());
    REQUIRE(bob.wait_open());
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    auto subscribed = alice.recorder.of_type(TETHER_EVENT_SUBSCRIBED).at(0);
    CHECK(subscribed.id == chat);
    CHECK(subscribed.channel == "chat");
    const uint64_t chat_too = subscribe(alice, "chat");    // a second handler on the same channel
    // Confirmed at once: the channel is live on the wire already.
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    CHECK(alice.recorder.of_type(TETHER_EVENT_SUBSCRIBED).at(1).id == chat_too);

    REQUIRE(tether_client_publish(bob.get(), "chat", R"({"text":"Hello!"})", 0) == TETHER_OK);
    REQUIRE(alice.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE, 2));
    auto messages = alice.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE);
    CHECK(messages[0].id == chat);
    CHECK(messages[1].id == chat_too);
    for (auto &m : messages) {
        CHECK(m.channel == "chat");
        CHECK(m.data == R"({"text":"Hello!"})");
    }
    CHECK(contains(alice.stats(), "\"activeSubscriptions\":2"));
    CHECK(alice.recorder.of_type(TETHER_EVENT_MESSAGE).empty());  // the manager's, not plain

    REQUIRE(tether_client_unsubscribe(alice.get(), chat) == TETHER_OK);
    REQUIRE(tether_client_unsubscribe(alice.get(), chat_too) == TETHER_OK);
    CHECK(tether_client_unsubscribe(alice.get(), chat) == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(alice.stats(), "\"activeSubscriptions\":0"));
    // The server was told: it now counts no subscriber on the channel. (Asked by alice, whose
    // unsubscribe frame goes out before her later request on the same connection.)
    REQUIRE(tether_client_request(alice.get(), "subscribers", R"({"channel":"chat"})", 5000, 1) == TETHER_OK);
    CHECK(response(alice, 1).data == R"({"count":0})");
}

TEST_CASE("channels: a refused subscription is reported and removed", "[manager][json]") {
    TestServer server;
    Client client({{"url", server.ws_url("/json")}, {"protocol", "json"}});
    client.connect();
    REQUIRE(client.wait_open());
    const uint64_t id = subscribe(client, "forbidden-room", R"({"since":0})");
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBE_FAILED));
    auto failed = client.recorder.of_type(TETHER_EVENT_SUBSCRIBE_FAILED).at(0);
    CHECK(failed.id == id);
    CHECK(failed.status == TETHER_E_REMOTE);
    CHECK(contains(failed.text, "forbidden-room"));
    CHECK(contains(failed.data, "\"message\""));  // the server's error JSON
    CHECK(tether_client_unsubscribe(client.get(), id) == TETHER_E_INVALID_ARGUMENT);
}

TEST_CASE("requests: results, server errors, timeouts, each delivered once to its id", "[manager][json]") {
    TestServer server;
    Client client({{"url", server.ws_url("/json")}, {"protocol", "json"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(tether_client_request(client.get(), "add", R"({"a":2,"b":40})", 5000, 10) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "slow", R"({"delay_ms":300,"n":11})", 5000, 11) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "echo", R"({"n":12})", 5000, 12) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "fail", nullptr, 5000, 13) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "nope", nullptr, 5000, 14) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "never", nullptr, 200, 15) == TETHER_OK);
    CHECK(tether_client_request(client.get(), "echo", nullptr, 0, 11) == TETHER_E_INVALID_ARGUMENT);  // pending id
    CHECK(contains(tether_last_error_message(), "already pending"));

    auto sum = response(client, 10);
    CHECK(sum.status == TETHER_OK);
    CHECK(sum.data == R"({"sum":42})");
    CHECK(response(client, 12).data == R"({"n":12})");
    CHECK(response(client, 11).data == R"({"delay_ms":300,"n":11})");
    auto fail = response(client, 13);
    CHECK(fail.status == TETHER_E_REMOTE);
    CHECK(contains(fail.text, "request failed on purpose"));
    CHECK(contains(fail.data, "400"));
    CHECK(response(client, 14).status == TETHER_E_REMOTE);
    auto timeout = response(client, 15);
    CHECK(timeout.status == TETHER_E_TIMEOUT);
    // The slow answer overtook nobody: 12 was answered before 11.
    std::vector<uint64_t> order;
    for (auto &e : client.recorder.of_type(TETHER_EVENT_RESPONSE)) order.push_back(e.id);
    CHECK(std::find(order.begin(), order.end(), 12) < std::find(order.begin(), order.end(), 11));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(client.recorder.of_type(TETHER_EVENT_RESPONSE).size() == 6);  // none twice
    CHECK(contains(client.stats(), "\"pendingRequests\":0"));
}

TEST_CASE("after a reconnect: re-subscribed, lost requests failed, queued ones sent", "[manager][json][reconnect]") {
    TestServer server;
    // The server drops the first connection after it has received two messages.
    Client client({{"url", server.ws_url("/json?key=resub&drop_after_messages=2")}, {"protocol", "json"},
                   {"reconnectDelay", "300"}});
    const uint64_t room = subscribe(client, "room");                         // message 1
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    REQUIRE(tether_client_request(client.get(), "never", nullptr, 0, 1) == TETHER_OK);  // message 2: dropped
    auto lost = response(client, 1);
    CHECK(lost.status == TETHER_E_CLOSED);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    // Made while reconnecting: queued, sent after the re-subscription.
    REQUIRE(tether_client_request(client.get(), "subscribers", R"({"channel":"room"})", 5000, 2) == TETHER_OK);
    auto count = response(client, 2);
    CHECK(count.status == TETHER_OK);
    CHECK(count.data == R"({"count":1})");
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    for (auto &e : client.recorder.of_type(TETHER_EVENT_SUBSCRIBED)) CHECK(e.id == room);
    // And the channel works on the new connection.
    REQUIRE(tether_client_publish(client.get(), "room", R"({"after":"reconnect"})", 77) == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE));
    CHECK(client.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0).data == R"({"after":"reconnect"})");
    CHECK(!with_id(client, TETHER_EVENT_SENT, 77).empty());
}

TEST_CASE("requests pending when the client closes fail with TETHER_E_CLOSED", "[manager][json][close]") {
    TestServer server;
    Client client({{"url", server.ws_url("/json")}, {"protocol", "json"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(tether_client_request(client.get(), "never", nullptr, 0, 5) == TETHER_OK);
    REQUIRE(tether_client_close(client.get(), 1000, nullptr) == TETHER_OK);
    CHECK(response(client, 5).status == TETHER_E_CLOSED);
}

TEST_CASE("plain messages still arrive as MESSAGE next to the manager's", "[manager][json]") {
    TestServer server;
    Client client({{"url", server.ws_url("/json")}, {"protocol", "json"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(client.send(R"({"type":"ping"})") == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
    CHECK(contains(client.recorder.messages().at(0), "pong"));
}

TEST_CASE("the manager's calls check their arguments and the protocol", "[manager][errors]") {
    TestServer server;
    Client raw({{"url", server.ws_url("/echo")}});
    uint64_t id = 0;
    CHECK(tether_client_subscribe(&id, raw.get(), "chat", nullptr) == TETHER_E_NOT_SUPPORTED);
    CHECK(contains(tether_last_error_message(), "protocol raw"));
    CHECK(tether_client_request(raw.get(), "m", nullptr, 0, 1) == TETHER_E_NOT_SUPPORTED);
    CHECK(tether_client_publish(raw.get(), "chat", "{}", 0) == TETHER_E_NOT_SUPPORTED);

    Client client({{"url", server.ws_url("/json")}, {"protocol", "json"}});
    CHECK(tether_client_subscribe(&id, client.get(), "chat", "{oops") == TETHER_E_INVALID_JSON);
    CHECK(tether_client_subscribe(&id, client.get(), "\xff", nullptr) == TETHER_E_INVALID_UTF8);
    CHECK(tether_client_subscribe(nullptr, client.get(), "chat", nullptr) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_publish(client.get(), "chat", nullptr, 0) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_request(client.get(), "m", "[", 0, 1) == TETHER_E_INVALID_JSON);
    CHECK(tether_client_request(client.get(), "m", nullptr, -5, 1) == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(client.stats(), "\"protocol\":\"json\""));
}
