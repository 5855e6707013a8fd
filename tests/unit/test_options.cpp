#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "impl/config/options.hpp"

using namespace tether;
using namespace tether::config;
using Catch::Matchers::Contains;

namespace {

// Every key of tether.h, in its order.
const std::vector<std::string> kAllKeys = {
    "url", "authMethod", "messageFormat", "protocol", "authToken", "tokenParamName", "authMessageType",
    "authMessageTemplate", "authSuccessType", "authTimeout", "subprotocols", "pingInterval",
    "pongTimeout", "autoReconnect", "maxReconnectAttempts", "reconnectDelay", "maxReconnectDelay",
    "connectTimeout", "handshakeTimeout", "closeTimeout", "maxMessageSize", "queueWhileOffline",
    "maxQueuedMessages", "maxQueuedBytes", "maxPollQueue", "headers", "userAgent",
    "perMessageDeflate", "proxy", "caFile", "clientCertFile", "clientKeyFile",
    "insecureSkipTlsVerify", "provider", "namespace", "queryParams"};

std::string get(const Options &o, const std::string &key) {
    std::string out;
    const Error e = get_option(o, key, out);
    INFO(key << ": " << e.message);
    REQUIRE(e.status == TETHER_OK);
    return out;
}

void set_ok(Options &o, const std::string &key, const std::string &value) {
    const Error e = set_option(o, key, value);
    INFO(key << " = " << value << ": " << e.message);
    REQUIRE(e.status == TETHER_OK);
}

// Expects a failure with status and leaves every option as it was.
Error set_fail(Options &o, const std::string &key, const std::string &value, tether_status status) {
    std::map<std::string, std::string> before;
    for (const std::string &k : kAllKeys) before[k] = get(o, k);
    const Error e = set_option(o, key, value);
    INFO(key << " = " << value << ": " << e.message);
    CHECK(e.status == status);
    for (const std::string &k : kAllKeys) CHECK(get(o, k) == before[k]);
    return e;
}

boost::json::value schema() {
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(options_schema_json(), ec);
    REQUIRE_FALSE(ec);
    return v;
}

const boost::json::object &schema_field(const boost::json::value &s, const std::string &name) {
    for (const boost::json::value &f : s.as_array()) {
        if (f.as_object().at("name").as_string() == name.c_str()) return f.as_object();
    }
    FAIL("no schema field " << name);
    throw 0;
}

std::filesystem::path temp_file(const std::string &name, const std::string &content) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("tether_unit_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream(path) << content;
    return path;
}

}  // namespace

TEST_CASE("defaults match the spec", "[options]") {
    const Options o;
    const std::map<std::string, std::string> expected = {
        {"url", ""},
        {"authMethod", "none"},
        {"messageFormat", "json"},
        {"authToken", ""},
        {"tokenParamName", "token"},
        {"authMessageType", "authenticate"},
        {"authMessageTemplate", ""},
        {"authSuccessType", ""},
        {"authTimeout", "10000"},
        {"subprotocols", ""},
        {"protocol", "raw"},
        {"pingInterval", "30000"},
        {"pongTimeout", "5000"},
        {"autoReconnect", "true"},
        {"maxReconnectAttempts", "10"},
        {"reconnectDelay", "1000"},
        {"maxReconnectDelay", "30000"},
        {"connectTimeout", "10000"},
        {"handshakeTimeout", "10000"},
        {"closeTimeout", "5000"},
        {"maxMessageSize", "16777216"},
        {"queueWhileOffline", "true"},
        {"maxQueuedMessages", "1000"},
        {"maxQueuedBytes", "16777216"},
        {"maxPollQueue", "10000"},
        {"headers", "{}"},
        {"userAgent", "tether/0.1.0"},
        {"perMessageDeflate", "false"},
        {"proxy", ""},
        {"caFile", ""},
        {"clientCertFile", ""},
        {"clientKeyFile", ""},
        {"insecureSkipTlsVerify", "false"},
        {"provider", "none"},
        {"namespace", "/"},
        {"queryParams", "{}"},
    };
    REQUIRE(expected.size() == kAllKeys.size());
    for (const std::string &key : kAllKeys) {
        CAPTURE(key);
        CHECK(get(o, key) == expected.at(key));
    }
    CHECK(o.auth_method == AuthMethod::none);
    CHECK(o.message_format == MessageFormat::json);
    CHECK(o.subprotocols.empty());
    CHECK(o.headers.empty());
}

TEST_CASE("every key sets and reads back", "[options]") {
    Options o;
    const std::vector<std::pair<std::string, std::string>> values = {
        {"url", "wss://api.example.com/ws?x=1"},
        {"authMethod", "first-message"},
        {"messageFormat", "binary"},
        {"tokenParamName", "access_token"},
        {"authMessageType", "connection_init"},
        {"authMessageTemplate", "{\"type\":\"{{type}}\",\n \"payload\":{\"t\":\"{{token}}\"}}"},
        {"authSuccessType", "connection_ack"},
        {"authTimeout", "2500"},
        {"subprotocols", "graphql-transport-ws, graphql-ws"},
        {"pingInterval", "0"},
        {"pongTimeout", "1"},
        {"autoReconnect", "false"},
        {"maxReconnectAttempts", "0"},
        {"reconnectDelay", "250"},
        {"maxReconnectDelay", "60000"},
        {"connectTimeout", "3000"},
        {"handshakeTimeout", "4000"},
        {"closeTimeout", "100"},
        {"maxMessageSize", "1073741824"},
        {"queueWhileOffline", "false"},
        {"maxQueuedMessages", "5"},
        {"maxQueuedBytes", "1024"},
        {"maxPollQueue", "7"},
        {"headers", "{\"Origin\":\"https://example.com\",\"X-Api-Key\":\"k\"}"},
        {"userAgent", "my-app/2.0 (tether)"},
        {"perMessageDeflate", "true"},
        {"proxy", "http://proxy.local:3128"},
        {"caFile", "/etc/ssl/ca.pem"},
        {"clientCertFile", "/c.pem"},
        {"clientKeyFile", "/k.pem"},
        {"insecureSkipTlsVerify", "true"},
    };
    for (const auto &[key, value] : values) {
        set_ok(o, key, value);
        CHECK(get(o, key) == value);
    }
    CHECK(o.url == "wss://api.example.com/ws?x=1");
    CHECK(o.auth_method == AuthMethod::first_message);
    CHECK(o.message_format == MessageFormat::binary);
    CHECK(o.token_param_name == "access_token");
    CHECK(o.auth_timeout_ms == 2500);
    CHECK(o.subprotocols == std::vector<std::string>{"graphql-transport-ws", "graphql-ws"});
    CHECK(o.ping_interval_ms == 0);
    CHECK(o.pong_timeout_ms == 1);
    CHECK_FALSE(o.auto_reconnect);
    CHECK(o.max_reconnect_attempts == 0);
    CHECK(o.reconnect_delay_ms == 250);
    CHECK(o.max_reconnect_delay_ms == 60000);
    CHECK(o.connect_timeout_ms == 3000);
    CHECK(o.handshake_timeout_ms == 4000);
    CHECK(o.close_timeout_ms == 100);
    CHECK(o.max_message_size == (1u << 30));
    CHECK_FALSE(o.queue_while_offline);
    CHECK(o.max_queued_messages == 5);
    CHECK(o.max_queued_bytes == 1024);
    CHECK(o.max_poll_queue == 7);
    REQUIRE(o.headers.size() == 2);
    CHECK(o.headers[0] == std::make_pair(std::string("Origin"), std::string("https://example.com")));
    CHECK(o.headers[1] == std::make_pair(std::string("X-Api-Key"), std::string("k")));
    CHECK(o.user_agent == "my-app/2.0 (tether)");
    CHECK(o.per_message_deflate);
    CHECK(o.proxy == "http://proxy.local:3128");
    CHECK(o.insecure_skip_tls_verify);

    for (const char *method : {"none", "query-param", "first-message", "subprotocol"}) {
        set_ok(o, "authMethod", method);
        CHECK(get(o, "authMethod") == method);
    }
    CHECK(o.auth_method == AuthMethod::subprotocol);
    for (const char *format : {"json", "text", "binary"}) {
        set_ok(o, "messageFormat", format);
        CHECK(get(o, "messageFormat") == format);
    }
}

TEST_CASE("number options: the documented message and every range from the schema",
          "[options]") {
    Options o;
    Error e = set_fail(o, "pingInterval", "abc", TETHER_E_BAD_OPTION_VALUE);
    CHECK(e.message ==
          "pingInterval: expected a whole number of milliseconds from 0 to 86400000, got 'abc'");
    e = set_fail(o, "maxMessageSize", "0", TETHER_E_BAD_OPTION_VALUE);
    CHECK(e.message ==
          "maxMessageSize: expected a whole number of bytes from 1 to 1073741824, got '0'");

    const boost::json::value s = schema();
    int numbers = 0;
    for (const boost::json::value &fv : s.as_array()) {
        const boost::json::object &f = fv.as_object();
        if (f.at("type").as_string() != "number") continue;
        ++numbers;
        const std::string key(f.at("name").as_string());
        CAPTURE(key);
        const std::int64_t min = f.at("min").to_number<std::int64_t>();
        const std::int64_t max = f.at("max").to_number<std::int64_t>();
        const std::int64_t def = f.at("default").to_number<std::int64_t>();
        CHECK(min <= def);
        CHECK(def <= max);
        set_ok(o, key, std::to_string(min));
        CHECK(get(o, key) == std::to_string(min));
        set_ok(o, key, std::to_string(max));
        CHECK(get(o, key) == std::to_string(max));
        set_ok(o, key, "00" + std::to_string(def));
        CHECK(get(o, key) == std::to_string(def));
        for (const std::string &bad :
             {std::to_string(min - 1), std::to_string(max + 1), std::string("abc"), std::string(""),
              std::string(" 5"), std::string("5 "), std::string("1.5"), std::string("+5"),
              std::string("0x10"), std::string("-"), std::string("1e3"),
              std::string("99999999999999999999999"), std::string("-99999999999999999999999")}) {
            CAPTURE(bad);
            const Error err = set_fail(o, key, bad, TETHER_E_BAD_OPTION_VALUE);
            CHECK_THAT(err.message, Contains(key + ": expected a whole number"));
            CHECK_THAT(err.message, Contains("from " + std::to_string(min) + " to " +
                                             std::to_string(max)));
            CHECK_THAT(err.message, Contains("got '" + bad + "'"));
        }
    }
    CHECK(numbers == 13);
}

TEST_CASE("the documented ranges", "[options]") {
    const boost::json::value s = schema();
    const auto range = [&](const std::string &key) {
        const boost::json::object &f = schema_field(s, key);
        return std::make_pair(f.at("min").to_number<std::int64_t>(),
                              f.at("max").to_number<std::int64_t>());
    };
    using R = std::pair<std::int64_t, std::int64_t>;
    for (const char *timeout : {"authTimeout", "pongTimeout", "connectTimeout",
                                "handshakeTimeout", "closeTimeout", "reconnectDelay"}) {
        CAPTURE(timeout);
        CHECK(range(timeout) == R{1, 3600000});
    }
    CHECK(range("pingInterval") == R{0, 86400000});
    CHECK(range("maxReconnectAttempts") == R{0, 1000000});
    CHECK(range("maxMessageSize") == R{1, std::int64_t(1) << 30});
    CHECK(range("maxReconnectDelay").first == 1);
    CHECK(range("maxQueuedMessages").first == 1);
    CHECK(range("maxQueuedBytes").first == 1);
    CHECK(range("maxPollQueue").first == 1);
}

TEST_CASE("boolean options", "[options]") {
    Options o;
    for (const char *key : {"autoReconnect", "queueWhileOffline", "perMessageDeflate",
                            "insecureSkipTlsVerify"}) {
        CAPTURE(key);
        set_ok(o, key, "true");
        CHECK(get(o, key) == "true");
        set_ok(o, key, "0");
        CHECK(get(o, key) == "false");
        set_ok(o, key, "1");
        CHECK(get(o, key) == "true");
        set_ok(o, key, "false");
        CHECK(get(o, key) == "false");
        for (const char *bad : {"TRUE", "False", "yes", "no", "", " true", "2", "on"}) {
            CAPTURE(bad);
            const Error e = set_fail(o, key, bad, TETHER_E_BAD_OPTION_VALUE);
            CHECK(e.message == std::string(key) + ": expected true or false, got '" + bad + "'");
        }
    }
}

TEST_CASE("select options list the allowed values", "[options]") {
    Options o;
    Error e = set_fail(o, "authMethod", "query_param", TETHER_E_BAD_OPTION_VALUE);
    CHECK(e.message == "authMethod: expected one of none, query-param, first-message, "
                       "subprotocol; got 'query_param'");
    for (const char *bad : {"", "Query-Param", "NONE", "bearer"}) {
        set_fail(o, "authMethod", bad, TETHER_E_BAD_OPTION_VALUE);
    }
    e = set_fail(o, "messageFormat", "xml", TETHER_E_BAD_OPTION_VALUE);
    CHECK(e.message == "messageFormat: expected one of json, text, binary; got 'xml'");
    set_fail(o, "messageFormat", "JSON", TETHER_E_BAD_OPTION_VALUE);
}

TEST_CASE("url goes through parse_ws_url", "[options]") {
    Options o;
    set_ok(o, "url", "wss://[::1]:8443/ws");
    Error e = set_fail(o, "url", "http://example.com", TETHER_E_BAD_URL);
    CHECK_THAT(e.message, Contains("url: unsupported scheme 'http': use ws:// or wss://"));
    set_fail(o, "url", "", TETHER_E_BAD_URL);
    set_fail(o, "url", "ws://host:0/", TETHER_E_BAD_URL);
    set_fail(o, "url", "ws://a b/", TETHER_E_BAD_URL);
    CHECK(o.url == "wss://[::1]:8443/ws");
}

TEST_CASE("unknown keys are named, with a suggestion when one is close", "[options]") {
    Options o;
    Error e = set_fail(o, "pingIntervall", "1", TETHER_E_UNKNOWN_OPTION);
    CHECK(e.message == "unknown option 'pingIntervall': did you mean 'pingInterval'?");
    CHECK_THAT(set_fail(o, "PingInterval", "1", TETHER_E_UNKNOWN_OPTION).message,
               Contains("did you mean 'pingInterval'?"));
    CHECK_THAT(set_fail(o, "ping_interval", "1", TETHER_E_UNKNOWN_OPTION).message,
               Contains("did you mean 'pingInterval'?"));
    CHECK_THAT(set_fail(o, "authtoken", "x", TETHER_E_UNKNOWN_OPTION).message,
               Contains("did you mean 'authToken'?"));
    CHECK_THAT(set_fail(o, "URL", "ws://h/", TETHER_E_UNKNOWN_OPTION).message,
               Contains("did you mean 'url'?"));
    CHECK_THAT(set_fail(o, "maxReconectAttempts", "1", TETHER_E_UNKNOWN_OPTION).message,
               Contains("did you mean 'maxReconnectAttempts'?"));
    e = set_fail(o, "bogus", "1", TETHER_E_UNKNOWN_OPTION);
    CHECK(e.message == "unknown option 'bogus'");
    e = set_fail(o, "", "1", TETHER_E_UNKNOWN_OPTION);
    CHECK(e.message == "unknown option ''");
    e = set_fail(o, "timeout", "1", TETHER_E_UNKNOWN_OPTION);
    CHECK(e.message == "unknown option 'timeout'");
    e = set_fail(o, "a\nb", "1", TETHER_E_UNKNOWN_OPTION);
    CHECK(e.message == "unknown option 'a\\x0ab'");

    std::string out = "unchanged";
    CHECK(get_option(o, "pingintervall", out).status == TETHER_E_UNKNOWN_OPTION);
    CHECK(out == "unchanged");
}

TEST_CASE("authToken is secret", "[options][secrets]") {
    Options o;
    set_ok(o, "authToken", "s3cr3t-Token.value");
    CHECK(o.auth_token == "s3cr3t-Token.value");
    CHECK(get(o, "authToken") == "***");
    set_ok(o, "authToken", "");
    CHECK(get(o, "authToken") == "");
    set_ok(o, "authToken", "x y+/=\xC3\xA9");  // any printable text (query-param encodes it)
    CHECK(o.auth_token == "x y+/=\xC3\xA9");
}

TEST_CASE("a token never appears in any error message", "[options][secrets]") {
    const std::string secret = "TOPSECRET";
    std::vector<Error> errors;
    Options o;
    errors.push_back(set_option(o, "authToken", secret + "\n"));
    errors.push_back(set_option(o, "authToken", secret + "\t"));
    errors.push_back(set_option(o, "authToken", secret + "\xFF"));
    errors.push_back(set_option(o, "url", "http://h/ws?token=" + secret));
    errors.push_back(set_option(o, "url", "ws://h:0/ws?access_token=" + secret));
    errors.push_back(set_option(o, "url", "ws://user:" + secret + "@h/"));
    errors.push_back(set_option(o, "proxy", "http://user:" + secret + "@proxy:0"));
    errors.push_back(set_option(o, "proxy", "socks5://user:" + secret + "@proxy:1"));
    errors.push_back(set_option(o, "headers", "{\"Authorization\":\"Bearer " + secret + "\r\n\"}"));
    errors.push_back(set_option(o, "headers", "{\"Authorization\":\"Bearer " + secret + "\",\"authorization\":\"x\"}"));
    errors.push_back(set_option(o, "headers", "{\"Authorization\":\"Bearer " + secret));
    errors.push_back(set_options_json(o, "{\"authToken\":\"" + secret + "\\n\"}"));
    errors.push_back(set_options_json(o, "{\"authToken\":" + std::string("12345") + "}"));
    errors.push_back(set_options_json(o, "{\"authToken\":[\"" + secret + "\"]}"));
    errors.push_back(set_options_json(o, "{\"authToken\":\"" + secret + "\",\"bogus\":1}"));
    errors.push_back(set_options_json(o, "{\"authToken\":\"" + secret + "\",\"pingInterval\":-1}"));
    errors.push_back(set_options_json(o, "{\"authToken\":\"" + secret + "\" oops}"));
    errors.push_back(set_options_json(o, "{\"authToken\":\"" + secret + "\xFF\"}"));
    Options sub;
    set_ok(sub, "url", "ws://h/");
    set_ok(sub, "authMethod", "subprotocol");
    set_ok(sub, "authToken", secret + " with spaces");
    errors.push_back(check_ready_to_connect(sub));
    for (const Error &e : errors) {
        INFO(e.message);
        CHECK(e.failed());
        CHECK(e.message.find(secret) == std::string::npos);
        CHECK(e.message.find("12345") == std::string::npos);
    }
    CHECK(o.auth_token.empty());
}

TEST_CASE("subprotocols", "[options]") {
    Options o;
    set_ok(o, "subprotocols", "graphql-transport-ws");
    CHECK(o.subprotocols == std::vector<std::string>{"graphql-transport-ws"});
    set_ok(o, "subprotocols", " a ,\tb,c ");
    CHECK(o.subprotocols == std::vector<std::string>{"a", "b", "c"});
    CHECK(get(o, "subprotocols") == "a, b, c");
    set_ok(o, "subprotocols", get(o, "subprotocols"));
    CHECK(o.subprotocols == std::vector<std::string>{"a", "b", "c"});
    CHECK_THAT(set_fail(o, "subprotocols", "a,,b", TETHER_E_BAD_OPTION_VALUE).message,
               Contains("subprotocols: empty name"));
    set_fail(o, "subprotocols", "a,b,", TETHER_E_BAD_OPTION_VALUE);
    set_fail(o, "subprotocols", ",", TETHER_E_BAD_OPTION_VALUE);
    CHECK_THAT(set_fail(o, "subprotocols", "a b", TETHER_E_BAD_OPTION_VALUE).message,
               Contains("'a b' is not a valid subprotocol name"));
    set_fail(o, "subprotocols", "a;b", TETHER_E_BAD_OPTION_VALUE);
    set_fail(o, "subprotocols", "a\"", TETHER_E_BAD_OPTION_VALUE);
    CHECK_THAT(set_fail(o, "subprotocols", "x, x", TETHER_E_BAD_OPTION_VALUE).message,
               Contains("'x' is listed twice"));
    set_ok(o, "subprotocols", "  ");
    CHECK(o.subprotocols.empty());
    set_ok(o, "subprotocols", "v1");
    set_ok(o, "subprotocols", "");
    CHECK(o.subprotocols.empty());
}

TEST_CASE("headers", "[options]") {
    Options o;
    set_ok(o, "headers", R"({"Origin":"https://x.example","X-Empty":"","X-Tab":"a\tb"})");
    REQUIRE(o.headers.size() == 3);
    CHECK(o.headers[2].second == "a\tb");
    CHECK(get(o, "headers") == R"({"Origin":"https://x.example","X-Empty":"","X-Tab":"a\tb"})");
    set_ok(o, "headers", get(o, "headers"));
    CHECK(o.headers.size() == 3);
    set_ok(o, "headers", R"({"X-Quote":"say \"hi\" \\ \u00e9"})");
    CHECK(o.headers[0].second == "say \"hi\" \\ \xC3\xA9");
    CHECK(get(o, "headers") == "{\"X-Quote\":\"say \\\"hi\\\" \\\\ \xC3\xA9\"}");

    const auto fails = [&](const std::string &value, const std::string &expected) {
        CAPTURE(value);
        const Error e = set_fail(o, "headers", value, TETHER_E_BAD_OPTION_VALUE);
        CHECK_THAT(e.message, Contains("headers: "));
        CHECK_THAT(e.message, Contains(expected));
    };
    fails("not json", "expected a JSON object of string values");
    fails("[]", "expected a JSON object of string values");
    fails("\"x\"", "expected a JSON object of string values");
    fails(R"({"X-Num":1})", "the value of 'X-Num' must be a string");
    fails(R"({"X Foo":"v"})", "'X Foo' is not a valid header name");
    fails(R"({"":"v"})", "is not a valid header name");
    fails(R"({"X-Inject":"a\r\nEvil: 1"})", "must not contain CR, LF");
    fails(R"({"X-Nul":"a\u0000"})", "must not contain CR, LF");
    fails(R"({"Host":"h"})", "'Host' cannot be set here: tether sets it");
    fails(R"({"connection":"close"})", "tether sets it");
    fails(R"({"Upgrade":"h2c"})", "tether sets it");
    fails(R"({"Sec-WebSocket-Key":"k"})", "tether sets it");
    fails(R"({"Sec-WebSocket-Version":"8"})", "tether sets it");
    fails(R"({"Content-Length":"1"})", "tether sets it");
    fails(R"({"Sec-WebSocket-Protocol":"p"})", "use the subprotocols option");
    fails(R"({"sec-websocket-extensions":"p"})", "use the perMessageDeflate option");
    fails(R"({"User-Agent":"u"})", "use the userAgent option");
    fails(R"({"X-A":"1","x-a":"2"})", "'x-a' appears twice");
    CHECK(o.headers.size() == 1);

    set_ok(o, "headers", "{}");
    CHECK(o.headers.empty());
    set_ok(o, "headers", R"({"A":"b"})");
    set_ok(o, "headers", "");
    CHECK(o.headers.empty());
}

TEST_CASE("proxy", "[options][secrets]") {
    Options o;
    set_ok(o, "proxy", "http://user:pa%40ss@proxy.local:3128");
    CHECK(o.proxy == "http://user:pa%40ss@proxy.local:3128");
    CHECK(get(o, "proxy") == "http://user:***@proxy.local:3128");
    const Error e = set_fail(o, "proxy", "https://user:pw2@proxy:1", TETHER_E_BAD_URL);
    CHECK_THAT(e.message, Contains("proxy: unsupported proxy scheme 'https'"));
    CHECK(e.message.find("pw2") == std::string::npos);
    set_fail(o, "proxy", "proxy:3128", TETHER_E_BAD_URL);
    set_ok(o, "proxy", "");
    CHECK(o.proxy.empty());
}

TEST_CASE("text options", "[options]") {
    Options o;
    CHECK(set_fail(o, "tokenParamName", "", TETHER_E_BAD_OPTION_VALUE).message ==
          "tokenParamName: must not be empty");
    set_fail(o, "tokenParamName", "a\nb", TETHER_E_BAD_OPTION_VALUE);
    set_ok(o, "tokenParamName", "access token");
    set_fail(o, "userAgent", "ua\r\nX-Evil: 1", TETHER_E_BAD_OPTION_VALUE);
    set_ok(o, "userAgent", "");
    set_fail(o, "authMessageType", "a\nb", TETHER_E_BAD_OPTION_VALUE);
    set_ok(o, "authMessageType", "");
    set_fail(o, "authSuccessType", "a\rb", TETHER_E_BAD_OPTION_VALUE);
    set_fail(o, "caFile", std::string("/a\0b", 4), TETHER_E_BAD_OPTION_VALUE);
    set_ok(o, "authMessageTemplate", "42[\"auth\",\n{\"token\":\"{{token}}\"}]");
    set_ok(o, "authMessageTemplate", "");
}

TEST_CASE("values that are not UTF-8 fail with TETHER_E_INVALID_UTF8", "[options]") {
    Options o;
    for (const std::string &key : kAllKeys) {
        CAPTURE(key);
        const Error e = set_fail(o, key, "x\xC0\x80", TETHER_E_INVALID_UTF8);
        CHECK(e.message == key + ": the value is not valid UTF-8");
    }
}

TEST_CASE("set_options_json applies one object", "[options][json]") {
    Options o;
    const Error e = set_options_json(o, R"({
        "url": "wss://api.example.com/ws",
        "authMethod": "query-param",
        "authToken": "tok",
        "tokenParamName": "token",
        "messageFormat": "json",
        "autoReconnect": true,
        "pingInterval": 30000,
        "pongTimeout": "6000",
        "queueWhileOffline": "false",
        "perMessageDeflate": 1,
        "maxQueuedBytes": 2048.0,
        "maxMessageSize": 18446744073709551615e-19,
        "headers": {"Origin": "https://example.com"},
        "subprotocols": ["graphql-ws", "v2"]
    })");
    // maxMessageSize 1.8446744 is not a whole number: nothing is applied.
    CHECK(e.status == TETHER_E_BAD_OPTION_VALUE);
    CHECK_THAT(e.message, Contains("maxMessageSize: expected a whole number of bytes"));
    CHECK(o.url.empty());

    REQUIRE(set_options_json(o, R"({
        "url": "wss://api.example.com/ws",
        "authMethod": "query-param",
        "authToken": "tok",
        "tokenParamName": "token",
        "messageFormat": "json",
        "autoReconnect": true,
        "pingInterval": 30000,
        "pongTimeout": "6000",
        "queueWhileOffline": "false",
        "perMessageDeflate": 1,
        "maxQueuedBytes": 2048.0,
        "headers": {"Origin": "https://example.com"},
        "subprotocols": ["graphql-ws", "v2"]
    })").status == TETHER_OK);
    CHECK(o.url == "wss://api.example.com/ws");
    CHECK(o.auth_method == AuthMethod::query_param);
    CHECK(o.auth_token == "tok");
    CHECK(o.auto_reconnect);
    CHECK(o.ping_interval_ms == 30000);
    CHECK(o.pong_timeout_ms == 6000);
    CHECK_FALSE(o.queue_while_offline);
    CHECK(o.per_message_deflate);
    CHECK(o.max_queued_bytes == 2048);
    REQUIRE(o.headers.size() == 1);
    CHECK(o.headers[0].first == "Origin");
    CHECK(o.subprotocols == std::vector<std::string>{"graphql-ws", "v2"});

    REQUIRE(set_options_json(o, "{}").status == TETHER_OK);
    REQUIRE(set_options_json(o, " {\"headers\": \"{\\\"A\\\":\\\"b\\\"}\"} ").status == TETHER_OK);
    CHECK(o.headers.size() == 1);
    CHECK(o.headers[0].first == "A");
}

TEST_CASE("set_options_json is all or nothing", "[options][json]") {
    Options o;
    set_ok(o, "url", "ws://before/");
    set_ok(o, "pingInterval", "1234");
    const std::string before = get(o, "url") + get(o, "pingInterval") + get(o, "autoReconnect");

    const auto fails = [&](const std::string &json, tether_status status,
                           const std::string &expected) {
        CAPTURE(json);
        const Error e = set_options_json(o, json);
        CHECK(e.status == status);
        CHECK_THAT(e.message, Contains(expected));
        CHECK(get(o, "url") + get(o, "pingInterval") + get(o, "autoReconnect") == before);
    };
    fails(R"({"url":"ws://after/","pingInterval":1000,"pongTimeout":-5})",
          TETHER_E_BAD_OPTION_VALUE, "pongTimeout: expected a whole number");
    fails(R"({"autoReconnect":false,"url":"http://x/"})", TETHER_E_BAD_URL, "url: ");
    fails(R"({"pingInterval":1,"pingIntervall":2})", TETHER_E_UNKNOWN_OPTION,
          "did you mean 'pingInterval'?");
    fails(R"({"pingInterval":1, "autoReconnect":"yes"})", TETHER_E_BAD_OPTION_VALUE,
          "autoReconnect: expected true or false, got 'yes'");
    fails(R"({"pingInterval":1, "autoReconnect":2})", TETHER_E_BAD_OPTION_VALUE,
          "autoReconnect: expected true or false, got '2'");
    fails(R"({"pingInterval":true})", TETHER_E_BAD_OPTION_VALUE,
          "pingInterval: expected a number or a string, got a boolean");
    fails(R"({"pingInterval":1.5})", TETHER_E_BAD_OPTION_VALUE, "got '1.5'");
    fails(R"({"pingInterval":[1]})", TETHER_E_BAD_OPTION_VALUE, "got an array");
    fails(R"({"url":{"x":1}})", TETHER_E_BAD_OPTION_VALUE, "url: expected a string, got an object");
    fails(R"({"headers":[1]})", TETHER_E_BAD_OPTION_VALUE,
          "headers: expected an object or a string, got an array");
    fails(R"({"subprotocols":["a",1]})", TETHER_E_BAD_OPTION_VALUE, "an array of strings");
    fails(R"({"pingInterval":1,)", TETHER_E_INVALID_JSON, "options JSON: invalid JSON at offset");
    fails("", TETHER_E_INVALID_JSON, "offset 0");
    fails("[]", TETHER_E_INVALID_JSON, "expected one object, got an array");
    fails("1", TETHER_E_INVALID_JSON, "expected one object, got a number");
    fails("\"x\"", TETHER_E_INVALID_JSON, "expected one object, got a string");
    fails("null", TETHER_E_INVALID_JSON, "expected one object, got null");
    fails("{} {}", TETHER_E_INVALID_JSON, "offset 3");
    fails("{\"userAgent\":\"\xFF\"}", TETHER_E_INVALID_UTF8, "not valid UTF-8");
    fails(R"({"userAgent":"\ud800"})", TETHER_E_INVALID_JSON, "invalid JSON");
}

TEST_CASE("set_options_json: null puts a key back to its default", "[options][json]") {
    const Options defaults;
    Options o;
    REQUIRE(set_options_json(o, R"({"url":"ws://h/","authMethod":"subprotocol",
        "authToken":"t","subprotocols":"a","headers":{"A":"b"},"proxy":"http://p:1",
        "pingInterval":1,"autoReconnect":false,"tokenParamName":"k","caFile":"/x"})")
                .status == TETHER_OK);
    std::string all_null = "{";
    for (const std::string &key : kAllKeys) {
        if (all_null.size() > 1) all_null += ',';
        all_null += "\"" + key + "\":null";
    }
    all_null += "}";
    REQUIRE(set_options_json(o, all_null).status == TETHER_OK);
    for (const std::string &key : kAllKeys) {
        CAPTURE(key);
        CHECK(get(o, key) == get(defaults, key));
    }
    CHECK(o.url.empty());
    CHECK(o.auth_token.empty());
}

TEST_CASE("options_schema_json describes every key", "[options][schema]") {
    const std::string &text = options_schema_json();
    CHECK(&text == &options_schema_json());
    const boost::json::value s = schema();
    REQUIRE(s.is_array());
    REQUIRE(s.as_array().size() == kAllKeys.size());
    const Options defaults;
    std::size_t i = 0;
    for (const boost::json::value &fv : s.as_array()) {
        const boost::json::object &f = fv.as_object();
        const std::string name(f.at("name").as_string());
        CAPTURE(name);
        CHECK(name == kAllKeys[i++]);
        const std::string type(f.at("type").as_string());
        CHECK((type == "url" || type == "select" || type == "secret" || type == "text" ||
               type == "json" || type == "number" || type == "boolean"));
        CHECK(f.at("required").is_bool());
        CHECK(f.at("secret").is_bool());
        CHECK(f.at("doc").as_string().size() > 10);
        CHECK(f.contains("default"));
        CHECK(f.contains("allowed") == (type == "select"));
        CHECK(f.contains("min") == (type == "number"));
        CHECK(f.contains("max") == (type == "number"));
        CHECK(f.at("secret").as_bool() == (name == "authToken"));
        CHECK(f.at("required").as_bool() ==
              (name == "url" || name == "authMethod" || name == "messageFormat"));
        // The default is the text form of a fresh Options.
        const boost::json::value &d = f.at("default");
        if (name == "url") {
            CHECK(d.is_null());
        } else if (type == "number") {
            CHECK(std::to_string(d.to_number<std::int64_t>()) == get(defaults, name));
        } else if (type == "boolean") {
            CHECK((d.as_bool() ? "true" : "false") == get(defaults, name));
        } else {
            CHECK(std::string(d.as_string()) == get(defaults, name));
        }
    }
    const boost::json::object &auth = schema_field(s, "authMethod");
    CHECK(auth.at("default").as_string() == "none");
    const boost::json::array &methods = auth.at("allowed").as_array();
    REQUIRE(methods.size() == 4);
    CHECK(methods[0].as_string() == "none");
    CHECK(methods[1].as_string() == "query-param");
    CHECK(methods[2].as_string() == "first-message");
    CHECK(methods[3].as_string() == "subprotocol");
    const boost::json::object &format = schema_field(s, "messageFormat");
    CHECK(format.at("default").as_string() == "json");
    CHECK(format.at("allowed").as_array().size() == 3);
    CHECK(schema_field(s, "url").at("type").as_string() == "url");
    CHECK(schema_field(s, "authToken").at("type").as_string() == "secret");
    CHECK(schema_field(s, "authMessageTemplate").at("type").as_string() == "json");
    CHECK(schema_field(s, "headers").at("type").as_string() == "json");
    CHECK(schema_field(s, "pingInterval").at("default").as_int64() == 30000);
    CHECK(schema_field(s, "autoReconnect").at("default").as_bool());
    // Every select value in the schema is accepted by set_option.
    Options o;
    for (const boost::json::value &fv : s.as_array()) {
        const boost::json::object &f = fv.as_object();
        if (!f.contains("allowed")) continue;
        for (const boost::json::value &a : f.at("allowed").as_array())
            set_ok(o, std::string(f.at("name").as_string()), std::string(a.as_string()));
    }
}

TEST_CASE("check_ready_to_connect", "[options][files]") {
    Options o;
    Error e = check_ready_to_connect(o);
    CHECK(e.status == TETHER_E_BAD_OPTION_VALUE);
    CHECK_THAT(e.message, Contains("url: required before connect"));

    set_ok(o, "url", "ws://127.0.0.1:9/");
    CHECK(check_ready_to_connect(o).status == TETHER_OK);

    o.url = "http://bypassed-validation/";
    CHECK(check_ready_to_connect(o).status == TETHER_E_BAD_URL);
    set_ok(o, "url", "wss://localhost/");

    const auto cert = temp_file("cert.pem", "-----BEGIN CERTIFICATE-----\n");
    const auto key = temp_file("key.pem", "-----BEGIN PRIVATE KEY-----\n");
    set_ok(o, "clientCertFile", cert.string());
    e = check_ready_to_connect(o);
    CHECK(e.status == TETHER_E_BAD_OPTION_VALUE);
    CHECK_THAT(e.message, Contains("clientKeyFile is missing"));
    set_ok(o, "clientKeyFile", key.string());
    CHECK(check_ready_to_connect(o).status == TETHER_OK);
    set_ok(o, "clientCertFile", "");
    e = check_ready_to_connect(o);
    CHECK_THAT(e.message, Contains("clientCertFile is missing"));
    set_ok(o, "clientCertFile", cert.string());

    set_ok(o, "caFile", "/nonexistent/tether/ca.pem");
    e = check_ready_to_connect(o);
    CHECK(e.status == TETHER_E_BAD_OPTION_VALUE);
    CHECK_THAT(e.message, Contains("caFile: cannot read '/nonexistent/tether/ca.pem'"));
    set_ok(o, "caFile", std::filesystem::temp_directory_path().string());
    e = check_ready_to_connect(o);
    CHECK_THAT(e.message, Contains("caFile: "));
    CHECK_THAT(e.message, Contains("directory"));
    set_ok(o, "caFile", cert.string());
    CHECK(check_ready_to_connect(o).status == TETHER_OK);

    set_ok(o, "clientKeyFile", key.string() + ".missing");
    e = check_ready_to_connect(o);
    CHECK_THAT(e.message, Contains("clientKeyFile: cannot read '" + key.string() + ".missing'"));
    set_ok(o, "clientKeyFile", key.string());

    set_ok(o, "authMethod", "subprotocol");
    set_ok(o, "authToken", "eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl");
    CHECK(check_ready_to_connect(o).status == TETHER_OK);
    set_ok(o, "authToken", "has space");
    e = check_ready_to_connect(o);
    CHECK(e.status == TETHER_E_BAD_OPTION_VALUE);
    CHECK_THAT(e.message, Contains("authToken: subprotocol auth"));
    set_ok(o, "authMethod", "query-param");
    CHECK(check_ready_to_connect(o).status == TETHER_OK);

    std::filesystem::remove(cert);
    std::filesystem::remove(key);
}

TEST_CASE("to_string of the enums", "[options]") {
    CHECK(std::string(to_string(AuthMethod::none)) == "none");
    CHECK(std::string(to_string(AuthMethod::query_param)) == "query-param");
    CHECK(std::string(to_string(AuthMethod::first_message)) == "first-message");
    CHECK(std::string(to_string(AuthMethod::subprotocol)) == "subprotocol");
    CHECK(std::string(to_string(MessageFormat::json)) == "json");
    CHECK(std::string(to_string(MessageFormat::text)) == "text");
    CHECK(std::string(to_string(MessageFormat::binary)) == "binary");
}

TEST_CASE("provider presets set their keys, the application's own values win", "[options][presets]") {
    Options o;
    set_ok(o, "provider", "socketio");
    CHECK(get(o, "protocol") == "socketio");
    CHECK(get(o, "authMethod") == "first-message");
    CHECK(get(o, "queryParams") == R"({"EIO":"4","transport":"websocket"})");

    // Set before the provider: kept.
    Options p;
    set_ok(p, "tokenParamName", "jwt");
    set_ok(p, "provider", "phoenix");
    CHECK(get(p, "tokenParamName") == "jwt");
    CHECK(get(p, "protocol") == "phoenix");
    CHECK(get(p, "authMethod") == "query-param");
    CHECK(get(p, "queryParams") == R"({"vsn":"2.0.0"})");
    // Set after the provider: overrides.
    set_ok(p, "authMethod", "none");
    CHECK(get(p, "authMethod") == "none");

    // Another provider: the previous preset's keys go back to their defaults unless the
    // application set them.
    set_ok(p, "provider", "signalr");
    CHECK(get(p, "protocol") == "signalr");
    CHECK(get(p, "queryParams") == "{}");
    CHECK(get(p, "tokenParamName") == "jwt");
    CHECK(get(p, "authMethod") == "none");
    set_ok(p, "provider", "none");
    CHECK(get(p, "protocol") == "raw");
    CHECK(get(p, "provider") == "none");

    // In one JSON object the order of keys does not matter: explicit keys win.
    Options q;
    REQUIRE(set_options_json(q, R"({"subprotocols":"mine","provider":"graphql"})").status == TETHER_OK);
    CHECK(get(q, "subprotocols") == "mine");
    CHECK(get(q, "protocol") == "graphql-transport-ws");
    REQUIRE(set_options_json(q, R"({"provider":"apollo"})").status == TETHER_OK);
    CHECK(get(q, "protocol") == "graphql-ws");
    CHECK(get(q, "subprotocols") == "mine");
}

TEST_CASE("every preset applies cleanly and names a real protocol", "[options][presets]") {
    for (const char *name : {"socketio", "pusher", "ably", "phoenix", "actioncable", "signalr", "graphql", "apollo",
                             "aws-apigateway", "binance", "echo"}) {
        Options o;
        INFO(name);
        set_ok(o, "provider", name);
        CHECK(get(o, "provider") == name);
    }
    Options o;
    const Error e = set_option(o, "provider", "firebase");
    CHECK(e.status == TETHER_E_BAD_OPTION_VALUE);
    CHECK_THAT(e.message, Contains("provider"));
    CHECK_THAT(e.message, Contains("socketio"));
}

TEST_CASE("queryParams and namespace", "[options]") {
    Options o;
    set_ok(o, "queryParams", R"({"a":"1","b c":"x&y"})");
    CHECK(get(o, "queryParams") == R"({"a":"1","b c":"x&y"})");
    REQUIRE(set_options_json(o, R"({"queryParams":{"v":"2"}})").status == TETHER_OK);
    CHECK(get(o, "queryParams") == R"({"v":"2"})");
    CHECK(set_option(o, "queryParams", R"({"a":1})").status == TETHER_E_BAD_OPTION_VALUE);
    CHECK(set_option(o, "queryParams", R"([1])").status == TETHER_E_BAD_OPTION_VALUE);
    CHECK(get(o, "queryParams") == R"({"v":"2"})");

    CHECK(get(o, "namespace") == "/");
    set_ok(o, "namespace", "/admin");
    CHECK(get(o, "namespace") == "/admin");
    const Error e = set_option(o, "namespace", "admin");
    CHECK(e.status == TETHER_E_BAD_OPTION_VALUE);
    CHECK_THAT(e.message, Contains("namespace"));
}
