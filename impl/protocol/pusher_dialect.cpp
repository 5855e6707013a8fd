// The pusher protocol: Pusher Channels protocol 7 (URL ws://host/app/<key>?protocol=7&...), JSON
// objects {"event", "channel"?, "data"} where the server usually sends data as a JSON-encoded
// string and the client sends it as an object.
//   open                            nothing; the client is ready on
//       {"event":"pusher:connection_established","data":"{\"socket_id\",\"activity_timeout\"}"}
//                                   after which the rendered authMessageTemplate, when there is
//                                   one (a pusher:signin), goes out first
//   subscribe(channel, params)      {"event":"pusher:subscribe","data":{"channel", ...params}}
//                                   (params: auth, channel_data for private/presence channels)
//       pusher_internal:subscription_succeeded {channel}  -> subscribed
//       pusher:subscription_error {channel, data}         -> subscribe_error
//   unsubscribe(channel)            {"event":"pusher:unsubscribe","data":{"channel"}}
//   publish(channel, {event,data})  a client event {"event":"client-...","channel","data"}
//   request                         not in the protocol (TETHER_E_NOT_SUPPORTED)
//   {"event", "channel", "data"}    -> channel_message(channel, event, data parsed when it holds
//                                   JSON, else the string); pusher_internal:* presence events too
//   keep-alive                      {"event":"pusher:ping","data":{}} every activity_timeout s;
//                                   a server's pusher:ping is answered with pusher:pong at once
//   pusher:error {message, code}    4000-4299: ignored here, the close that follows decides;
//                                   other codes (client event refused, rate limit): a MESSAGE
//   close codes                     4000-4099 stop (4001 unknown app key, 4003 app disabled,
//                                   4009 unauthorized: TETHER_E_AUTH; the rest TETHER_E_CLOSED),
//                                   4100-4199 reconnect after 1 s, 4200-4299 reconnect at once,
//                                   anything else the general table (pusher-js gives up on
//                                   4300+, for which the protocol names no rule)
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

namespace json = boost::json;

namespace {

constexpr int64_t kDefaultActivityTimeoutS = 120;  // pusher-js's, when the server names none
constexpr double kMaxActivityTimeoutS = 86400;
constexpr const char *kEventShape = R"({"event": "client-<name>", "data": <any>})";

// The data of a server event: a JSON-encoded string (parsed), or a value sent as it is. A
// string that holds no JSON stays the string.
json::value data_of(const json::object &o) {
    const json::value *v = o.if_contains("data");
    if (!v) return nullptr;
    if (const json::string *s = v->if_string()) {
        boost::system::error_code ec;
        json::value parsed = json::parse(*s, ec);
        if (!ec) return parsed;
    }
    return *v;
}

class PusherDialect final : public Dialect {
public:
    const char *name() const noexcept override { return "pusher"; }

    Opening open(const std::string &, const std::string &auth_message) override {
        auth_message_ = auth_message;
        activity_timeout_s_ = kDefaultActivityTimeoutS;
        last_error_.clear();
        Opening opening;
        opening.wait_for_ready = true;  // until pusher:connection_established
        return opening;
    }

    Error subscribe(std::string &out, const std::string &, const std::string &channel,
                    const std::string &params_json) override {
        json::object params;
        if (Error e = object_params(params, params_json,
                                    "params: a Pusher subscribe takes a JSON object such as {\"auth\": "
                                    "\"<key>:<signature>\"} (or none), not " + params_json)) {
            return e;
        }
        std::string data = "{\"channel\":" + json_quote(channel);
        for (const auto &member : params) {
            if (member.key() == "channel") continue;  // the channel is the argument's
            data += "," + json_quote(member.key()) + ":" + json::serialize(member.value());
        }
        out = R"({"event":"pusher:subscribe","data":)" + data + "}}";
        return ok();
    }

    Error unsubscribe(std::string &out, const std::string &, const std::string &, const std::string &channel) override {
        out = R"({"event":"pusher:unsubscribe","data":{"channel":)" + json_quote(channel) + "}}";
        return ok();
    }

    Error publish(std::string &out, const std::string &channel, const std::string &payload_json) override {
        const json::value v = parse_or_null(payload_json);
        const json::object *o = v.if_object();
        const json::value *event = o ? o->if_contains("event") : nullptr;
        if (!event || !event->is_string()) {
            return make_error(TETHER_E_INVALID_ARGUMENT, std::string("payload: Pusher publishes client events: ") +
                                                             kEventShape);
        }
        const std::string name(event->get_string());
        if (name.rfind("client-", 0) != 0) {
            return make_error(TETHER_E_INVALID_ARGUMENT,
                              "payload: the event name '" + name +
                                  "' does not start with 'client-': Pusher accepts only client events from clients (" +
                                  kEventShape + ")");
        }
        const json::value *data = o->if_contains("data");
        out = "{\"event\":" + json_quote(name) + ",\"channel\":" + json_quote(channel) +
              ",\"data\":" + (data ? json::serialize(*data) : std::string("{}")) + "}";
        return ok();
    }

    Error request(std::string &, const std::string &, const std::string &, const std::string &) override {
        return unsupported("pusher", "request");
    }

    Incoming decode(std::string_view data, bool binary) override {
        Incoming in;
        Decoded d;
        if (binary) {  // the protocol has no binary frames: not ours
            in.messages.push_back(d);
            return in;
        }
        const json::value v = parse_or_null(data);
        const json::object *o = v.if_object();
        const std::string event = o ? string_field(*o, "event") : std::string();
        if (event.empty()) {
            in.messages.push_back(d);
            return in;
        }
        const std::string channel = string_field(*o, "channel");
        if (event == "pusher:connection_established") {
            const json::value established = data_of(*o);
            if (const json::object *fields = established.if_object()) {
                if (const json::value *t = fields->if_contains("activity_timeout"); t && t->is_number()) {
                    boost::system::error_code number_ec;
                    const double seconds = t->to_number<double>(number_ec);
                    // Whole seconds from 1 s to a day: anything else is not a timeout to follow.
                    if (!number_ec && seconds >= 1 && seconds <= kMaxActivityTimeoutS) {
                        activity_timeout_s_ = static_cast<int64_t>(seconds);
                    }
                }
            }
            if (!auth_message_.empty()) in.replies.push_back(auth_message_);
            d.kind = Decoded::Kind::ready;
        } else if (event == "pusher:ping") {
            in.replies.push_back(R"({"event":"pusher:pong","data":{}})");
            d.kind = Decoded::Kind::ignore;
        } else if (event == "pusher:pong") {
            d.kind = Decoded::Kind::ignore;
        } else if (event == "pusher:error") {
            d = decode_error(*o);
        } else if (event == "pusher_internal:subscription_succeeded" && !channel.empty()) {
            d.kind = Decoded::Kind::subscribed;
            d.channel = channel;
        } else if (event == "pusher:subscription_error" && !channel.empty()) {
            d.kind = Decoded::Kind::subscribe_error;
            d.channel = channel;
            const json::value details = data_of(*o);
            d.payload = json::serialize(details);
            d.error_message = subscription_error_text(details);
        } else if (!channel.empty()) {
            d.kind = Decoded::Kind::channel_message;
            d.channel = channel;
            d.event = event;
            d.payload = json::serialize(data_of(*o));
        }
        in.messages.push_back(std::move(d));
        return in;
    }

    int64_t heartbeat_interval_ms() const noexcept override { return activity_timeout_s_ * 1000; }

    std::string heartbeat(const std::string &) override { return R"({"event":"pusher:ping","data":{}})"; }

    ClosePolicy on_close(int32_t code, const std::string &reason) override {
        ClosePolicy policy;
        const std::string said = !reason.empty() ? reason : last_error_;
        const std::string what = "Pusher closed the connection with " + std::to_string(code) +
                                 (said.empty() ? std::string() : " (" + said + ")");
        if (code >= 4000 && code <= 4099) {
            // "Attempting to reconnect using the same parameters will not succeed."
            policy.decision = ClosePolicy::Decision::stop;
            const bool credentials = code == 4001 || code == 4003 || code == 4009;
            policy.status = credentials ? TETHER_E_AUTH : TETHER_E_CLOSED;
            policy.why = what + (code == 4000 ? ": the app accepts only TLS, use wss://" : "");
        } else if (code >= 4100 && code <= 4199) {
            policy.decision = ClosePolicy::Decision::reconnect;  // "after 1 second or more"
            policy.delay_ms = 1000;
            policy.why = what;
        } else if (code >= 4200 && code <= 4299) {
            policy.decision = ClosePolicy::Decision::reconnect;  // "may reconnect immediately"
            policy.delay_ms = 0;
            policy.why = what;
        }
        return policy;
    }

private:
    Decoded decode_error(const json::object &o) {
        Decoded d;
        const json::value details = data_of(o);
        int64_t code = 0;
        std::string message;
        if (const json::object *fields = details.if_object()) {
            if (const json::value *c = fields->if_contains("code")) {
                if (c->is_int64()) code = c->get_int64();
                if (c->is_uint64() && c->get_uint64() <= 9999) code = static_cast<int64_t>(c->get_uint64());
            }
            message = string_field(*fields, "message");
        }
        if (code >= 4000 && code <= 4299) {
            // The server closes the connection with this code next: on_close decides, and
            // this text explains it when the close frame has no reason.
            last_error_ = message;
            d.kind = Decoded::Kind::ignore;
        }
        // Otherwise (a refused client event, a rate limit) the connection stays: the
        // application sees the error as a MESSAGE.
        return d;
    }

    static std::string subscription_error_text(const json::value &details) {
        if (const json::object *fields = details.if_object()) {
            for (const char *key : {"error", "message"}) {
                const std::string text = string_field(*fields, key);
                if (!text.empty()) return text;
            }
        }
        if (const json::string *s = details.if_string()) return std::string(*s);
        return json::serialize(details);
    }

    std::string auth_message_;
    int64_t activity_timeout_s_ = kDefaultActivityTimeoutS;
    std::string last_error_;  // the last pusher:error that announced a close
};

}  // namespace

std::unique_ptr<Dialect> make_pusher_dialect(const config::Options &) { return std::make_unique<PusherDialect>(); }

}  // namespace tether::protocol
