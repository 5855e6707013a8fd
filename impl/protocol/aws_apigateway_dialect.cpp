// The aws-apigateway protocol: Amazon API Gateway WebSocket APIs. The service itself has no
// channels and no ids: it picks a route by the body's "action" (route selection expression
// $request.body.action) and hands the message to that route's integration. tether's convention
// on top, which the API's integrations implement:
//   publish:     the payload object with "action": <channel> merged in
//                ({"action":"sendmessage","data":"hi"}); a payload that is not an object
//                travels as {"action":<channel>,"data":<payload>}
//   request:     the same plus "requestId":"<wire id>"; a message carrying that requestId is
//                the response: its "data" (else the whole message), or an error when it has a
//                non-null "error" member
//   subscribe:   {"action":"subscribe","channel":<channel>,"requestId":"<wire id>"} plus the
//                params object's members; the reply with that requestId confirms it (or, with
//                "error", refuses it)
//   unsubscribe: {"action":"unsubscribe","channel":<channel>} (no reply)
//   messages:    {"channel":<channel>,"data":<payload>} (channel_message; "event", when a
//                string, is the event name)
//   keep-alive:  API Gateway closes a connection idle for 10 minutes and does not count
//                WebSocket pings as activity, so every 9 minutes the client sends
//                {"action":"ping"} (a route the API should have, answering nothing or anything);
//                a pingInterval the application set below that paces it instead.
//   close:       connections last at most 2 hours; API Gateway then closes with 1001 "Going
//                away", which reconnects by the general table (and re-subscribes).
//   auth:        the token is the Authorization query parameter checked by the $connect route's
//                authorizer, which refuses the upgrade with HTTP 401 or 403.
// API Gateway's own error frames ({"message": "Forbidden", "connectionId":.., "requestId":..}
// for an action without a route, "Internal server error" for a failed integration) carry its
// own requestId, never one of ours: they stay plain messages.
#include <algorithm>
#include <initializer_list>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

namespace json = boost::json;

namespace {

constexpr int64_t kHeartbeatMs = 9 * 60 * 1000;  // inside the 10-minute idle timeout

bool is_decimal(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

// The requestId of a reply as the manager's decimal wire id; "" when it is not one of ours.
std::string reply_id(const json::object &o) {
    const json::value *id = o.if_contains("requestId");
    if (id && id->is_string() && !is_decimal(id->get_string())) return {};
    return id_text(id);
}

std::string error_text(const json::value &error) {
    if (error.is_string()) return std::string(error.get_string());
    if (const json::object *e = error.if_object()) {
        if (const json::value *m = e->if_contains("message"); m && m->is_string()) return std::string(m->get_string());
    }
    return json::serialize(error);
}

// The body of a message to route `action`: the members of `payload_json` when it is an object,
// else the payload as "data". Keys the convention owns (reserved) are set by the caller.
Error body_of(json::object &body, const std::string &action, const std::string &payload_json,
              std::initializer_list<std::string_view> reserved, const char *argument) {
    if (action.empty()) {
        return make_error(TETHER_E_INVALID_ARGUMENT,
                          std::string("aws-apigateway: the ") + argument + " (the route's action) must not be empty");
    }
    body["action"] = action;
    if (payload_json.empty()) return ok();
    boost::system::error_code ec;
    json::value payload = json::parse(payload_json, ec);
    if (ec) return make_error(TETHER_E_INVALID_JSON, "aws-apigateway: the payload is not valid JSON");
    if (!payload.is_object()) {
        body["data"] = std::move(payload);
        return ok();
    }
    for (auto &member : payload.as_object()) {
        bool owned = member.key() == "action";
        for (std::string_view key : reserved) owned = owned || member.key() == key;
        if (!owned) body[member.key()] = std::move(member.value());
    }
    return ok();
}

class AwsApiGatewayDialect final : public Dialect {
public:
    explicit AwsApiGatewayDialect(const config::Options &options) {
        // pingInterval, when the application chose one shorter than the idle limit, is how often
        // it wants the connection kept alive; only a message does that on API Gateway.
        const bool chosen = std::find(options.explicit_keys.begin(), options.explicit_keys.end(), "pingInterval") !=
                            options.explicit_keys.end();
        if (chosen && options.ping_interval_ms > 0 && options.ping_interval_ms < kHeartbeatMs) {
            heartbeat_ms_ = options.ping_interval_ms;
        }
    }

    const char *name() const noexcept override { return "aws-apigateway"; }

    Opening open(const std::string &, const std::string &) override {
        subscribing_.clear();  // replies to the last connection's subscribes will never come
        return {};
    }

    Error subscribe(std::string &out, const std::string &wire_id, const std::string &channel,
                    const std::string &params_json) override {
        if (channel.empty()) return make_error(TETHER_E_INVALID_ARGUMENT, "aws-apigateway: the channel must not be empty");
        json::object params;
        if (Error e = object_params(params, params_json,
                                    "aws-apigateway: subscription params must be a JSON object (its members join the "
                                    "subscribe message)")) {
            return e;
        }
        const std::string members = params.empty() ? std::string() : params_json;  // null and "" add nothing
        json::object body;
        if (Error e = body_of(body, "subscribe", members, {"channel", "requestId"}, "action")) return e;
        body["channel"] = channel;
        body["requestId"] = wire_id;
        out = json::serialize(body);
        subscribing_.insert(wire_id);
        return ok();
    }

    Error unsubscribe(std::string &out, const std::string &, const std::string &,
                      const std::string &channel) override {
        out = R"({"action":"unsubscribe","channel":)" + json_quote(channel) + "}";
        return ok();
    }

    Error publish(std::string &out, const std::string &channel, const std::string &payload_json) override {
        json::object body;
        if (Error e = body_of(body, channel, payload_json, {}, "channel")) return e;
        out = json::serialize(body);
        return ok();
    }

    Error request(std::string &out, const std::string &wire_id, const std::string &method,
                  const std::string &params_json) override {
        json::object body;
        if (Error e = body_of(body, method, params_json, {"requestId"}, "method")) return e;
        body["requestId"] = wire_id;
        out = json::serialize(body);
        return ok();
    }

    Incoming decode(std::string_view data, bool binary) override {
        return decode_json_object(data, binary, [this](const json::object &o) { return decode_one(o); });
    }

    int64_t heartbeat_interval_ms() const noexcept override { return heartbeat_ms_; }
    std::string heartbeat(const std::string &) override { return R"({"action":"ping"})"; }

private:
    Decoded decode_one(const json::object &o) {
        Decoded d;
        if (const std::string id = reply_id(o); !id.empty()) {
            const json::value *error = o.if_contains("error");
            const bool failed = error && !error->is_null();
            d.kind = subscribing_.erase(id) ? (failed ? Decoded::Kind::subscribe_error : Decoded::Kind::subscribed)
                                            : Decoded::Kind::response;
            d.wire_id = id;
            if (failed) {
                d.is_error = true;
                d.error_message = error_text(*error);
                d.payload = json::serialize(*error);
            } else if (const json::value *payload = o.if_contains("data")) {
                d.payload = json::serialize(*payload);
            } else {
                d.payload = json::serialize(o);
            }
            return d;
        }
        const json::value *channel = o.if_contains("channel");
        const json::value *payload = o.if_contains("data");
        if (channel && channel->is_string() && payload) {
            d.kind = Decoded::Kind::channel_message;
            d.channel = channel->get_string();
            d.event = string_field(o, "event");
            d.payload = json::serialize(*payload);
        }
        return d;
    }

    int64_t heartbeat_ms_ = kHeartbeatMs;
    // Wire ids of this connection's subscribes still waiting for their reply: a reply carries
    // only the requestId, and a request's reply looks the same.
    std::set<std::string> subscribing_;
};

}  // namespace

std::unique_ptr<Dialect> make_aws_apigateway_dialect(const config::Options &options) {
    return std::make_unique<AwsApiGatewayDialect>(options);
}

}  // namespace tether::protocol
