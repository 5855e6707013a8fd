// The client's configuration: every key of tether.h with its default, validation at set time,
// its text form, and a JSON schema from which a binding or UI can render the spec's form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "impl/common/error.hpp"

namespace tether::config {

enum class AuthMethod { none, query_param, first_message, subprotocol };  // "none", "query-param", "first-message", "subprotocol"
enum class MessageFormat { json, text, binary };
// The wire protocol the connection manager speaks (impl/protocol). raw: none, messages as sent.
// The order is the order of the option's allowed values.
enum class Protocol {
    raw,
    json,
    socketio,              // "socketio": Engine.IO 4 + Socket.IO 5
    graphql_transport_ws,  // "graphql-transport-ws": the graphql-ws library's protocol
    graphql_ws,            // "graphql-ws": Apollo's legacy subscriptions-transport-ws
    signalr,               // "signalr": ASP.NET Core SignalR, JSON hub protocol
    phoenix,               // "phoenix": Phoenix Channels, serializer v2
    pusher,                // "pusher": Pusher Channels protocol 7
    actioncable,           // "actioncable": Rails Action Cable
    binance,               // "binance": Binance market streams
    aws_apigateway,        // "aws-apigateway": Amazon API Gateway WebSocket APIs
};

struct Options {
    std::string url;                        // required before connect
    AuthMethod auth_method = AuthMethod::none;
    MessageFormat message_format = MessageFormat::json;
    Protocol protocol = Protocol::raw;
    std::string auth_token;                 // secret
    std::string token_param_name = "token";
    std::string auth_message_type = "authenticate";
    std::string auth_message_template;      // "" = default template (see render_auth_template)
    std::string auth_success_type;          // "" = do not wait for a reply
    std::int64_t auth_timeout_ms = 10000;
    std::vector<std::string> subprotocols;  // each a valid HTTP token, unique
    std::int64_t ping_interval_ms = 30000;  // 0 = off
    std::int64_t pong_timeout_ms = 5000;
    bool auto_reconnect = true;
    std::int64_t max_reconnect_attempts = 10;  // 0 = unlimited
    std::int64_t reconnect_delay_ms = 1000;
    std::int64_t max_reconnect_delay_ms = 30000;
    std::int64_t connect_timeout_ms = 10000;
    std::int64_t handshake_timeout_ms = 10000;
    std::int64_t close_timeout_ms = 5000;
    std::uint64_t max_message_size = 16u << 20;
    bool queue_while_offline = true;
    std::uint64_t max_queued_messages = 1000;
    std::uint64_t max_queued_bytes = 16u << 20;
    std::uint64_t max_poll_queue = 10000;
    std::vector<std::pair<std::string, std::string>> headers;  // names are HTTP tokens
    std::string user_agent = "tether/0.1.0";
    bool per_message_deflate = false;
    std::string proxy;                      // "" or http://[user:pass@]host[:port]
    std::string ca_file, client_cert_file, client_key_file;
    bool insecure_skip_tls_verify = false;
    std::string provider = "none";          // the preset applied (see presets.hpp)
    std::string socketio_namespace = "/";   // option "namespace"
    std::vector<std::pair<std::string, std::string>> query_params;  // added to the URL at connect

    // Bookkeeping of presets: keys the application set itself (a preset never overrides them)
    // and keys the current preset set (a change of provider resets them first).
    std::vector<std::string> explicit_keys;
    std::vector<std::string> preset_keys;
};

// Sets one option from its text form. Errors: TETHER_E_UNKNOWN_OPTION (names the key and
// suggests a close one), TETHER_E_BAD_OPTION_VALUE (names the key and the expected form),
// TETHER_E_BAD_URL (url, proxy), TETHER_E_INVALID_UTF8. o is unchanged on failure; an authToken
// value never appears in a message.
Error set_option(Options &o, std::string_view key, std::string_view value);

// Sets many options from one JSON object, all or nothing. Numbers and booleans may be JSON
// numbers/booleans or strings, headers a JSON object or a string holding one; null resets a key
// to its default. TETHER_E_INVALID_JSON when the text is not one object.
Error set_options_json(Options &o, std::string_view json);

// The current value in its text form; authToken reads "***" when set and "" when not, and a
// proxy password reads "***".
Error get_option(const Options &o, std::string_view key, std::string &out);

// JSON array with one object per key: {"name","type","default","required","secret","allowed"
// (selects),"min","max" (numbers),"doc"}. Built once; thread-safe.
const std::string &options_schema_json();

// Checks what only matters at connect time: url set and valid, clientCertFile and clientKeyFile
// both or neither, TLS files readable, a token usable by the chosen auth method.
Error check_ready_to_connect(const Options &o);

// --- addition ---
// The rules a token set at run time (tether_client_set_token) must follow, as authToken does: no
// control characters or tabs, and with subprotocol auth an HTTP token. "" (no token) passes. The
// message never shows the value.
Error check_auth_token(AuthMethod method, std::string_view token);

// The text form of an AuthMethod / MessageFormat ("query-param", "json").
const char *to_string(AuthMethod m) noexcept;
const char *to_string(MessageFormat f) noexcept;
const char *to_string(Protocol p) noexcept;

}  // namespace tether::config
