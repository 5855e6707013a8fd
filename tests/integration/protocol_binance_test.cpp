// The connection manager over Binance market streams (provider "binance"), through the C ABI,
// against tests/peers/binance.js on its combined-stream endpoint /stream: ticking
// btcusdt/ethusdt streams, the live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS /
// SET_PROPERTY / GET_PROPERTY methods with Binance's errors, server pings with a pong deadline,
// and hooks that cut, close or shut down a connection.
#include <algorithm>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using harness::contains;
using harness::Recorded;
using harness::response;
using harness::subscribe;
using tether_test::Peer;

namespace {

// The number of CHANNEL_MESSAGE events of `channel` in `evs` after the n-th event of `type`.
size_t messages_after(const std::vector<Recorded> &evs, int32_t type, size_t n, const std::string &channel) {
    size_t seen = 0, count = 0;
    for (auto &e : evs) {
        if (e.type == type) ++seen;
        if (seen >= n && e.type == TETHER_EVENT_CHANNEL_MESSAGE && e.channel == channel) ++count;
    }
    return count;
}

size_t messages_after(Client &c, int32_t type, size_t n, const std::string &channel) {
    return messages_after(c.recorder.snapshot(), type, n, channel);
}

bool wait_messages_after(Client &c, int32_t type, size_t n, const std::string &channel, size_t count) {
    return c.recorder.wait_until(
        [&](const std::vector<Recorded> &evs) { return messages_after(evs, type, n, channel) >= count; }, 5000);
}

}  // namespace

TEST_CASE("binance: subscribe, trades with their event name, unsubscribe", "[binance]") {
    Peer peer = Peer::node("binance.js");
    Client client({{"url", peer.ws_url("/stream")}, {"provider", "binance"}});
    const uint64_t trades = subscribe(client, "btcusdt@trade");
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    CHECK(client.recorder.of_type(TETHER_EVENT_SUBSCRIBED).at(0).id == trades);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE, 3));
    auto trade = client.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0);
    CHECK(trade.id == trades);
    CHECK(trade.channel == "btcusdt@trade");
    CHECK(trade.text == "trade");  // data.e
    CHECK(contains(trade.data, R"("e":"trade")"));
    CHECK(contains(trade.data, R"("s":"BTCUSDT")"));
    CHECK(!contains(trade.data, R"("stream")"));  // the payload is the stream's data, unwrapped

    const uint64_t book = subscribe(client, "ethusdt@bookTicker");
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    REQUIRE(wait_messages_after(client, TETHER_EVENT_SUBSCRIBED, 2, "ethusdt@bookTicker", 1));
    for (auto &e : client.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE)) {
        if (e.channel != "ethusdt@bookTicker") continue;
        CHECK(e.id == book);
        CHECK(e.text.empty());  // bookTicker payloads have no event type
    }

    REQUIRE(tether_client_unsubscribe(client.get(), trades) == TETHER_OK);
    // The UNSUBSCRIBE went out before this request: the server lists only the book ticker.
    REQUIRE(tether_client_request(client.get(), "LIST_SUBSCRIPTIONS", nullptr, 5000, 1) == TETHER_OK);
    auto list = response(client, 1);
    CHECK(list.status == TETHER_OK);
    CHECK(list.data == R"(["ethusdt@bookTicker"])");
    const size_t before = messages_after(client, TETHER_EVENT_RESPONSE, 1, "btcusdt@trade");
    REQUIRE(wait_messages_after(client, TETHER_EVENT_RESPONSE, 1, "ethusdt@bookTicker", 5));
    CHECK(messages_after(client, TETHER_EVENT_RESPONSE, 1, "btcusdt@trade") == before);
    CHECK(before == 0);
    CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
}

TEST_CASE("binance: an invalid stream name is refused with Binance's error", "[binance]") {
    Peer peer = Peer::node("binance.js");
    Client client({{"url", peer.ws_url("/stream")}, {"provider", "binance"}});
    client.connect();
    REQUIRE(client.wait_open());
    const uint64_t upper = subscribe(client, "BTCUSDT@trade");  // stream names are lowercase
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBE_FAILED));
    auto failed = client.recorder.of_type(TETHER_EVENT_SUBSCRIBE_FAILED).at(0);
    CHECK(failed.id == upper);
    CHECK(failed.status == TETHER_E_REMOTE);
    CHECK(contains(failed.text, "Invalid request: invalid stream (code 2)"));
    CHECK(failed.data == R"({"code":2,"msg":"Invalid request: invalid stream"})");
    CHECK(tether_client_unsubscribe(client.get(), upper) == TETHER_E_INVALID_ARGUMENT);
}

TEST_CASE("binance: requests: results, Binance's errors, timeouts", "[binance]") {
    Peer peer = Peer::node("binance.js");
    Client client({{"url", peer.ws_url("/stream")}, {"provider", "binance"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(tether_client_request(client.get(), "GET_PROPERTY", R"(["combined"])", 5000, 1) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "SET_PROPERTY", R"(["combined","yes"])", 5000, 2) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "SET_PROPERTY", R"(["colour",true])", 5000, 3) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "LIST_STREAMS", nullptr, 5000, 4) == TETHER_OK);
    REQUIRE(tether_client_request(client.get(), "LIST_SUBSCRIPTIONS", nullptr, 5000, 5) == TETHER_OK);

    auto combined = response(client, 1);
    CHECK(combined.status == TETHER_OK);
    CHECK(combined.data == "true");  // /stream is the combined endpoint
    auto boolean = response(client, 2);
    CHECK(boolean.status == TETHER_E_REMOTE);
    CHECK(contains(boolean.text, "Invalid value type: expected Boolean (code 1)"));
    auto property = response(client, 3);
    CHECK(property.status == TETHER_E_REMOTE);
    CHECK(contains(property.text, "Unknown property (code 0)"));
    auto method = response(client, 4);
    CHECK(method.status == TETHER_E_REMOTE);
    CHECK(contains(method.text, "Invalid request: unknown variant `LIST_STREAMS`"));
    CHECK(contains(method.data, R"("code":2)"));
    auto none = response(client, 5);
    CHECK(none.status == TETHER_OK);
    CHECK(none.data == "[]");

    // A slow server: the short request times out, the patient one gets its answer, each once.
    Client slow({{"url", peer.ws_url("/stream?answer_delay_ms=400")}, {"provider", "binance"}});
    slow.connect();
    REQUIRE(slow.wait_open());
    REQUIRE(tether_client_request(slow.get(), "LIST_SUBSCRIPTIONS", nullptr, 100, 6) == TETHER_OK);
    REQUIRE(tether_client_request(slow.get(), "LIST_SUBSCRIPTIONS", nullptr, 5000, 7) == TETHER_OK);
    CHECK(response(slow, 6).status == TETHER_E_TIMEOUT);
    CHECK(response(slow, 7).status == TETHER_OK);
    CHECK(slow.recorder.of_type(TETHER_EVENT_RESPONSE).size() == 2);
    CHECK(slow.recorder.of_type(TETHER_EVENT_MESSAGE).empty());  // 6's late answer was dropped
}

TEST_CASE("binance: the streams are read-only", "[binance][errors]") {
    Peer peer = Peer::node("binance.js");
    Client client({{"url", peer.ws_url("/stream")}, {"provider", "binance"}});
    CHECK(tether_client_publish(client.get(), "btcusdt@trade", "{}", 0) == TETHER_E_NOT_SUPPORTED);
    CHECK(contains(tether_last_error_message(), "binance"));
}

TEST_CASE("binance: pongs answer the server's pings past its deadline", "[binance][keepalive]") {
    Peer peer = Peer::node("binance.js");
    // A ping every 50 ms; a connection that leaves one unanswered for 300 ms is terminated.
    Client client({{"url", peer.ws_url("/stream?ping_ms=50&pong_timeout_ms=300")}, {"provider", "binance"}});
    subscribe(client, "btcusdt@aggTrade");
    client.connect();
    REQUIRE(client.wait_open());
    // 30 ticks of 50 ms: five times the pong deadline on the same connection.
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CHANNEL_MESSAGE, 30));
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).empty());
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    CHECK(client.recorder.of_type(TETHER_EVENT_CHANNEL_MESSAGE).at(0).text == "aggTrade");
}

TEST_CASE("binance: after a cut or a closed connection the streams are subscribed again", "[binance][reconnect]") {
    Peer peer = Peer::node("binance.js");
    // drop_after_ms cuts the socket (1006); lifetime_ms closes it as the 24-hour mark does.
    const char *hook = GENERATE("drop_after_ms=600", "lifetime_ms=600");
    INFO(hook);
    Client client({{"url", peer.ws_url(std::string("/stream?") + hook)}, {"provider", "binance"}});
    const uint64_t trades = subscribe(client, "btcusdt@trade");
    client.connect();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    for (auto &e : client.recorder.of_type(TETHER_EVENT_SUBSCRIBED)) CHECK(e.id == trades);
    REQUIRE(wait_messages_after(client, TETHER_EVENT_SUBSCRIBED, 2, "btcusdt@trade", 1));
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).code == (contains(hook, "drop") ? 1006 : 1000));
}

TEST_CASE("binance: serverShutdown makes tether reconnect at once", "[binance][reconnect]") {
    Peer peer = Peer::node("binance.js");
    Client client({{"url", peer.ws_url("/stream?shutdown_after_ms=300")}, {"provider", "binance"}});
    subscribe(client, "ethusdt@trade");
    client.connect();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED));
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    // tether left before the server's own close, 2 s later.
    auto close = client.recorder.of_type(TETHER_EVENT_CLOSE).at(0);
    CHECK(contains(close.text, "serverShutdown"));
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SUBSCRIBED, 2));
    REQUIRE(wait_messages_after(client, TETHER_EVENT_SUBSCRIBED, 2, "ethusdt@trade", 1));
    CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).empty());
}
