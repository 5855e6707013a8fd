// The actioncable protocol: Rails Action Cable, subprotocol actioncable-v1-json. A channel is a
// Ruby channel class; a subscription is named by its identifier, the JSON text of
// {"channel": <class>, ...params}, which the server echoes on everything it sends for it.
//   open:        nothing is sent; the client is ready at {"type":"welcome"}
//   subscribe:   {"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\",\"room\":\"1\"}"}
//                -> {"identifier":..,"type":"confirm_subscription"} (subscribed)
//                or {"identifier":..,"type":"reject_subscription"}  (subscribe_error)
//   unsubscribe: {"command":"unsubscribe","identifier":..}            (no answer)
//   publish:     {"command":"message","identifier":..,"data":"<payload object as JSON text>"}
//                Rails calls the channel method named by the payload's "action"
//   messages:    {"identifier":..,"message":<payload>}                (channel_message, no event)
//   keep-alive:  {"type":"ping","message":<unix time>} every 3 s from the server (ignored)
//   close:       {"type":"disconnect","reason":"unauthorized","reconnect":false} refuses the
//                credentials; any other disconnect ends the session, reconnecting when
//                "reconnect" says so (reasons server_restart, remote, invalid_request)
//   request:     Action Cable has none
// A channel given as a JSON object ({"channel":"ChatChannel","room":"1"}) is the identifier
// itself, so that one channel class can be subscribed with different params at once.
#include <map>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

namespace json = boost::json;

namespace {

class ActionCableDialect final : public Dialect {
public:
    const char *name() const noexcept override { return "actioncable"; }

    Opening open(const std::string &, const std::string &) override {
        Opening opening;
        opening.wait_for_ready = true;  // the credentials travel in the URL; welcome says they passed
        return opening;
    }

    Error subscribe(std::string &out, const std::string &, const std::string &channel,
                    const std::string &params_json) override {
        std::string identifier;
        if (Error e = identifier_of(identifier, channel, params_json)) return e;
        if (auto old = identifiers_.find(channel); old != identifiers_.end()) channels_.erase(old->second);
        identifiers_[channel] = identifier;
        channels_[identifier] = channel;
        out = R"({"command":"subscribe","identifier":)" + json_quote(identifier) + "}";
        return ok();
    }

    Error unsubscribe(std::string &out, const std::string &, const std::string &,
                      const std::string &channel) override {
        const auto found = identifiers_.find(channel);
        if (found == identifiers_.end()) {
            return make_error(TETHER_E_INVALID_ARGUMENT, "actioncable: channel '" + channel + "' was never subscribed");
        }
        out = R"({"command":"unsubscribe","identifier":)" + json_quote(found->second) + "}";
        channels_.erase(found->second);
        identifiers_.erase(found);
        return ok();
    }

    Error publish(std::string &out, const std::string &channel, const std::string &payload_json) override {
        const auto found = identifiers_.find(channel);
        if (found == identifiers_.end()) {
            return make_error(TETHER_E_INVALID_ARGUMENT,
                              "actioncable: publish on channel '" + channel +
                                  "' needs a subscription to it first (Action Cable routes a message by the "
                                  "subscription's identifier)");
        }
        const json::value payload = parse_or_null(payload_json);
        if (!payload.is_object()) {
            return make_error(TETHER_E_INVALID_ARGUMENT,
                              "actioncable: the payload must be a JSON object (Rails calls the channel method "
                              "named by its \"action\" member)");
        }
        out = R"({"command":"message","identifier":)" + json_quote(found->second) + R"(,"data":)" +
              json_quote(json::serialize(payload)) + "}";
        return ok();
    }

    Error request(std::string &, const std::string &, const std::string &, const std::string &) override {
        return unsupported("actioncable", "request");
    }

    Incoming decode(std::string_view data, bool binary) override {
        return decode_json_object(data, binary, [this](const json::object &o) { return decode_one(o); });
    }

private:
    // The identifier of a subscription: {"channel":channel, ...params}, or the channel itself
    // with params added when the channel is a JSON object.
    static Error identifier_of(std::string &out, const std::string &channel, const std::string &params_json) {
        json::object identifier;
        if (!channel.empty() && channel.front() == '{') {
            json::value given = parse_or_null(channel);
            const json::value *klass = given.is_object() ? given.as_object().if_contains("channel") : nullptr;
            if (klass == nullptr || !klass->is_string() || klass->as_string().empty()) {
                return make_error(TETHER_E_INVALID_ARGUMENT,
                                  "actioncable: a channel given as JSON must be an object with a non-empty "
                                  "string \"channel\" (the channel class)");
            }
            identifier = std::move(given.as_object());
        } else if (channel.empty()) {
            return make_error(TETHER_E_INVALID_ARGUMENT, "actioncable: the channel (a channel class) must not be empty");
        } else {
            identifier["channel"] = channel;
        }
        json::object params;
        if (Error e = object_params(params, params_json,
                                    "actioncable: params must be a JSON object (they join \"channel\" in the "
                                    "subscription's identifier)")) {
            return e;
        }
        for (const auto &member : params) {
            if (member.key() == "channel") {
                return make_error(TETHER_E_INVALID_ARGUMENT,
                                  "actioncable: params must not carry \"channel\": the channel argument names "
                                  "the channel class");
            }
            identifier[member.key()] = member.value();
        }
        out = json::serialize(identifier);
        return ok();
    }

    Decoded decode_one(const json::object &o) {
        Decoded d;
        const std::string type = string_field(o, "type");
        if (type == "welcome") {
            d.kind = Decoded::Kind::ready;
        } else if (type == "ping") {
            d.kind = Decoded::Kind::ignore;
        } else if (type == "disconnect") {
            decode_disconnect(d, o);
        } else if (type == "confirm_subscription" || type == "reject_subscription") {
            const auto found = channels_.find(string_field(o, "identifier"));
            if (found == channels_.end()) {
                d.kind = Decoded::Kind::ignore;  // unsubscribed meanwhile
                return d;
            }
            d.channel = found->second;
            if (type == "confirm_subscription") {
                d.kind = Decoded::Kind::subscribed;
            } else {
                d.kind = Decoded::Kind::subscribe_error;
                d.error_message = "rejected by the server (reject_subscription)";
                identifiers_.erase(found->second);
                channels_.erase(found);
            }
        } else if (type.empty() && o.if_contains("identifier") && o.if_contains("message")) {
            const auto found = channels_.find(string_field(o, "identifier"));
            if (found == channels_.end()) {
                d.kind = Decoded::Kind::ignore;  // a broadcast still under way when we unsubscribed
                return d;
            }
            d.kind = Decoded::Kind::channel_message;
            d.channel = found->second;
            d.payload = json::serialize(*o.if_contains("message"));
        }
        return d;
    }

    static void decode_disconnect(Decoded &d, const json::object &o) {
        const std::string reason = string_field(o, "reason");
        const json::value *reconnect = o.if_contains("reconnect");
        // Rails always says; a server that does not leaves it to the reconnect table's default.
        const bool again = reconnect == nullptr || !reconnect->is_bool() || reconnect->get_bool();
        if (reason == "unauthorized" && !again) {
            d.kind = Decoded::Kind::refused;
            d.error_message = "disconnect: unauthorized";
            return;
        }
        d.kind = Decoded::Kind::server_close;
        d.reconnect = again;
        d.error_message = reason.empty() ? std::string("disconnect") : "disconnect: " + reason;
    }

    std::map<std::string, std::string> identifiers_;  // channel -> identifier
    std::map<std::string, std::string> channels_;     // identifier -> channel
};

}  // namespace

std::unique_ptr<Dialect> make_actioncable_dialect(const config::Options &) {
    return std::make_unique<ActionCableDialect>();
}

}  // namespace tether::protocol
