// The parts of the C ABI that need no server: options, schema, status texts, message utilities.
#include <cstring>
#include <string>

#include "harness.hpp"

using harness::contains;

namespace {
std::string take(char *s) {
    std::string out = s ? s : "";
    tether_free(s);
    return out;
}
}  // namespace

TEST_CASE("version at compile time and run time agree", "[api]") {
    const std::string expected = std::to_string(TETHER_VERSION_MAJOR) + "." + std::to_string(TETHER_VERSION_MINOR) +
                                 "." + std::to_string(TETHER_VERSION_PATCH);
    CHECK(expected == tether_version());
}

TEST_CASE("options: spec defaults, validation naming the key, JSON all-or-nothing", "[api][options]") {
    tether_options *o = nullptr;
    REQUIRE(tether_options_new(&o) == TETHER_OK);
    char *value = nullptr;
    REQUIRE(tether_options_get(&value, o, "pingInterval") == TETHER_OK);
    CHECK(take(value) == "30000");
    REQUIRE(tether_options_get(&value, o, "tokenParamName") == TETHER_OK);
    CHECK(take(value) == "token");
    REQUIRE(tether_options_get(&value, o, "autoReconnect") == TETHER_OK);
    CHECK(take(value) == "true");

    CHECK(tether_options_set(o, "pingIntervall", "1") == TETHER_E_UNKNOWN_OPTION);
    CHECK(contains(tether_last_error_message(), "pingIntervall"));
    CHECK(tether_options_set(o, "pingInterval", "soon") == TETHER_E_BAD_OPTION_VALUE);
    CHECK(contains(tether_last_error_message(), "pingInterval"));
    CHECK(tether_options_set(o, "authMethod", "cookie") == TETHER_E_BAD_OPTION_VALUE);
    CHECK(tether_options_set(nullptr, "url", "ws://x/") == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_options_set(o, "authToken", "\x01hidden-secret") != TETHER_OK);
    CHECK_FALSE(contains(tether_last_error_message(), "hidden-secret"));

    CHECK(tether_options_set_json(o, R"({"pingInterval": 1000, "autoReconnect": "nope"})") == TETHER_E_BAD_OPTION_VALUE);
    REQUIRE(tether_options_get(&value, o, "pingInterval") == TETHER_OK);
    CHECK(take(value) == "30000");  // nothing applied
    CHECK(tether_options_set_json(o, "[1,2]") == TETHER_E_INVALID_JSON);
    REQUIRE(tether_options_set_json(o, R"({"url":"wss://example.com/ws","authMethod":"query-param","authToken":"t0k","pingInterval":1000})") == TETHER_OK);
    REQUIRE(tether_options_get(&value, o, "authToken") == TETHER_OK);
    CHECK(take(value) == "***");
    tether_options_destroy(o);
    tether_options_destroy(nullptr);
}

TEST_CASE("the options schema describes every key of the spec's form", "[api][options]") {
    const std::string schema = tether_options_schema_json();
    for (const char *key : {"url", "authMethod", "messageFormat", "authToken", "tokenParamName", "authMessageType",
                            "authMessageTemplate", "subprotocols", "pingInterval", "pongTimeout", "autoReconnect",
                            "maxReconnectAttempts", "reconnectDelay"}) {
        INFO(key);
        CHECK(contains(schema, std::string("\"name\":\"") + key + "\""));
    }
    CHECK(contains(schema, "\"secret\":true"));
    CHECK(contains(schema, "\"required\":true"));
}

TEST_CASE("status texts are static and named", "[api][errors]") {
    CHECK(std::string(tether_status_name(TETHER_E_QUEUE_FULL)) == "TETHER_E_QUEUE_FULL");
    CHECK(std::string(tether_status_str(TETHER_OK)) == "ok");
    CHECK(std::string(tether_status_name(-999)) == "TETHER_E_UNKNOWN");
    CHECK(std::string(tether_state_str(TETHER_STATE_AUTHENTICATING)) == "authenticating");
    CHECK(std::string(tether_event_type_str(TETHER_EVENT_MESSAGE)) == "message");
    CHECK(tether_last_error_message() != nullptr);
}

TEST_CASE("message utilities: createMessage, parseMessage, getCloseReason", "[api][messages]") {
    char *json = nullptr;
    REQUIRE(tether_message_create(&json, "chat", R"({"text":"Hi!"})", "msg-123") == TETHER_OK);
    const std::string created = take(json);
    CHECK(contains(created, R"("type":"chat")"));
    CHECK(contains(created, R"("payload":{"text":"Hi!"})"));
    CHECK(contains(created, R"("id":"msg-123")"));
    CHECK(contains(created, R"("timestamp":)"));
    CHECK(tether_message_create(&json, "chat", "{broken", nullptr) == TETHER_E_INVALID_JSON);

    REQUIRE(tether_message_parse(&json, created.data(), created.size()) == TETHER_OK);
    const std::string parsed = take(json);
    CHECK(contains(parsed, R"("type":"chat")"));
    CHECK(contains(parsed, R"("id":"msg-123")"));
    REQUIRE(tether_message_parse(&json, "plain text", 10) == TETHER_OK);
    CHECK(contains(take(json), R"("payload":"plain text")"));

    CHECK(std::string(tether_close_code_str(1006)) == "Abnormal closure (no close frame)");
    CHECK(std::string(tether_close_code_str(1000)) == "Normal closure");
    CHECK(std::string(tether_close_code_str(4001)) == "Application-defined");
}

TEST_CASE("NULL arguments fail with a message and change nothing", "[api][errors]") {
    CHECK(tether_options_new(nullptr) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_runtime_new(nullptr, 1) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_connect(nullptr) == TETHER_E_INVALID_ARGUMENT);
    CHECK(contains(tether_last_error_message(), "tether_client_connect"));
    tether_client *c = nullptr;
    CHECK(tether_client_new(&c, nullptr, nullptr, TETHER_MODE_POLL, nullptr, nullptr, nullptr) == TETHER_E_INVALID_ARGUMENT);
    tether_options *o = nullptr;
    REQUIRE(tether_options_new(&o) == TETHER_OK);
    REQUIRE(tether_options_set(o, "url", "ws://127.0.0.1:9/") == TETHER_OK);
    CHECK(tether_client_new(&c, nullptr, o, 5, nullptr, nullptr, nullptr) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_client_new(&c, nullptr, o, TETHER_MODE_CALLBACK, nullptr, nullptr, nullptr) == TETHER_E_INVALID_ARGUMENT);
    CHECK(c == nullptr);
    tether_options_destroy(o);
    int32_t state = 0;
    CHECK(tether_client_state(&state, nullptr) == TETHER_E_INVALID_ARGUMENT);
    CHECK(tether_event_type(nullptr) == TETHER_EVENT_READY);
    tether_event_destroy(nullptr);
    tether_free(nullptr);
}
