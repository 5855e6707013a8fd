// End-to-end tests of the client through the C ABI against tether-test-server on loopback.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using harness::contains;
using harness::Recorded;
using tether_test::TestServer;

namespace {

const std::vector<int32_t> kReadyStates = {TETHER_STATE_CONNECTING, TETHER_STATE_CONNECTED,
                                           TETHER_STATE_AUTHENTICATED};

}  // namespace

TEST_CASE("text, binary and json messages echo over ws://", "[client][echo]") {
    TestServer server;
    Client client({{"url", server.ws_url("/echo")}, {"messageFormat", "json"}});
    client.connect();
    REQUIRE(client.wait_open());
    CHECK(client.recorder.states() == kReadyStates);
    CHECK(client.state() == TETHER_STATE_AUTHENTICATED);

    REQUIRE(client.send(R"({"type":"chat","message":"Hello!"})") == TETHER_OK);
    REQUIRE(client.send_text(std::string("nul\0inside", 10)) == TETHER_OK);
    REQUIRE(client.send_binary(std::string("\x00\xff\x01", 3)) == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE, 3));
    auto msgs = client.recorder.of_type(TETHER_EVENT_MESSAGE);
    CHECK(msgs[0].data == R"({"type":"chat","message":"Hello!"})");
    CHECK(msgs[0].message_type == TETHER_MESSAGE_TEXT);
    CHECK(msgs[1].data == std::string("nul\0inside", 10));
    CHECK(msgs[2].data == std::string("\x00\xff\x01", 3));
    CHECK(msgs[2].message_type == TETHER_MESSAGE_BINARY);

    REQUIRE(tether_client_close(client.get(), 1000, "User logged out") == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE));
    auto close = client.recorder.of_type(TETHER_EVENT_CLOSE).at(0);
    CHECK(close.code == 1000);
    CHECK(close.text == "User logged out");
    CHECK(close.was_clean == 1);
    // CLOSE is followed by the state it leads to.
    REQUIRE(client.recorder.wait_until([](const std::vector<Recorded> &evs) {
        return evs.back().type == TETHER_EVENT_STATE && evs.back().state == TETHER_STATE_DISCONNECTED;
    }));
    CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
}

TEST_CASE("outgoing json is validated, text must be UTF-8", "[client][errors]") {
    TestServer server;
    Client client({{"url", server.ws_url("/echo")}, {"messageFormat", "json"}});
    CHECK(client.send("{not json") == TETHER_E_INVALID_JSON);
    CHECK(contains(tether_last_error_message(), "not JSON"));
    CHECK(client.send_text("\xc3\x28") == TETHER_E_INVALID_UTF8);
    CHECK(tether_client_send(client.get(), 7, "x", 1, 0) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_send(client.get(), TETHER_MESSAGE_TEXT, nullptr, 3, 0) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_send(nullptr, TETHER_MESSAGE_TEXT, "x", 1, 0) == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(tether_last_error_message(), "client must not be NULL"));
    uint64_t messages = 99, bytes = 99;
    REQUIRE(tether_client_buffered(&messages, &bytes, client.get()) == TETHER_OK);
    CHECK(messages == 0);  // nothing refused was kept
    CHECK(bytes == 0);
}

TEST_CASE("poll mode delivers the same events in order and signals READY", "[client][poll]") {
    TestServer server;
    harness::Options opts{{"url", server.ws_url("/echo")}, {"pingInterval", "0"}, {"messageFormat", "text"}};
    std::atomic<int> ready{0};
    tether_client *client = nullptr;
    auto on_ready = [](const tether_event *ev, void *ud) {
        if (tether_event_type(ev) == TETHER_EVENT_READY) static_cast<std::atomic<int> *>(ud)->fetch_add(1);
    };
    REQUIRE(tether_client_new(&client, nullptr, opts.get(), TETHER_MODE_POLL, on_ready, nullptr, &ready) == TETHER_OK);
    REQUIRE(tether_client_connect(client) == TETHER_OK);
    for (int i = 0; i < 5; ++i) {
        std::string m = "poll-" + std::to_string(i);
        REQUIRE(tether_client_send(client, TETHER_MESSAGE_DEFAULT, m.data(), m.size(), 0) == TETHER_OK);
    }
    std::vector<std::string> got;
    std::vector<int32_t> types;
    while (got.size() < 5) {
        tether_event *ev = nullptr;
        tether_status s = tether_client_poll(client, 5000, &ev);
        REQUIRE(s == TETHER_OK);
        types.push_back(tether_event_type(ev));
        if (tether_event_type(ev) == TETHER_EVENT_MESSAGE) {
            size_t n = 0;
            const uint8_t *d = tether_event_data(ev, &n);
            got.emplace_back(reinterpret_cast<const char *>(d), n);
        }
        tether_event_destroy(ev);
    }
    CHECK(got == std::vector<std::string>{"poll-0", "poll-1", "poll-2", "poll-3", "poll-4"});
    CHECK(types.front() == TETHER_EVENT_STATE);
    CHECK(std::find(types.begin(), types.end(), TETHER_EVENT_OPEN) < std::find(types.begin(), types.end(), TETHER_EVENT_MESSAGE));
    CHECK(ready.load() >= 1);
    tether_event *none = nullptr;
    CHECK(tether_client_poll(client, 0, &none) == TETHER_E_TIMEOUT);
    tether_client_destroy(client);
}

TEST_CASE("poll_many takes a burst of queued events in order, up to max_events", "[client][poll]") {
    TestServer server;
    harness::Options opts{{"url", server.ws_url("/echo")}, {"pingInterval", "0"}, {"messageFormat", "text"}};
    tether_client *client = nullptr;
    REQUIRE(tether_client_new(&client, nullptr, opts.get(), TETHER_MODE_POLL, nullptr, nullptr, nullptr) == TETHER_OK);
    REQUIRE(tether_client_connect(client) == TETHER_OK);
    const int total = 20;
    for (int i = 0; i < total; ++i) {
        std::string m = "burst-" + std::to_string(i);
        REQUIRE(tether_client_send(client, TETHER_MESSAGE_DEFAULT, m.data(), m.size(), 0) == TETHER_OK);
    }
    // Every echo is queued before the first call: the first calls must fill their arrays.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::vector<std::string> got;
    std::vector<size_t> counts;
    while (got.size() < static_cast<size_t>(total)) {
        tether_event *events[8] = {nullptr};
        size_t count = 99;
        REQUIRE(tether_client_poll_many(client, 5000, events, 8, &count) == TETHER_OK);
        REQUIRE(count >= 1);
        REQUIRE(count <= 8);
        counts.push_back(count);
        for (size_t i = 0; i < count; ++i) {
            REQUIRE(events[i] != nullptr);
            if (tether_event_type(events[i]) == TETHER_EVENT_MESSAGE) {
                size_t n = 0;
                const uint8_t *d = tether_event_data(events[i], &n);
                got.emplace_back(reinterpret_cast<const char *>(d), n);
            }
            tether_event_destroy(events[i]);
        }
    }
    std::vector<std::string> expected;
    for (int i = 0; i < total; ++i) expected.push_back("burst-" + std::to_string(i));
    CHECK(got == expected);
    CHECK(counts.front() == 8);

    tether_event *events[4] = {nullptr};
    size_t count = 99;
    CHECK(tether_client_poll_many(client, 0, events, 4, &count) == TETHER_E_TIMEOUT);
    CHECK(count == 0);
    CHECK(std::string(tether_last_error_message()).find("tether_client_poll_many") != std::string::npos);
    count = 99;
    CHECK(tether_client_poll_many(client, 0, events, 0, &count) == TETHER_E_INVALID_ARGUMENT);
    CHECK(count == 0);
    CHECK(tether_client_poll_many(client, 0, events, 4, nullptr) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_poll_many(client, 0, nullptr, 4, &count) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_poll_many(nullptr, 0, events, 4, &count) == TETHER_E_INVALID_ARGUMENT);
    tether_client_destroy(client);
}

TEST_CASE("a waiting poll on the I/O thread fails instead of deadlocking", "[client][poll][errors]") {
    TestServer server;
    harness::Options opts{{"url", server.ws_url("/echo")}, {"pingInterval", "0"}};
    struct Seen {
        tether_client *client = nullptr;
        std::atomic<int> waiting_status{1};
        std::atomic<int> immediate_status{1};
        std::atomic<bool> released{false};
    } seen;
    auto on_release = [](void *ud) { static_cast<Seen *>(ud)->released = true; };
    auto on_ready = [](const tether_event *, void *ud) {
        auto *s = static_cast<Seen *>(ud);
        if (s->waiting_status.load() != 1) return;
        tether_event *ev = nullptr;
        s->waiting_status = tether_client_poll(s->client, 100, &ev);
        s->immediate_status = tether_client_poll(s->client, 0, &ev);  // allowed: it never waits
        if (s->immediate_status == TETHER_OK) tether_event_destroy(ev);
    };
    REQUIRE(tether_client_new(&seen.client, nullptr, opts.get(), TETHER_MODE_POLL, on_ready, on_release, &seen) ==
            TETHER_OK);
    REQUIRE(tether_client_connect(seen.client) == TETHER_OK);
    for (int i = 0; i < 500 && seen.waiting_status.load() == 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(seen.waiting_status.load() == TETHER_E_WOULD_DEADLOCK);
    CHECK(seen.immediate_status.load() == TETHER_OK);
    tether_client_destroy(seen.client);
    for (int i = 0; i < 500 && !seen.released.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(seen.released.load());
}

TEST_CASE("callback-mode clients refuse poll", "[client][poll][errors]") {
    TestServer server;
    Client client({{"url", server.ws_url("/echo")}});
    tether_event *ev = nullptr;
    CHECK(tether_client_poll(client.get(), 0, &ev) == TETHER_E_BAD_STATE);
    size_t count = 99;
    CHECK(tether_client_poll_many(client.get(), 0, &ev, 1, &count) == TETHER_E_BAD_STATE);
    CHECK(count == 0);
    CHECK(std::string(tether_last_error_message()).find("tether_client_poll_many") != std::string::npos);
}

TEST_CASE("IPv6 literal URLs connect", "[client][url]") {
    TestServer server;
    if (server.ws6_port == 0) {
        WARN("::1 is not available on this machine");
        return;
    }
    Client client({{"url", server.ws6_url("/echo")}, {"messageFormat", "text"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(client.send("over v6") == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
    CHECK(client.recorder.messages().at(0) == "over v6");
}

TEST_CASE("bad URLs are refused with a clear message", "[client][url][errors]") {
    tether_options *o = nullptr;
    REQUIRE(tether_options_new(&o) == TETHER_OK);
    CHECK(tether_options_set(o, "url", "http://example.com/") == TETHER_E_BAD_URL);
    CHECK(contains(tether_last_error_message(), "http"));
    CHECK(tether_options_set(o, "url", "ws://") == TETHER_E_BAD_URL);
    CHECK(tether_options_set(o, "url", "ws://host:99999/") == TETHER_E_BAD_URL);
    tether_client *c = nullptr;
    CHECK(tether_client_new(&c, nullptr, o, TETHER_MODE_POLL, nullptr, nullptr, nullptr) == TETHER_E_BAD_OPTION_VALUE);
    CHECK(contains(tether_last_error_message(), "url"));
    CHECK(c == nullptr);
    tether_options_destroy(o);
}

TEST_CASE("wss:// verifies the server against the CA file", "[client][tls]") {
    TestServer server;
    SECTION("trusted CA: connects and echoes") {
        Client client({{"url", server.wss_url("/echo")}, {"caFile", server.ca_file}, {"messageFormat", "text"}});
        client.connect();
        REQUIRE(client.wait_open());
        REQUIRE(client.send("secure") == TETHER_OK);
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
        CHECK(client.recorder.messages().at(0) == "secure");
    }
    SECTION("system store only: refused, no reconnect") {
        Client client({{"url", server.wss_url("/echo")}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE));
        auto err = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(err.status == TETHER_E_TLS);
        CHECK(contains(err.text, "certificate"));
        REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_ERROR; }));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
    SECTION("wrong host name: refused with OpenSSL's reason") {
        Client client({{"url", "wss://localhost:" + std::to_string(server.wss_wrong_host_port) + "/echo"},
                       {"caFile", server.ca_file}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR));
        auto err = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(err.status == TETHER_E_TLS);
        CHECK(contains(err.text, "hostname mismatch"));
    }
    SECTION("expired certificate: refused") {
        Client client({{"url", "wss://localhost:" + std::to_string(server.wss_expired_port) + "/echo"},
                       {"caFile", server.ca_file}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR));
        CHECK(contains(client.recorder.of_type(TETHER_EVENT_ERROR).at(0).text, "expired"));
    }
    SECTION("the explicit insecure switch accepts a self-signed certificate") {
        Client client({{"url", "wss://localhost:" + std::to_string(server.wss_self_signed_port) + "/echo"},
                       {"insecureSkipTlsVerify", "true"}, {"messageFormat", "text"}});
        client.connect();
        REQUIRE(client.wait_open());
    }
    SECTION("an IP literal is verified against the certificate's IP SAN") {
        Client client({{"url", "wss://127.0.0.1:" + std::to_string(server.wss_port) + "/echo"},
                       {"caFile", server.ca_file}});
        client.connect();
        REQUIRE(client.wait_open());
    }
}

TEST_CASE("client certificates for mutual TLS", "[client][tls]") {
    TestServer server;
    const std::string url = "wss://localhost:" + std::to_string(server.wss_mtls_port) + "/echo";
    SECTION("with the certificate: connects") {
        Client client({{"url", url}, {"caFile", server.ca_file}, {"clientCertFile", server.client_cert_file},
                       {"clientKeyFile", server.client_key_file}});
        client.connect();
        REQUIRE(client.wait_open());
    }
    SECTION("without it: the server refuses") {
        Client client({{"url", url}, {"caFile", server.ca_file}, {"maxReconnectAttempts", "1"}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR));
        CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).empty());
    }
    SECTION("a missing key file is a creation error naming the option") {
        harness::Options opts{{"url", url}, {"clientCertFile", server.client_cert_file},
                              {"clientKeyFile", "/nonexistent/key.pem"}};
        tether_client *c = nullptr;
        CHECK(tether_client_new(&c, nullptr, opts.get(), TETHER_MODE_POLL, nullptr, nullptr, nullptr) ==
              TETHER_E_BAD_OPTION_VALUE);
        CHECK(contains(tether_last_error_message(), "clientKeyFile"));
    }
}

TEST_CASE("auth query-param: the token goes in the URL and never in what the app sees", "[client][auth]") {
    TestServer server;
    SECTION("right token") {
        Client client({{"url", server.ws_url("/auth/query?param=access_token&expect=s3cr3t-tok")},
                       {"authMethod", "query-param"}, {"tokenParamName", "access_token"},
                       {"authToken", "s3cr3t-tok"}});
        client.connect();
        REQUIRE(client.wait_open());
        // The test's own URL names the expected value; the parameter tether adds reads redacted.
        CHECK(contains(client.stats(), "access_token=***"));
        CHECK_FALSE(contains(client.stats(), "access_token=s3cr3t"));
    }
    SECTION("wrong token: auth error, no reconnect, state error") {
        Client client({{"url", server.ws_url("/auth/query?param=token&expect=right")},
                       {"authMethod", "query-param"}, {"authToken", "wrong-secret-value"}});
        client.connect();
        REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_ERROR; }));
        auto err = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(err.status == TETHER_E_AUTH);
        CHECK(contains(err.text, "401"));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
        CHECK_FALSE(contains(harness::all_visible_text(client.recorder), "wrong-secret-value"));
        CHECK_FALSE(contains(client.stats(), "wrong-secret-value"));
    }
}

TEST_CASE("auth subprotocol: the token is offered in Sec-WebSocket-Protocol", "[client][auth]") {
    TestServer server;
    Client client({{"url", server.ws_url("/auth/subprotocol?expect=tok-123")}, {"authMethod", "subprotocol"},
                   {"authToken", "tok-123"}, {"subprotocols", "chat.v1"}});
    client.connect();
    REQUIRE(client.wait_open());
    CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).at(0).text == "chat.v1");
}

TEST_CASE("auth first-message: connected -> authenticating -> authenticated", "[client][auth]") {
    TestServer server;
    SECTION("confirmed by the reply type") {
        Client client({{"url", server.ws_url("/auth/first-message?expect=tk-9x&type=authenticate&reply=auth_ok")},
                       {"authMethod", "first-message"}, {"authToken", "tk-9x"}, {"authSuccessType", "auth_ok"},
                       {"messageFormat", "text"}});
        REQUIRE(client.send("queued before auth") == TETHER_OK);
        client.connect();
        REQUIRE(client.wait_open());
        CHECK(client.recorder.states() ==
              std::vector<int32_t>{TETHER_STATE_CONNECTING, TETHER_STATE_CONNECTED, TETHER_STATE_AUTHENTICATING,
                                   TETHER_STATE_AUTHENTICATED});
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
        CHECK(client.recorder.messages().at(0) == "queued before auth");  // after auth, not before
    }
    SECTION("a custom template") {
        Client client({{"url", server.ws_url("/auth/first-message?expect=jwt-1&type=connection_init&reply=connection_ack")},
                       {"authMethod", "first-message"}, {"authToken", "jwt-1"},
                       {"authMessageTemplate", R"({"type": "connection_init", "payload": {"authorization": "Bearer {{token}}"}})"},
                       {"authSuccessType", "connection_ack"}});
        client.connect();
        REQUIRE(client.wait_open());
    }
    SECTION("a refused token closes with 1008 and does not reconnect") {
        Client client({{"url", server.ws_url("/auth/first-message?expect=good")}, {"authMethod", "first-message"},
                       {"authToken", "bad"}, {"authSuccessType", "auth_ok"}});
        client.connect();
        REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_ERROR; }));
        CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).code == 1008);
        CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).at(0).status == TETHER_E_AUTH);
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
    SECTION("no reply within authTimeout") {
        Client client({{"url", server.ws_url("/auth/first-message?expect=t&silent=1")}, {"authMethod", "first-message"},
                       {"authToken", "t"}, {"authSuccessType", "auth_ok"}, {"authTimeout", "200"},
                       {"maxReconnectAttempts", "1"}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR));
        auto err = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(err.status == TETHER_E_TIMEOUT);
        CHECK(contains(err.text, "auth_ok"));
    }
}

TEST_CASE("handshake: headers, User-Agent, subprotocols and permessage-deflate", "[client][handshake]") {
    TestServer server;
    Client client({{"url", server.ws_url("/headers?select=v2.proto")}, {"messageFormat", "text"},
                   {"headers", R"({"X-Trace":"abc-1","Authorization":"Bearer header-auth"})"},
                   {"userAgent", "tether-tests/1"}, {"subprotocols", "v1.proto, v2.proto"},
                   {"perMessageDeflate", "true"}});
    client.connect();
    REQUIRE(client.wait_open());
    CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).at(0).text == "v2.proto");
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
    const std::string headers = client.recorder.messages().at(0);
    CHECK(contains(headers, "\"x-trace\":\"abc-1\""));
    CHECK(contains(headers, "\"user-agent\":\"tether-tests/1\""));
    CHECK(contains(headers, "v1.proto, v2.proto"));
    CHECK(contains(headers, "permessage-deflate"));
    const std::string big(100000, 'z');  // compresses well: exercises the deflate path both ways
    REQUIRE(client.send(big) == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE, 2));
    CHECK(client.recorder.messages().at(1) == big);
}

TEST_CASE("refused upgrades: 403 is an auth failure, 404 final, 503 retried", "[client][handshake]") {
    TestServer server;
    SECTION("403") {
        Client client({{"url", server.ws_url("/reject?status=403")}});
        client.connect();
        REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_ERROR; }));
        CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).at(0).status == TETHER_E_AUTH);
    }
    SECTION("404") {
        Client client({{"url", server.ws_url("/no-such-path")}});
        client.connect();
        REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_ERROR; }));
        auto err = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(err.status == TETHER_E_HANDSHAKE);
        CHECK(contains(err.text, "404"));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
    SECTION("503") {
        Client client({{"url", server.ws_url("/reject?status=503")}, {"maxReconnectAttempts", "2"}});
        client.connect();
        REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_ERROR; }));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).size() == 2);
    }
}

TEST_CASE("a server that never answers the upgrade hits handshakeTimeout", "[client][timeouts]") {
    TestServer server;
    Client client({{"url", server.ws_url("/hang")}, {"handshakeTimeout", "200"}, {"autoReconnect", "false"}});
    const auto start = std::chrono::steady_clock::now();
    client.connect();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_ERROR, 1, 3000));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    auto err = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
    CHECK(err.status == TETHER_E_TIMEOUT);
    CHECK(contains(err.text, "handshake"));
    CHECK(elapsed < std::chrono::seconds(3));
}

TEST_CASE("refused connections retry with backoff until maxReconnectAttempts", "[client][reconnect]") {
    // A port that was just free: nothing listens there.
    TestServer server;
    Client client({{"url", "ws://127.0.0.1:1/"}, {"maxReconnectAttempts", "3"}, {"reconnectDelay", "10"}});
    client.connect();
    REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_ERROR; }));
    auto reconnects = client.recorder.of_type(TETHER_EVENT_RECONNECT);
    REQUIRE(reconnects.size() == 3);
    for (size_t i = 0; i < reconnects.size(); ++i) {
        CHECK(reconnects[i].attempt == static_cast<int32_t>(i + 1));
        CHECK(reconnects[i].delay_ms >= 0);
        CHECK(reconnects[i].delay_ms <= 100);
    }
    auto errors = client.recorder.of_type(TETHER_EVENT_ERROR);
    CHECK(errors.at(0).status == TETHER_E_CONNECT);
    CHECK(contains(errors.back().text, "gave up after 3"));
}

TEST_CASE("reconnect after a drop: messages queued meanwhile arrive in order", "[client][reconnect]") {
    TestServer server;
    Client client({{"url", server.ws_url("/flaky?key=order&fail_first=1&after_messages=0&mode=drop")},
                   {"messageFormat", "text"}, {"reconnectDelay", "200"}});
    client.connect();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
    for (int i = 0; i < 100; ++i) REQUIRE(client.send("m" + std::to_string(i), 1000 + i) == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SENT, 100));
    REQUIRE(client.recorder.wait_until([](auto &evs) {
        size_t n = 0;
        for (auto &e : evs) n += e.type == TETHER_EVENT_MESSAGE && e.data.rfind("m", 0) == 0;
        return n >= 100;
    }));
    std::vector<std::string> echoed;
    for (auto &m : client.recorder.messages())
        if (m.rfind("m", 0) == 0) echoed.push_back(m);
    REQUIRE(echoed.size() == 100);
    for (int i = 0; i < 100; ++i) CHECK(echoed[i] == "m" + std::to_string(i));
    auto sent = client.recorder.of_type(TETHER_EVENT_SENT);
    for (int i = 0; i < 100; ++i) CHECK(sent[i].id == static_cast<uint64_t>(1000 + i));
    CHECK(contains(client.stats(), "\"reconnects\":1"));
    // The state sequence went through reconnecting exactly once.
    auto states = client.recorder.states();
    CHECK(std::count(states.begin(), states.end(), TETHER_STATE_RECONNECTING) == 1);
}

TEST_CASE("token refresh: a token set at the RECONNECT event is used by that attempt", "[client][auth][reconnect]") {
    TestServer server;
    Client client({{"url", server.ws_url("/flaky?key=refresh&fail_first=1")}, {"authMethod", "query-param"},
                   {"authToken", "first-token"}, {"messageFormat", "text"}});
    client.recorder.hook = [&](const Recorded &e) {
        if (e.type == TETHER_EVENT_RECONNECT) tether_client_set_token(client.get(), "second-token");
    };
    client.connect();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE, 2));
    auto greetings = client.recorder.messages();
    CHECK(greetings[0] == R"({"connection":1,"token":"first-token"})");
    CHECK(greetings[1] == R"({"connection":2,"token":"second-token"})");
    CHECK(tether_client_set_token(client.get(), "\xff") == TETHER_E_INVALID_UTF8);
}

TEST_CASE("server close codes follow the reconnect table", "[client][reconnect][close]") {
    TestServer server;
    SECTION("1011 reconnects") {
        Client client({{"url", server.ws_url("/close?code=1011&reason=oops")}, {"maxReconnectAttempts", "1"}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
        auto close = client.recorder.of_type(TETHER_EVENT_CLOSE).at(0);
        CHECK(close.code == 1011);
        CHECK(close.text == "oops");
        CHECK(close.was_clean == 1);
    }
    SECTION("1008 does not") {
        Client client({{"url", server.ws_url("/close?code=1008")}});
        client.connect();
        REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_ERROR; }));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
    SECTION("autoReconnect false ends in disconnected after a normal close") {
        Client client({{"url", server.ws_url("/close?code=1000")}, {"autoReconnect", "false"}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE));
        REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_DISCONNECTED; }));
        CHECK(client.recorder.of_type(TETHER_EVENT_RECONNECT).empty());
    }
}

TEST_CASE("keep-alive: no pong within pongTimeout means a dead peer and a reconnect", "[client][keepalive]") {
    TestServer server;
    Client client({{"url", server.ws_url("/silent")}, {"pingInterval", "100"}, {"pongTimeout", "200"},
                   {"maxReconnectAttempts", "1"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT, 1, 3000));
    auto err = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
    CHECK(err.status == TETHER_E_PONG_TIMEOUT);
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).code == 1006);
}

TEST_CASE("keep-alive: the ping round trip is the latency in stats", "[client][keepalive]") {
    TestServer server;
    Client client({{"url", server.ws_url("/echo")}, {"pingInterval", "50"}});
    client.connect();
    REQUIRE(client.wait_open());
    bool measured = false;
    for (int i = 0; i < 300 && !measured; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        measured = !contains(client.stats(), "\"latencyMs\":-1");
    }
    CHECK(measured);
}

TEST_CASE("close always ends in CLOSE within closeTimeout, even with a silent peer", "[client][close]") {
    TestServer server;
    Client client({{"url", server.ws_url("/silent")}, {"closeTimeout", "300"}});
    client.connect();
    REQUIRE(client.wait_open());
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(tether_client_close(client.get(), 1000, "bye") == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 3000));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).was_clean == 0);
    REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_DISCONNECTED; }));
    CHECK(tether_client_close(client.get(), 1000, nullptr) == TETHER_OK);  // again: nothing to do
    CHECK(client.send("late") == TETHER_E_CLOSED);
}

TEST_CASE("a graceful close first sends what was queued", "[client][close]") {
    TestServer server;
    Client client({{"url", server.ws_url("/echo")}, {"messageFormat", "text"}});
    client.connect();
    REQUIRE(client.wait_open());
    for (int i = 0; i < 20; ++i) REQUIRE(client.send("late-" + std::to_string(i), i + 1) == TETHER_OK);
    REQUIRE(tether_client_close(client.get(), 1000, "done") == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE));
    CHECK(client.recorder.of_type(TETHER_EVENT_SENT).size() == 20);
    CHECK(client.recorder.of_type(TETHER_EVENT_SEND_FAILED).empty());
    // Like a browser's WebSocket, replies that arrive after close() are not delivered.
    CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).was_clean == 1);
}

// Messages queued together leave in one socket write (the transport coalesces them); each is
// still its own WebSocket message, in order, with its own SENT, and pings go between them.
TEST_CASE("a burst of mixed messages arrives whole and in order, each one SENT", "[client][send]") {
    TestServer server;
    Client client({{"url", server.ws_url("/echo")}, {"pingInterval", "20"}, {"maxQueuedMessages", "5000"}});
    client.connect();
    REQUIRE(client.wait_open());
    const int count = 2000;
    std::vector<std::string> payloads;
    for (int i = 0; i < count; ++i) {
        // Every 97th is larger than one write's batch and goes alone; the rest vary in size.
        const size_t size = i % 97 == 0 ? 100 * 1024 : static_cast<size_t>(1 + (i * 7919) % 3000);
        std::string p = std::to_string(i) + ":";
        p.append(size, static_cast<char>('a' + i % 26));
        payloads.push_back(std::move(p));
    }
    for (int i = 0; i < count; ++i) {
        const tether_status s = i % 3 == 0 ? client.send_binary(payloads[i], 1 + i) : client.send_text(payloads[i], 1 + i);
        REQUIRE(s == TETHER_OK);
    }
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE, count, 20000));
    const auto messages = client.recorder.of_type(TETHER_EVENT_MESSAGE);
    REQUIRE(messages.size() == static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        INFO("message " << i);
        CHECK(messages[i].data == payloads[i]);
        CHECK(messages[i].message_type == (i % 3 == 0 ? TETHER_MESSAGE_BINARY : TETHER_MESSAGE_TEXT));
    }
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SENT, count));
    const auto sent = client.recorder.of_type(TETHER_EVENT_SENT);
    for (int i = 0; i < count; ++i) CHECK(sent[i].id == static_cast<uint64_t>(1 + i));
    CHECK(contains(client.stats(), "\"messagesSent\":" + std::to_string(count)));
    CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).empty());
}

// The server's close frame arrives while a burst is being written: tether's close reply may
// wait in the transport's coalescing buffer, and must still go out at once (a clean close, well
// before closeTimeout), not when the peer gives up.
TEST_CASE("a close frame that arrives during a burst is answered at once", "[client][close]") {
    TestServer server;
    Client client({{"url", server.ws_url("/close?code=4001&reason=mid-burst&after_messages=3")},
                   {"closeTimeout", "10000"}, {"autoReconnect", "false"}, {"maxQueuedMessages", "5000"}});
    client.connect();
    REQUIRE(client.wait_open());
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 3000; ++i) REQUIRE(client.send_text("burst-" + std::to_string(i)) == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 8000));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    const auto close = client.recorder.of_type(TETHER_EVENT_CLOSE).at(0);
    CHECK(close.code == 4001);
    CHECK(close.text == "mid-burst");
    CHECK(close.was_clean == 1);
}

TEST_CASE("close right after connect: connecting, CLOSE, disconnected", "[client][close]") {
    TestServer server;
    for (int round = 0; round < 50; ++round) {
        Client client({{"url", server.ws_url("/hang")}});
        client.connect();
        CHECK(client.state() == TETHER_STATE_CONNECTING);  // at once, not when the I/O thread gets to it
        REQUIRE(tether_client_close(client.get(), 1000, nullptr) == TETHER_OK);
        REQUIRE(client.recorder.wait_until([](const std::vector<Recorded> &evs) {
            return !evs.empty() && evs.back().type == TETHER_EVENT_STATE &&
                   evs.back().state == TETHER_STATE_DISCONNECTED;
        }));
        auto states = client.recorder.states();
        CHECK(states.front() == TETHER_STATE_CONNECTING);
        CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).size() == 1);
    }
}

TEST_CASE("close arguments are checked", "[client][close][errors]") {
    TestServer server;
    Client client({{"url", server.ws_url("/echo")}});
    CHECK(tether_client_close(client.get(), 1006, nullptr) == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(tether_last_error_message(), "1006"));
    CHECK(tether_client_close(client.get(), 1000, std::string(200, 'r').c_str()) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_close(client.get(), 4000, "\xff") == TETHER_E_INVALID_UTF8);
}

TEST_CASE("messages: fragmented reassembly and maxMessageSize -> 1009", "[client][messages]") {
    TestServer server;
    SECTION("fragments are reassembled") {
        Client client({{"url", server.ws_url("/send?size=100000&frag=1000")}, {"messageFormat", "text"}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
        const std::string m = client.recorder.messages().at(0);
        REQUIRE(m.size() == 100000);
        for (size_t i = 0; i < m.size(); i += 997) CHECK(m[i] == char('0' + i % 10));
    }
    SECTION("too big closes with 1009, no reconnect") {
        Client client({{"url", server.ws_url("/send?size=5000")}, {"maxMessageSize", "1000"}});
        client.connect();
        REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_ERROR; }));
        CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).at(0).status == TETHER_E_MESSAGE_TOO_BIG);
        CHECK(client.recorder.of_type(TETHER_EVENT_CLOSE).at(0).code == 1009);
        CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
    }
    SECTION("sending more than maxMessageSize is refused") {
        Client client({{"url", server.ws_url("/echo")}, {"maxMessageSize", "10"}});
        CHECK(client.send_binary(std::string(11, 'x')) == TETHER_E_MESSAGE_TOO_BIG);
    }
}

TEST_CASE("the outgoing queue is bounded and can be turned off", "[client][queue]") {
    TestServer server;
    SECTION("full queue") {
        Client client({{"url", server.ws_url("/echo")}, {"maxQueuedMessages", "3"}, {"messageFormat", "text"}});
        for (int i = 0; i < 3; ++i) REQUIRE(client.send("q") == TETHER_OK);
        CHECK(client.send("q") == TETHER_E_QUEUE_FULL);
        CHECK(contains(tether_last_error_message(), "maxQueuedMessages"));
        uint64_t m = 0, b = 0;
        REQUIRE(tether_client_buffered(&m, &b, client.get()) == TETHER_OK);
        CHECK(m == 3);
        CHECK(b == 3);
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_DRAINED));  // the refusal asked for it
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE, 3));
    }
    SECTION("byte limit") {
        Client client({{"url", server.ws_url("/echo")}, {"maxQueuedBytes", "10"}, {"messageFormat", "text"}});
        REQUIRE(client.send("0123456789") == TETHER_OK);
        CHECK(client.send("x") == TETHER_E_QUEUE_FULL);
    }
    SECTION("queueWhileOffline false") {
        Client client({{"url", server.ws_url("/echo")}, {"queueWhileOffline", "false"}, {"messageFormat", "text"}});
        CHECK(client.send("x") == TETHER_E_NOT_CONNECTED);
        client.connect();
        REQUIRE(client.wait_open());
        CHECK(client.send("x") == TETHER_OK);
    }
    SECTION("queued messages fail with their ids when the client gives up") {
        Client client({{"url", "ws://127.0.0.1:1/"}, {"autoReconnect", "false"}, {"messageFormat", "text"}});
        REQUIRE(client.send("a", 7) == TETHER_OK);
        REQUIRE(client.send("b", 8) == TETHER_OK);
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_SEND_FAILED, 2));
        auto failed = client.recorder.of_type(TETHER_EVENT_SEND_FAILED);
        CHECK(failed[0].id == 7);
        CHECK(failed[1].id == 8);
        CHECK(failed[0].status == TETHER_E_CLOSED);
    }
}

TEST_CASE("destroy: from inside a callback, release exactly once, no callback after", "[client][lifetime]") {
    TestServer server;
    SECTION("destroy inside the OPEN callback") {
        harness::Recorder rec;
        tether_client *client = nullptr;
        harness::Options opts{{"url", server.ws_url("/echo")}, {"pingInterval", "0"}};
        rec.hook = [&](const Recorded &e) {
            if (e.type == TETHER_EVENT_OPEN) tether_client_destroy(client);
        };
        REQUIRE(tether_client_new(&client, nullptr, opts.get(), TETHER_MODE_CALLBACK, harness::on_event,
                                  harness::on_release, &rec) == TETHER_OK);
        REQUIRE(tether_client_connect(client) == TETHER_OK);
        REQUIRE(rec.wait_released());
        const size_t count = rec.snapshot().size();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CHECK(rec.snapshot().size() == count);
        CHECK(rec.released() == 1);
        CHECK(rec.snapshot().back().type == TETHER_EVENT_OPEN);
    }
    SECTION("destroy while traffic flows, from another thread") {
        for (int round = 0; round < 20; ++round) {
            harness::Recorder rec;
            tether_client *client = nullptr;
            harness::Options opts{{"url", server.ws_url("/echo")}, {"pingInterval", "0"}, {"messageFormat", "text"}};
            REQUIRE(tether_client_new(&client, nullptr, opts.get(), TETHER_MODE_CALLBACK, harness::on_event,
                                      harness::on_release, &rec) == TETHER_OK);
            REQUIRE(tether_client_connect(client) == TETHER_OK);
            for (int i = 0; i < 50; ++i) tether_client_send(client, TETHER_MESSAGE_TEXT, "x", 1, 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(round % 5));
            tether_client_destroy(client);
            REQUIRE(rec.wait_released());
            const size_t count = rec.snapshot().size();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            CHECK(rec.snapshot().size() == count);
            CHECK(rec.released() == 1);
        }
    }
    SECTION("destroy before connect releases at once") {
        harness::Recorder rec;
        tether_client *client = nullptr;
        harness::Options opts{{"url", server.ws_url("/echo")}};
        REQUIRE(tether_client_new(&client, nullptr, opts.get(), TETHER_MODE_CALLBACK, harness::on_event,
                                  harness::on_release, &rec) == TETHER_OK);
        tether_client_destroy(client);
        CHECK(rec.released() == 1);
        tether_client_destroy(nullptr);
    }
}

TEST_CASE("many threads send at once and each thread's messages stay in order", "[client][concurrency]") {
    TestServer server;
    Client client({{"url", server.ws_url("/echo")}, {"messageFormat", "text"}, {"maxQueuedMessages", "100000"}});
    client.connect();
    REQUIRE(client.wait_open());
    constexpr int kThreads = 8, kEach = 500;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                const std::string m = std::to_string(t) + ":" + std::to_string(i);
                while (client.send(m) == TETHER_E_QUEUE_FULL) std::this_thread::yield();
            }
        });
    }
    for (auto &th : threads) th.join();
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE, kThreads * kEach, 20000));
    std::vector<int> next(kThreads, 0);
    for (auto &m : client.recorder.messages()) {
        const int t = std::stoi(m.substr(0, m.find(':')));
        const int i = std::stoi(m.substr(m.find(':') + 1));
        CHECK(i == next[t]);
        next[t] = i + 1;
    }
}

TEST_CASE("an explicit runtime serves many clients and outlives its handle", "[client][runtime]") {
    TestServer server;
    tether_runtime *rt = nullptr;
    REQUIRE(tether_runtime_new(&rt, 2) == TETHER_OK);
    CHECK(tether_runtime_new(&rt, 0) == TETHER_E_INVALID_ARGUMENT);
    {
        std::vector<std::unique_ptr<Client>> clients;
        for (int i = 0; i < 20; ++i) {
            clients.push_back(std::make_unique<Client>(
                std::initializer_list<std::pair<std::string, std::string>>{{"url", server.ws_url("/echo")},
                                                                           {"messageFormat", "text"}},
                rt));
            clients.back()->connect();
        }
        tether_runtime_destroy(rt);  // the clients keep it running
        for (auto &c : clients) {
            REQUIRE(c->wait_open());
            REQUIRE(c->send("hi") == TETHER_OK);
        }
        for (auto &c : clients) REQUIRE(c->recorder.wait_for_type(TETHER_EVENT_MESSAGE));
    }
}

TEST_CASE("stats count messages and bytes", "[client][stats]") {
    TestServer server;
    Client client({{"url", server.ws_url("/echo")}, {"messageFormat", "text"}});
    client.connect();
    REQUIRE(client.wait_open());
    REQUIRE(client.send("12345") == TETHER_OK);
    REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
    const std::string stats = client.stats();
    CHECK(contains(stats, "\"messagesSent\":1"));
    CHECK(contains(stats, "\"messagesReceived\":1"));
    CHECK(contains(stats, "\"bytesSent\":5"));
    CHECK(contains(stats, "\"state\":\"authenticated\""));
}
