// The signalr protocol: ASP.NET Core SignalR's JSON hub protocol (version 1) over a WebSocket
// opened straight on the hub URL (skipNegotiation). SignalR carries no credentials in band: the
// token travels in the access_token query parameter, as SignalR's clients send it over
// WebSockets (the "signalr" preset). Every record is a JSON object ended by 0x1E (RS); one frame
// may hold several.
//   open:        {"protocol":"json","version":1}RS; the server's {}RS makes the client ready,
//                {"error":"..."}RS refuses it (TETHER_E_AUTH, no reconnect)
//   subscribe:   nothing on the wire: listens for the server's invocations of the client method
//                named by the channel (SignalR's `connection.on(target)`)
//   unsubscribe: nothing on the wire: deliveries stop
//   publish:     a non-blocking Invocation {"type":1,"target":channel,"arguments":[...]}RS
//   request:     an Invocation {"type":1,"invocationId":"17","target":method,"arguments":[...]}RS;
//                a JSON array payload is spread into the arguments, anything else is the only one
//   in:          Invocation {"type":1,"target","arguments"} → channel message on channel target,
//                event target, payload the only argument or else the array of them; one with an
//                invocationId asks for a client result, which tether cannot give: answered at
//                once with a Completion error, as SignalR's clients answer for a handler that
//                returns nothing
//                Completion {"type":3,"invocationId","result"|"error"} → response
//                StreamItem {"type":2,"invocationId","item"} → item (never asked for: tether
//                sends no StreamInvocation, and the hub refuses a plain Invocation of a
//                streaming method with a Completion error)
//                Ping {"type":6} → ignored
//                Close {"type":7,"error"?,"allowReconnect"?} → the server ends the session;
//                tether reconnects only when allowReconnect is true
//   keep-alive:  Ping {"type":6}RS every 15 s: half the server's default ClientTimeoutInterval
//                (30 s), the interval SignalR's own clients use
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

namespace json = boost::json;

namespace {

constexpr char kRecordSeparator = '\x1e';
constexpr int64_t kHeartbeatMs = 15000;

// The hub protocol's message types.
enum MessageType : int64_t {
    kInvocation = 1,
    kStreamItem = 2,
    kCompletion = 3,
    kPing = 6,
    kClose = 7,
};

std::string record(std::string text) {
    text += kRecordSeparator;
    return text;
}

// The record's "type", or -1 when it has none that is an integer.
int64_t type_of(const json::object &o) {
    const json::value *v = o.if_contains("type");
    if (v == nullptr) return -1;
    if (const int64_t *i = v->if_int64()) return *i;
    if (const uint64_t *u = v->if_uint64()) return *u <= 1000 ? static_cast<int64_t>(*u) : -1;
    return -1;
}

std::string error_text(const json::value &error) {
    return error.is_string() ? std::string(error.as_string()) : json::serialize(error);
}

std::string invocation(const std::string &wire_id, const std::string &target, const std::string &arguments_json) {
    std::string out = R"({"type":1,)";
    if (!wire_id.empty()) out += R"("invocationId":)" + json_quote(wire_id) + ",";
    out += R"("target":)" + json_quote(target) + R"(,"arguments":[)" + argument_list(arguments_json) + "]}";
    return record(std::move(out));
}

class SignalrDialect final : public Dialect {
public:
    const char *name() const noexcept override { return "signalr"; }

    Opening open(const std::string &, const std::string &) override {
        handshake_done_ = false;  // every connection starts with its own handshake
        Opening opening;
        opening.frames.push_back(record(R"({"protocol":"json","version":1})"));
        opening.wait_for_ready = true;
        return opening;
    }

    Error subscribe(std::string &out, const std::string &, const std::string &channel,
                    const std::string &params_json) override {
        out.clear();
        if (channel.empty()) {
            return make_error(TETHER_E_INVALID_ARGUMENT, "channel: the name of the client method to listen for is required");
        }
        // A subscription with arguments would be a server-to-client stream (StreamInvocation).
        if (!params_json.empty()) return unsupported("signalr", "subscribe with parameters (a StreamInvocation)");
        return ok();
    }

    Error unsubscribe(std::string &out, const std::string &, const std::string &, const std::string &) override {
        out.clear();
        return ok();
    }

    Error publish(std::string &out, const std::string &channel, const std::string &payload_json) override {
        if (channel.empty()) return make_error(TETHER_E_INVALID_ARGUMENT, "channel: the hub method to invoke is required");
        out = invocation("", channel, payload_json);
        return ok();
    }

    Error request(std::string &out, const std::string &wire_id, const std::string &method,
                  const std::string &params_json) override {
        if (method.empty()) return make_error(TETHER_E_INVALID_ARGUMENT, "method: the hub method to invoke is required");
        out = invocation(wire_id, method, params_json);
        return ok();
    }

    bool confirms_subscriptions() const noexcept override { return false; }

    Incoming decode(std::string_view data, bool binary) override {
        Incoming in;
        if (binary) {  // the JSON hub protocol is text only
            in.messages.emplace_back();
            return in;
        }
        size_t start = 0;
        while (start < data.size()) {
            size_t end = data.find(kRecordSeparator, start);
            if (end == std::string_view::npos) end = data.size();  // an unterminated last record
            if (end > start) decode_record(data.substr(start, end - start), in);
            start = end + 1;
        }
        if (in.messages.empty()) in.messages.emplace_back();  // nothing of ours: a plain message
        return in;
    }

    int64_t heartbeat_interval_ms() const noexcept override { return kHeartbeatMs; }
    std::string heartbeat(const std::string &) override { return record(R"({"type":6})"); }

private:
    void decode_record(std::string_view text, Incoming &in) {
        Decoded &d = in.messages.emplace_back();
        const json::value v = parse_or_null(text);
        if (!v.is_object()) return;
        const json::object &o = v.as_object();
        const int64_t type = type_of(o);
        if (!handshake_done_ && type < 0) {
            // The handshake response: {} or {"error":"..."}.
            if (const json::value *error = o.if_contains("error"); error && !error->is_null()) {
                d.kind = Decoded::Kind::refused;
                d.error_message = error_text(*error);
            } else {
                handshake_done_ = true;
                d.kind = Decoded::Kind::ready;
            }
            return;
        }
        const std::string id = string_field(o, "invocationId");
        switch (type) {
        case kInvocation: {
            const std::string target = string_field(o, "target");
            if (target.empty()) return;
            d.kind = Decoded::Kind::channel_message;
            d.channel = target;
            d.event = target;
            d.payload = payload_of(o.if_contains("arguments"));
            if (!id.empty()) {
                in.replies.push_back(record(R"({"type":3,"invocationId":)" + json_quote(id) +
                                            R"(,"error":"Client didn't provide a result."})"));
            }
            return;
        }
        case kStreamItem:
            if (id.empty()) return;
            d.kind = Decoded::Kind::item;
            d.wire_id = id;
            d.payload = value_text(o.if_contains("item"));
            return;
        case kCompletion:
            if (id.empty()) return;
            d.kind = Decoded::Kind::response;
            d.wire_id = id;
            if (const json::value *error = o.if_contains("error"); error && !error->is_null()) {
                d.is_error = true;
                d.error_message = error_text(*error);
                d.payload = json::serialize(*error);
            } else {
                d.payload = value_text(o.if_contains("result"));  // a void method has none
            }
            return;
        case kPing: d.kind = Decoded::Kind::ignore; return;
        case kClose: {
            d.kind = Decoded::Kind::server_close;
            if (const json::value *error = o.if_contains("error"); error && !error->is_null()) {
                d.error_message = error_text(*error);
            }
            const json::value *allow = o.if_contains("allowReconnect");
            d.reconnect = allow && allow->is_bool() && allow->get_bool();
            return;
        }
        default: return;  // not one the client expects: left to the application
        }
    }

    // The only argument itself; none or several as their array.
    static std::string payload_of(const json::value *arguments) {
        if (arguments == nullptr) return "[]";
        const json::array *list = arguments->if_array();
        if (list && list->size() == 1) return json::serialize((*list)[0]);
        return json::serialize(*arguments);
    }

    bool handshake_done_ = false;
};

}  // namespace

std::unique_ptr<Dialect> make_signalr_dialect(const config::Options &) { return std::make_unique<SignalrDialect>(); }

}  // namespace tether::protocol
