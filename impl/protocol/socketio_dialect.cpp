// The socketio protocol: Socket.IO 5 packets inside Engine.IO 4 packets, over the WebSocket
// transport only (the preset adds EIO=4&transport=websocket to the URL; no long-polling, no
// upgrade). Each WebSocket text frame is one Engine.IO packet: a type digit, then its data.
// Socket.IO packets ride in Engine.IO "4" (message) as <type>[<namespace>,][<ack id>][<JSON>];
// the namespace is written only when it is not "/".
//   open                         nothing is sent until the server's Engine.IO open packet
//       0{"sid":..,"pingInterval":..}   -> reply CONNECT 40[/ns,][{"token":"<token>"}]
//                                   (socket.io's `auth` option: socket.handshake.auth.token)
//       40[/ns,]{"sid":..}       -> ready; the rendered authMessageTemplate, when set (e.g.
//                                   42["auth",{"token":"..."}]), is sent at once after it
//       44[/ns,]{"message":..}   -> refused: TETHER_E_AUTH, no reconnect (a middleware's
//                                   next(new Error(..)), or an unknown namespace)
//   subscribe(event)             nothing on the wire: Socket.IO events are only listened for
//   unsubscribe(event)           nothing on the wire: the event stops being delivered
//   server event                 42[/ns,]["event", args...] -> channel_message(channel = event,
//                                   event = event, payload = the one argument, an array of
//                                   them when there are several, null when none). An event
//                                   nobody subscribed to stays a plain MESSAGE.
//   publish(event, payload)      42[/ns,]["event",<args>]: a JSON array payload is spread as
//                                   the argument list, anything else is the one argument
//   request(method, params)      42[/ns,]<wire>["method",<args>], args as for publish
//       43[/ns,]<wire>[args...]  -> response, payload as for events. Socket.IO acks carry no
//                                   error flag: every answer is a result (TETHER_OK); a server
//                                   that reports errors does so inside the arguments.
//   keep-alive                   the server's Engine.IO ping 2 -> reply pong 3 (the server
//                                   closes a client that misses one); tether sends none of its
//                                   own: dead-peer detection stays with WebSocket pings
//   close rules                  41[/ns,] (the server called socket.disconnect()) -> server
//                                   close, no reconnect (socket.io-client's "io server
//                                   disconnect"); Engine.IO close 1 -> server close and
//                                   reconnect; close frames and lost connections follow the
//                                   general reconnect table (socket.io-client reconnects after
//                                   any "transport close")
// Not supported: binary packets (45 BINARY_EVENT / 46 BINARY_ACK, e.g. 451-["e",{"_placeholder":
// true,"num":0}], and the binary frames of their attachments) arrive as plain MESSAGE events:
// reassembling attachments into JSON has no faithful form. A server event that asks for an ack
// (42<id>["e",...]) is delivered, but tether has no way to answer it, so its ack is never sent.
// Packets of other namespaces are plain MESSAGEs.
#include <cctype>
#include <set>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "impl/common/text.hpp"
#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

namespace json = boost::json;

namespace {

// Event names socket.io-client refuses to emit: the server reads them as lifecycle events.
bool is_reserved_event(const std::string &name) {
    static const std::set<std::string> reserved = {"connect",       "connect_error",  "disconnect",
                                                   "disconnecting", "newListener",    "removeListener"};
    return reserved.count(name) != 0;
}

// The payload tether reports for a list of arguments: the one argument, an array of several,
// null for none.
std::string arguments_payload(const json::array &args, std::size_t first) {
    if (args.size() <= first) return "null";
    if (args.size() == first + 1) return json::serialize(args[first]);
    json::array rest;
    for (std::size_t i = first; i < args.size(); ++i) rest.push_back(args[i]);
    return json::serialize(rest);
}

// Why the server refused the namespace: connect_error's message (an object's "message" since
// Socket.IO 5, a bare string before).
std::string refusal_reason(const json::value &payload) {
    if (const json::string *s = payload.if_string()) return std::string(*s);
    if (const json::object *o = payload.if_object()) {
        if (const json::value *m = o->if_contains("message")) {
            if (const json::string *s = m->if_string()) return std::string(*s);
        }
    }
    if (payload.is_null()) return "connect_error without a reason";
    return printable_excerpt(json::serialize(payload));
}

// One Socket.IO packet, split into its parts. Malformed packets leave ok false.
struct Packet {
    bool ok = false;
    char type = 0;
    std::string nsp = "/";
    std::string ack_id;  // digits, or "" when the packet has none
    json::value payload;  // null when the packet has none
};

Packet parse_packet(std::string_view s) {
    Packet p;
    if (s.empty() || s[0] < '0' || s[0] > '6') return p;
    p.type = s[0];
    std::size_t i = 1;
    if (i < s.size() && s[i] == '/') {
        const std::size_t comma = s.find(',', i);
        const std::size_t end = comma == std::string_view::npos ? s.size() : comma;
        p.nsp = std::string(s.substr(i, end - i));
        i = comma == std::string_view::npos ? s.size() : comma + 1;
    }
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && p.ack_id.size() < 20) {
        p.ack_id += s[i++];
    }
    if (i < s.size()) {
        boost::system::error_code ec;
        p.payload = json::parse(s.substr(i), ec);
        if (ec) return p;
    }
    p.ok = true;
    return p;
}

class SocketIoDialect final : public Dialect {
public:
    explicit SocketIoDialect(std::string nsp) : nsp_(std::move(nsp)) {
        if (nsp_.empty()) nsp_ = "/";
    }

    const char *name() const noexcept override { return "socketio"; }

    Opening open(const std::string &token, const std::string &auth_message) override {
        token_ = token;
        auth_message_ = auth_message;
        connect_sent_ = false;
        acknowledged_ = false;
        Opening opening;
        opening.wait_for_ready = true;  // until the namespace's CONNECT is acknowledged
        return opening;
    }

    Error subscribe(std::string &out, const std::string &, const std::string &channel,
                    const std::string &params_json) override {
        out.clear();
        if (Error e = check_event("channel", channel)) return e;
        if (!params_json.empty()) {
            return make_error(TETHER_E_INVALID_ARGUMENT,
                              "params: a Socket.IO event is only listened for and takes no parameters");
        }
        events_.insert(channel);
        return ok();
    }

    Error unsubscribe(std::string &out, const std::string &, const std::string &,
                      const std::string &channel) override {
        out.clear();
        events_.erase(channel);
        return ok();
    }

    Error publish(std::string &out, const std::string &channel, const std::string &payload_json) override {
        if (Error e = check_emit("channel", channel)) return e;
        out = "42" + nsp_prefix() + event_array(channel, payload_json);
        return ok();
    }

    Error request(std::string &out, const std::string &wire_id, const std::string &method,
                  const std::string &params_json) override {
        if (Error e = check_emit("method", method)) return e;
        out = "42" + nsp_prefix() + wire_id + event_array(method, params_json);
        return ok();
    }

    bool confirms_subscriptions() const noexcept override { return false; }

    Incoming decode(std::string_view data, bool binary) override {
        Incoming in;
        Decoded d;
        if (binary || data.empty()) {
            in.messages.push_back(d);
            return in;
        }
        switch (data[0]) {
        case '0':  // Engine.IO open: the session exists; join the namespace
            d.kind = Decoded::Kind::ignore;
            if (!connect_sent_) {
                connect_sent_ = true;
                in.replies.push_back(connect_packet());
            }
            break;
        case '1':  // Engine.IO close
            d.kind = Decoded::Kind::server_close;
            d.reconnect = true;
            d.error_message = "the Engine.IO server closed the session";
            break;
        case '2':  // Engine.IO ping: the pong echoes its data
            d.kind = Decoded::Kind::ignore;
            in.replies.push_back("3" + std::string(data.substr(1)));
            break;
        case '3':  // pong, upgrade, noop: housekeeping
        case '5':
        case '6': d.kind = Decoded::Kind::ignore; break;
        case '4': d = decode_packet(data.substr(1), in); break;
        default: break;
        }
        in.messages.push_back(std::move(d));
        return in;
    }

private:
    std::string nsp_prefix() const { return nsp_ == "/" ? std::string() : nsp_ + ","; }

    std::string connect_packet() const {
        std::string packet = "40" + nsp_prefix();
        if (!token_.empty()) packet += R"({"token":)" + json_quote(token_) + "}";
        return packet;
    }

    static std::string event_array(const std::string &event, const std::string &args_json) {
        const std::string args = argument_list(args_json);
        return "[" + json_quote(event) + (args.empty() ? std::string() : "," + args) + "]";
    }

    static Error check_event(const char *argument, const std::string &name) {
        if (name.empty()) {
            return make_error(TETHER_E_INVALID_ARGUMENT,
                              std::string(argument) + ": a Socket.IO event name must not be empty");
        }
        return ok();
    }

    static Error check_emit(const char *argument, const std::string &name) {
        if (Error e = check_event(argument, name)) return e;
        if (is_reserved_event(name)) {
            return make_error(TETHER_E_INVALID_ARGUMENT, std::string(argument) + ": '" + name +
                                                             "' is a reserved Socket.IO event name");
        }
        return ok();
    }

    Decoded decode_packet(std::string_view text, Incoming &in) {
        Decoded d;
        const Packet p = parse_packet(text);
        if (!p.ok || p.nsp != nsp_) return d;  // malformed, or not our namespace: plain MESSAGE
        switch (p.type) {
        case '0':  // CONNECT acknowledged: {"sid":...}
            d.kind = Decoded::Kind::ready;
            if (acknowledged_) break;  // a repeated ack changes nothing
            acknowledged_ = true;
            // The manager's on_ready, which this ready triggers before the next frame is
            // decoded, registers every live channel again: forget those it dropped meanwhile
            // (an unsubscribe while offline never reaches the dialect).
            events_.clear();
            if (!auth_message_.empty()) in.replies.push_back(auth_message_);
            break;
        case '1':  // the server called socket.disconnect(): socket.io-client does not come back
            d.kind = Decoded::Kind::server_close;
            d.reconnect = false;
            d.error_message = "io server disconnect";
            break;
        case '2': {  // EVENT ["name", args...]
            const json::array *args = p.payload.if_array();
            if (!args || args->empty() || !(*args)[0].is_string()) return d;
            const std::string event((*args)[0].get_string());
            if (events_.count(event) == 0) return d;
            d.kind = Decoded::Kind::channel_message;
            d.channel = event;
            d.event = event;
            d.payload = arguments_payload(*args, 1);
            break;
        }
        case '3': {  // ACK <id>[args...]
            const json::array *args = p.payload.if_array();
            if (!args || p.ack_id.empty()) return d;
            d.kind = Decoded::Kind::response;
            d.wire_id = p.ack_id;
            d.payload = arguments_payload(*args, 0);
            break;
        }
        case '4':  // CONNECT_ERROR
            d.kind = Decoded::Kind::refused;
            d.error_message = refusal_reason(p.payload);
            if (!p.payload.is_null()) d.payload = json::serialize(p.payload);
            break;
        default: break;  // 5 and 6: binary packets are not supported
        }
        return d;
    }

    std::string nsp_;
    std::string token_;
    std::string auth_message_;
    bool connect_sent_ = false;   // this connection's CONNECT went out
    bool acknowledged_ = false;   // and the server acknowledged it
    std::set<std::string> events_;  // the subscribed events: others stay plain MESSAGEs
};

}  // namespace

std::unique_ptr<Dialect> make_socketio_dialect(const config::Options &options) {
    return std::make_unique<SocketIoDialect>(options.socketio_namespace);
}

}  // namespace tether::protocol
