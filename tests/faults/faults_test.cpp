// One test per fault: a tether client talks to tether-test-server's /echo through FaultProxy;
// the proxy breaks the path, and the client must notice within its configured bound, report the
// right CLOSE / ERROR, follow the reconnect table and resume.
#include <chrono>
#include <string>
#include <thread>

#include "fault_proxy.hpp"
#include "harness.hpp"
#include "test_server.hpp"

using namespace harness;
using faults::Direction;
using faults::Fault;
using faults::FaultProxy;
using Clock = std::chrono::steady_clock;

namespace {

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Sends `text` and waits for its echo.
bool echoes(Client &client, const std::string &text, int timeout_ms = 5000) {
    REQUIRE(client.send(text) == TETHER_OK);
    return wait_events_where(
        client, [&](const Recorded &e) { return e.type == TETHER_EVENT_MESSAGE && e.data == text; }, 1, timeout_ms);
}

// For conditions that no event announces (stats): checks every 10 ms.
template <class Pred>
bool poll_until(Pred pred, int timeout_ms) {
    const auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

int64_t latency_ms(Client &client) {
    const auto s = client.stats();
    const auto at = s.find("\"latencyMs\":");
    return at == std::string::npos ? -1 : std::stoll(s.substr(at + 12));
}

Fault blackhole() {
    Fault f;
    f.blackhole = true;
    return f;
}

// After a lost connection: one CLOSE 1006 (not clean) carrying `status`, an ERROR with the same
// status before it, then RECONNECT attempt 1 within the first backoff step, and a second OPEN.
void expect_lost_then_resumed(Client &client, tether_status status, int reconnect_delay_ms) {
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_OPEN, 2, 5000));
    auto closes = client.recorder.of_type(TETHER_EVENT_CLOSE);
    REQUIRE(closes.size() == 1);
    CHECK(closes[0].code == 1006);
    CHECK(closes[0].was_clean == 0);
    CHECK(closes[0].status == status);
    auto errors = client.recorder.of_type(TETHER_EVENT_ERROR);
    REQUIRE(errors.size() == 1);
    INFO(errors[0].text);
    CHECK(errors[0].status == status);
    auto reconnects = client.recorder.of_type(TETHER_EVENT_RECONNECT);
    REQUIRE(reconnects.size() == 1);
    CHECK(reconnects[0].attempt == 1);
    CHECK(reconnects[0].delay_ms >= 0);
    CHECK(reconnects[0].delay_ms <= reconnect_delay_ms);
    // The state machine went authenticated -> reconnecting -> connecting -> ... -> authenticated.
    const auto states = client.recorder.states();
    REQUIRE(states.size() >= 4);
    CHECK(states.back() == TETHER_STATE_AUTHENTICATED);
    bool saw_reconnecting = false;
    for (auto s : states) saw_reconnecting = saw_reconnecting || s == TETHER_STATE_RECONNECTING;
    CHECK(saw_reconnecting);
}

}  // namespace

TEST_CASE("drop: both sides closed, noticed at once, reconnect and resume", "[faults][drop]") {
    tether_test::TestServer server;
    FaultProxy proxy(server.ws_port);
    Client client({{"url", proxy.ws_url("/echo")}, {"messageFormat", "text"}, {"reconnectDelay", "50"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(echoes(client, "before"));

    const auto start = Clock::now();
    proxy.drop_all();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 2000));
    CHECK(ms_since(start) < 1000);
    expect_lost_then_resumed(client, TETHER_E_IO, 50);
    CHECK(echoes(client, "after"));
    CHECK(proxy.accepted() == 2);
}

TEST_CASE("reset: RST on both sides, noticed at once, reconnect and resume", "[faults][reset]") {
    tether_test::TestServer server;
    FaultProxy proxy(server.ws_port);
    Client client({{"url", proxy.ws_url("/echo")}, {"messageFormat", "text"}, {"reconnectDelay", "50"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(echoes(client, "before"));

    const auto start = Clock::now();
    proxy.reset_all();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 2000));
    CHECK(ms_since(start) < 1000);
    expect_lost_then_resumed(client, TETHER_E_IO, 50);
    auto errors = client.recorder.of_type(TETHER_EVENT_ERROR);
    CHECK((contains(errors.at(0).text, "reset") || contains(errors.at(0).text, "End of file")));
    CHECK(echoes(client, "after"));
}

TEST_CASE("blackhole: nothing forwarded and nothing closed, the pong timeout notices", "[faults][blackhole]") {
    tether_test::TestServer server;
    FaultProxy proxy(server.ws_port);
    Client client({{"url", proxy.ws_url("/echo")},
                   {"messageFormat", "text"},
                   {"pingInterval", "200"},
                   {"pongTimeout", "300"},
                   {"reconnectDelay", "50"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(echoes(client, "before"));

    const auto start = Clock::now();
    proxy.set_live(Direction::client_to_server, blackhole());
    proxy.set_live(Direction::server_to_client, blackhole());
    REQUIRE(client.send("into the void", 77) == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 3000));
    const auto elapsed = ms_since(start);
    // A ping goes out within pingInterval, and its pong is missed pongTimeout later.
    CHECK(elapsed >= 300);
    CHECK(elapsed < 200 + 300 + 700);
    expect_lost_then_resumed(client, TETHER_E_PONG_TIMEOUT, 50);
    // Written to the socket (SENT), then lost with the connection: no echo ever comes.
    CHECK(with_id(client, TETHER_EVENT_SENT, 77).size() == 1);
    CHECK(with_id(client, TETHER_EVENT_SEND_FAILED, 77).empty());
    CHECK(echoes(client, "after"));
    for (auto &m : client.recorder.messages()) CHECK(m != "into the void");
}

TEST_CASE("a server that stops answering pings: pong timeout, reconnect, resume", "[faults][pings]") {
    tether_test::TestServer server;
    FaultProxy proxy(server.ws_port);
    Client client({{"url", proxy.ws_url("/echo")},
                   {"messageFormat", "text"},
                   {"pingInterval", "200"},
                   {"pongTimeout", "300"},
                   {"reconnectDelay", "50"}});
    client.connect();
    REQUIRE(client.wait_open());
    // Keep-alive works through the proxy: a few pongs come back before the fault.
    REQUIRE(poll_until([&] { return latency_ms(client) >= 0; }, 3000));

    // The server still reads (and answers), but nothing it sends reaches the client.
    const auto start = Clock::now();
    proxy.set_live(Direction::server_to_client, blackhole());
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 3000));
    const auto elapsed = ms_since(start);
    CHECK(elapsed >= 300);
    CHECK(elapsed < 200 + 300 + 700);
    expect_lost_then_resumed(client, TETHER_E_PONG_TIMEOUT, 50);
    CHECK(contains(client.recorder.of_type(TETHER_EVENT_ERROR).at(0).text, "no pong within 300 ms"));
    CHECK(echoes(client, "after"));
}

TEST_CASE("delay: below pongTimeout it is only latency, above it a dead peer", "[faults][delay]") {
    tether_test::TestServer server;
    FaultProxy proxy(server.ws_port);
    Fault slow;
    slow.delay_ms = 100;
    proxy.set_new(Direction::client_to_server, slow);
    proxy.set_new(Direction::server_to_client, slow);
    Client client({{"url", proxy.ws_url("/echo")},
                   {"messageFormat", "text"},
                   {"pingInterval", "200"},
                   {"pongTimeout", "600"},
                   {"reconnectDelay", "50"}});
    client.connect();
    REQUIRE(client.wait_open());
    auto start = Clock::now();
    REQUIRE(echoes(client, "slow"));
    CHECK(ms_since(start) >= 200);  // 100 ms each way
    // Several ping round trips of ~200 ms pass without a false alarm.
    REQUIRE(poll_until([&] { return latency_ms(client) >= 200; }, 3000));
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).empty());

    // Now the live connection gets 1.5 s of delay: more than pongTimeout.
    Fault stalled;
    stalled.delay_ms = 1500;
    start = Clock::now();
    proxy.set_live(Direction::client_to_server, stalled);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 3000));
    const auto elapsed = ms_since(start);
    CHECK(elapsed >= 600);
    CHECK(elapsed < 200 + 600 + 1000);
    // The new connection has only the 100 ms delay again.
    expect_lost_then_resumed(client, TETHER_E_PONG_TIMEOUT, 50);
    CHECK(echoes(client, "after"));
}

TEST_CASE("throttle: a large message crawls through intact, keep-alive holds", "[faults][throttle]") {
    tether_test::TestServer server;
    FaultProxy proxy(server.ws_port);
    Fault narrow;
    narrow.bytes_per_second = 100000;
    proxy.set_new(Direction::client_to_server, narrow);
    proxy.set_new(Direction::server_to_client, narrow);
    Client client({{"url", proxy.ws_url("/echo")},
                   {"messageFormat", "text"},
                   {"pingInterval", "200"},
                   {"pongTimeout", "3000"}});
    client.connect();
    REQUIRE(client.wait_open());
    std::string big(60000, 'x');
    for (size_t i = 0; i < big.size(); i += 100) big[i] = static_cast<char>('a' + (i / 100) % 26);
    const auto start = Clock::now();
    REQUIRE(client.send(big, 5) == TETHER_OK);
    REQUIRE(wait_events_where(
        client, [&](const Recorded &e) { return e.type == TETHER_EVENT_MESSAGE && e.data.size() == big.size(); }, 1,
        10000));
    CHECK(ms_since(start) >= 800);  // 60 kB each way at 100 kB/s
    CHECK(client.recorder.messages().back() == big);
    CHECK(with_id(client, TETHER_EVENT_SENT, 5).size() == 1);
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).empty());
    CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).empty());
}

TEST_CASE("cut mid-frame: part of a frame, then the connection is gone", "[faults][cut]") {
    tether_test::TestServer server;
    FaultProxy proxy(server.ws_port);
    Client client({{"url", proxy.ws_url("/echo")}, {"messageFormat", "text"}, {"reconnectDelay", "50"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(echoes(client, "before"));
    const std::string big(10000, 'z');
    Fault cut;
    cut.cut_after_bytes = 100;

    SECTION("server to client: the client sees half an echo, then EOF") {
        proxy.set_live(Direction::server_to_client, cut);
        REQUIRE(client.send(big, 9) == TETHER_OK);
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 2000));
        expect_lost_then_resumed(client, TETHER_E_IO, 50);
        // The message was written whole; its echo was cut and never surfaces, not even in part.
        CHECK(with_id(client, TETHER_EVENT_SENT, 9).size() == 1);
    }
    SECTION("client to server: the server sees half a frame, then EOF") {
        proxy.set_live(Direction::client_to_server, cut);
        REQUIRE(client.send(big, 9) == TETHER_OK);
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 2000));
        expect_lost_then_resumed(client, TETHER_E_IO, 50);
        // Written to the socket or failed while being written: exactly one of the two.
        CHECK(with_id(client, TETHER_EVENT_SENT, 9).size() + with_id(client, TETHER_EVENT_SEND_FAILED, 9).size() ==
              1);
    }
    for (auto &m : client.recorder.messages()) CHECK(m.size() != big.size());
    CHECK(echoes(client, "after"));
}

TEST_CASE("refused connects: backoff per the table, give up or resume", "[faults][refuse]") {
    tether_test::TestServer server;
    FaultProxy proxy(server.ws_port);

    SECTION("resume once the port listens again") {
        Client client({{"url", proxy.ws_url("/echo")},
                       {"messageFormat", "text"},
                       {"reconnectDelay", "20"},
                       {"maxReconnectDelay", "80"},
                       {"maxReconnectAttempts", "0"}});
        client.connect();
        REQUIRE(client.wait_open());
        proxy.refuse(true);
        proxy.drop_all();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT, 4, 5000));
        proxy.refuse(false);
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_OPEN, 2, 5000));
        auto reconnects = client.recorder.of_type(TETHER_EVENT_RECONNECT);
        for (size_t i = 0; i < reconnects.size(); ++i) {
            const int n = static_cast<int>(i) + 1;
            CHECK(reconnects[i].attempt == n);
            CHECK(reconnects[i].delay_ms <= std::min(80, 20 << (n - 1)));
        }
        auto errors = client.recorder.of_type(TETHER_EVENT_ERROR);
        REQUIRE(errors.size() >= 4);  // the lost connection, then >= 3 refused attempts
        CHECK(errors[0].status == TETHER_E_IO);
        for (size_t i = 1; i < errors.size(); ++i) CHECK(errors[i].status == TETHER_E_CONNECT);
        CHECK(echoes(client, "after"));
    }
    SECTION("give up after maxReconnectAttempts") {
        Client client({{"url", proxy.ws_url("/echo")},
                       {"messageFormat", "text"},
                       {"reconnectDelay", "10"},
                       {"maxReconnectAttempts", "3"}});
        client.connect();
        REQUIRE(client.wait_open());
        proxy.refuse(true);
        proxy.drop_all();
        REQUIRE(wait_final_state(client, TETHER_STATE_ERROR, 5000));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).size() == 3);
        auto errors = client.recorder.of_type(TETHER_EVENT_ERROR);
        CHECK(errors.at(1).status == TETHER_E_CONNECT);
        CHECK(contains(errors.back().text, "gave up after 3"));
        proxy.refuse(false);
    }
}

TEST_CASE("a handshake that gets no answer hits handshakeTimeout, then resumes", "[faults][handshake]") {
    tether_test::TestServer server;
    FaultProxy proxy(server.ws_port);
    // TCP connects, but the upgrade request goes nowhere.
    proxy.set_new(Direction::client_to_server, blackhole());
    Client client({{"url", proxy.ws_url("/echo")},
                   {"messageFormat", "text"},
                   {"handshakeTimeout", "300"},
                   {"reconnectDelay", "50"}});
    const auto start = Clock::now();
    client.connect();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR, 1, 3000));
    const auto elapsed = ms_since(start);
    CHECK(elapsed >= 300);
    CHECK(elapsed < 300 + 700);
    auto err = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
    CHECK(err.status == TETHER_E_TIMEOUT);
    CHECK(contains(err.text, "handshake"));
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT, 1, 2000));  // timeouts reconnect
    proxy.set_new(Direction::client_to_server, Fault{});
    REQUIRE(client.wait_open(5000));
    CHECK(echoes(client, "after"));
}

TEST_CASE("a connect that gets no answer hits connectTimeout and is retried", "[faults][connect]") {
    faults::StalledPort stalled;
    Client client({{"url", "ws://127.0.0.1:" + std::to_string(stalled.port()) + "/echo"},
                   {"connectTimeout", "300"},
                   {"reconnectDelay", "50"},
                   {"maxReconnectAttempts", "1"}});
    const auto start = Clock::now();
    client.connect();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR, 1, 3000));
    const auto elapsed = ms_since(start);
    CHECK(elapsed >= 300);
    CHECK(elapsed < 300 + 700);
    auto err = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
    INFO(err.text);
    CHECK(err.status == TETHER_E_TIMEOUT);
    CHECK(contains(err.text, "connect"));
    // A timeout is retried (one attempt allowed here), then the client gives up.
    REQUIRE(wait_final_state(client, TETHER_STATE_ERROR, 3000));
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).size() == 1);
    CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).empty());
}
