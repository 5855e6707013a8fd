// impl/protocol: how the connection manager's operations look on one provider's wire. A dialect
// encodes and decodes text and keeps the little state its protocol needs (a handshake step, the
// ids a server uses for channels); it never touches sockets, timers or the session.
//
// Threading: the manager calls a dialect under its own mutex, so a dialect is never entered by
// two threads at once and needs no locking of its own.
//
// Wire ids: the manager numbers every operation that expects an answer with a decimal string
// ("17"), unique within the client; a dialect writes it where its protocol carries an id (a
// number where the protocol wants one) and gives it back, as the same decimal string, in Decoded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "impl/common/error.hpp"
#include "impl/config/options.hpp"

namespace tether::protocol {

// What one received protocol message means to the manager. One frame may hold several
// (SignalR's records), so decode() returns a list.
struct Decoded {
    enum class Kind {
        other,               // not the manager's: delivered as a plain MESSAGE with the frame's data
        ignore,              // housekeeping with nothing to report (acks, pongs, keep-alives)
        ready,               // the protocol's handshake is complete: the client is ready
        refused,             // the handshake or the credentials were refused: error_message says
                             // why; the client stops (no reconnect) with TETHER_E_AUTH
        server_close,        // the server asked to end the connection: reconnect says whether
                             // tether should come back; error_message is the reason
        channel_message,     // channel (or, when channel is empty, wire_id of the subscription)
                             // + payload; event = the protocol's event name where it has one
        item,                // wire_id + payload: a result for whichever operation has that id (a
                             // request's response, or a message of the subscription)
        response,            // wire_id + payload, or is_error + error_message (+ payload = details)
        subscribed,          // wire_id or, when empty, channel
        subscribe_error,     // wire_id or channel, error_message
        subscription_ended,  // wire_id or channel: the server ended it (is_error when it failed)
    };
    Kind kind = Kind::other;
    std::string wire_id;
    std::string channel;
    std::string event;
    std::string payload = "null";  // JSON text
    bool is_error = false;
    std::string error_message;
    bool reconnect = true;         // server_close only
};

// What decode() found in one frame, and what must be answered at once (a protocol-level pong,
// the next handshake step). Replies go out ahead of everything queued, even before ready.
struct Incoming {
    std::vector<Decoded> messages;
    std::vector<std::string> replies;
};

// How the protocol wants its connection opened.
struct Opening {
    std::vector<std::string> frames;  // sent at once, before anything else
    bool wait_for_ready = false;      // true: the client stays authenticating until a `ready`
};

// A close code's meaning in this protocol, which overrides the general reconnect table.
struct ClosePolicy {
    enum class Decision { table, reconnect, stop } decision = Decision::table;
    int64_t delay_ms = -1;          // reconnect only: a fixed delay instead of the backoff (>= 0)
    tether_status status = TETHER_OK;  // stop only: reported as an ERROR event (TETHER_E_AUTH)
    std::string why;                // the text of that ERROR, or why tether does not reconnect
};

class Dialect {
public:
    virtual ~Dialect() = default;
    virtual const char *name() const noexcept = 0;

    // The socket is open. token is the current auth token; auth_message the rendered
    // authMessageTemplate when authMethod is first-message and a template is set, else "".
    // A dialect with a handshake takes over first-message auth: it puts the token (or the whole
    // auth_message) where its protocol carries credentials.
    virtual Opening open(const std::string &token, const std::string &auth_message) {
        (void)token, (void)auth_message;
        return {};
    }

    // Frames for the manager's operations, written to `out`. An empty `out` with TETHER_OK means
    // the protocol needs nothing on the wire (socket.io events are only listened for). Errors:
    // TETHER_E_NOT_SUPPORTED (the protocol has no such operation; the message names protocol and
    // operation), TETHER_E_INVALID_ARGUMENT / TETHER_E_INVALID_JSON (an argument the protocol
    // cannot carry; the message names it). JSON arguments are valid JSON text or "" (none).
    virtual Error subscribe(std::string &out, const std::string &wire_id, const std::string &channel,
                            const std::string &params_json) = 0;
    // subscribe_wire_id: the id the channel's subscribe frame carried on this connection ("" when
    // it was never sent); wire_id: a fresh id for protocols that number unsubscribes.
    virtual Error unsubscribe(std::string &out, const std::string &subscribe_wire_id, const std::string &wire_id,
                              const std::string &channel) = 0;
    virtual Error publish(std::string &out, const std::string &channel, const std::string &payload_json) = 0;
    virtual Error request(std::string &out, const std::string &wire_id, const std::string &method,
                          const std::string &params_json) = 0;

    // True when the server answers subscribes (subscribed / subscribe_error); otherwise the
    // manager reports a subscription as subscribed once its frame is written (or at once when
    // it has no frame).
    virtual bool confirms_subscriptions() const noexcept { return true; }

    virtual Incoming decode(std::string_view data, bool binary) = 0;

    // A protocol-level keep-alive the client must send every heartbeat_interval_ms() while ready
    // (0: none; WebSocket pings, per pingInterval, still run for every protocol).
    virtual int64_t heartbeat_interval_ms() const noexcept { return 0; }
    virtual std::string heartbeat(const std::string &wire_id) { (void)wire_id; return {}; }

    // The meaning of a close frame's code in this protocol (1006 when there was none).
    virtual ClosePolicy on_close(int32_t code, const std::string &reason) {
        (void)code, (void)reason;
        return {};
    }
};

// The dialect of options.protocol; nullptr for raw, which has none.
std::unique_ptr<Dialect> make_dialect(const config::Options &options);

// One factory per protocol, each in its own file.
std::unique_ptr<Dialect> make_json_dialect(const config::Options &options);
std::unique_ptr<Dialect> make_socketio_dialect(const config::Options &options);
std::unique_ptr<Dialect> make_graphql_transport_ws_dialect(const config::Options &options);
std::unique_ptr<Dialect> make_graphql_ws_dialect(const config::Options &options);
std::unique_ptr<Dialect> make_signalr_dialect(const config::Options &options);
std::unique_ptr<Dialect> make_phoenix_dialect(const config::Options &options);
std::unique_ptr<Dialect> make_pusher_dialect(const config::Options &options);
std::unique_ptr<Dialect> make_actioncable_dialect(const config::Options &options);
std::unique_ptr<Dialect> make_binance_dialect(const config::Options &options);
std::unique_ptr<Dialect> make_aws_apigateway_dialect(const config::Options &options);

// Helpers shared by the dialects (dialect_support.cpp).
std::string json_quote(std::string_view text);               // "text" with JSON escapes
Error unsupported(const char *protocol, const char *operation);  // TETHER_E_NOT_SUPPORTED
// Spreads a JSON value into an argument list: an array gives its elements, anything else is
// the single argument; "" gives none. Returns the elements' JSON texts joined with commas.
std::string argument_list(const std::string &json_value);
// params_json as an object ("" and null: empty); anything else fails INVALID_ARGUMENT with `refusal`.
Error object_params(boost::json::object &params, const std::string &params_json, const std::string &refusal);
// The JSON value in `text`; null when it holds none (not JSON, or empty).
boost::json::value parse_or_null(std::string_view text);
// decode() of a protocol of one JSON object a frame; a binary or non-object frame is a plain message.
Incoming decode_json_object(std::string_view data, bool binary,
                            const std::function<Decoded(const boost::json::object &)> &decode_object);
// o[key] when it is a string, else "".
std::string string_field(const boost::json::object &o, std::string_view key);
// The JSON text of *v; "null" when v is null (a missing member).
std::string value_text(const boost::json::value *v);
// An id as the manager's decimal string: a string as it is, an integer in decimal; "" otherwise.
std::string id_text(const boost::json::value *v);
// An error's text: a string itself or an object's non-empty "message", else its JSON ("error" for none).
std::string error_message_of(const boost::json::value *error);

}  // namespace tether::protocol
