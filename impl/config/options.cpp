#include "impl/config/options.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "impl/common/text.hpp"
#include "impl/common/url.hpp"
#include "impl/config/presets.hpp"

namespace tether::config {

namespace {

enum class Kind { url, select, secret, text, json, number, boolean };

const char *kind_name(Kind k) noexcept {
    switch (k) {
    case Kind::url: return "url";
    case Kind::select: return "select";
    case Kind::secret: return "secret";
    case Kind::text: return "text";
    case Kind::json: return "json";
    case Kind::number: return "number";
    case Kind::boolean: return "boolean";
    }
    return "text";
}

// What a plain text option accepts beyond UTF-8.
enum class TextRule {
    any,       // anything (templates may span lines)
    line,      // no control characters except tab
    name,      // a line that is not empty
};

struct Spec;
using Setter = Error (*)(Options &, const Spec &, std::string_view);
using Getter = std::string (*)(const Options &);

// One row per option: the table drives set_option, get_option and the schema alike.
struct Spec {
    std::string_view name;
    Kind kind = Kind::text;
    bool required = false;
    std::string_view doc;
    // number options
    std::int64_t min = 0, max = 0;
    std::string_view unit;  // "milliseconds", "bytes" or ""
    std::int64_t Options::*i64 = nullptr;
    std::uint64_t Options::*u64 = nullptr;
    // boolean options
    bool Options::*flag = nullptr;
    // plain text options
    std::string Options::*str = nullptr;
    TextRule rule = TextRule::any;
    // select options
    std::vector<std::string_view> allowed;
    // everything else
    Setter set = nullptr;
    Getter get = nullptr;
};

std::string excerpt(std::string_view value) { return printable_excerpt(value, 80); }

Error bad_value(const Spec &s, const std::string &what) {
    return make_error(TETHER_E_BAD_OPTION_VALUE, std::string(s.name) + ": " + what);
}

// The offset of the first control character (tab allowed), or npos.
std::size_t find_control(std::string_view v) noexcept {
    for (std::size_t i = 0; i < v.size(); ++i) {
        const auto c = static_cast<unsigned char>(v[i]);
        if ((c < 0x20 && c != '\t') || c == 0x7F) return i;
    }
    return std::string_view::npos;
}

std::string_view trim(std::string_view v) noexcept {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
}

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

std::string lower_copy(std::string_view v) {
    std::string out(v);
    for (char &c : out) c = lower(c);
    return out;
}

// ---- setters and getters of the generic kinds ------------------------------------------------

Error set_number(Options &o, const Spec &s, std::string_view v) {
    std::int64_t n = 0;
    const char *first = v.data();
    const char *last = v.data() + v.size();
    const bool digits_only =
        !v.empty() && std::all_of(v.begin() + (v[0] == '-' ? 1 : 0), v.end(),
                                  [](char c) { return c >= '0' && c <= '9'; }) &&
        v != "-";
    const auto res = digits_only ? std::from_chars(first, last, n) : std::from_chars_result{};
    if (!digits_only || res.ec != std::errc() || res.ptr != last || n < s.min || n > s.max) {
        std::string form = "a whole number";
        if (!s.unit.empty()) form += " of " + std::string(s.unit);
        return bad_value(s, "expected " + form + " from " + std::to_string(s.min) + " to " +
                                std::to_string(s.max) + ", got '" + excerpt(v) + "'");
    }
    if (s.i64) {
        o.*s.i64 = n;
    } else {
        o.*s.u64 = static_cast<std::uint64_t>(n);
    }
    return ok();
}

std::string get_number(const Options &o, const Spec &s) {
    return s.i64 ? std::to_string(o.*s.i64) : std::to_string(o.*s.u64);
}

Error set_boolean(Options &o, const Spec &s, std::string_view v) {
    if (v == "true" || v == "1") {
        o.*s.flag = true;
    } else if (v == "false" || v == "0") {
        o.*s.flag = false;
    } else {
        return bad_value(s, "expected true or false, got '" + excerpt(v) + "'");
    }
    return ok();
}

Error set_text(Options &o, const Spec &s, std::string_view v) {
    if (s.rule != TextRule::any) {
        if (const std::size_t at = find_control(v); at != std::string_view::npos)
            return bad_value(s, "must not contain control characters (found one at offset " +
                                    std::to_string(at) + ")");
    }
    if (s.rule == TextRule::name && v.empty()) return bad_value(s, "must not be empty");
    o.*s.str = std::string(v);
    return ok();
}

Error check_select(const Spec &s, std::string_view v, std::size_t &index) {
    for (std::size_t i = 0; i < s.allowed.size(); ++i) {
        if (s.allowed[i] == v) {
            index = i;
            return ok();
        }
    }
    std::string list;
    for (const std::string_view a : s.allowed) {
        if (!list.empty()) list += ", ";
        list += a;
    }
    return bad_value(s, "expected one of " + list + "; got '" + excerpt(v) + "'");
}

// ---- the options with their own rules --------------------------------------------------------

Error set_url(Options &o, const Spec &, std::string_view v) {
    WsUrl parsed;
    if (Error e = parse_ws_url(v, parsed)) {
        e.message = "url: " + e.message;
        return e;
    }
    o.url = std::string(v);
    return ok();
}
std::string get_url(const Options &o) { return o.url; }

Error set_auth_method(Options &o, const Spec &s, std::string_view v) {
    std::size_t i = 0;
    if (Error e = check_select(s, v, i)) return e;
    o.auth_method = static_cast<AuthMethod>(i);
    return ok();
}
std::string get_auth_method(const Options &o) { return to_string(o.auth_method); }

Error set_message_format(Options &o, const Spec &s, std::string_view v) {
    std::size_t i = 0;
    if (Error e = check_select(s, v, i)) return e;
    o.message_format = static_cast<MessageFormat>(i);
    return ok();
}
std::string get_message_format(const Options &o) { return to_string(o.message_format); }

Error set_protocol(Options &o, const Spec &s, std::string_view v) {
    std::size_t i = 0;
    if (Error e = check_select(s, v, i)) return e;
    o.protocol = static_cast<Protocol>(i);
    return ok();
}
std::string get_protocol(const Options &o) { return to_string(o.protocol); }

constexpr const char *kSubprotocolTokenRule =
    "authToken: subprotocol auth sends the token in Sec-WebSocket-Protocol, which allows only letters, "
    "digits and !#$%&'*+-.^_`|~; the token has other characters (value not shown)";

// Never echo the token: not in this message, not in any other.
Error set_auth_token(Options &o, const Spec &s, std::string_view v) {
    if (find_control(v) != std::string_view::npos || v.find('\t') != std::string_view::npos)
        return bad_value(s, "must not contain control characters or tabs (value not shown)");
    o.auth_token = std::string(v);
    return ok();
}
std::string get_auth_token(const Options &o) { return o.auth_token.empty() ? "" : "***"; }

Error set_subprotocols(Options &o, const Spec &s, std::string_view v) {
    std::vector<std::string> list;
    if (!trim(v).empty()) {
        std::size_t start = 0;
        while (true) {
            const std::size_t comma = v.find(',', start);
            const std::string_view item =
                trim(v.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                     : comma - start));
            if (item.empty()) return bad_value(s, "empty name in the comma-separated list");
            if (!is_http_token(item))
                return bad_value(s, "'" + excerpt(item) +
                                        "' is not a valid subprotocol name (letters, digits and "
                                        "!#$%&'*+-.^_`|~ only)");
            if (std::find(list.begin(), list.end(), item) != list.end())
                return bad_value(s, "'" + std::string(item) + "' is listed twice");
            list.emplace_back(item);
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
    }
    o.subprotocols = std::move(list);
    return ok();
}
std::string get_subprotocols(const Options &o) {
    std::string out;
    for (const std::string &p : o.subprotocols) {
        if (!out.empty()) out += ", ";
        out += p;
    }
    return out;
}

// Headers that the transport sets itself, with the option to use instead where there is one.
std::string_view reserved_header_hint(const std::string &lower_name) {
    if (lower_name == "sec-websocket-protocol") return "use the subprotocols option";
    if (lower_name == "sec-websocket-extensions") return "use the perMessageDeflate option";
    if (lower_name == "user-agent") return "use the userAgent option";
    static const char *const kSetByTether[] = {"host",       "connection",
                                               "upgrade",    "sec-websocket-key",
                                               "sec-websocket-version", "sec-websocket-accept",
                                               "content-length", "transfer-encoding"};
    for (const char *name : kSetByTether) {
        if (lower_name == name) return "tether sets it";
    }
    return {};
}

// The JSON object that headers and queryParams are written as ("" or blanks: an empty one).
// `example` completes the message of a value that is not one.
Error parse_object_option(const Spec &s, std::string_view v, const char *example, boost::json::object &out) {
    out.clear();
    if (trim(v).empty()) return ok();
    const std::string form = std::string("expected a JSON object of string values, e.g. ") + example;
    if (Error e = validate_json(v)) return bad_value(s, form + "; " + e.message);
    boost::json::error_code ec;
    boost::json::value doc = boost::json::parse(v, ec);
    if (ec || !doc.is_object()) return bad_value(s, form);
    out = std::move(doc.get_object());
    return ok();
}

// The text form of headers and queryParams: a JSON object of strings.
std::string string_pairs_json(const std::vector<std::pair<std::string, std::string>> &pairs) {
    std::string out = "{";
    for (const auto &p : pairs) {
        if (out.size() > 1) out += ',';
        out += '"' + json_escape(p.first) + "\":\"" + json_escape(p.second) + '"';
    }
    out += '}';
    return out;
}

Error set_headers(Options &o, const Spec &s, std::string_view v) {
    std::vector<std::pair<std::string, std::string>> headers;
    boost::json::object doc;
    if (Error e = parse_object_option(s, v, "{\"Origin\":\"https://example.com\"}", doc)) return e;
    for (const auto &member : doc) {
        const std::string name(member.key());
        if (!is_http_token(name))
            return bad_value(s, "'" + excerpt(name) + "' is not a valid header name");
        const std::string lname = lower_copy(name);
        if (const std::string_view hint = reserved_header_hint(lname); !hint.empty())
            return bad_value(s, "'" + name + "' cannot be set here: " + std::string(hint));
        // A header value may hold a credential (Authorization): never show it.
        if (!member.value().is_string())
            return bad_value(s, "the value of '" + name + "' must be a string");
        const std::string_view value = member.value().get_string();
        if (find_control(value) != std::string_view::npos)
            return bad_value(s, "the value of '" + name +
                                    "' must not contain CR, LF or other control characters");
        for (const auto &h : headers) {
            if (lower_copy(h.first) == lname)
                return bad_value(s, "'" + name + "' appears twice");
        }
        headers.emplace_back(name, std::string(value));
    }
    o.headers = std::move(headers);
    return ok();
}
std::string get_headers(const Options &o) { return string_pairs_json(o.headers); }

Error set_query_params(Options &o, const Spec &s, std::string_view v) {
    std::vector<std::pair<std::string, std::string>> params;
    boost::json::object doc;
    if (Error e = parse_object_option(s, v, "{\"EIO\":\"4\"}", doc)) return e;
    for (const auto &member : doc) {
        const std::string name(member.key());
        if (name.empty() || find_control(name) != std::string_view::npos)
            return bad_value(s, "a parameter name must be a non-empty line of text");
        if (!member.value().is_string())
            return bad_value(s, "the value of '" + excerpt(name) + "' must be a string");
        const std::string_view value = member.value().get_string();
        if (find_control(value) != std::string_view::npos)
            return bad_value(s, "the value of '" + excerpt(name) + "' must not contain control characters");
        params.emplace_back(name, std::string(value));
    }
    o.query_params = std::move(params);
    return ok();
}
std::string get_query_params(const Options &o) { return string_pairs_json(o.query_params); }

Error set_namespace(Options &o, const Spec &s, std::string_view v) {
    if (v.empty() || v.front() != '/' || find_control(v) != std::string_view::npos ||
        v.find(',') != std::string_view::npos || v.find(' ') != std::string_view::npos)
        return bad_value(s, "expected a Socket.IO namespace: '/' or '/name' without spaces or commas, got '" +
                                excerpt(v) + "'");
    o.socketio_namespace = std::string(v);
    return ok();
}
std::string get_namespace(const Options &o) { return o.socketio_namespace; }

Error set_provider(Options &o, const Spec &s, std::string_view v);
std::string get_provider(const Options &o) { return o.provider; }

Error set_proxy(Options &o, const Spec &, std::string_view v) {
    if (!v.empty()) {
        ProxyUrl parsed;
        if (Error e = parse_proxy_url(v, parsed)) return e;  // the message starts with "proxy:"
    }
    o.proxy = std::string(v);
    return ok();
}
std::string get_proxy(const Options &o) { return redact_url(o.proxy, {}); }

// ---- the table -------------------------------------------------------------------------------

constexpr std::int64_t kMaxTimeoutMs = 3600000;    // one hour
constexpr std::int64_t kMaxIntervalMs = 86400000;  // one day

Spec custom(std::string_view name, Kind kind, Setter set, Getter get, std::string_view doc) {
    Spec s;
    s.name = name;
    s.kind = kind;
    s.set = set;
    s.get = get;
    s.doc = doc;
    return s;
}
Spec select(std::string_view name, std::vector<std::string_view> allowed, Setter set, Getter get,
            std::string_view doc) {
    Spec s = custom(name, Kind::select, set, get, doc);
    s.required = true;
    s.allowed = std::move(allowed);
    return s;
}
Spec text(std::string_view name, std::string Options::*member, TextRule rule, std::string_view doc,
          Kind kind = Kind::text) {
    Spec s;
    s.name = name;
    s.kind = kind;
    s.str = member;
    s.rule = rule;
    s.doc = doc;
    return s;
}
Spec number(std::string_view name, std::int64_t Options::*member, std::int64_t min,
            std::int64_t max, std::string_view unit, std::string_view doc) {
    Spec s;
    s.name = name;
    s.kind = Kind::number;
    s.i64 = member;
    s.min = min;
    s.max = max;
    s.unit = unit;
    s.doc = doc;
    return s;
}
Spec number(std::string_view name, std::uint64_t Options::*member, std::int64_t min,
            std::int64_t max, std::string_view unit, std::string_view doc) {
    Spec s;
    s.name = name;
    s.kind = Kind::number;
    s.u64 = member;
    s.min = min;
    s.max = max;
    s.unit = unit;
    s.doc = doc;
    return s;
}
Spec boolean(std::string_view name, bool Options::*member, std::string_view doc) {
    Spec s;
    s.name = name;
    s.kind = Kind::boolean;
    s.flag = member;
    s.doc = doc;
    return s;
}

const std::vector<Spec> &specs() {
    static const std::vector<Spec> table = [] {
        std::vector<Spec> t;
        Spec url = custom("url", Kind::url, set_url, get_url,
                          "WebSocket endpoint: ws://host[:port]/path?query or wss://...; IPv6 "
                          "hosts in brackets (wss://[::1]:8443/ws). Required before connect.");
        url.required = true;
        t.push_back(std::move(url));
        t.push_back(select("authMethod", {"none", "query-param", "first-message", "subprotocol"},
                           set_auth_method, get_auth_method,
                           "How authToken is presented: none; query-param (added to the URL as "
                           "tokenParamName=authToken); first-message (sent as the first message, "
                           "built from authMessageTemplate); subprotocol (offered in "
                           "Sec-WebSocket-Protocol)."));
        t.push_back(select("messageFormat", {"json", "text", "binary"}, set_message_format,
                           get_message_format,
                           "What messages are: json (text frames that must hold JSON), text "
                           "(UTF-8 text frames) or binary (binary frames)."));
        Spec protocol = select("protocol",
                               {"raw", "json", "socketio", "graphql-transport-ws", "graphql-ws", "signalr",
                                "phoenix", "pusher", "actioncable", "binance", "aws-apigateway"},
                               set_protocol, get_protocol,
                               "The wire protocol of the connection manager (subscribe, publish, "
                               "request): raw (none: messages go out and come in as they are), "
                               "json (the spec's envelope {type, channel, payload, id, timestamp}), "
                               "or a provider's own: socketio (Engine.IO 4 / Socket.IO 5), "
                               "graphql-transport-ws, graphql-ws (Apollo legacy), signalr (JSON hub "
                               "protocol), phoenix (Channels v2), pusher (protocol 7), actioncable, "
                               "binance, aws-apigateway.");
        protocol.required = false;  // not in the spec's required fields: raw works without it
        t.push_back(std::move(protocol));
        t.push_back(custom("authToken", Kind::secret, set_auth_token, get_auth_token,
                           "Authentication token. Secret: never logged or shown in errors, "
                           "events or stats; reads back as ***. With subprotocol auth it must be "
                           "an HTTP token (letters, digits and !#$%&'*+-.^_`|~)."));
        t.push_back(text("tokenParamName", &Options::token_param_name, TextRule::name,
                         "Query parameter that carries the token with query-param auth."));
        t.push_back(text("authMessageType", &Options::auth_message_type, TextRule::line,
                         "The value of {{type}} in the first-message auth template."));
        t.push_back(text("authMessageTemplate", &Options::auth_message_template, TextRule::any,
                         "The first-message auth text: every {{type}} and {{token}} is replaced "
                         "by authMessageType and authToken, JSON-escaped. It need not be JSON "
                         "(Socket.IO: 42[\"auth\",{\"token\":\"{{token}}\"}]). Empty means "
                         "{\"type\":\"{{type}}\",\"token\":\"{{token}}\"}.",
                         Kind::json));
        t.push_back(text("authSuccessType", &Options::auth_success_type, TextRule::line,
                         "With first-message auth: the \"type\" of the reply that confirms "
                         "authentication; the client stays authenticating until it arrives or "
                         "authTimeout passes. Empty: ready as soon as the auth message is "
                         "sent."));
        t.push_back(number("authTimeout", &Options::auth_timeout_ms, 1, kMaxTimeoutMs,
                           "milliseconds",
                           "Milliseconds to wait for the authSuccessType reply."));
        t.push_back(custom("subprotocols", Kind::text, set_subprotocols, get_subprotocols,
                           "Comma-separated subprotocols offered in Sec-WebSocket-Protocol, "
                           "e.g. graphql-transport-ws."));
        t.push_back(number("pingInterval", &Options::ping_interval_ms, 0, kMaxIntervalMs,
                           "milliseconds",
                           "Milliseconds between keep-alive pings; 0 turns keep-alive off."));
        t.push_back(number("pongTimeout", &Options::pong_timeout_ms, 1, kMaxTimeoutMs,
                           "milliseconds",
                           "Milliseconds to wait for a pong before the peer is taken for dead "
                           "and the connection is dropped."));
        t.push_back(boolean("autoReconnect", &Options::auto_reconnect,
                            "Reconnect after an unexpected close, with exponential backoff and "
                            "full jitter."));
        t.push_back(number("maxReconnectAttempts", &Options::max_reconnect_attempts, 0, 1000000,
                           "", "Reconnect attempts before giving up; 0 means unlimited."));
        t.push_back(number("reconnectDelay", &Options::reconnect_delay_ms, 1, kMaxTimeoutMs,
                           "milliseconds",
                           "Base delay in milliseconds before the first reconnect; it doubles "
                           "with each attempt, up to maxReconnectDelay."));
        t.push_back(number("maxReconnectDelay", &Options::max_reconnect_delay_ms, 1,
                           kMaxTimeoutMs, "milliseconds",
                           "Cap in milliseconds on the reconnect delay."));
        t.push_back(number("connectTimeout", &Options::connect_timeout_ms, 1, kMaxTimeoutMs,
                           "milliseconds",
                           "Milliseconds allowed for name resolution, the TCP connection and a "
                           "proxy CONNECT."));
        t.push_back(number("handshakeTimeout", &Options::handshake_timeout_ms, 1, kMaxTimeoutMs,
                           "milliseconds",
                           "Milliseconds allowed for the TLS and WebSocket handshakes."));
        t.push_back(number("closeTimeout", &Options::close_timeout_ms, 1, kMaxTimeoutMs,
                           "milliseconds",
                           "Milliseconds to wait for the peer's close frame before the "
                           "connection is dropped."));
        t.push_back(number("maxMessageSize", &Options::max_message_size, 1,
                           std::int64_t(1) << 30, "bytes",
                           "Largest message in bytes, sent or received; a larger incoming "
                           "message closes the connection with 1009."));
        t.push_back(boolean("queueWhileOffline", &Options::queue_while_offline,
                            "Queue messages sent while not ready and send them in order once "
                            "ready; when false such sends fail with TETHER_E_NOT_CONNECTED."));
        t.push_back(number("maxQueuedMessages", &Options::max_queued_messages, 1, 100000000, "",
                           "Outgoing queue limit in messages; a send beyond it fails with "
                           "TETHER_E_QUEUE_FULL."));
        t.push_back(number("maxQueuedBytes", &Options::max_queued_bytes, 1,
                           std::int64_t(1) << 40, "bytes",
                           "Outgoing queue limit in bytes; a send beyond it fails with "
                           "TETHER_E_QUEUE_FULL."));
        t.push_back(number("maxPollQueue", &Options::max_poll_queue, 1, 100000000, "",
                           "POLL mode: reading from the socket pauses while this many events "
                           "wait to be polled."));
        t.push_back(custom("headers", Kind::json, set_headers, get_headers,
                           "Extra HTTP headers of the upgrade request, a JSON object of strings: "
                           "{\"Origin\":\"https://example.com\"}. Host, Connection, Upgrade, "
                           "Sec-WebSocket-*, User-Agent, Content-Length and Transfer-Encoding "
                           "are not allowed: tether sets them or has an option for them."));
        t.push_back(text("userAgent", &Options::user_agent, TextRule::line,
                         "User-Agent header of the upgrade request."));
        t.push_back(boolean("perMessageDeflate", &Options::per_message_deflate,
                            "Offer the permessage-deflate compression extension (RFC 7692)."));
        t.push_back(custom("proxy", Kind::url, set_proxy, get_proxy,
                           "HTTP CONNECT proxy: http://[user:password@]host[:port] (port 80 by "
                           "default); empty connects directly. The password reads back as ***."));
        t.push_back(text("caFile", &Options::ca_file, TextRule::line,
                         "PEM file of CA certificates to trust for wss:// instead of the "
                         "system store."));
        t.push_back(text("clientCertFile", &Options::client_cert_file, TextRule::line,
                         "PEM client certificate for mutual TLS; needs clientKeyFile."));
        t.push_back(text("clientKeyFile", &Options::client_key_file, TextRule::line,
                         "PEM private key of clientCertFile."));
        t.push_back(boolean("insecureSkipTlsVerify", &Options::insecure_skip_tls_verify,
                            "DANGEROUS: skip TLS certificate and host name verification. For "
                            "tests against self-signed servers only."));
        Spec provider = select("provider",
                               {"none", "socketio", "pusher", "ably", "phoenix", "actioncable", "signalr",
                                "graphql", "apollo", "aws-apigateway", "binance", "echo"},
                               set_provider, get_provider,
                               "A provider preset: sets protocol, authMethod, tokenParamName, "
                               "subprotocols and queryParams as that provider's clients do. Options "
                               "the application sets itself, before or after, keep their values.");
        provider.required = false;
        t.push_back(std::move(provider));
        t.push_back(custom("namespace", Kind::text, set_namespace, get_namespace,
                           "socketio protocol: the Socket.IO namespace to connect to ('/' or "
                           "'/name')."));
        t.push_back(custom("queryParams", Kind::json, set_query_params, get_query_params,
                           "Query parameters added to the URL at connect, a JSON object of "
                           "strings ({\"EIO\":\"4\"}); a parameter the URL has already is left "
                           "as the URL has it."));
        return t;
    }();
    return table;
}

const Spec *find_spec(std::string_view key) {
    for (const Spec &s : specs()) {
        if (s.name == key) return &s;
    }
    return nullptr;
}

std::string normalize_key(std::string_view key) {
    std::string out;
    for (const char c : key) {
        if (c != '_' && c != '-' && c != ' ' && c != '.') out += lower(c);
    }
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                               diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

Error unknown_option(std::string_view key) {
    std::string message = "unknown option '" + printable_excerpt(key, 60) + "'";
    const std::string wanted = normalize_key(key);
    const Spec *best = nullptr;
    std::size_t best_distance = 3;  // suggest only close typos
    for (const Spec &s : specs()) {
        const std::string candidate = normalize_key(s.name);
        const std::size_t d = edit_distance(wanted, candidate);
        if (d < best_distance && d * 3 <= candidate.size()) {
            best = &s;
            best_distance = d;
        }
    }
    if (best) message += ": did you mean '" + std::string(best->name) + "'?";
    return make_error(TETHER_E_UNKNOWN_OPTION, message);
}

std::string get_value(const Options &o, const Spec &s) {
    if (s.get) return s.get(o);
    if (s.kind == Kind::number) return get_number(o, s);
    if (s.kind == Kind::boolean) return o.*s.flag ? "true" : "false";
    return o.*s.str;
}

Error set_value(Options &o, const Spec &s, std::string_view value) {
    if (!is_valid_utf8(value)) {
        return make_error(TETHER_E_INVALID_UTF8,
                          std::string(s.name) + ": the value is not valid UTF-8");
    }
    if (s.set) return s.set(o, s, value);
    if (s.kind == Kind::number) return set_number(o, s, value);
    if (s.kind == Kind::boolean) return set_boolean(o, s, value);
    return set_text(o, s, value);
}

// Puts a key back to its default; the default's text form always sets cleanly except the
// empty url, which is "not set".
Error reset_value(Options &o, const Spec &s) {
    if (s.name == "url") {
        o.url.clear();
        return ok();
    }
    return set_value(o, s, get_value(Options{}, s));
}

bool contains_key(const std::vector<std::string> &keys, std::string_view key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// The application set this key itself: presets leave it alone from now on.
void mark_explicit(Options &o, std::string_view key) {
    if (key == "provider") return;
    if (!contains_key(o.explicit_keys, key)) o.explicit_keys.emplace_back(key);
}

Error set_provider(Options &o, const Spec &s, std::string_view v) {
    std::size_t index = 0;
    if (Error e = check_select(s, v, index)) return e;
    Options updated = o;
    // What the previous preset set goes back to its default, unless the application set it.
    for (const std::string &key : o.preset_keys) {
        if (contains_key(o.explicit_keys, key)) continue;
        if (const Spec *spec = find_spec(key)) {
            if (Error e = reset_value(updated, *spec)) return e;
        }
    }
    updated.preset_keys.clear();
    if (const Preset *preset = find_preset(v)) {
        for (const auto &[key, value] : preset->values) {
            if (contains_key(o.explicit_keys, key)) continue;
            const Spec *spec = find_spec(key);
            if (spec == nullptr) return make_error(TETHER_E_INTERNAL, "preset " + std::string(v) + " sets unknown key " + std::string(key));
            if (Error e = set_value(updated, *spec, value)) {
                e.message = "provider " + std::string(v) + ": " + e.message;
                return e;
            }
            updated.preset_keys.emplace_back(key);
        }
    }
    updated.provider = std::string(v);
    o = std::move(updated);
    return ok();
}

const char *json_kind_name(const boost::json::value &v) {
    switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
    }
    return "a value";
}

// The text form of a JSON member for set_value, or a type error (which never shows the value).
Error json_to_text(const Spec &s, const boost::json::value &v, std::string &out) {
    const char *expected = "a string";
    switch (s.kind) {
    case Kind::number: expected = "a number or a string"; break;
    case Kind::boolean: expected = "true, false, 1, 0 or a string"; break;
    default: break;
    }
    if (s.name == "headers" || s.name == "queryParams") expected = "an object or a string";
    if (s.name == "subprotocols") expected = "a string or an array of strings";

    if (v.is_string()) {
        out = std::string(v.get_string());
        return ok();
    }
    // Integers also reach booleans, where set_boolean accepts 1 and 0 and names anything else.
    const bool numeric = s.kind == Kind::number || s.kind == Kind::boolean;
    if (numeric && v.is_int64()) {
        out = std::to_string(v.get_int64());
        return ok();
    }
    if (numeric && v.is_uint64()) {
        out = std::to_string(v.get_uint64());
        return ok();
    }
    if (s.kind == Kind::number && v.is_double()) {
        const double d = v.get_double();
        char buf[64];
        if (d == static_cast<double>(static_cast<std::int64_t>(d)) && d > -9.0e15 && d < 9.0e15) {
            std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
        } else {
            std::snprintf(buf, sizeof buf, "%.17g", d);
        }
        out = buf;
        return ok();
    }
    if (s.kind == Kind::boolean && v.is_bool()) {
        out = v.get_bool() ? "true" : "false";
        return ok();
    }
    if ((s.name == "headers" || s.name == "queryParams") && v.is_object()) {
        out = boost::json::serialize(v);
        return ok();
    }
    if (s.name == "subprotocols" && v.is_array()) {
        out.clear();
        for (const boost::json::value &item : v.get_array()) {
            if (!item.is_string())
                return bad_value(s, "expected an array of strings, got an item that is " +
                                        std::string(json_kind_name(item)));
            if (!out.empty()) out += ',';
            out += std::string(item.get_string());
        }
        return ok();
    }
    return bad_value(s, std::string("expected ") + expected + ", got " + json_kind_name(v));
}

Error check_readable(std::string_view key, const std::string &path) {
    const std::string where = std::string(key) + ": cannot read '" + printable_excerpt(path, 200) + "'";
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec) return make_error(TETHER_E_BAD_OPTION_VALUE, where + ": " + ec.message());
    if (std::filesystem::is_directory(status))
        return make_error(TETHER_E_BAD_OPTION_VALUE, where + ": it is a directory");
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        return make_error(TETHER_E_BAD_OPTION_VALUE,
                          where + ": " + std::generic_category().message(errno));
    }
    std::fclose(f);
    return ok();
}

}  // namespace

const char *to_string(AuthMethod m) noexcept {
    switch (m) {
    case AuthMethod::none: return "none";
    case AuthMethod::query_param: return "query-param";
    case AuthMethod::first_message: return "first-message";
    case AuthMethod::subprotocol: return "subprotocol";
    }
    return "none";
}

const char *to_string(MessageFormat f) noexcept {
    switch (f) {
    case MessageFormat::json: return "json";
    case MessageFormat::text: return "text";
    case MessageFormat::binary: return "binary";
    }
    return "json";
}

const char *to_string(Protocol p) noexcept {
    switch (p) {
    case Protocol::raw: return "raw";
    case Protocol::json: return "json";
    case Protocol::socketio: return "socketio";
    case Protocol::graphql_transport_ws: return "graphql-transport-ws";
    case Protocol::graphql_ws: return "graphql-ws";
    case Protocol::signalr: return "signalr";
    case Protocol::phoenix: return "phoenix";
    case Protocol::pusher: return "pusher";
    case Protocol::actioncable: return "actioncable";
    case Protocol::binance: return "binance";
    case Protocol::aws_apigateway: return "aws-apigateway";
    }
    return "raw";
}

Error set_option(Options &o, std::string_view key, std::string_view value) {
    const Spec *s = find_spec(key);
    if (s == nullptr) return unknown_option(key);
    if (Error e = set_value(o, *s, value)) return e;
    mark_explicit(o, s->name);
    return ok();
}

Error set_options_json(Options &o, std::string_view json) {
    if (!is_valid_utf8(json))
        return make_error(TETHER_E_INVALID_UTF8, "options JSON is not valid UTF-8");
    if (Error e = validate_json(json)) {
        e.message = "options JSON: " + e.message;
        return e;
    }
    boost::json::error_code ec;
    const boost::json::value doc = boost::json::parse(json, ec);
    if (ec) return make_error(TETHER_E_INVALID_JSON, "options JSON: " + ec.message());
    if (!doc.is_object()) {
        return make_error(TETHER_E_INVALID_JSON, std::string("options JSON: expected one object, got ") +
                                                     json_kind_name(doc));
    }
    Options updated = o;
    for (const auto &member : doc.get_object()) {
        const Spec *s = find_spec(member.key());
        if (s == nullptr) return unknown_option(member.key());
        if (member.value().is_null()) {
            if (Error e = reset_value(updated, *s)) return e;
            continue;
        }
        std::string text;
        if (Error e = json_to_text(*s, member.value(), text)) return e;
        if (Error e = set_value(updated, *s, text)) return e;
        mark_explicit(updated, s->name);
    }
    o = std::move(updated);
    return ok();
}

Error get_option(const Options &o, std::string_view key, std::string &out) {
    const Spec *s = find_spec(key);
    if (s == nullptr) return unknown_option(key);
    out = get_value(o, *s);
    return ok();
}

const std::string &options_schema_json() {
    static const std::string schema = [] {
        const Options defaults;
        boost::json::array fields;
        for (const Spec &s : specs()) {
            boost::json::object field;
            field["name"] = s.name;
            field["type"] = kind_name(s.kind);
            if (s.name == "url") {
                field["default"] = nullptr;
            } else if (s.kind == Kind::number) {
                if (s.i64) {
                    field["default"] = defaults.*s.i64;
                } else {
                    field["default"] = defaults.*s.u64;
                }
            } else if (s.kind == Kind::boolean) {
                field["default"] = defaults.*s.flag;
            } else {
                field["default"] = get_value(defaults, s);
            }
            field["required"] = s.required;
            field["secret"] = s.kind == Kind::secret;
            if (s.kind == Kind::select) {
                boost::json::array allowed;
                for (const std::string_view a : s.allowed) allowed.emplace_back(a);
                field["allowed"] = std::move(allowed);
            }
            if (s.kind == Kind::number) {
                field["min"] = s.min;
                field["max"] = s.max;
            }
            field["doc"] = s.doc;
            fields.emplace_back(std::move(field));
        }
        return boost::json::serialize(fields);
    }();
    return schema;
}

Error check_ready_to_connect(const Options &o) {
    if (o.url.empty()) {
        return make_error(TETHER_E_BAD_OPTION_VALUE,
                          "url: required before connect (ws://host[:port]/path or "
                          "wss://host[:port]/path)");
    }
    WsUrl parsed;
    if (Error e = parse_ws_url(o.url, parsed)) {
        e.message = "url: " + e.message;
        return e;
    }
    if (o.client_cert_file.empty() != o.client_key_file.empty()) {
        return make_error(TETHER_E_BAD_OPTION_VALUE,
                          std::string("clientCertFile and clientKeyFile must be set together: ") +
                              (o.client_key_file.empty() ? "clientKeyFile" : "clientCertFile") +
                              " is missing");
    }
    const std::pair<std::string_view, const std::string *> files[] = {
        {"caFile", &o.ca_file},
        {"clientCertFile", &o.client_cert_file},
        {"clientKeyFile", &o.client_key_file}};
    for (const auto &[key, path] : files) {
        if (path->empty()) continue;
        if (Error e = check_readable(key, *path)) return e;
    }
    if (o.auth_method == AuthMethod::subprotocol && !o.auth_token.empty() &&
        !is_http_token(o.auth_token)) {
        return make_error(TETHER_E_BAD_OPTION_VALUE, kSubprotocolTokenRule);
    }
    return ok();
}

Error check_auth_token(AuthMethod method, std::string_view token) {
    if (find_control(token) != std::string_view::npos || token.find('\t') != std::string_view::npos) {
        return make_error(TETHER_E_BAD_OPTION_VALUE,
                          "authToken: must not contain control characters or tabs (value not shown)");
    }
    if (method == AuthMethod::subprotocol && !token.empty() && !is_http_token(token)) {
        return make_error(TETHER_E_BAD_OPTION_VALUE, kSubprotocolTokenRule);
    }
    return ok();
}

}  // namespace tether::config
