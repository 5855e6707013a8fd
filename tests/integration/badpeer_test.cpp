// Bad peers and TLS refusals through the C ABI: servers that break RFC 6455, answer the upgrade
// with something that is not one, answer too slowly, or present a certificate that must not be
// trusted. Each case checks the status and message the application sees, that it comes within the
// configured timeouts, and what the reconnect table decided. The last test follows a distinctive
// token through every auth method and every way tether reports anything, and looks for it.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using harness::contains;
using harness::Recorded;
using tether_test::TestServer;

namespace {

using Clock = std::chrono::steady_clock;

// How a client run ended, once it has stopped for good (the last event is state ERROR).
struct Ending {
    Recorded error;  // the first ERROR event
    Recorded close;  // the first CLOSE event
    size_t reconnects = 0;
    Clock::duration elapsed{};
};

// One line per recorded event, for failure messages.
std::string describe_events(Client &client) {
    std::string out;
    for (const Recorded &e : client.recorder.snapshot()) {
        out += std::string(tether_event_type_str(e.type));
        if (e.type == TETHER_EVENT_STATE) out += std::string(" ") + tether_state_str(e.state);
        if (e.type == TETHER_EVENT_CLOSE) out += " " + std::to_string(e.code);
        if (e.type == TETHER_EVENT_ERROR) out += std::string(" ") + tether_status_name(e.status);
        out += " " + e.text + "\n";
    }
    return out;
}

Ending run_until_error(Client &client, int timeout_ms = 5000) {
    const auto start = Clock::now();
    client.connect();
    const bool stopped = harness::wait_final_state(client, TETHER_STATE_ERROR, timeout_ms);
    INFO("events:\n" << describe_events(client));
    REQUIRE(stopped);
    Ending out;
    out.elapsed = Clock::now() - start;
    out.error = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
    out.close = client.recorder.of_type(TETHER_EVENT_CLOSE).at(0);
    out.reconnects = client.recorder.of_type(TETHER_EVENT_RECONNECT).size();
    return out;
}

std::string port_url(const char *scheme, const char *host, uint16_t port, const std::string &path) {
    return std::string(scheme) + "://" + host + ":" + std::to_string(port) + path;
}

}  // namespace

// ---- frames ---------------------------------------------------------------------------------

TEST_CASE("malformed frames from the server fail the connection with 1002", "[client][badpeer]") {
    TestServer server;
    struct Case {
        const char *kind;
        const char *reason;  // part of Beast's message, after "the peer broke the WebSocket protocol: "
    };
    const Case cases[] = {
        {"opcode", "opcode"},
        {"reserved-bits", "reserved bits"},
        {"fragmented-control", "fragmented"},
        {"long-control", "control frame size"},
        {"masked", "masked"},
        {"continuation", "continuation"},
    };
    const bool tls = GENERATE(false, true);
    for (const Case &c : cases) {
        DYNAMIC_SECTION((tls ? "wss " : "ws ") << c.kind) {
            const std::string path = std::string("/bad-frame?kind=") + c.kind;
            Client client({{"url", tls ? server.wss_url(path) : server.ws_url(path)}, {"caFile", server.ca_file},
                           {"closeTimeout", "1000"}});
            const Ending end = run_until_error(client);
            INFO(end.error.text);
            CHECK(end.error.status == TETHER_E_PROTOCOL);
            CHECK(contains(end.error.text, "the peer broke the WebSocket protocol"));
            CHECK(contains(end.error.text, c.reason));
            CHECK(end.close.code == 1002);
            CHECK(end.close.was_clean == 0);
            CHECK(end.reconnects == 0);  // the table: a protocol violation is not retried
            CHECK(end.elapsed < std::chrono::seconds(2));
            CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
        }
    }
}

TEST_CASE("invalid UTF-8 in a text message fails the connection with 1007", "[client][badpeer]") {
    TestServer server;
    const char *kind = GENERATE("invalid-utf8", "invalid-utf8-fragmented");
    const bool tls = GENERATE(false, true);
    const std::string path = std::string("/bad-frame?kind=") + kind;
    Client client({{"url", tls ? server.wss_url(path) : server.ws_url(path)}, {"caFile", server.ca_file},
                   {"messageFormat", "text"}});
    const Ending end = run_until_error(client);
    INFO(kind << (tls ? " over wss: " : " over ws: ") << end.error.text);
    CHECK(end.error.status == TETHER_E_PROTOCOL);
    CHECK(contains(end.error.text, "not valid UTF-8"));
    CHECK(end.close.code == 1007);
    CHECK(end.reconnects == 0);
    CHECK(end.elapsed < std::chrono::seconds(2));
    CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());  // not even the valid "ok" prefix
}

TEST_CASE("a bad peer that keeps TCP open after the 1002 is left within closeTimeout", "[client][badpeer]") {
    TestServer server;
    // The client sends its close frame and waits for the server to close TCP; this one never does.
    Client client({{"url", server.ws_url("/bad-frame?kind=opcode&hold=1")}, {"closeTimeout", "300"}});
    const Ending end = run_until_error(client, 5000);
    INFO(end.error.text);
    CHECK(end.error.status == TETHER_E_PROTOCOL);
    CHECK(end.close.code == 1002);
    CHECK(end.reconnects == 0);
    CHECK(end.elapsed < std::chrono::seconds(2));
}

TEST_CASE("oversized incoming messages close with 1009, whole or fragmented, over ws and wss",
          "[client][badpeer][messages]") {
    // client_test.cpp covers one unfragmented message over ws://; these are the other shapes.
    TestServer server;
    const bool tls = GENERATE(false, true);
    auto url = [&](const std::string &path) { return tls ? server.wss_url(path) : server.ws_url(path); };
    SECTION("frames each under the limit, the message over it") {
        Client client({{"url", url("/send?size=5000&frag=500&binary=1")}, {"caFile", server.ca_file},
                       {"maxMessageSize", "1000"}});
        const Ending end = run_until_error(client);
        INFO(end.error.text);
        CHECK(end.error.status == TETHER_E_MESSAGE_TOO_BIG);
        CHECK(contains(end.error.text, "maxMessageSize"));
        CHECK(end.close.code == 1009);
        CHECK(end.reconnects == 0);
        CHECK(end.elapsed < std::chrono::seconds(2));
        CHECK(client.recorder.of_type(TETHER_EVENT_MESSAGE).empty());
    }
    SECTION("exactly maxMessageSize is delivered") {
        Client client({{"url", url("/send?size=1000&frag=300")}, {"caFile", server.ca_file},
                       {"maxMessageSize", "1000"}, {"messageFormat", "text"}});
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
        CHECK(client.recorder.messages().at(0).size() == 1000);
        CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).empty());
    }
}

// ---- the upgrade ----------------------------------------------------------------------------

TEST_CASE("refused upgrades: 401 and 403 are auth failures, 503 is retried", "[client][badpeer][handshake]") {
    TestServer server;
    struct Case {
        int status;
        tether_status expected;
        bool reconnects;
    };
    const Case c = GENERATE(Case{401, TETHER_E_AUTH, false}, Case{403, TETHER_E_AUTH, false},
                            Case{503, TETHER_E_HANDSHAKE, true}, Case{429, TETHER_E_HANDSHAKE, true},
                            Case{400, TETHER_E_HANDSHAKE, false});
    Client client({{"url", server.ws_url("/reject?status=" + std::to_string(c.status))},
                   {"maxReconnectAttempts", "1"}});
    const Ending end = run_until_error(client);
    INFO("HTTP " << c.status << ": " << end.error.text);
    CHECK(end.error.status == c.expected);
    CHECK(contains(end.error.text, "HTTP " + std::to_string(c.status)));
    CHECK(end.close.code == 1006);
    CHECK(end.reconnects == (c.reconnects ? 1u : 0u));
    if (c.reconnects) CHECK(contains(client.recorder.of_type(TETHER_EVENT_ERROR).back().text, "gave up after 1"));
    CHECK(end.elapsed < std::chrono::seconds(2));
}

TEST_CASE("answers that are not a WebSocket upgrade fail the handshake", "[client][badpeer][handshake]") {
    TestServer server;
    SECTION("200 with an HTML page") {
        Client client({{"url", server.ws_url("/not-websocket?answer=html")}, {"maxReconnectAttempts", "1"}});
        const Ending end = run_until_error(client);
        INFO(end.error.text);
        CHECK(end.error.status == TETHER_E_HANDSHAKE);
        CHECK(contains(end.error.text, "HTTP 200"));
        CHECK(end.reconnects == 1);  // the table: only 4xx answers are final
        CHECK(end.elapsed < std::chrono::seconds(2));
    }
    SECTION("101 with the Sec-WebSocket-Accept of another key, or none") {
        const std::string answer = GENERATE("bad-accept", "no-accept");
        Client client({{"url", server.ws_url("/not-websocket?answer=" + answer)}, {"maxReconnectAttempts", "1"},
                       {"handshakeTimeout", "3000"}});
        const Ending end = run_until_error(client);
        INFO(answer << ": " << end.error.text);
        CHECK(end.error.status == TETHER_E_HANDSHAKE);
        CHECK(contains(end.error.text, "Sec-WebSocket-Accept"));
        CHECK(end.reconnects == 1);
        CHECK(end.elapsed < std::chrono::seconds(2));  // judged at once, not at handshakeTimeout
        CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).empty());
    }
}

TEST_CASE("a slow-loris upgrade answer hits handshakeTimeout", "[client][badpeer][timeouts]") {
    TestServer server;
    SECTION("one byte per second: timeout, retried by the table") {
        Client client({{"url", server.ws_url("/slow-upgrade?byte_ms=1000")}, {"handshakeTimeout", "400"},
                       {"maxReconnectAttempts", "1"}});
        const Ending end = run_until_error(client);
        INFO(end.error.text);
        CHECK(end.error.status == TETHER_E_TIMEOUT);
        CHECK(contains(end.error.text, "handshake timed out after 400 ms"));
        CHECK(end.reconnects == 1);
        // Two attempts of 400 ms each, not the ~130 s the answer would take.
        CHECK(end.elapsed >= std::chrono::milliseconds(800));
        CHECK(end.elapsed < std::chrono::seconds(3));
        CHECK(client.recorder.of_type(TETHER_EVENT_OPEN).empty());
    }
    SECTION("the same answer, fast enough, opens") {
        Client client({{"url", server.ws_url("/slow-upgrade?byte_ms=1")}, {"handshakeTimeout", "5000"},
                       {"closeTimeout", "200"}});
        client.connect();
        REQUIRE(client.wait_open());
    }
    SECTION("wss: the TLS handshake counts too") {
        Client client({{"url", server.wss_url("/slow-upgrade?byte_ms=1000")}, {"caFile", server.ca_file},
                       {"handshakeTimeout", "400"}, {"autoReconnect", "false"}});
        const Ending end = run_until_error(client);
        INFO(end.error.text);
        CHECK(end.error.status == TETHER_E_TIMEOUT);
        CHECK(end.elapsed < std::chrono::seconds(2));
    }
}

TEST_CASE("a server that never answers the upgrade: timeout, then the table retries", "[client][badpeer][timeouts]") {
    // client_test.cpp checks the timeout with autoReconnect off; this is the table's decision.
    TestServer server;
    Client client({{"url", server.ws_url("/hang")}, {"handshakeTimeout", "200"}, {"maxReconnectAttempts", "1"}});
    const Ending end = run_until_error(client);
    INFO(end.error.text);
    CHECK(end.error.status == TETHER_E_TIMEOUT);
    CHECK(contains(end.error.text, "handshake timed out after 200 ms"));
    CHECK(end.reconnects == 1);
    auto errors = client.recorder.of_type(TETHER_EVENT_ERROR);
    REQUIRE(errors.size() == 3);  // two timeouts, then giving up
    CHECK(errors[1].status == TETHER_E_TIMEOUT);
    CHECK(contains(errors[2].text, "gave up after 1"));
    CHECK(end.elapsed < std::chrono::seconds(2));
}

// ---- TLS ------------------------------------------------------------------------------------

TEST_CASE("bad certificates are refused by default and accepted only through the explicit option",
          "[client][badpeer][tls]") {
    // client_test.cpp has the refusals of wrong-host and expired with the CA file, and the
    // insecure switch with the self-signed certificate; here every certificate goes both ways.
    TestServer server;
    struct Case {
        const char *name;
        uint16_t port;
        const char *reason;  // OpenSSL's words in the ERROR text
    };
    const Case cases[] = {
        {"expired", server.wss_expired_port, "certificate has expired"},
        {"wrong host", server.wss_wrong_host_port, "hostname mismatch"},
        {"self-signed", server.wss_self_signed_port, "self-signed certificate"},
        {"untrusted CA", server.wss_port, "unable to get local issuer certificate"},
    };
    for (const Case &c : cases) {
        const std::string url = port_url("wss", "localhost", c.port, "/echo");
        DYNAMIC_SECTION(c.name << ": refused with the reason, not retried") {
            // The test CA is trusted except for the untrusted-CA case, so only one thing is wrong.
            const bool trust_ca = std::string(c.name) != "untrusted CA";
            Client refused({{"url", url}, {"caFile", trust_ca ? server.ca_file : std::string()}});
            const Ending end = run_until_error(refused);
            INFO(end.error.text);
            CHECK(end.error.status == TETHER_E_TLS);
            CHECK(contains(end.error.text, "certificate verification failed"));
            CHECK(contains(end.error.text, c.reason));
            CHECK(end.reconnects == 0);
            CHECK(end.elapsed < std::chrono::seconds(2));
        }
        DYNAMIC_SECTION(c.name << ": accepted with insecureSkipTlsVerify") {
            Client client({{"url", url}, {"insecureSkipTlsVerify", "true"}, {"messageFormat", "text"}});
            client.connect();
            REQUIRE(client.wait_open());
            REQUIRE(client.send("over tls") == TETHER_OK);
            REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
            CHECK(client.recorder.messages().at(0) == "over tls");
        }
    }
    SECTION("untrusted CA: accepted once caFile names it") {
        Client client({{"url", server.wss_url("/echo")}, {"caFile", server.ca_file}});
        client.connect();
        REQUIRE(client.wait_open());
    }
    SECTION("caFile does not make a self-signed certificate trusted") {
        Client client({{"url", port_url("wss", "localhost", server.wss_self_signed_port, "/echo")},
                       {"caFile", server.ca_file}});
        const Ending end = run_until_error(client);
        CHECK(end.error.status == TETHER_E_TLS);
        CHECK(contains(end.error.text, "self-signed"));
    }
}

// ---- the token never shows ------------------------------------------------------------------

namespace {

// Distinctive, and an HTTP token so that every auth method accepts it.
const std::string kToken = "tk7-LEAKCANARY-q9Zx41";
const std::string kRefreshedToken = "tk8-LEAKCANARY-w2Rv73";

using Config = std::initializer_list<std::pair<std::string, std::string>>;

// Every character as %XX: the test server decodes it, and the URL the application configures
// (which tether may show, it is the application's own) does not contain the token as written.
std::string percent_encoded(const std::string &text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

// Everything tether wrote where fd 2 points while this object lives.
class StderrCapture {
public:
    StderrCapture() {
        std::fflush(stderr);
        char path[] = "/tmp/tether-badpeer-stderr-XXXXXX";
        file_ = mkstemp(path);
        REQUIRE(file_ >= 0);
        unlink(path);
        saved_ = dup(2);
        REQUIRE(saved_ >= 0);
        REQUIRE(dup2(file_, 2) == 2);
    }
    ~StderrCapture() { finish(); }
    StderrCapture(const StderrCapture &) = delete;
    StderrCapture &operator=(const StderrCapture &) = delete;

    std::string finish() {
        if (saved_ < 0) return text_;
        std::fflush(stderr);
        dup2(saved_, 2);
        close(saved_);
        saved_ = -1;
        lseek(file_, 0, SEEK_SET);
        char buffer[4096];
        ssize_t n = 0;
        while ((n = read(file_, buffer, sizeof buffer)) > 0) text_.append(buffer, static_cast<size_t>(n));
        close(file_);
        return text_;
    }

private:
    int file_ = -1;
    int saved_ = -1;
    std::string text_;
};

// The names of every option, from the schema.
std::vector<std::string> option_names() {
    const std::string schema = tether_options_schema_json();
    const std::string marker = "\"name\":\"";
    std::vector<std::string> names;
    for (size_t at = schema.find(marker); at != std::string::npos; at = schema.find(marker, at)) {
        at += marker.size();
        names.push_back(schema.substr(at, schema.find('"', at) - at));
    }
    return names;
}

// Everything the application could see, gathered for one search at the end.
struct Seen {
    std::string all;
    size_t runs = 0;

    void events(Client &client) {
        for (const Recorded &e : client.recorder.snapshot()) all += e.text + "\n" + e.data + "\n" + e.channel + "\n";
        all += client.stats() + "\n";
        ++runs;
    }
    void options(Config config) {
        harness::Options opts(config);
        static const std::vector<std::string> names = option_names();
        REQUIRE(names.size() > 20);
        for (const std::string &name : names) {
            char *value = nullptr;
            REQUIRE(tether_options_get(&value, opts.get(), name.c_str()) == TETHER_OK);
            all += name + "=" + value + "\n";
            tether_free(value);
        }
    }
    void last_error() { all += std::string(tether_last_error_message()) + "\n"; }
};

struct Method {
    const char *name;
    std::string accepting_path;  // a path that accepts kToken
    std::string refusing_path;   // a path that refuses it (another token expected)
    std::string reconnecting_path;
    const char *success_type;
};

std::vector<Method> methods() {
    const std::string token = percent_encoded(kToken);
    const std::string other = percent_encoded("tk9-someone-else");
    return {
        {"query-param", "/auth/query?expect=" + token, "/auth/query?expect=" + other, "/close?code=1011&reason=restart",
         ""},
        // /close selects the first offered subprotocol: the token itself, which tether must not report.
        {"subprotocol", "/auth/subprotocol?expect=" + token, "/auth/subprotocol?expect=" + other,
         "/close?code=1011&reason=restart", ""},
        {"first-message", "/auth/first-message?expect=" + token + "&type=authenticate&reply=auth_ok",
         "/auth/first-message?expect=" + other, "/auth/first-message?silent=1", "auth_ok"},
    };
}

}  // namespace

TEST_CASE("the token never appears in events, stats, options, error messages or stderr", "[client][badpeer][auth]") {
    TestServer server;
    Seen seen;
    StderrCapture capture;
    const std::string marker = "stderr-capture-works\n";
    REQUIRE(write(2, marker.data(), marker.size()) == static_cast<ssize_t>(marker.size()));

    for (const Method &m : methods()) {
        INFO("authMethod " << m.name);
        const std::string method = m.name;
        const std::string success_type = m.success_type;

        {  // connect, authenticate, exchange a message, close
            const Config config = {{"url", server.ws_url(m.accepting_path)}, {"authMethod", method},
                                   {"authToken", kToken}, {"authSuccessType", success_type},
                                   {"messageFormat", "text"}};
            seen.options(config);
            Client client(config);
            client.connect();
            REQUIRE(client.wait_open());
            REQUIRE(client.send("hello") == TETHER_OK);
            REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
            CHECK(client.recorder.messages().at(0) == "hello");
            seen.events(client);
            REQUIRE(tether_client_close(client.get(), 1000, "bye") == TETHER_OK);
            REQUIRE(harness::wait_final_state(client, TETHER_STATE_DISCONNECTED));
            seen.events(client);
        }
        {  // the server refuses the token
            Client client({{"url", server.ws_url(m.refusing_path)}, {"authMethod", method}, {"authToken", kToken},
                           {"authSuccessType", success_type}});
            const Ending end = run_until_error(client);
            CHECK(end.error.status == TETHER_E_AUTH);
            seen.events(client);
        }
        {  // reconnects, with a token refreshed at each RECONNECT
            Client client({{"url", server.ws_url(m.reconnecting_path)}, {"authMethod", method},
                           {"authToken", kToken}, {"authSuccessType", success_type}, {"authTimeout", "150"},
                           {"maxReconnectAttempts", "2"}});
            client.recorder.hook = [&](const Recorded &e) {
                if (e.type == TETHER_EVENT_RECONNECT) tether_client_set_token(client.get(), kRefreshedToken.c_str());
            };
            client.connect();
            REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_RECONNECT, 2));
            if (success_type.empty()) {
                // Each connection opens (the refreshed token too), so the attempts never run out.
                REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_OPEN, 3));
            } else {
                // Each authentication times out: the attempts run out.
                REQUIRE(harness::wait_final_state(client, TETHER_STATE_ERROR));
                CHECK(client.recorder.of_type(TETHER_EVENT_ERROR).at(0).status == TETHER_E_TIMEOUT);
            }
            REQUIRE(tether_client_close(client.get(), 1000, "done") == TETHER_OK);
            REQUIRE(client.recorder.wait_until([&](auto &) {
                const int32_t state = client.state();
                return state == TETHER_STATE_DISCONNECTED || state == TETHER_STATE_ERROR;
            }));
            seen.events(client);
        }
        // Failures of every layer: HTTP, timeout, TLS, WebSocket protocol.
        const Config failures[] = {
            {{"url", server.ws_url("/reject?status=503")}, {"maxReconnectAttempts", "1"}},
            {{"url", server.ws_url("/hang")}, {"handshakeTimeout", "150"}, {"autoReconnect", "false"}},
            {{"url", port_url("wss", "localhost", server.wss_self_signed_port, "/echo")}},
            {{"url", server.ws_url("/bad-frame?kind=opcode")}},
            {{"url", server.ws_url("/not-websocket?answer=bad-accept")}, {"autoReconnect", "false"}},
        };
        for (const Config &failure : failures) {
            // harness::Client takes one list; these add the method's settings, so the client is made here.
            harness::Options opts(failure);
            opts.set("authMethod", method);
            opts.set("authToken", kToken);
            opts.set("authSuccessType", success_type);
            opts.set("pingInterval", "0");
            opts.set("reconnectDelay", "20");
            harness::Recorder recorder;
            tether_client *raw = nullptr;
            REQUIRE(tether_client_new(&raw, nullptr, opts.get(), TETHER_MODE_CALLBACK, harness::on_event,
                                      harness::on_release, &recorder) == TETHER_OK);
            REQUIRE(tether_client_connect(raw) == TETHER_OK);
            REQUIRE(recorder.wait_until([&](const std::vector<Recorded> &evs) {
                return !evs.empty() && evs.back().type == TETHER_EVENT_STATE && evs.back().state == TETHER_STATE_ERROR;
            }));
            CHECK_FALSE(recorder.of_type(TETHER_EVENT_ERROR).empty());
            char *stats = nullptr;
            REQUIRE(tether_client_stats_json(&stats, raw) == TETHER_OK);
            seen.all += stats;
            tether_free(stats);
            tether_client_destroy(raw);
            REQUIRE(recorder.wait_released());
            for (const Recorded &e : recorder.snapshot()) seen.all += e.text + "\n" + e.data + "\n" + e.channel + "\n";
            ++seen.runs;
        }
    }

    // Calls that refuse a token say why without quoting it.
    {
        harness::Options opts{{"url", server.ws_url("/echo")}};
        CHECK(tether_options_set(opts.get(), "authToken", (kToken + "\x01").c_str()) == TETHER_E_BAD_OPTION_VALUE);
        seen.last_error();
        CHECK(tether_options_set_json(opts.get(), ("{\"authToken\":\"" + kToken + "\\t\"}").c_str()) ==
              TETHER_E_BAD_OPTION_VALUE);
        seen.last_error();
        opts.set("authMethod", "subprotocol");
        opts.set("authToken", kToken + " with a space");  // not an HTTP token: refused at creation
        tether_client *refused = nullptr;
        CHECK(tether_client_new(&refused, nullptr, opts.get(), TETHER_MODE_POLL, nullptr, nullptr, nullptr) ==
              TETHER_E_BAD_OPTION_VALUE);
        seen.last_error();
        Client client({{"url", server.ws_url("/echo")}, {"authMethod", "query-param"}, {"authToken", kToken}});
        CHECK(tether_client_set_token(client.get(), (kToken + "\xff").c_str()) == TETHER_E_INVALID_UTF8);
        seen.last_error();
    }

    const std::string stderr_text = capture.finish();
    CHECK(contains(stderr_text, marker));  // the capture saw fd 2
    CHECK(seen.runs == 3 * 9);
    INFO("seen: " << seen.all.size() << " bytes; stderr: " << stderr_text.size() << " bytes");
    CHECK_FALSE(contains(seen.all, kToken));
    CHECK_FALSE(contains(seen.all, kRefreshedToken));
    CHECK_FALSE(contains(seen.all, "LEAKCANARY"));
    CHECK_FALSE(contains(stderr_text, "LEAKCANARY"));
    // The search would find it: the redacted forms are there instead.
    CHECK(contains(seen.all, "authToken=***"));
    CHECK(contains(seen.all, "token=***"));
}

TEST_CASE("a refreshed token is held to the rules of authToken", "[client][badpeer][auth]") {
    // The token goes into the request: a CR LF in it must never become a header of its own.
    TestServer server;
    const std::string injected = kToken + "\r\nX-Injected: yes";
    SECTION("subprotocol auth: control characters and non-token characters are refused") {
        Client client({{"url", server.ws_url("/headers")}, {"authMethod", "subprotocol"}, {"authToken", kToken},
                       {"messageFormat", "text"}});
        CHECK(tether_client_set_token(client.get(), injected.c_str()) == TETHER_E_BAD_OPTION_VALUE);
        CHECK(contains(tether_last_error_message(), "value not shown"));
        CHECK_FALSE(contains(tether_last_error_message(), "LEAKCANARY"));
        CHECK(tether_client_set_token(client.get(), (kToken + ",other").c_str()) == TETHER_E_BAD_OPTION_VALUE);
        CHECK_FALSE(contains(tether_last_error_message(), "LEAKCANARY"));
        // The token in force is still the good one.
        client.connect();
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
        const std::string headers = client.recorder.messages().at(0);
        CHECK_FALSE(contains(headers, "x-injected"));
        CHECK(contains(headers, "\"sec-websocket-protocol\":\"" + kToken + "\""));
    }
    SECTION("query-param and first-message auth: control characters are refused") {
        const char *method = GENERATE("query-param", "first-message");
        Client client({{"url", server.ws_url("/echo")}, {"authMethod", method}, {"authToken", kToken}});
        CHECK(tether_client_set_token(client.get(), injected.c_str()) == TETHER_E_BAD_OPTION_VALUE);
        CHECK_FALSE(contains(tether_last_error_message(), "LEAKCANARY"));
        CHECK(tether_client_set_token(client.get(), (kToken + " with=space&more").c_str()) == TETHER_OK);
        CHECK(tether_client_set_token(client.get(), "") == TETHER_OK);  // clears it
    }
}
